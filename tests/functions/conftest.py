"""Secrets Manager on moto, with the secret reads counted, as Powertools Parameters makes them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
from moto import mock_aws


@dataclass
class SecretsManager:
    client: Any
    reads: list[str] = field(default_factory=list)

    def create(self, name: str, value: str) -> str:
        self.client.create_secret(Name=name, SecretString=value)
        return name

    def rotate(self, name: str, value: str) -> None:
        self.client.put_secret_value(SecretId=name, SecretString=value)


@pytest.fixture
def secrets_manager() -> Iterator[SecretsManager]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-central-1")
        manager = SecretsManager(client)
        client.meta.events.register(
            "before-parameter-build.secrets-manager.GetSecretValue",
            lambda params, **_: manager.reads.append(params["SecretId"]),
        )
        DEFAULT_PROVIDERS["secrets"] = SecretsProvider(boto3_client=client)
        yield manager
        DEFAULT_PROVIDERS.pop("secrets", None)
