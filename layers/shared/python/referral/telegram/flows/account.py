"""Look-ups of the participant's account: balance, network, help, and the digest preference (SPEC §4)."""

from __future__ import annotations

from referral.domain.participants import NetworkLevel, Participant
from referral.repository.bot_state import DigestCounters
from referral.telegram import keyboards, texts
from referral.telegram.calls import EditMessageText
from referral.telegram.conversation import Turn
from referral.telegram.flows.common import FlowContext, join
from referral.telegram.texts import Html, t

MAX_LISTED_REFERRALS = 30


def balance(ctx: FlowContext, turn: Turn, participant: Participant) -> None:
    lang = turn.lang
    balances = participant.balances
    turn.reply(
        t(
            "balance",
            lang,
            total=texts.count(balances.balance, "points", lang),
            available=texts.points(balances.available),
            frozen=texts.points(balances.frozen),
            breakdown=breakdown(
                participant, turn.view().levels, ctx.services.settings.current().levels, lang
            ),
        )
    )


def breakdown(
    participant: Participant, levels: dict[int, NetworkLevel], shown_levels: int, lang: str
) -> Html:
    """Where the balance comes from: what each level earned (net of returns), operators' corrections, less
    what is in withdrawal requests or withdrawn. The lines add up to the balance: every level that earned
    anything is listed, even one deeper than the program now pays."""
    balances = participant.balances
    deepest = max([shown_levels, *levels])
    by_level = "".join(
        t(
            "balance_level",
            lang,
            level=level,
            points=texts.points(levels[level].earned if level in levels else 0),
        )
        for level in range(1, deepest + 1)
    )
    deductions = ""
    if participant.corrected_total:
        deductions += t("balance_corrections", lang, points=texts.signed(participant.corrected_total))
    if balances.reserved:
        deductions += t("balance_reserved", lang, reserved=texts.signed(-balances.reserved))
    if balances.withdrawn:
        deductions += t("balance_withdrawn", lang, withdrawn=texts.signed(-balances.withdrawn))
    return t(
        "balance_breakdown",
        lang,
        own=texts.points(levels[0].earned if 0 in levels else 0),
        levels=Html(by_level),
        deductions=Html(deductions),
    )


def referrals(ctx: FlowContext, turn: Turn, participant: Participant) -> None:
    lang = turn.lang
    direct = sorted(ctx.services.participants.direct_referrals(participant.id), key=lambda p: p.registered_at)
    lines = [t("referrals_title", lang), t("referrals_level1", lang, count=len(direct))]
    for referral in direct[:MAX_LISTED_REFERRALS]:
        lines.append(
            t(
                "referrals_item",
                lang,
                who=texts.who_short(texts.full_name(referral.profile), referral.profile.username),
                joined=texts.date(referral.registered_at),
                orders=texts.count(referral.orders_count, "orders", lang),
                amount=texts.money(referral.purchases_sum),
                last=texts.date(referral.last_order_at),
            )
        )
    if len(direct) > MAX_LISTED_REFERRALS:
        lines.append(t("referrals_more", lang, count=len(direct) - MAX_LISTED_REFERRALS))
    if not direct:
        lines.append(t("referrals_none", lang))
    lines.extend(_deeper_levels(ctx, turn))
    turn.reply(join(lines))


def _deeper_levels(ctx: FlowContext, turn: Turn) -> list[Html]:
    """Levels 2 and below, summed (participants see who they invited, not their referrals' referrals)."""
    lang = turn.lang
    levels = turn.view().levels
    lines = []
    for number in range(2, ctx.services.settings.current().levels + 1):
        level = levels.get(number) or NetworkLevel(number)
        last = level.last_order_at
        lines.append(
            t(
                "referrals_level" if last else "referrals_level_empty",  # no orders: no "last order —"
                lang,
                level=number,
                count=level.referrals,
                orders=texts.count(level.orders, "orders", lang),
                amount=texts.money(level.amount),
                last=texts.date(last),
            )
        )
    return lines


def help_text(ctx: FlowContext, turn: Turn, participant: Participant) -> None:
    settings = ctx.services.settings.current()
    turn.reply(t("help", turn.lang, promo=texts.setting(settings.texts.promo_code, turn.lang)), menu=True)


def notifications(ctx: FlowContext, turn: Turn, participant: Participant) -> None:
    current = turn.view().digest
    turn.reply(_digest_text(turn.lang, current), keyboards.digest_choice(turn.lang, current))


def digest_choice(
    ctx: FlowContext, turn: Turn, participant: Participant, frequency: str | None, message_id: int | None
) -> None:
    counters = DigestCounters.of(participant, turn.view().levels)
    ctx.state.set_digest(participant.id, frequency, counters, ctx.clock())
    turn.committed = True
    if message_id is not None:
        turn.call(
            EditMessageText(
                turn.private_chat,
                message_id,
                _digest_text(turn.lang, frequency),
                reply_markup=keyboards.digest_choice(turn.lang, frequency),
            )
        )


def _digest_text(lang: str, current: str | None) -> Html:
    return t("notifications", lang, current=t(f"digest_{current or 'off'}", lang))
