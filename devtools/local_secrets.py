"""The local Secrets Manager holds the secrets under the stack's names, as a deployment has them."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PAYOUT_KEY_FILE = Path(".local") / "payout-fingerprint-key"
"""The local payout fingerprint key, kept with the snapshot (``.local`` is never committed)."""


def publish_secrets(endpoint: str) -> None:
    """The local secrets in the local Secrets Manager under the stack's names, for ``sam local invoke``."""
    import boto3

    from infra.catalog import DEFAULT_SECRET_PREFIX, SECRET_NAMES

    client = boto3.client("secretsmanager", endpoint_url=endpoint)
    for variable, name in SECRET_NAMES.items():
        if os.environ.get(variable):
            client.create_secret(Name=f"{DEFAULT_SECRET_PREFIX}/{name}", SecretString=os.environ[variable])


def payout_fingerprint_key(keep: Path | None) -> str:
    """The payout fingerprint key as the stack makes it: a generated secret in the local Secrets Manager,
    its ARN in ``PAYOUT_FINGERPRINT_KEY_ARN``. Kept beside the snapshot (``keep``) so that the fingerprints
    in a reloaded table still match."""
    import boto3

    from infra.catalog import DEFAULT_SECRET_PREFIX, PAYOUT_FINGERPRINT_KEY_SECRET

    value = keep.read_text().strip() if keep is not None and keep.exists() else ""
    if len(value) < 32:
        value = secrets.token_urlsafe(48)
        if keep is not None:
            keep.parent.mkdir(exist_ok=True)
            keep.write_text(value)
            keep.chmod(0o600)
    client = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"])
    name = f"{DEFAULT_SECRET_PREFIX}/{PAYOUT_FINGERPRINT_KEY_SECRET}"
    arn = str(client.create_secret(Name=name, SecretString=value)["ARN"])
    os.environ.setdefault("PAYOUT_FINGERPRINT_KEY_ARN", arn)
    return os.environ["PAYOUT_FINGERPRINT_KEY_ARN"]
