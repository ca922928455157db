"""Secrets Manager secrets the functions read, referenced by name (ops create and rotate them)."""

from __future__ import annotations

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.catalog import SECRET_NAMES


class Secrets(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.by_variable: dict[str, secretsmanager.ISecret] = {
            variable: secretsmanager.Secret.from_secret_name_v2(self, variable, f"{prefix}/{name}")
            for variable, name in SECRET_NAMES.items()
        }
