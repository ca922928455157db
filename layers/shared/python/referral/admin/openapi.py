"""Print the admin API's OpenAPI document: ``python -m referral.admin.openapi > docs/openapi.json``."""

from __future__ import annotations

import sys


def main() -> None:
    from referral.admin.app import openapi_json

    sys.stdout.write(openapi_json())


if __name__ == "__main__":
    main()
