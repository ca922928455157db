"""The contract tier: our clients and fakes held to the vendors' published documents.

The documents are read from ``$CONTRACTS_DIR`` or from ``shared/contracts/`` beside the repository (CI clones
the repository with ``shared/`` next to it). Without them these tests fail, saying where to put them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.fake_ozon import FakeOzon
from devtools.ozon_contract import ContractMissing, OzonContract, load_contract
from tests.contracts import telegram_contract as telegram


@pytest.fixture(scope="session")
def contract() -> OzonContract:
    try:
        return load_contract()
    except ContractMissing as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture
def ozon(contract: OzonContract) -> Iterator[FakeOzon]:
    with FakeOzon(contract=contract) as fake:
        yield fake


@pytest.fixture(scope="session")
def telegram_contract() -> telegram.TelegramContract:
    """The Telegram Bot API description; a missing file fails the tests that need it, never skips them."""
    try:
        return telegram.load()
    except telegram.ContractMissing as missing:
        pytest.fail(str(missing), pytrace=False)
