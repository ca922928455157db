"""Secrets Manager secrets the functions read: referenced by name (ops create and rotate them), and the
payout fingerprint key, which the stack generates itself."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.catalog import OZON_CONNECTION_SECRET, PAYOUT_FINGERPRINT_KEY_SECRET, SECRET_NAMES
from infra.constructs.findings import acknowledge


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
        self.payout_fingerprint_key = secretsmanager.Secret(
            self,
            "PayoutFingerprintKey",
            secret_name=f"{prefix}/{PAYOUT_FINGERPRINT_KEY_SECRET}",
            description="Key of the payout details' fingerprints (shared payout fraud signal)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            # The fingerprints in the table are only comparable under this key: it outlives the stack.
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.payout_fingerprint_key,
            "SMG4",
            "Not rotated: fingerprints stored under the old key would stop matching new ones, so a shared "
            "card or phone would go unnoticed; the key only ever leaves Secrets Manager into the two "
            "functions that compute fingerprints",
        )
