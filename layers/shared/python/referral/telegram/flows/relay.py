"""The participant's side of the operator dialog: questions and media relayed into their topic.

This dialog is where the payout is agreed: cards and phones a participant writes here feed the shared
payout signal as keyed fingerprints; the message is relayed as it is either way."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from telegram import Message

from referral.domain.conversations import telegram_source
from referral.domain.participants import Participant
from referral.telegram import dialog
from referral.telegram.conversation import DialogState, Turn
from referral.telegram.flows.common import MAX_TEXT, FlowContext
from referral.telegram.operators import Posted, is_media
from referral.telegram.texts import t

logger = Logger(child=True)


def relay_text(ctx: FlowContext, turn: Turn, participant: Participant, text: str) -> None:
    if ctx.desk is None:
        turn.reply(t("apology", turn.lang))
        return
    posted = ctx.desk.relay_from_participant(participant, text[:MAX_TEXT], turn.update_id)
    _acknowledge(turn, participant, posted)
    if not posted.refused:
        dialog.record(
            ctx.services.dialog, dialog.from_participant(participant, turn.update_id, ctx.clock(), text, None)
        )
    payout_signal(ctx, turn, participant, text)


def relay_media(ctx: FlowContext, turn: Turn, message: Message) -> None:
    """A photo, document, sticker, ...: outside a dialog step a registered participant's media goes to the
    operators like a question; anything else is answered that text is expected."""
    participant = turn.view().participant
    if participant is None or turn.state != DialogState.IDLE or ctx.desk is None or not is_media(message):
        turn.reply(t("text_only", turn.lang))
        return
    posted = ctx.desk.relay_media_from_participant(participant, message, turn.update_id)
    _acknowledge(turn, participant, posted)
    if not posted.refused:
        line = dialog.from_participant(participant, turn.update_id, ctx.clock(), None, message)
        dialog.record(ctx.services.dialog, line)
    payout_signal(ctx, turn, participant, message.caption)


def payout_signal(ctx: FlowContext, turn: Turn, participant: Participant, text: str | None) -> None:
    """Cards and phones in what the participant wrote feed the shared payout signal (as keyed
    fingerprints), after the relay: the signal never changes what was relayed, nor fails it."""
    ctx.services.risks.dialog_message(participant.id, text, telegram_source(turn.update_id))


def _acknowledge(turn: Turn, participant: Participant, posted: Posted) -> None:
    """Sent, or kept to go out when the group's rate limit allows: either way the operators get it.
    Refused for good (e.g. the bot may not create topics): the participant is told, whoever runs the bot
    must fix it."""
    if not posted.refused:  # a suspended participant still reaches support, and is told they are suspended
        turn.reply(t("relayed_blocked" if participant.blocked else "relayed", turn.lang))
        return
    logger.error(
        "participant's message not relayed to operators",
        extra={"participant_id": participant.id, "reason": posted.error},
    )
    turn.reply(t("relay_failed", turn.lang))
