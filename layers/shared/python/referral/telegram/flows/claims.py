"""Order claims (R6): the participant names an order; the Seller API says whether it is theirs to claim."""

from __future__ import annotations

import re

from referral.domain.orders import Posting
from referral.domain.participants import Participant
from referral.errors import DomainError
from referral.ozon.errors import OzonError, OzonNotFound
from referral.telegram import keyboards, texts
from referral.telegram.conversation import DialogState, Turn
from referral.telegram.flows.common import FlowContext, refusal
from referral.telegram.texts import t

ORDER_NUMBER = re.compile(r"^\d{4,20}(-\d{1,10}){0,2}$")


def claim_start(ctx: FlowContext, turn: Turn, participant: Participant) -> None:
    turn.set_state(DialogState.AWAIT_ORDER)
    turn.reply(t("ask_order_number", turn.lang), keyboards.cancel_only(turn.lang))


def claim(ctx: FlowContext, turn: Turn, participant: Participant, text: str) -> None:
    lang = turn.lang
    number = text.strip().lstrip("№#").strip()
    if not ORDER_NUMBER.match(number):
        turn.reply(t("bad_order_number", lang))
        return
    try:
        postings = ctx.lookup.find_postings(number)
    except OzonNotFound:
        postings = []
    except OzonError:
        turn.reply(t("order_lookup_unavailable", lang), menu=True)
        turn.clear_state()
        return
    turn.clear_state()
    if not postings:
        turn.reply(t("order_not_found", lang, number=number), menu=True)
        return
    # An order number counts every shipment the buyer received; a cancelled one is answered only when it
    # is all there is (the refusal then says why).
    for posting in [p for p in postings if not p.is_cancelled] or postings[:1]:
        _claim_posting(ctx, turn, participant, posting)


def _claim_posting(ctx: FlowContext, turn: Turn, participant: Participant, posting: Posting) -> None:
    lang = turn.lang
    try:
        result = ctx.services.purchases.claim_order(participant.id, posting)
    except DomainError as refused:
        turn.reply(refusal(refused, lang), menu=True)
        return
    if result.duplicate:
        turn.reply(t("order_duplicate", lang), menu=True)
        return
    turn.committed = True
    own = sum(a.points for a in result.accruals if a.beneficiary_id == participant.id and a.level == 0)
    if own:
        release = texts.date(result.release_at)
        earn = t("order_earns", lang, points=texts.count(own, "points", lang), release=release)
    else:
        earn = t("order_earns_nothing", lang)
    turn.reply(
        t(
            "order_claimed",
            lang,
            number=posting.posting_number,
            created=texts.date(posting.created_at),
            amount=texts.money(posting.amount),
            earn=earn,
        ),
        menu=True,
    )
