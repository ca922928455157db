"""The contract tier: our Seller API client and fake held to Ozon's published document.

The document is read from ``$CONTRACTS_DIR`` or from ``shared/contracts/`` beside the repository (CI clones
the repository with ``shared/`` next to it). Without it these tests fail, saying where to put it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.fake_ozon import FakeOzon
from devtools.ozon_contract import ContractMissing, OzonContract, load_contract


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
