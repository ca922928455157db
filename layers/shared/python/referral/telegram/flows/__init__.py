"""What participants do in their private chat with the bot (SPEC §4), over the domain services.

The router below dispatches to one module per dialog: registration, links, account look-ups, order
claims, withdrawals and the operator relay. Every flow reads the user's state once (``Turn.view``), calls
one service, and answers. Domain refusals become polite answers in the user's language; nothing here
moves points except through the services.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import Message

from referral.domain.participants import Participant
from referral.telegram import keyboards
from referral.telegram.calls import AnswerCallbackQuery
from referral.telegram.conversation import DialogState, Turn
from referral.telegram.flows import account, claims, links, registration, relay, withdrawal
from referral.telegram.flows.common import FlowContext, UnavailableLookup
from referral.telegram.texts import t

__all__ = ["COMMANDS", "FlowContext", "ParticipantFlows", "UnavailableLookup"]

COMMANDS = {
    "link": "btn_link",
    "links": "btn_links",
    "newlink": "btn_new_link",
    "balance": "btn_balance",
    "referrals": "btn_referrals",
    "claim": "btn_claim",
    "withdraw": "btn_withdraw",
    "notifications": "btn_notifications",
    "help": "btn_help",
    "cancel": "btn_cancel",
}

LOOK_UPS = frozenset({"btn_link", "btn_links", "btn_balance", "btn_referrals", "btn_notifications"})
"""Commands that only show something: they change nothing, not even an open dialog step."""

MenuHandler = Callable[[FlowContext, Turn, Participant], None]

MENU: dict[str, MenuHandler] = {
    "btn_link": links.my_link,
    "btn_links": links.my_links,
    "btn_new_link": links.new_link,
    "btn_balance": account.balance,
    "btn_referrals": account.referrals,
    "btn_claim": claims.claim_start,
    "btn_withdraw": withdrawal.withdraw_start,
    "btn_notifications": account.notifications,
    "btn_help": account.help_text,
}


class ParticipantFlows:
    def __init__(self, context: FlowContext) -> None:
        self.ctx = context

    def arrived(self, turn: Turn) -> None:
        """Any private update: a participant marked unreachable (they had blocked the bot) is back."""
        view = turn.view()
        if view.participant is not None and view.unreachable:
            self.ctx.state.set_reachable(view.participant.id, view.digest, self.ctx.clock())

    def start(self, turn: Turn, payload: str | None) -> None:
        registration.start(self.ctx, turn, payload)

    def command(self, turn: Turn, action: str) -> None:
        """A menu button or a slash command. One that starts a dialog step replaces an unfinished one; a
        look-up (``LOOK_UPS``) answers and leaves an open step open, its Cancel keyboard still shown."""
        lang = turn.lang
        if action == "btn_cancel":
            cancelled = turn.state
            turn.clear_state()
            if cancelled == DialogState.AWAIT_CONFIRM:
                turn.reply(t("withdraw_cancelled", lang), menu=True)
            else:
                turn.reply(t("cancelled", lang), menu=turn.view().participant is not None)
            return
        participant = turn.view().participant
        if participant is None:
            registration.not_registered(turn)
            return
        if action not in LOOK_UPS:
            turn.clear_state()
        MENU[action](self.ctx, turn, participant)

    def text(self, turn: Turn, text: str) -> None:
        """Free text (menu buttons are commands): the answer to the open dialog step, or a question."""
        state = turn.state
        if state == DialogState.AWAIT_OZON_ID:
            registration.register(self.ctx, turn, text)
            return
        participant = turn.view().participant
        if participant is None:
            registration.not_registered(turn)
            return
        if state == DialogState.AWAIT_ORDER:
            claims.claim(self.ctx, turn, participant, text)
        elif state == DialogState.AWAIT_CLAIM_PROOF:
            claims.claim_proof(self.ctx, turn, participant, text)
        elif state == DialogState.AWAIT_PRODUCT_NAME:
            links.product_name(turn, text)
        elif state == DialogState.AWAIT_PRODUCT_REF:
            links.product_ref(self.ctx, turn, participant, text)
        elif state == DialogState.AWAIT_AMOUNT:
            withdrawal.withdraw_amount(self.ctx, turn, participant, text)
        elif state == DialogState.AWAIT_CONFIRM:
            turn.reply(t("use_menu", turn.lang))
        elif text.startswith("/"):
            turn.reply(t("use_menu", turn.lang), menu=True)
        else:
            relay.relay_text(self.ctx, turn, participant, text)

    def not_text(self, turn: Turn, message: Message) -> None:
        relay.relay_media(self.ctx, turn, message)

    def callback(self, turn: Turn, data: str, message_id: int | None, callback_id: str) -> None:
        participant = turn.view().participant
        answer = None
        if participant is None:
            answer = t("register_first", turn.lang)
        elif data.startswith("wd:"):
            answer = withdrawal.withdraw_decision(self.ctx, turn, participant, data, message_id)
        elif data in keyboards.DIGEST_BUTTONS:
            frequency = keyboards.DIGEST_BUTTONS[data]
            account.digest_choice(self.ctx, turn, participant, frequency, message_id)
        else:
            answer = t("stale_button", turn.lang)
        turn.call(AnswerCallbackQuery(callback_id, answer))
