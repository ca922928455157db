"""The participant's links: the personal one, the list with counters, new product and named ones (SPEC §4)."""

from __future__ import annotations

from referral.domain.links import Link, LinkKind, deep_link
from referral.domain.participants import Participant
from referral.errors import DomainError
from referral.telegram import keyboards, texts
from referral.telegram.conversation import DialogState, Turn
from referral.telegram.flows.common import FlowContext, join, refusal
from referral.telegram.texts import PHRASES, Html, t


def my_link(ctx: FlowContext, turn: Turn, participant: Participant) -> None:
    if participant.personal_code is None:
        turn.reply(t("apology", turn.lang), menu=True)
        return
    turn.reply(t("my_link", turn.lang, url=deep_link(ctx.config.bot_username, participant.personal_code)))


def my_links(ctx: FlowContext, turn: Turn, participant: Participant) -> None:
    lang = turn.lang
    lines = [t("links_title", lang)]
    for link in ctx.services.links.links_of(participant.id):
        lines.append(
            t(
                "links_item",
                lang,
                title=link_title(link, lang),
                url=deep_link(ctx.config.bot_username, link.code),
                created=texts.date(link.created_at),
                clicks=link.clicks,
                registrations=link.registrations,
                purchases=link.purchases,
            )
        )
    turn.reply(join(lines))


def link_title(link: Link, lang: str) -> Html:
    """How a link is named in lists: personal, the product's name, or the name its owner gave it."""
    if link.kind == LinkKind.PERSONAL:
        return t("link_personal", lang)
    if link.kind == LinkKind.NAMED:
        return t("link_named", lang, name=link.name or "—")
    return t("link_product", lang, name=link.product_name or "—")


def new_link(ctx: FlowContext, turn: Turn, participant: Participant) -> None:
    settings = ctx.services.settings.current()
    intro = texts.setting(settings.texts.product_links, turn.lang)
    turn.set_state(DialogState.AWAIT_PRODUCT_NAME)
    turn.reply(t("ask_product_name", turn.lang, intro=intro), keyboards.cancel_only(turn.lang))


def product_name(turn: Turn, text: str) -> None:
    name = " ".join(text.split())
    if not 1 <= len(name) <= 100:
        turn.reply(t("bad_product_name", turn.lang))
        return
    turn.set_state(DialogState.AWAIT_PRODUCT_REF, name=name)
    turn.reply(t("ask_product_ref", turn.lang), keyboards.product_or_plain(turn.lang))


def product_ref(ctx: FlowContext, turn: Turn, participant: Participant, text: str) -> None:
    """The product's URL or SKU; or "No product", which makes a plain invitation link with the name."""
    name = str(turn.data.get("name", ""))
    plain = text.strip() in PHRASES["btn_no_product"]
    try:
        if plain:
            link = ctx.services.links.create_named_link(participant.id, name)
        else:
            link = ctx.services.links.create_product_link(participant.id, name, text)
    except DomainError as refused:
        correctable = refused.reason == "product_ref_invalid"
        if not correctable:  # nothing to correct: the step ends
            turn.clear_state()
        turn.reply(refusal(refused, turn.lang), menu=not correctable)
        return
    turn.committed = True
    turn.clear_state()
    url = deep_link(ctx.config.bot_username, link.code)
    created = "named_link_created" if plain else "product_link_created"
    turn.reply(t(created, turn.lang, name=link.name or link.product_name or name, url=url), menu=True)
