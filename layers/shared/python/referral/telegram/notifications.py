"""The outbox's ``NotificationSender`` over the Bot API: renders each notice in the participant's language.

The outbox service claims an item (a conditional write) before calling ``send`` and applies the result:
``SENT`` finishes it, ``RETRY`` schedules another attempt with backoff (at least Telegram's
``retry_after``), ``UNREACHABLE`` gives up. A participant who blocked the bot is also marked
``unreachable`` on their profile so that digests skip them until they write to the bot again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from referral.clock import from_iso
from referral.domain.notifications import (
    DeliveryOutcome,
    DeliveryResult,
    Notification,
    NotificationKind,
)
from referral.repository import bot_state, keys
from referral.repository.models import ParticipantItem
from referral.telegram import texts
from referral.telegram.bot_api import BotApi, BotApiError
from referral.telegram.texts import Html, t


def render(notification: Notification, lang: str) -> Html:
    """The message of one notice; unknown kinds or payloads raise so the item is retried, not lost."""
    p: dict[str, Any] = notification.payload
    kind = notification.kind
    if kind == NotificationKind.NEW_REFERRAL:
        name = p.get("referral_name") or "—"
        return t("n_new_referral", lang, who=texts.who_short(name, p.get("referral_username")))
    if kind == NotificationKind.POINTS_ACCRUED:
        release = texts.date(from_iso(p["release_at"])) if p.get("release_at") else "—"
        key = "n_accrued_own" if int(p.get("level", 0)) == 0 else "n_accrued"
        return t(
            key,
            lang,
            points=texts.count(int(p["points"]), "points", lang),
            level=p.get("level", 0),
            posting=p["posting_number"],
            release=release,
        )
    if kind == NotificationKind.POINTS_RELEASED:
        points = texts.count(int(p["points"]), "points", lang)
        return t("n_released", lang, points=points, posting=p["posting_number"])
    if kind == NotificationKind.POINTS_REVERSED:
        what = t("n_reversed_cancelled" if p.get("cancelled") else "n_reversed_returned", lang)
        points = texts.count(int(p["points"]), "points", lang)
        return t("n_reversed", lang, points=points, posting=p["posting_number"], what=what)
    if kind == NotificationKind.WITHDRAWAL_STATUS:
        status = p["status"]
        values = {
            "points": texts.count(int(p["points"]), "points", lang),
            "fiat": p.get("fiat_amount", "—"),
            "available": p.get("available_after", "—"),
            "frozen": p.get("frozen", "—"),
            "reason": p.get("reason") or "—",
        }
        if status in ("negotiation", "paid", "rejected", "cancelled"):
            return t(f"n_wd_{status}", lang, **values)
    raise ValueError(f"cannot render notification {notification.kind}")


class TelegramNotificationSender:
    """Delivers outbox notices as private messages; implements ``NotificationSender``."""

    def __init__(self, api: BotApi, *, on_unreachable: Callable[[str], None] | None = None) -> None:
        self.api = api
        self.on_unreachable = on_unreachable or (lambda pid: bot_state.set_unreachable(pid, True))

    def send(self, notification: Notification) -> DeliveryResult:
        try:
            profile = ParticipantItem.get(keys.participant_pk(notification.participant_id), keys.PROFILE)
        except ParticipantItem.DoesNotExist:
            return DeliveryResult(DeliveryOutcome.UNREACHABLE, error="no such participant")
        if profile.unreachable:
            return DeliveryResult(DeliveryOutcome.UNREACHABLE, error="participant blocked the bot")
        lang = texts.language(profile.language_code)
        text = render(notification, lang)
        try:
            self.api.call(
                "sendMessage",
                chat_id=int(notification.participant_id),
                text=text,
                parse_mode="HTML",
                link_preview_options={"is_disabled": True},
            )
        except BotApiError as error:
            if error.unreachable:
                self.on_unreachable(notification.participant_id)
                return DeliveryResult(DeliveryOutcome.UNREACHABLE, error=str(error))
            retry_after = timedelta(seconds=error.retry_after) if error.retry_after else None
            return DeliveryResult(DeliveryOutcome.RETRY, retry_after=retry_after, error=str(error))
        return DeliveryResult(DeliveryOutcome.SENT)
