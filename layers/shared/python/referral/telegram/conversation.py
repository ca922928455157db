"""One bot turn: the user, their language, their stored dialog state, and the calls to make.

Dialog state lives in the table (``BotState``), one small item per user, read together with the
participant's profile and network in a single query. A turn reads it as it was when the turn began; a
change of step is written once, after the handlers ran (``next_state``). Calls the turn collects are made
after that; the last one travels in the webhook's answer instead of a separate request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from referral.domain.participants import TelegramProfile
from referral.repository.bot_state import BotState, DialogState, UserView
from referral.telegram import keyboards, texts
from referral.telegram.calls import BotCall, SendMessage
from referral.telegram.texts import Html

__all__ = ["DialogState", "Turn"]


@dataclass
class Turn:
    update_id: int
    clock: Callable[[], datetime]
    state_store: BotState = field(default_factory=BotState)
    user: TelegramProfile | None = None
    chat_id: int | None = None
    calls: list[BotCall] = field(default_factory=list)
    committed: bool = False
    """A change was committed: the answer saying so is sent even if something after it fails."""
    claimed: bool = False
    """The update was taken before anything was done (see ``BotRuntime``)."""
    next_state: tuple[DialogState, dict[str, Any]] | None = None
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

    @property
    def private_chat(self) -> int:
        if self.chat_id is None:
            raise RuntimeError("this update has no chat")
        return self.chat_id

    def view(self) -> UserView:
        if self._view is None:
            self._view = self.state_store.load_user(self.user_id)
        return self._view

    @property
    def state(self) -> DialogState:
        """The dialog step as the turn began."""
        return self.view().conversation.state

    @property
    def data(self) -> dict[str, Any]:
        return self.view().conversation.data

    def set_state(self, state: DialogState, **data: Any) -> None:
        self.next_state = (state, data)

    def clear_state(self) -> None:
        if self.state != DialogState.IDLE or self.next_state is not None:
            self.next_state = (DialogState.IDLE, {})

    def save_state(self) -> bool:
        """Write the step the turn ended in; for a turn whose update was not taken, the write takes it.

        False: the update had been handled already (Telegram delivered it again), nothing was written.
        """
        if self.next_state is None or self.user is None:
            return True
        state, data = self.next_state
        return self.state_store.save_conversation(
            self.user_id, state, data, self.clock(), self.update_id, if_new=not self.claimed
        )

    def call(self, call: BotCall) -> None:
        self.calls.append(call)

    def reply(self, text: Html, markup: dict[str, Any] | None = None, *, menu: bool = False) -> None:
        """A message to the user's private chat; ``menu`` shows the main menu keyboard with it."""
        if menu:
            markup = keyboards.main_menu(self.lang)
        self.call(SendMessage(self.private_chat, text, reply_markup=markup, no_link_preview=True))
