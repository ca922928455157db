"""One bot turn: the user, their language, their stored dialog state, and the calls to make.

Dialog state lives in the table (``referral.repository.bot_state``), one small item per user, read
together with the participant's profile and network in a single query. A turn reads it as it was when the
turn began; a change of step is written once, after the handlers ran (``next_state``). Calls the turn
collects are made after that; the last one travels in the webhook's answer instead of a separate request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from referral.domain.participants import TelegramProfile
from referral.repository import bot_state
from referral.repository.bot_state import UserView
from referral.telegram import keyboards, texts
from referral.telegram.texts import Html

IDLE = "idle"
AWAIT_OZON_ID = "await_ozon_id"
AWAIT_ORDER = "await_order"
AWAIT_PRODUCT_NAME = "await_product_name"
AWAIT_PRODUCT_REF = "await_product_ref"
AWAIT_AMOUNT = "await_amount"
AWAIT_CONFIRM = "await_confirm"


@dataclass
class Turn:
    update_id: int
    clock: Callable[[], datetime]
    user: TelegramProfile | None = None
    chat_id: int | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    committed: bool = False
    """A change was committed: the answer saying so is sent even if something after it fails."""
    claimed: bool = False
    """The update was taken before anything was done (see ``BotRuntime``)."""
    next_state: tuple[str, dict[str, Any]] | None = None
    """The dialog step to write when the turn ends; None: it stays as it was."""
    _view: UserView | None = None

    @property
    def lang(self) -> str:
        return texts.language(self.user.language_code if self.user else None)

    @property
    def user_id(self) -> str:
        if self.user is None:
            raise RuntimeError("this update has no user")
        return self.user.user_id

    def view(self) -> UserView:
        if self._view is None:
            self._view = bot_state.load_user(self.user_id)
        return self._view

    @property
    def state(self) -> str:
        """The dialog step as the turn began."""
        return self.view().conversation.state

    @property
    def data(self) -> dict[str, Any]:
        return self.view().conversation.data

    def set_state(self, state: str, **data: Any) -> None:
        self.next_state = (state, data)

    def clear_state(self) -> None:
        if self.state != IDLE or self.next_state is not None:
            self.next_state = (IDLE, {})

    def save_state(self) -> bool:
        """Write the step the turn ended in; for a turn whose update was not taken, the write takes it.

        False: the update had been handled already (Telegram delivered it again), nothing was written.
        """
        if self.next_state is None or self.user is None:
            return True
        state, data = self.next_state
        return bot_state.save_conversation(
            self.user_id, state, data, self.clock(), self.update_id, if_new=not self.claimed
        )

    def call(self, method: str, **params: Any) -> None:
        self.calls.append({"method": method, **params})

    def reply(self, text: Html, markup: dict[str, Any] | None = None, *, menu: bool = False) -> None:
        """A message to the user's private chat; ``menu`` shows the main menu keyboard with it."""
        if menu:
            markup = keyboards.main_menu(self.lang)
        params: dict[str, Any] = {
            "chat_id": self.chat_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if markup is not None:
            params["reply_markup"] = markup
        self.call("sendMessage", **params)
