"""Lambda layers: third-party dependencies, and the shared ``referral`` package."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.catalog import ASSET_EXCLUDES

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64


class Layers(Construct):
    """``dependencies_path`` holds ``python/…``, built by ``make layer`` (``infra.build_layer``) for RUNTIME
    and ARCHITECTURE; boto3 and botocore are the runtime's own and not in the layer."""

    def __init__(
        self, scope: Construct, construct_id: str, *, repo_root: Path, dependencies_path: Path
    ) -> None:
        super().__init__(scope, construct_id)
        self.dependencies = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(dependencies_path), exclude=list(ASSET_EXCLUDES)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Third-party packages: Powertools, PynamoDB, pydantic, python-telegram-bot, requests",
        )
        self.shared = lambda_.LayerVersion(
            self,
            "Shared",
            code=lambda_.Code.from_asset(str(repo_root / "layers" / "shared"), exclude=list(ASSET_EXCLUDES)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="The referral program's shared package",
        )
