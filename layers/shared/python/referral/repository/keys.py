"""Key builders: the only place that knows how keys are spelled."""

from __future__ import annotations

PROFILE = "PROFILE"


def participant_pk(participant_id: str) -> str:
    return f"P#{participant_id}"


def network_sk(level: int) -> str:
    return f"NET#{level:02d}"


def accrual_sk(posting_number: str, level: int) -> str:
    return f"ACCRUAL#{posting_number}#{level:02d}"


def ledger_sk(created_at: str, entry_id: str) -> str:
    return f"LEDGER#{created_at}#{entry_id}"


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


def withdrawal_event_sk(created_at: str, suffix: str) -> str:
    return f"EVENT#{created_at}#{suffix}"


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


def stats_links_sk(month: str) -> str:
    return f"LINKS#{month}"


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
