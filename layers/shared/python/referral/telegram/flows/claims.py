"""Order claims (R6): the participant names an order; the Seller API says whether it is theirs to claim.

A posting without a buyer id (every FBO posting) needs a second fact a parcel label does not show: the
price of one of its items as the buyer's order in the Ozon app shows it. That is one more dialog step
(``AWAIT_CLAIM_PROOF``), with attempts limited per participant and per order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from referral.domain.claims import ProofMismatch, TooManyAttempts, parse_price
from referral.domain.orders import Posting
from referral.domain.participants import Participant
from referral.errors import DomainError
from referral.ozon.errors import OzonError, OzonNotFound
from referral.services.claims import ClaimOutcome
from referral.telegram import keyboards, texts
from referral.telegram.claim_texts import CLAIM_PHRASES, ct
from referral.telegram.conversation import DialogState, Turn
from referral.telegram.flows.common import FlowContext, refusal
from referral.telegram.texts import Html, t

ORDER_NUMBER = re.compile(r"^\d{4,20}(-\d{1,10}){0,2}$")


def claim_start(ctx: FlowContext, turn: Turn, participant: Participant) -> None:
    turn.set_state(DialogState.AWAIT_ORDER)
    turn.reply(t("ask_order_number", turn.lang), keyboards.cancel_only(turn.lang))


def claim(ctx: FlowContext, turn: Turn, participant: Participant, text: str) -> None:
    """The order number: claim what needs no proof, or ask for the price of one of its items."""
    lang = turn.lang
    number = text.strip().lstrip("№#").strip()
    if not ORDER_NUMBER.match(number):
        turn.reply(t("bad_order_number", lang))
        return
    postings = _lookup(ctx, turn, number)
    if postings is None:
        return
    claims = ctx.services.claims
    try:
        screening = claims.screen(participant.id, postings)
        for refused in screening.refusals:
            turn.reply(_refusal(refused, lang), menu=True)
        if not screening.claimable:
            return
        if not screening.needs_proof:
            _answer(turn, participant, claims.claim_without_proof(participant.id, screening.claimable))
            return
        retry_at = claims.blocked_until(participant.id, screening.claimable)
    except DomainError as refused:
        turn.reply(_refusal(refused, lang), menu=True)
        return
    if retry_at is not None:
        turn.reply(ct("claim_attempts_exhausted", lang, retry=texts.moment(retry_at)), menu=True)
        return
    turn.set_state(DialogState.AWAIT_CLAIM_PROOF, number=number)
    turn.reply(ct("claim_ask_price", lang), keyboards.cancel_only(lang))


def claim_proof(ctx: FlowContext, turn: Turn, participant: Participant, text: str) -> None:
    """The price the participant read in their order: one counted attempt, then the claim or a refusal."""
    lang = turn.lang
    number = str(turn.data.get("number") or "")
    if not number:
        claim_start(ctx, turn, participant)
        return
    if parse_price(text) is None:
        turn.reply(ct("claim_bad_price", lang))
        return
    postings = _lookup(ctx, turn, number)
    if postings is None:
        return
    try:
        outcomes = ctx.services.claims.prove(participant.id, postings, text)
    except TooManyAttempts as exhausted:
        turn.reply(ct("claim_attempts_exhausted", lang, retry=texts.moment(exhausted.retry_at)), menu=True)
        return
    except ProofMismatch:
        turn.reply(ct("claim_price_mismatch", lang), menu=True)
        return
    except DomainError as refused:
        turn.reply(_refusal(refused, lang), menu=True)
        return
    _answer(turn, participant, outcomes)


def _lookup(ctx: FlowContext, turn: Turn, number: str) -> list[Posting] | None:
    """The postings to claim; None when the answer was given already (not found, Ozon unavailable).

    An order number counts every shipment the buyer received; a cancelled one is answered only when it is
    all there is (the refusal then says why).
    """
    try:
        postings = ctx.lookup.find_postings(number)
    except OzonNotFound:
        postings = []
    except OzonError:
        turn.reply(t("order_lookup_unavailable", turn.lang), menu=True)
        turn.clear_state()
        return None
    turn.clear_state()
    if not postings:
        turn.reply(t("order_not_found", turn.lang, number=number), menu=True)
        return None
    return [p for p in postings if not p.is_cancelled] or postings[:1]


def _refusal(refused: DomainError, lang: str) -> Html:
    if refused.reason in CLAIM_PHRASES:
        return ct(refused.reason, lang, reason=str(refused.details.get("reason") or "—"))
    return refusal(refused, lang)


def _answer(turn: Turn, participant: Participant, outcomes: Sequence[ClaimOutcome]) -> None:
    lang = turn.lang
    for outcome in outcomes:
        posting = outcome.posting
        facts = {
            "number": posting.posting_number,
            "created": texts.date(posting.created_at),
            "amount": texts.money(posting.amount),
        }
        if outcome.refusal is not None:
            turn.reply(_refusal(outcome.refusal, lang), menu=True)
        elif outcome.result is None:
            turn.committed = True
            turn.reply(ct("claim_held", lang, **facts), menu=True)
        elif outcome.result.duplicate:
            turn.reply(t("order_duplicate", lang), menu=True)
        else:
            turn.committed = True
            result = outcome.result
            own = sum(
                a.points for a in result.accruals if a.beneficiary_id == participant.id and a.level == 0
            )
            if own:
                release = texts.date(result.release_at)
                earn = t("order_earns", lang, points=texts.count(own, "points", lang), release=release)
            else:
                earn = t("order_earns_nothing", lang)
            turn.reply(t("order_claimed", lang, **facts, earn=earn), menu=True)
