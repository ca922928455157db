"""Shared fixtures: a fresh moto-backed table per test, a controllable clock, wired services."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="eu-central-1",
    AWS_REGION="eu-central-1",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_NAMESPACE="ReferralTest",
    POWERTOOLS_SERVICE_NAME="referral-test",
)
for _endpoint in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(_endpoint, None)

from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS  # noqa: E402
from moto import mock_aws  # noqa: E402
from referral.domain.payout_details import PayoutFingerprinter  # noqa: E402
from referral.repository.table import bind_table, create_table  # noqa: E402
from referral.services import Services  # noqa: E402

from devtools.request_meter import install  # noqa: E402
from tests.support.clock import FakeClock  # noqa: E402

TABLE_NAME = "referral-test"
PAYOUT_KEY = "k" * 24 + "-test-payout-fingerprint-key"
"""The payout fingerprint key of the tests' services (the functions read theirs from Secrets Manager)."""


@pytest.fixture(autouse=True, scope="session")
def request_meter() -> None:
    """Every DynamoDB client the tests create carries the request counter from the start (it counts only
    inside ``counting()``), so a budget is the same whichever test ran first in the process."""
    install()


@pytest.fixture(autouse=True)
def fresh_parameter_providers() -> Iterator[None]:
    """Powertools keeps one provider (and its AWS client, with the endpoint it was built for) per process:
    drop them after each test, as a new Lambda container would start without them."""
    yield
    DEFAULT_PROVIDERS.clear()


@pytest.fixture
def table_name() -> Iterator[str]:
    """A fresh, empty table per test: every ``mock_aws`` context starts with an empty backend.

    The name stays the same so PynamoDB keeps its client (and botocore its loaded models) across tests.
    """
    name = TABLE_NAME
    with mock_aws():
        bind_table(name)
        create_table()
        yield name


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(table_name: str, clock: FakeClock) -> Services:
    return Services.build(
        clock=clock, settings_max_age=0, payout_fingerprints=PayoutFingerprinter(PAYOUT_KEY.encode())
    )
