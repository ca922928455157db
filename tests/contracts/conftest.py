"""Fixtures of the contract tier."""

from __future__ import annotations

import pytest

from tests.contracts.telegram_contract import ContractMissing, TelegramContract, load


@pytest.fixture(scope="session")
def telegram_contract() -> TelegramContract:
    """The Telegram Bot API description; a missing file fails the tests that need it, never skips them."""
    try:
        return load()
    except ContractMissing as missing:
        pytest.fail(str(missing), pytrace=False)
