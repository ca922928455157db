"""Secrets Manager secrets the functions read, referenced by name (ops create and rotate them)."""

from __future__ import annotations

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.catalog import OZON_CONNECTION_SECRET, SECRET_NAMES


class Secrets(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.by_variable: dict[str, secretsmanager.ISecret] = {
            variable: secretsmanager.Secret.from_secret_name_v2(self, variable, f"{prefix}/{name}")
            for variable, name in SECRET_NAMES.items()
        }
        self.ozon_connection_name = f"{prefix}/{OZON_CONNECTION_SECRET}"
        """Created by the admin API when operators enter a key, not by ops."""
        self.ozon_connection = secretsmanager.Secret.from_secret_name_v2(
            self, "OzonConnection", self.ozon_connection_name
        )
