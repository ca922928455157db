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
    OPERATORS_KINDS,
    DeliveryOutcome,
    DeliveryResult,
    Notification,
    NotificationKind,
)
from referral.repository.bot_state import BotState
from referral.telegram import texts
from referral.telegram.bot_api import BotApi, BotApiError
from referral.telegram.calls import SendMessage
from referral.telegram.claim_texts import decision_notice
from referral.telegram.operators_group import OperatorsGroupSender
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
            "number": p.get("number") or p.get("withdrawal_id", ""),
        }
        if status in ("negotiation", "paid", "rejected", "cancelled"):
            return t(f"n_wd_{status}", lang, **values)
    if kind == NotificationKind.OPERATOR_REPLY:
        return t("operator_says", lang, text=p["text"])
    if kind == NotificationKind.BALANCE_CORRECTED:
        return _corrected(p, lang)
    if kind in (NotificationKind.CLAIM_APPROVED, NotificationKind.CLAIM_REJECTED):
        return decision_notice(kind.value, p, lang)
    raise ValueError(f"cannot render notification {notification.kind}")


def _corrected(p: dict[str, Any], lang: str) -> Html:
    """An operator's correction: each part it changed, signed, and the reason when the operator shared it."""
    changed = (("correction_available", "available_change"), ("correction_frozen", "frozen_change"))
    parts = [t(key, lang, points=texts.signed(int(p[name]))) for key, name in changed if int(p.get(name, 0))]
    values = {
        "change": Html(", ".join(parts)),
        "balance": texts.count(int(p["balance_after"]), "points", lang),
        "available": texts.points(int(p["available_after"])),
    }
    if p.get("reason"):
        return t("n_corrected_reason", lang, reason=p["reason"], **values)
    return t("n_corrected", lang, **values)


class TelegramNotificationSender:
    """Delivers outbox notices as private messages, and the operators' notices into their group (through
    ``operators``, built from the API's configuration when not given); implements ``NotificationSender``."""

    def __init__(
        self,
        api: BotApi,
        *,
        on_unreachable: Callable[[str], None] | None = None,
        state: BotState | None = None,
        operators: OperatorsGroupSender | None = None,
    ) -> None:
        self.api = api
        self.state = state or BotState()
        self.on_unreachable = on_unreachable or (lambda pid: self.state.set_unreachable(pid, True))
        chat_id = api.config.operators_chat_id
        if operators is None and chat_id:
            operators = OperatorsGroupSender(BotApi(api.config, deadline=api.deadline), chat_id, self.state)
        self.operators = operators

    def send(self, notification: Notification) -> DeliveryResult:
        if notification.kind in OPERATORS_KINDS:
            if self.operators is None:
                return DeliveryResult(DeliveryOutcome.REFUSED, error="no operators' group is configured")
            return self.operators.send(notification)
        recipient = self.state.recipient(notification.participant_id)
        if recipient is None:
            return DeliveryResult(DeliveryOutcome.UNREACHABLE, error="no such participant")
        if recipient.unreachable:
            return DeliveryResult(DeliveryOutcome.UNREACHABLE, error="participant blocked the bot")
        text = render(notification, texts.language(recipient.language_code))
        try:
            self.api.make(SendMessage(int(notification.participant_id), text, no_link_preview=True))
        except BotApiError as error:
            if error.unreachable:
                self.on_unreachable(notification.participant_id)
                return DeliveryResult(DeliveryOutcome.UNREACHABLE, error=str(error))
            retry_after = timedelta(seconds=error.retry_after) if error.retry_after else None
            return DeliveryResult(DeliveryOutcome.RETRY, retry_after=retry_after, error=str(error))
        return DeliveryResult(DeliveryOutcome.SENT)
