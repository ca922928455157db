"""samconfig.toml points SAM at the template the CDK app synthesizes."""

from __future__ import annotations

import json
import tomllib

from infra.stack import REPO_ROOT


def test_sam_uses_the_synthesized_template_and_a_local_environment() -> None:
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())
    stack = config["default"]["global"]["parameters"]["stack_name"]
    cdk = json.loads((REPO_ROOT / "cdk.json").read_text())
    assert "infra.app" in cdk["app"]
    for command in ("build", "local_invoke", "local_start_api"):
        assert config["default"][command]["parameters"]["template_file"] == f"cdk.out/{stack}.template.json"
    env_file = REPO_ROOT / config["default"]["local_invoke"]["parameters"]["env_vars"]
    assert "TABLE_NAME" in json.loads(env_file.read_text())["Parameters"]
