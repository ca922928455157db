"""Withdrawals (R10): the amount, checked by the domain's rule, then confirmed with buttons bound to it."""

from __future__ import annotations

import re

from aws_lambda_powertools import Logger

from referral.domain.participants import Participant
from referral.domain.payouts import number_label
from referral.domain.withdrawals import Withdrawal, check_request, fiat_amount
from referral.errors import DomainError
from referral.telegram import keyboards, texts
from referral.telegram.calls import EditMessageText
from referral.telegram.conversation import DialogState, Turn
from referral.telegram.flows.common import FlowContext, refusal
from referral.telegram.texts import Html, t

logger = Logger(child=True)

AMOUNT = re.compile(r"^\d{1,12}$")


def withdraw_start(ctx: FlowContext, turn: Turn, participant: Participant) -> None:
    lang = turn.lang
    settings = ctx.services.settings.current()
    available = participant.balances.available
    if participant.blocked:
        turn.reply(t("participant_blocked", lang), menu=True)
        return
    minimum = texts.count(settings.min_withdrawal, "points", lang)
    if available < settings.min_withdrawal:
        left = texts.count(available, "points", lang)
        turn.reply(t("withdraw_too_little", lang, minimum=minimum, available=left), menu=True)
        return
    maximum = (
        t("withdraw_maximum", lang, maximum=texts.count(settings.max_withdrawal, "points", lang))
        if settings.max_withdrawal
        else Html("")
    )
    turn.set_state(DialogState.AWAIT_AMOUNT)
    turn.reply(
        t(
            "withdraw_ask_amount",
            lang,
            instruction=texts.setting(settings.texts.withdrawal_instruction, lang),
            available=texts.count(available, "points", lang),
            minimum=minimum,
            maximum=maximum,
        ),
        keyboards.cancel_only(lang),
    )


def withdraw_amount(ctx: FlowContext, turn: Turn, participant: Participant, text: str) -> None:
    lang = turn.lang
    raw = text.strip().replace(" ", "")
    if not AMOUNT.match(raw):
        turn.reply(t("withdraw_bad_amount", lang))
        return
    points = int(raw)
    settings = ctx.services.settings.current()
    try:
        check_request(participant, points, settings)
    except DomainError as refused:
        turn.reply(refusal(refused, lang))
        return
    key = str(turn.update_id)
    turn.set_state(DialogState.AWAIT_CONFIRM, points=points, key=key)
    fiat = fiat_amount(points, settings.point_rate)
    turn.reply(
        t(
            "withdraw_confirm",
            lang,
            points=texts.count(points, "points", lang),
            fiat=texts.money(fiat),
            rate=settings.point_rate.normalize(),
        ),
        keyboards.confirm_withdrawal(lang, key),
    )


def withdraw_decision(
    ctx: FlowContext, turn: Turn, participant: Participant, data: str, message_id: int | None
) -> Html | None:
    """A Confirm or Cancel button; returns what the button's answer says (None: nothing)."""
    lang = turn.lang
    _, decision, key = [*data.split(":", 2), "", ""][:3]
    if turn.state != DialogState.AWAIT_CONFIRM or str(turn.data.get("key")) != key:
        return t("stale_button", lang)
    turn.clear_state()
    if decision != "ok":
        _edit(turn, message_id, t("withdraw_cancelled", lang))
        return None
    points = int(turn.data["points"])
    try:
        withdrawal = ctx.services.withdrawals.request(participant.id, points, f"tg:{participant.id}:{key}")
    except DomainError as refused:
        _edit(turn, message_id, refusal(refused, lang))
        return None
    turn.committed = True
    points_text = texts.count(withdrawal.points, "points", lang)
    fiat = texts.money(withdrawal.fiat_amount)
    label = number_label(withdrawal.number, withdrawal.withdrawal_id)
    requested = t("withdraw_requested", lang, points=points_text, fiat=fiat, id=label)
    _edit(turn, message_id, requested)
    _announce(ctx, participant, withdrawal)
    return None


def _announce(ctx: FlowContext, participant: Participant, withdrawal: Withdrawal) -> None:
    """Best effort: the request stands whatever happens here, and the operators' queue lists it."""
    if ctx.desk is None:
        return
    extra = {"withdrawal_id": withdrawal.withdrawal_id, "participant_id": participant.id}
    try:
        outcome = ctx.desk.announce_withdrawal(participant, withdrawal)
    except Exception:
        logger.exception("withdrawal not announced to operators", extra=extra)
        return
    if not outcome.sent_or_delayed:
        logger.error("withdrawal not announced to operators", extra={**extra, "reason": outcome.error})


def _edit(turn: Turn, message_id: int | None, text: Html) -> None:
    if message_id is None:
        turn.reply(text, menu=True)
        return
    turn.call(EditMessageText(turn.private_chat, message_id, text))
    turn.reply(t("menu_back", turn.lang), menu=True)  # the amount step's Cancel keyboard gives way
