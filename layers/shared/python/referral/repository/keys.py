"""Key builders: the only place that knows how keys are spelled."""

from __future__ import annotations

PROFILE = "PROFILE"
OZON_SK = "OZON"
LINK_SK = "LINK"
ORDER_SK = "ORDER"
WITHDRAWAL_SK = "WD"
AUDIT_SK = "AUDIT"
ADMIN_SK = "ADMIN"
NOTIFICATION_SK = "NOTIFY"
GUARD_SK = "GUARD"

NETWORK_PREFIX = "NET#"
ACCRUAL_PREFIX = "ACCRUAL#"
LEDGER_PREFIX = "LEDGER#"
EVENT_PREFIX = "EVENT#"
STATS_LINKS_PREFIX = "LINKS#"

FEED_LEDGER = "LEDGER"
FEED_AUDIT = "AUDIT"
FEED_WITHDRAWALS = "WD"
FEED_PARTICIPANTS = "PARTICIPANT"
FEED_ORDERS = "ORDER"
"""The global feeds (GSI2), each partitioned by month (``feed_pk``)."""

HIGHEST = "\uffff"
"""Sorts after every character the keys use: the open upper end of a range of sort keys."""


def dated(stamp: str, *ids: str) -> str:
    """A sort value that orders by time, made unique by the ids after it (GSI sort keys, schedules)."""
    return "#".join((stamp, *ids))


def until(stamp: str) -> str:
    """The upper bound of a time-ordered range that includes everything dated ``stamp`` or earlier."""
    return f"{stamp}#{HIGHEST}"


def participant_pk(participant_id: str) -> str:
    return f"P#{participant_id}"


def network_sk(level: int) -> str:
    return f"{NETWORK_PREFIX}{level:02d}"


def accrual_sk(posting_number: str, level: int) -> str:
    return f"{ACCRUAL_PREFIX}{posting_number}#{level:02d}"


def ledger_sk(created_at: str, entry_id: str) -> str:
    return f"{LEDGER_PREFIX}{created_at}#{entry_id}"


def sponsor_gsi(sponsor_id: str | None) -> str:
    return f"SPONSOR#{sponsor_id or '-'}"


def ozon_pk(ozon_id: str) -> str:
    return f"OZON#{ozon_id}"


def link_pk(code: str) -> str:
    return f"LINK#{code}"


def links_gsi(owner_id: str) -> str:
    return f"LINKS#{owner_id}"


def order_pk(posting_number: str) -> str:
    return f"ORDER#{posting_number}"


def orders_gsi(participant_id: str) -> str:
    return f"ORDERS#{participant_id}"


def withdrawal_pk(withdrawal_id: str) -> str:
    return f"WD#{withdrawal_id}"


def withdrawals_gsi(participant_id: str) -> str:
    return f"WDS#{participant_id}"


WITHDRAWAL_NUMBER_SK = "WDNUM"
WITHDRAWAL_COUNTER_PK = "COUNTER#WD"
COUNTER_SK = "COUNTER"


def withdrawal_number_pk(number: int) -> str:
    return f"WDNUM#{number}"


def withdrawal_event_sk(created_at: str, suffix: str) -> str:
    return f"{EVENT_PREFIX}{created_at}#{suffix}"


def audit_pk(audit_id: str) -> str:
    return f"AUDIT#{audit_id}"


def audit_object_gsi(object_type: str, object_id: str) -> str:
    return f"AUDITOF#{object_type}#{object_id}"


def admin_pk(telegram_id: str) -> str:
    return f"ADMIN#{telegram_id}"


ADMINS_GSI = "ADMINS"


def notification_pk(notification_id: str) -> str:
    return f"NOTIFY#{notification_id}"


def guard_pk(key: str) -> str:
    return f"GUARD#{key}"


TREE_PK = "TREE"
TREE_SK = "GUARD"


def feed_pk(feed: str, month: str) -> str:
    """Global feeds are partitioned by month to keep partitions bounded; listings walk months back."""
    return f"FEED#{feed}#{month}"


SETTINGS_PK = "SETTINGS"
SETTINGS_CURRENT = "CURRENT"
SETTINGS_HISTORY_PK = "SETTINGS#HISTORY"


def settings_version_sk(version: int) -> str:
    return f"V#{version:08d}"


OZON_CONNECTION_PK = "OZON_CONNECTION"
OZON_CONNECTION_SK = "CURRENT"

DUE_RELEASE = "RELEASE"
DUE_OUTBOX = "OUTBOX"


def sync_pk(stream: str) -> str:
    return f"SYNC#{stream}"


def lease_pk(name: str) -> str:
    return f"LEASE#{name}"


PARTICIPANT_LIST = "P"
"""The one partition of the participant list indexes (``PLIST``)."""

NO_ORDER_YET = "-"
"""``sort_last_order`` before the first order: sorts before every ISO date."""


def sort_id(participant_id: str) -> str:
    """Numeric Telegram ids sort by value (zero-padded); anything else after them, as text."""
    return (
        f"{int(participant_id):020d}"
        if participant_id.isdigit() and len(participant_id) <= 20
        else (f"~{participant_id}")
    )


def sort_name(
    participant_id: str, first_name: str | None, last_name: str | None, username: str | None
) -> str:
    """Case-insensitive name (or @username), the id appended so equal names keep a stable order."""
    name = " ".join(part for part in (first_name, last_name) if part) or (username or "")
    return f"{name.strip().casefold()[:200]}#{participant_id}"


def sort_username(participant_id: str, username: str | None) -> str | None:
    """The Telegram @username, case-insensitive, for search by nickname; none without a username."""
    if not username or not username.strip():
        return None
    return f"{username.strip().lstrip('@').casefold()[:200]}#{participant_id}"


STATS_PK = "STATS"


def stats_month_sk(month: str) -> str:
    return f"M#{month}"


def stats_rating_sk(kind: str, month: str, part: int | None = None) -> str:
    """``RATE#<kind>#<yyyy-mm>#<part>``: one part of a month's per-participant totals of a rating."""
    return f"RATE#{kind}#{month}#" + ("" if part is None else f"{part:03d}")


STATS_LEDGER_SEAL_SK = "LEDGER#SEAL"
"""The ledger's running sums up to a moment, behind the dashboard's money strip."""


def stats_links_sk(month: str) -> str:
    return f"{STATS_LINKS_PREFIX}{month}"


# --- ranges the admin read side walks --------------------------------------------------------------------


def ledger_sk_bounds(since: str | None, until: str | None) -> tuple[str, str]:
    """The sort-key range of a participant's ledger entries between two ISO times (either open)."""
    low = ledger_sk(since, "") if since else LEDGER_PREFIX
    high = ledger_sk(until, "\uffff") if until else LEDGER_PREFIX + "\uffff"
    return low, high


def stats_links_bounds(last_month: str) -> tuple[str, str]:
    """The sort-key range of the product-link counters up to a month."""
    return STATS_LINKS_PREFIX, stats_links_sk(last_month)


def stats_rating_bounds(kind: str, first_month: str, last_month: str) -> tuple[str, str]:
    """The sort-key range of every part of a rating's monthly totals over the months."""
    return stats_rating_sk(kind, first_month), stats_rating_sk(kind, last_month) + "~"


SYNC_CHECKPOINT_SK = "CHECKPOINT"
SYNC_HEALTH_SK = "HEALTH"
"""Beside a stream's checkpoint: whether the stream progresses, since when it fails and why."""
LEASE_SK = "LEASE"


def request_window_pk(api: str) -> str:
    """Requests to an external API counted per calendar second, for every caller sharing its budget."""
    return f"RATE#{api}"


def request_window_sk(second: int) -> str:
    return f"W#{second}"


# --- the Telegram bot ----------------------------------------------------------------------------------

PROCESSED_UPDATE_SK = "TGUPDATE"
CONVERSATION_SK = "PROFILE#CONV"
"""Sorts after ``NET#..`` and ``PROFILE``: one query of the user's partition reads all a turn needs."""
USER_VIEW_FIRST_SK = "NET#"
USER_VIEW_LAST_SK = CONVERSATION_SK + "~"
TOPIC_SK = "TOPIC"
THREAD_SK = "THREAD"
DIGEST_SK = "DIGEST"
DUE_DIGEST = "DIGEST"


def processed_update_pk(update_id: int) -> str:
    return f"TGUPDATE#{update_id}"


def topic_pk(participant_id: str) -> str:
    return f"TOPIC#{participant_id}"


def thread_pk(chat_id: str, thread_id: int) -> str:
    return f"THREAD#{chat_id}#{thread_id}"


def digest_pk(participant_id: str) -> str:
    return f"DIGEST#{participant_id}"


def due_digest_sk(next_at: str, participant_id: str) -> str:
    return f"{next_at}#{participant_id}"


# --- fraud signals -------------------------------------------------------------------------------------

RISK_SK = "RISK"
RISK_OPEN_SK = "OPEN"
RISK_COUNT_SK = "COUNT"
RISK_SET_SK = "SET"
RISKS_OPEN_FEED = "RISKS#OPEN"
"""The one partition (GSI2) of the open flags, newest raised first; a resolved flag leaves it."""


def risk_flag_pk(flag_id: str) -> str:
    return f"RISK#{flag_id}"


def risk_open_pk(kind: str, subject: str) -> str:
    """Names the open flag of a kind and subject: at most one is open at a time."""
    return f"RISKOPEN#{kind}#{subject}"


def risk_events_pk(stream: str, subject: str) -> str:
    """Timed observations a windowed signal counts (``dated`` sort keys)."""
    return f"RISKOBS#{stream}#{subject}"


def risk_marker_sk(event_id: str) -> str:
    """Beside a counter: makes one event count once."""
    return f"M#{event_id}"


def risk_set_pk(name: str, value: str) -> str:
    return f"RISKSET#{name}#{value}"


PAYOUT_SHARER_PREFIX = "P#"


def payout_fingerprint_pk(fingerprint: str) -> str:
    """Who gave payout details with this keyed fingerprint: one item per participant."""
    return f"PAYFP#{fingerprint}"


def payout_sharer_sk(participant_id: str) -> str:
    return f"{PAYOUT_SHARER_PREFIX}{participant_id}"


# --- the participant's dialog with the operators -----------------------------------------------------------

DIALOG_LINE_PREFIX = "LINE#"


def dialog_pk(participant_id: str) -> str:
    """The participant's dialog: its lines by source here (written once), by time in ``GSI1``."""
    return f"DIALOG#{participant_id}"


def dialog_line_sk(source: str) -> str:
    """The message a line records: a second recording of the same message finds it."""
    return f"{DIALOG_LINE_PREFIX}{source}"


# --- order claims ----------------------------------------------------------------------------------------


def claim_pk(posting_number: str) -> str:
    return f"CLAIM#{posting_number}"


def claim_review_sk(participant_id: str) -> str:
    return f"REVIEW#{participant_id}"


def claims_gsi(status: str) -> str:
    """The claims of one review status (``pending``, ``approved``, ``rejected``), oldest first."""
    return f"CLAIMS#{status}"


def claim_attempts_pk(subject: str, subject_id: str) -> str:
    """Proof attempts of a participant (``P``) or of an order (``O``)."""
    return f"CLAIMTRY#{subject}#{subject_id}"


def claim_attempts_sk(window: int) -> str:
    return f"W#{window}"


# --- the admin API's guards: used logins, attempts per client ---------------------------------------------

GUARD_SK = "GUARD"


def used_login_pk(login_hash: str) -> str:
    return f"LOGIN#{login_hash}"


def attempts_pk(scope: str, client: str, window: int) -> str:
    return f"ATTEMPTS#{scope}#{client}#{window}"
