"""DynamoDB requests per domain operation stay within budget: the numbers ``make bench`` prints.

A change that adds a request to a hot path fails here, with the requests by API in the message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from devtools.request_budgets import (
    MATURED,
    PURCHASE,
    REGISTRATION,
    RELEASE,
    WITHDRAWAL_REQUEST,
    Row,
    measure,
    measure_cold,
    moto_table,
    warm_services,
)
from devtools.request_meter import counting

pytestmark = pytest.mark.integration

BUDGETS = {
    REGISTRATION: 5,  # 3 for the registration, 2 for its fraud signals (Ozon ID set, recent referrals)
    PURCHASE: 2,  # one read of the buyer (with the ancestor chain), one transaction
    WITHDRAWAL_REQUEST: 3,  # the request number's counter is read before the transaction
    RELEASE.format(k=MATURED): 1 + MATURED,  # one query page + one transaction per accrual
}


@pytest.fixture(scope="module")
def table() -> Iterator[str]:
    with moto_table() as name:
        yield name


@pytest.fixture(scope="module")
def rows(table: str) -> dict[str, Row]:
    return {row.operation: row for row in measure()}


@pytest.fixture(scope="module")
def cold_rows(table: str) -> dict[str, Row]:
    return {row.operation: row for row in measure_cold()}


def test_the_counter_sees_pynamodb_and_powertools_requests_once_each(table: str) -> None:
    services = warm_services()

    with counting() as requests:
        services.settings.current(force_fetch=True)  # Powertools' boto3 client
        services.repos.participants.get_participant("nobody")  # PynamoDB's botocore client

    assert dict(requests.calls) == {"Query": 1, "GetItem": 1}


@pytest.mark.parametrize(("operation", "budget"), BUDGETS.items())
def test_operation_within_budget(rows: dict[str, Row], operation: str, budget: int) -> None:
    row = rows[operation]

    assert row.budget == budget
    assert row.total <= budget, f"{operation}: {row.total} requests ({row.requests}), budget {budget}"
    assert not row.over, f"{operation}: {'; '.join(row.over)} ({row.requests})"


def test_release_reads_one_page_and_writes_once_per_matured_accrual(rows: dict[str, Row]) -> None:
    requests = rows[RELEASE.format(k=MATURED)].requests

    assert requests["Query"] <= 1, requests
    assert requests["TransactWriteItems"] <= MATURED, requests
    assert requests.total - requests["Query"] - requests["TransactWriteItems"] == 0, requests


def test_a_cached_settings_read_costs_nothing(rows: dict[str, Row]) -> None:
    # The purchase reads the settings through the warm Powertools cache: no Query on the hot path.
    assert rows[PURCHASE].requests["Query"] == 0, rows[PURCHASE].requests


@pytest.mark.parametrize("operation", [REGISTRATION, PURCHASE, WITHDRAWAL_REQUEST])
def test_a_cold_container_adds_only_the_settings_read(
    rows: dict[str, Row], cold_rows: dict[str, Row], operation: str
) -> None:
    # The budgets are for a warm container; the first request of a cold one also reads the settings.
    warm, cold = rows[operation].requests.calls, cold_rows[operation].requests.calls

    assert (cold - warm, warm - cold) == (Counter({"Query": 1}), Counter()), (str(warm), str(cold))


def test_every_reported_operation_was_measured(rows: dict[str, Row]) -> None:
    assert all(row.total > 0 for row in rows.values()), {op: str(row.requests) for op, row in rows.items()}
