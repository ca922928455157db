"""Custom attributes and the table's global secondary indexes, shared by every entity in ``models``.

The participant lists (``P_*``) and withdrawal lists (``W_*``) are sparse, keys-only indexes: each holds
only the items that carry its partition attribute (see docs/data-model.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from pynamodb.attributes import Attribute, NumberAttribute, UnicodeAttribute
from pynamodb.constants import NUMBER
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

if TYPE_CHECKING:
    from referral.repository.models import Entity  # noqa: F401 - the indexes' item type


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number read back as ``Decimal`` (PynamoDB's NumberAttribute would give a float)."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        if isinstance(value, float):
            raise TypeError("floats are not allowed for money")
        return str(Decimal(value))

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class IntegerAttribute(Attribute[int]):
    """A DynamoDB number that must be a whole number (points, counters)."""

    attr_type = NUMBER

    def serialize(self, value: int) -> str:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected int, got {type(value).__name__}")
        return str(value)

    def deserialize(self, value: str) -> int:
        return int(Decimal(value))


class ByOwnerIndex(GlobalSecondaryIndex["Entity"]):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class FeedIndex(GlobalSecondaryIndex["Entity"]):
    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(range_key=True, attr_name="GSI2SK")


class DueIndex(GlobalSecondaryIndex["Entity"]):
    class Meta:
        index_name = "DUE"
        projection = AllProjection()

    duepk = UnicodeAttribute(hash_key=True, attr_name="DUEPK")
    duesk = UnicodeAttribute(range_key=True, attr_name="DUESK")


# --- participant lists and ratings (admin API) -------------------------------------------------------
#
# One sparse index per sortable attribute of the participants list (SPEC §7) and per rating. Every
# participant carries ``PLIST`` (one constant partition) and the sort attributes below, so the first
# page of any ordering is one Query. Only keys are projected: updates of other attributes (ancestors,
# names, balances under another index) never write to these indexes, and a page of keys is completed
# with one BatchGetItem of the profiles.


def _list_projection() -> KeysOnlyProjection:
    return KeysOnlyProjection()


class _ParticipantListIndex(GlobalSecondaryIndex["Entity"]):
    plist = UnicodeAttribute(hash_key=True, attr_name="PLIST")


class ByIdIndex(_ParticipantListIndex):
    class Meta:
        index_name = "P_ID"
        projection = _list_projection()

    sort_id = UnicodeAttribute(range_key=True, attr_name="sort_id")


class ByNameIndex(_ParticipantListIndex):
    class Meta:
        index_name = "P_NAME"
        projection = _list_projection()

    sort_name = UnicodeAttribute(range_key=True, attr_name="sort_name")


class ByUsernameIndex(_ParticipantListIndex):
    """Sparse: participants with a Telegram @username, for the search by nickname."""

    class Meta:
        index_name = "P_USERNAME"
        projection = _list_projection()

    sort_username = UnicodeAttribute(range_key=True, attr_name="sort_username")


class ByRegisteredIndex(_ParticipantListIndex):
    class Meta:
        index_name = "P_REGISTERED"
        projection = _list_projection()

    registered_at = UnicodeAttribute(range_key=True, attr_name="registered_at")


class ByBalanceIndex(_ParticipantListIndex):
    class Meta:
        index_name = "P_BALANCE"
        projection = _list_projection()

    balance = NumberAttribute(range_key=True, attr_name="balance")


class ByLastOrderIndex(_ParticipantListIndex):
    class Meta:
        index_name = "P_LAST_ORDER"
        projection = _list_projection()

    sort_last_order = UnicodeAttribute(range_key=True, attr_name="sort_last_order")


class ByReferralsIndex(_ParticipantListIndex):
    class Meta:
        index_name = "P_REFERRALS"
        projection = _list_projection()

    direct_referrals = NumberAttribute(range_key=True, attr_name="direct_referrals")


class ByPurchasesIndex(_ParticipantListIndex):
    class Meta:
        index_name = "P_PURCHASES"
        projection = _list_projection()

    purchases_sum = NumberAttribute(range_key=True, attr_name="purchases_sum")


class ByAccruedIndex(_ParticipantListIndex):
    class Meta:
        index_name = "P_ACCRUED"
        projection = _list_projection()

    accrued_total = NumberAttribute(range_key=True, attr_name="accrued_total")


class ByWithdrawnIndex(_ParticipantListIndex):
    class Meta:
        index_name = "P_WITHDRAWN"
        projection = _list_projection()

    withdrawn = NumberAttribute(range_key=True, attr_name="withdrawn")


class ByNetworkOrdersIndex(_ParticipantListIndex):
    class Meta:
        index_name = "P_NET_ORDERS"
        projection = _list_projection()

    network_orders = NumberAttribute(range_key=True, attr_name="network_orders")


class ByNetworkAmountIndex(_ParticipantListIndex):
    class Meta:
        index_name = "P_NET_AMOUNT"
        projection = _list_projection()

    network_amount = NumberAttribute(range_key=True, attr_name="network_amount")


# --- withdrawal lists by amount (admin API) -----------------------------------------------------------
#
# Keyed by ``WLIST``, an attribute only withdrawal requests carry, so the indexes are sparse: one partition
# holds every request sorted by points or by the fiat amount (keys only), and nothing else that has
# ``points`` (accruals, ledger entries) is copied into them. Withdrawals are rare writes and both sort
# attributes are fixed at creation.

WITHDRAWAL_LIST = "W"


class _WithdrawalListIndex(GlobalSecondaryIndex["Entity"]):
    listed = UnicodeAttribute(hash_key=True, attr_name="WLIST")


class WithdrawalsByPointsIndex(_WithdrawalListIndex):
    class Meta:
        index_name = "W_POINTS"
        projection = KeysOnlyProjection()

    points = NumberAttribute(range_key=True, attr_name="points")


class WithdrawalsByAmountIndex(_WithdrawalListIndex):
    class Meta:
        index_name = "W_AMOUNT"
        projection = KeysOnlyProjection()

    fiat_amount = NumberAttribute(range_key=True, attr_name="fiat_amount")


class WithdrawalQueueIndex(GlobalSecondaryIndex["Entity"]):
    """Open withdrawal requests by status, sparse (only while new or in negotiation): the queue's counts."""

    class Meta:
        index_name = "W_QUEUE"
        projection = KeysOnlyProjection()

    queue = UnicodeAttribute(hash_key=True, attr_name="WQUEUE")
    queued_at = UnicodeAttribute(range_key=True, attr_name="WQUEUE_AT")
