"""The single table, defined once: PynamoDB models of every entity and the table's indexes.

All entities share one table with generic keys (``PK``/``SK``) and a discriminator attribute
``type``. Three global secondary indexes serve the access patterns listed in docs/data-model.md:

* ``GSI1`` (``GSI1PK``/``GSI1SK``): children of an owner — a sponsor's referrals, a participant's
  links, orders and withdrawals, the audit trail of one object, the admins list.
* ``GSI2`` (``GSI2PK``/``GSI2SK``): global newest-first feeds partitioned by month — ledger, audit
  journal, withdrawals, registrations, orders.
* ``DUE`` (``DUEPK``/``DUESK``): sparse schedule of work that becomes due at a time — matured
  accruals waiting for release and pending notifications. Items leave it once done.

``expires_at`` is the table's TTL attribute (short-lived items: leases, update de-duplication).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.models import Model

from referral.repository.indexes import (
    WITHDRAWAL_LIST as WITHDRAWAL_LIST,
)
from referral.repository.indexes import (
    ByAccruedIndex as ByAccruedIndex,
)
from referral.repository.indexes import (
    ByBalanceIndex as ByBalanceIndex,
)
from referral.repository.indexes import (
    ByIdIndex as ByIdIndex,
)
from referral.repository.indexes import (
    ByLastOrderIndex as ByLastOrderIndex,
)
from referral.repository.indexes import (
    ByNameIndex as ByNameIndex,
)
from referral.repository.indexes import (
    ByNetworkAmountIndex as ByNetworkAmountIndex,
)
from referral.repository.indexes import (
    ByNetworkOrdersIndex as ByNetworkOrdersIndex,
)
from referral.repository.indexes import (
    ByOwnerIndex as ByOwnerIndex,
)
from referral.repository.indexes import (
    ByPurchasesIndex as ByPurchasesIndex,
)
from referral.repository.indexes import (
    ByReferralsIndex as ByReferralsIndex,
)
from referral.repository.indexes import (
    ByRegisteredIndex as ByRegisteredIndex,
)
from referral.repository.indexes import (
    ByUsernameIndex as ByUsernameIndex,
)
from referral.repository.indexes import (
    ByWithdrawnIndex as ByWithdrawnIndex,
)
from referral.repository.indexes import (
    DecimalAttribute as DecimalAttribute,
)
from referral.repository.indexes import (
    DueIndex as DueIndex,
)
from referral.repository.indexes import (
    FeedIndex as FeedIndex,
)
from referral.repository.indexes import (
    IntegerAttribute as IntegerAttribute,
)
from referral.repository.indexes import (
    WithdrawalQueueIndex as WithdrawalQueueIndex,
)
from referral.repository.indexes import (
    WithdrawalsByAmountIndex as WithdrawalsByAmountIndex,
)
from referral.repository.indexes import (
    WithdrawalsByPointsIndex as WithdrawalsByPointsIndex,
)

DEFAULT_TABLE_NAME = "referral"


class Entity(Model):
    """Base of every item in the table."""

    class Meta:
        table_name = DEFAULT_TABLE_NAME
        billing_mode = "PAY_PER_REQUEST"
        max_retry_attempts = 3

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    entity_type = DiscriminatorAttribute(attr_name="type")

    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    gsi2pk = UnicodeAttribute(null=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(null=True, attr_name="GSI2SK")
    duepk = UnicodeAttribute(null=True, attr_name="DUEPK")
    duesk = UnicodeAttribute(null=True, attr_name="DUESK")
    expires_at = TTLAttribute(null=True)

    by_owner = ByOwnerIndex()
    feed = FeedIndex()
    due = DueIndex()

    by_id = ByIdIndex()
    by_name = ByNameIndex()
    by_username = ByUsernameIndex()
    by_registered = ByRegisteredIndex()
    by_balance = ByBalanceIndex()
    by_last_order = ByLastOrderIndex()
    by_referrals = ByReferralsIndex()
    by_purchases = ByPurchasesIndex()
    by_accrued = ByAccruedIndex()
    by_withdrawn = ByWithdrawnIndex()
    by_network_orders = ByNetworkOrdersIndex()
    by_network_amount = ByNetworkAmountIndex()

    withdrawal_queue = WithdrawalQueueIndex()
    withdrawals_by_points = WithdrawalsByPointsIndex()
    withdrawals_by_amount = WithdrawalsByAmountIndex()


# --- participants and the referral network ---------------------------------------------------------


class ParticipantItem(Entity, discriminator="participant"):
    """``P#<id>`` / ``PROFILE``: a participant with balances (a cache of the ledger) and counters."""

    participant_id = UnicodeAttribute()
    username = UnicodeAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    language_code = UnicodeAttribute(null=True)
    ozon_id = UnicodeAttribute()
    sponsor_id = UnicodeAttribute(null=True)
    ancestors = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    joined_via = UnicodeAttribute(null=True)
    personal_code = UnicodeAttribute(null=True)
    registered_at = UnicodeAttribute()
    blocked = BooleanAttribute(default=False)

    frozen = IntegerAttribute(default=0)
    available = IntegerAttribute(default=0)
    reserved = IntegerAttribute(default=0)
    withdrawn = IntegerAttribute(default=0)
    accrued_total = IntegerAttribute(default=0)
    frozen_corrections = IntegerAttribute(default=0)
    """Net frozen points operators' corrections put in (not backed by accruals in hold): the only frozen
    points a later correction may take out again."""
    corrected_total = IntegerAttribute(default=0)
    """Net points operators' corrections added to frozen + available: the breakdown's corrections line."""

    orders_count = IntegerAttribute(default=0)
    purchases_sum = DecimalAttribute(default=Decimal)
    first_order_at = UnicodeAttribute(null=True)
    last_order_at = UnicodeAttribute(null=True)
    direct_referrals = IntegerAttribute(default=0)
    network_size = IntegerAttribute(default=0)
    last_withdrawal_at = UnicodeAttribute(null=True)
    last_withdrawal_points = IntegerAttribute(null=True)
    digest = UnicodeAttribute(null=True)
    """Periodic digest the participant chose: "daily", "weekly", or absent (off)."""
    last_digest_at = UnicodeAttribute(null=True)
    unreachable = BooleanAttribute(default=False)
    """The participant blocked the bot: notices are not attempted any more."""

    # Sort keys of the admin lists and ratings (see the P_* indexes), maintained by the store's writes.
    plist = UnicodeAttribute(null=True, attr_name="PLIST")
    sort_id = UnicodeAttribute(null=True)
    sort_name = UnicodeAttribute(null=True)
    sort_username = UnicodeAttribute(null=True)
    """The @username casefolded (``keys.sort_username``): the list's search by nickname."""
    sort_last_order = UnicodeAttribute(null=True)
    """``last_order_at``, or "-" before the first order (sorts before every date)."""
    balance = IntegerAttribute(null=True)
    """frozen + available, kept beside them so the list can be sorted by it."""
    network_orders = IntegerAttribute(null=True)
    """Orders of the whole network below (levels 1–10), for the ratings."""
    network_amount = DecimalAttribute(null=True)


class NetworkLevelItem(Entity, discriminator="network_level"):
    """``P#<id>`` / ``NET#<level>``: what one level of a participant's network did (0 = own)."""

    participant_id = UnicodeAttribute()
    level = IntegerAttribute()
    referrals = IntegerAttribute(default=0)
    orders = IntegerAttribute(default=0)
    amount = DecimalAttribute(default=Decimal)
    earned = IntegerAttribute(default=0)
    last_order_at = UnicodeAttribute(null=True)


class OzonIdentityItem(Entity, discriminator="ozon_identity"):
    """``OZON#<ozon id>`` / ``OZON``: one Ozon ID ↔ one participant; also remembers earlier purchases."""

    ozon_id = UnicodeAttribute()
    participant_id = UnicodeAttribute(null=True)
    claimed_at = UnicodeAttribute(null=True)
    first_purchase_at = UnicodeAttribute(null=True)


class LinkItem(Entity, discriminator="link"):
    """``LINK#<code>`` / ``LINK``: a referral link with its counters."""

    code = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    created_at = UnicodeAttribute()
    product_name = UnicodeAttribute(null=True)
    product_ref = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    clicks = IntegerAttribute(default=0)
    registrations = IntegerAttribute(default=0)
    purchases = IntegerAttribute(default=0)


# --- orders and the ledger ---------------------------------------------------------------------------


class AccrualRef(MapAttribute[str, Any]):
    beneficiary_id = UnicodeAttribute()
    level = IntegerAttribute()
    points = IntegerAttribute()


class PostingLineAttribute(MapAttribute[str, Any]):
    sku = UnicodeAttribute(null=True)
    offer_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    price = DecimalAttribute()
    quantity = IntegerAttribute()


class OrderItem(Entity, discriminator="order"):
    """``ORDER#<posting number>`` / ``ORDER``: an Ozon posting, its status and attribution."""

    posting_number = UnicodeAttribute()
    order_number = UnicodeAttribute(null=True)
    scheme = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    delivered_at = UnicodeAttribute(null=True)
    amount = DecimalAttribute()
    kept_amount = DecimalAttribute()
    customer_id = UnicodeAttribute(null=True)
    participant_id = UnicodeAttribute(null=True)
    attribution = UnicodeAttribute(null=True)
    attributed_at = UnicodeAttribute(null=True)
    accruals = ListAttribute[AccrualRef](of=AccrualRef, default=list)
    applied_returns = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    products = ListAttribute[PostingLineAttribute](of=PostingLineAttribute, null=True)
    """The posting's lines as Ozon listed them (sku, offer id, name, unit price, quantity)."""
    version = IntegerAttribute(default=0)
    updated_at = UnicodeAttribute()


class AccrualItem(Entity, discriminator="accrual"):
    """``P#<beneficiary>`` / ``ACCRUAL#<posting>#<level>``: one reward, created exactly once.

    Its key makes accruals exactly-once per (posting, beneficiary, level); its mutable state (how much
    was reversed, whether it was released) is what releases and reversals condition on.
    """

    participant_id = UnicodeAttribute()
    posting_number = UnicodeAttribute()
    level = IntegerAttribute()
    buyer_id = UnicodeAttribute()
    amount = DecimalAttribute()
    rate = DecimalAttribute()
    points = IntegerAttribute()
    reversed_points = IntegerAttribute(default=0)
    state = UnicodeAttribute()
    order_created_at = UnicodeAttribute()
    release_at = UnicodeAttribute()
    created_at = UnicodeAttribute()
    released_at = UnicodeAttribute(null=True)


class LedgerEntryItem(Entity, discriminator="ledger_entry"):
    """``P#<id>`` / ``LEDGER#<time>#<entry id>``: an immutable points movement."""

    entry_id = UnicodeAttribute()
    participant_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    created_at = UnicodeAttribute()
    d_frozen = IntegerAttribute(default=0)
    d_available = IntegerAttribute(default=0)
    d_reserved = IntegerAttribute(default=0)
    d_withdrawn = IntegerAttribute(default=0)
    level = IntegerAttribute(null=True)
    posting_number = UnicodeAttribute(null=True)
    amount = DecimalAttribute(null=True)
    rate = DecimalAttribute(null=True)
    withdrawal_id = UnicodeAttribute(null=True)
    actor_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    idempotency_key = UnicodeAttribute()


class IdempotencyGuardItem(Entity, discriminator="guard"):
    """``GUARD#<key>`` / ``GUARD``: makes an operation without a natural key happen at most once."""

    operation = UnicodeAttribute()
    created_at = UnicodeAttribute()
    result_ref = UnicodeAttribute(null=True)
    fingerprint = UnicodeAttribute(null=True)
    """Hash of the request the key was first used for: the same key with another request is refused."""


class TreeGuardItem(Entity, discriminator="tree_guard"):
    """``TREE`` / ``GUARD``: serialises re-parenting and carries a move's unfinished follow-up work.

    Every re-parenting transaction is conditioned on ``version`` and increments it, so two moves decided
    on the same reading of the tree cannot both commit (no cycle from "A under B" racing "B under A").
    A move too large for one transaction records here, in the same transaction, what is left: the root
    whose subtree chains must be rebuilt and the network-statistics batches still to add. Whoever finds
    them (the next move, the reconcile function) finishes them before anything else.
    """

    version = IntegerAttribute(default=0)
    rechain_root = UnicodeAttribute(null=True)
    pending_levels = UnicodeAttribute(null=True)
    """JSON list of batches of [ancestor, level, referrals, orders, amount] still to add, next first."""
    pending_since = UnicodeAttribute(null=True)


# --- withdrawals -------------------------------------------------------------------------------------


class WithdrawalItem(Entity, discriminator="withdrawal"):
    """``WD#<id>`` / ``WD``: a withdrawal request; history and comments live under the same PK."""

    withdrawal_id = UnicodeAttribute()
    participant_id = UnicodeAttribute()
    points = IntegerAttribute()
    point_rate = DecimalAttribute()
    fiat_amount = DecimalAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    closed_at = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    queue = UnicodeAttribute(null=True, attr_name="WQUEUE")
    """The status while the request is open; removed when it closes (``W_QUEUE`` is sparse)."""
    queued_at = UnicodeAttribute(null=True, attr_name="WQUEUE_AT")
    listed = UnicodeAttribute(default=WITHDRAWAL_LIST, attr_name="WLIST")
    """Puts the request in the sparse ``W_POINTS`` / ``W_AMOUNT`` lists."""
    number = IntegerAttribute(null=True)
    """The short human number (``W-<number>``), given by the counter in the request's transaction."""
    closed_by = UnicodeAttribute(null=True)
    payout_method = UnicodeAttribute(null=True)
    payout_details = UnicodeAttribute(null=True)
    """Masked: a card number is never stored, only its last four digits."""
    payout_reference = UnicodeAttribute(null=True)
    payout_fingerprints = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    """Keyed fingerprints of the details the operator recorded (``domain.payout_details``), never them."""


class WithdrawalNumberItem(Entity, discriminator="withdrawal_number"):
    """``WDNUM#<number>`` / ``WDNUM``: the request a number belongs to; created with the request, so a
    number is never given twice and a request is found by its number with one GetItem."""

    withdrawal_id = UnicodeAttribute()


class WithdrawalCounterItem(Entity, discriminator="withdrawal_counter"):
    """``COUNTER#WD`` / ``COUNTER``: the last number given to a withdrawal request."""

    last = IntegerAttribute()


class WithdrawalEventItem(Entity, discriminator="withdrawal_event"):
    """``WD#<id>`` / ``EVENT#<time>#<n>``: a status change or an operator's comment."""

    withdrawal_id = UnicodeAttribute()
    event = UnicodeAttribute()
    created_at = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    from_status = UnicodeAttribute(null=True)
    to_status = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)


# --- administration ----------------------------------------------------------------------------------


class SettingsItem(Entity, discriminator="settings"):
    """``SETTINGS`` / ``CURRENT`` (and ``SETTINGS#HISTORY`` / ``V#<version>``): the settings document.

    ``value`` holds the JSON document so that Powertools' DynamoDB parameter provider can read and
    cache it.
    """

    value = UnicodeAttribute()
    version = IntegerAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)


class AuditChange(MapAttribute[str, Any]):
    attribute = UnicodeAttribute()
    old = UnicodeAttribute(null=True)
    new = UnicodeAttribute(null=True)


class AuditItem(Entity, discriminator="audit"):
    """``AUDIT#<id>`` / ``AUDIT``: who changed what, with each attribute's old and new value (R11)."""

    audit_id = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    action = UnicodeAttribute()
    object_type = UnicodeAttribute()
    object_id = UnicodeAttribute()
    object_name = UnicodeAttribute(null=True)
    changes = ListAttribute[AuditChange](of=AuditChange, default=list)
    reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class AdminItem(Entity, discriminator="admin"):
    """``ADMIN#<telegram id>`` / ``ADMIN``: an operator or owner of the admin app."""

    telegram_id = UnicodeAttribute()
    role = UnicodeAttribute()
    active = BooleanAttribute(default=True)
    blocked = BooleanAttribute(default=False)
    name = UnicodeAttribute(null=True)
    added_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    session_version = IntegerAttribute(default=1)


class NotificationItem(Entity, discriminator="notification"):
    """``NOTIFY#<id>`` / ``NOTIFY``: a transactional-outbox message to a participant."""

    notification_id = UnicodeAttribute()
    participant_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    payload = UnicodeAttribute()
    status = UnicodeAttribute()
    attempts = IntegerAttribute(default=0)
    created_at = UnicodeAttribute()
    next_attempt_at = UnicodeAttribute(null=True)
    claimed_until = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)


class RollupItem(Entity, discriminator="rollup"):
    """``STATS`` / ``M#<yyyy-mm>``: one month of dashboard metrics; ``STATS`` / ``LINKS#<yyyy-mm>``: counters.

    ``value`` is a JSON object of metric name → number (as text, so Decimal sums stay exact).
    """

    value = UnicodeAttribute(null=True)
    month = UnicodeAttribute()
    links = IntegerAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class SyncCheckpointItem(Entity, discriminator="sync_checkpoint"):
    """``SYNC#<stream>`` / ``CHECKPOINT``: where a sync stream resumes."""

    stream = UnicodeAttribute()
    value = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class LeaseItem(Entity, discriminator="lease"):
    """``LEASE#<name>`` / ``LEASE``: a single-runner lock with an expiry."""

    owner = UnicodeAttribute()
    lease_until = NumberAttribute()


class RequestWindowItem(Entity, discriminator="request_window"):
    """``RATE#<api>`` / ``W#<epoch second>``: requests sent to an external API in that second by every caller.

    Written by one conditional update per request; ``expires_at`` lets TTL remove old windows.
    """

    requests = IntegerAttribute(default=0)


class OzonConnectionItem(Entity, discriminator="ozon_connection"):
    """``OZON_CONNECTION`` / ``CURRENT``: Seller API credentials set by operators, and the sync's health.

    The API key is write-only for the admin API: it is never returned, only whether one is set. It lives
    in Secrets Manager; the item keeps the secret's ARN and the version written. ``api_key`` is only
    read, to move a key stored before that into the secret.
    """

    client_id = UnicodeAttribute(null=True)
    api_key = UnicodeAttribute(null=True)
    api_key_secret = UnicodeAttribute(null=True)
    api_key_version = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
    last_success_at = UnicodeAttribute(null=True)
    last_error_at = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)


class ClaimReviewItem(Entity, discriminator="claim_review"):
    """``CLAIM#<posting>`` / ``REVIEW#<participant>``: a claim held for an operator, and its decision.

    ``GSI1PK`` ``CLAIMS#<status>`` lists the claims of a status, oldest first (the review queue).
    """

    posting_number = UnicodeAttribute()
    participant_id = UnicodeAttribute()
    status = UnicodeAttribute()
    amount = DecimalAttribute()
    scheme = UnicodeAttribute()
    order_number = UnicodeAttribute(null=True)
    order_created_at = UnicodeAttribute()
    proven = BooleanAttribute(default=False)
    customer_id_matched = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    version = IntegerAttribute(default=1)


class ClaimAttemptItem(Entity, discriminator="claim_attempt"):
    """``CLAIMTRY#P#<participant>`` or ``CLAIMTRY#O#<order>`` / ``W#<window>``: proof attempts in a window.

    Raised by one conditional update per attempt; ``expires_at`` lets TTL remove past windows.
    """

    tries = IntegerAttribute(default=0)


class GuardMarkItem(Entity, discriminator="guard_mark"):
    """What the admin API's guards remember until ``expires_at`` (TTL), each under ``GUARD``:
    ``LOGIN#<hash>`` a Telegram login already used,
    ``ATTEMPTS#<scope>#<client>#<window>`` the login attempts one client made in one window."""

    attempts = IntegerAttribute(null=True)
