"""samconfig.toml points SAM at the template the CDK app synthesizes, with the local environment file."""

from __future__ import annotations

import json
import tomllib

from infra.stack import REPO_ROOT


def test_sam_uses_the_synthesized_template_and_the_local_environment() -> None:
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())
    stack = config["default"]["global"]["parameters"]["stack_name"]
    cdk = json.loads((REPO_ROOT / "cdk.json").read_text())
    assert "infra.app" in cdk["app"]
    for command in ("build", "local_invoke", "local_start_api"):
        assert config["default"][command]["parameters"]["template_file"] == f"cdk.out/{stack}.template.json"
    for command in ("local_invoke", "local_start_api"):
        parameters = config["default"][command]["parameters"]
        assert parameters["env_vars"] == "infra/sam-local-env.json"
        # the region the local system creates its table and secrets in
        assert parameters["region"] == "eu-central-1"
    assert (REPO_ROOT / "infra" / "sam-local-env.json").is_file()
