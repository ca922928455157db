"""Registration: ``/start`` with or without a link, then the Ozon ID (SPEC §4)."""

from __future__ import annotations

from referral.domain.links import LinkOpenOutcome, deep_link
from referral.domain.participants import SponsorOutcome
from referral.errors import AlreadyRegistered, DomainError
from referral.telegram import texts
from referral.telegram.conversation import DialogState, Turn
from referral.telegram.flows.common import FlowContext, product_url, refusal
from referral.telegram.texts import Html, t


def not_registered(turn: Turn) -> None:
    turn.reply(t("register_first", turn.lang), {"remove_keyboard": True})


def start(ctx: FlowContext, turn: Turn, payload: str | None) -> None:
    view = turn.view()
    turn.clear_state()
    lang = turn.lang
    opened = ctx.services.participants.open_link(payload, turn.user_id) if payload else None
    if view.participant is not None:
        if view.participant.blocked:  # no "welcome back": they are told where they stand
            turn.reply(t("blocked_start", lang), menu=True)
        elif opened is not None and opened.outcome == LinkOpenOutcome.OWN_LINK:
            turn.reply(t("own_link", lang), menu=True)
        elif opened is not None and opened.outcome == LinkOpenOutcome.ALREADY_REGISTERED:
            turn.reply(t("already_registered", lang), menu=True)
        else:
            turn.reply(t("welcome_back", lang), menu=True)
        return
    settings = ctx.services.settings.current()
    parts = [t("start_conditions", lang, conditions=texts.setting(settings.texts.conditions, lang))]
    code = None
    if opened is not None:
        if opened.outcome == LinkOpenOutcome.NEWCOMER and opened.link is not None:
            code = opened.link.code
        else:
            parts.append(t("unknown_link", lang))
    parts.append(t("ask_ozon_id", lang, howto=texts.setting(settings.texts.ozon_id_howto, lang)))
    turn.set_state(DialogState.AWAIT_OZON_ID, code=code)
    turn.reply(Html("\n\n".join(parts)), {"remove_keyboard": True})


def register(ctx: FlowContext, turn: Turn, text: str) -> None:
    lang = turn.lang
    user = turn.user
    assert user is not None
    try:
        registration = ctx.services.participants.register(user, text, turn.data.get("code"))
    except AlreadyRegistered as refused:
        turn.clear_state()
        turn.reply(refusal(refused, lang), menu=True)
        return
    except DomainError as refused:  # the step stays open: the participant sends another Ozon ID
        turn.reply(refusal(refused, lang))
        return
    turn.committed = True
    turn.clear_state()
    participant = registration.participant
    settings = ctx.services.settings.current()
    parts = [texts.setting(settings.texts.welcome, lang)]
    if registration.outcome == SponsorOutcome.EXISTING_BUYER:
        parts.append(t("existing_buyer", lang))
    elif registration.outcome == SponsorOutcome.ATTACHED and participant.sponsor_id:
        sponsor = ctx.services.participants.find(participant.sponsor_id)
        if sponsor is not None:
            name = texts.who_short(texts.full_name(sponsor.profile), sponsor.profile.username)
            parts.append(t("joined_via_sponsor", lang, name=name))
    if participant.personal_code:
        parts.append(t("my_link", lang, url=deep_link(ctx.config.bot_username, participant.personal_code)))
    turn.reply(Html("\n\n".join(parts)), menu=True)
    product = registration.product_link
    if product is not None and product.product_name and product.product_ref:
        url = product_url(product.product_ref)
        turn.reply(t("product_after_join", lang, name=product.product_name, url=url))
