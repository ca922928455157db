"""The bot application: python-telegram-bot without an Updater, fed one webhook update at a time.

One ``BotRuntime`` lives per Lambda container with its own event loop (PTB's HTTP client is bound to the
loop it was first used on). The bot knows its identity from configuration, so no ``getMe`` is made, and
dialog state lives in the table, not in PTB's persistence. A turn's calls are made after the handlers
ran; the last one goes back in the webhook answer, which saves an outbound request.

Each update is handled at most once. An update that may change something is taken (a conditional put of
its id) before anything is done. A menu command changes at most the user's dialog step, so the write of
that step, conditional on the update being new, is what takes it: one request instead of two. A look-up
(balance, links, ...) changes nothing and is not taken at all: its only effect is its answer, which travels
in the webhook response, so if Telegram delivers it again it did not get that answer and gets it now.

The runtime is the bot's composition root: it builds the services with a ``CommittedNotices`` (drained and
delivered after each turn), the ``BotState`` every part of the bot reads and writes the table through, and
the operators' desk with its outbox sender for the group.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from telegram import (
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
    User,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from referral.clock import utcnow
from referral.config import ConfigurationError
from referral.domain.orders import PostingLookup
from referral.domain.participants import TelegramProfile
from referral.repository.bot_state import BotState
from referral.repository.unit_of_work import CommittedNotices
from referral.services import Services
from referral.telegram import calls, dialog, keyboards, texts
from referral.telegram.bot_api import BotApi
from referral.telegram.calls import WEBHOOK_METHODS, AnswerCallbackQuery, BotCall
from referral.telegram.config import BotConfig
from referral.telegram.conversation import Turn
from referral.telegram.flows import COMMANDS, FlowContext, ParticipantFlows, UnavailableLookup
from referral.telegram.notifications import TelegramNotificationSender
from referral.telegram.operators import OperatorDesk, is_media
from referral.telegram.operators_group import OperatorsGroupSender

logger = Logger(child=True)


class ConfiguredBot(ExtBot[None]):
    """A bot that knows who it is from its token and configured username instead of calling ``getMe``."""

    def __init__(self, config: BotConfig, request: HTTPXRequest) -> None:
        super().__init__(config.token, base_url=config.base_url, request=request)
        self._identity = User(
            id=config.bot_id, is_bot=True, first_name=config.bot_username, username=config.bot_username
        )

    async def get_me(self, *args: Any, **kwargs: Any) -> User:
        self._bot_user = self._identity
        return self._identity


Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class BotRuntime:
    """Everything one container needs to answer updates, built once and reused while warm."""

    def __init__(
        self,
        config: BotConfig,
        *,
        services: Services | None = None,
        posting_lookup: PostingLookup | None = None,
        clock: Callable[[], datetime] = utcnow,
        state: BotState | None = None,
        notices: CommittedNotices | None = None,
    ) -> None:
        """``notices`` collects what the services commit, delivered after each turn: services built by the
        caller must have been built with the same object."""
        if not config.bot_username:
            raise ConfigurationError("TELEGRAM_BOT_USERNAME is not set")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines carry the bot token
        self.config = config
        self.clock = clock
        self.notices = notices or CommittedNotices()
        self.services = services or Services.build(clock=clock, notices=self.notices)
        self.state = state or BotState()
        self.loop = asyncio.new_event_loop()
        self.bot = ConfiguredBot(config, HTTPXRequest(connection_pool_size=4))
        self.group: OperatorsGroupSender | None = None
        self.desk: OperatorDesk | None = None
        if config.operators_chat_id:
            self.group = OperatorsGroupSender(
                BotApi(config), config.operators_chat_id, self.state, clock=clock
            )
            self.desk = OperatorDesk(
                self.bot,
                config.operators_chat_id,
                clock,
                state=self.state,
                outbox=self.services.outbox,
                sender=self.group,
                web_app_url=config.web_app_url,
            )
        self.flows = ParticipantFlows(
            FlowContext(
                self.services, config, posting_lookup or UnavailableLookup(), self.desk, self.state, clock
            )
        )
        self._sender: TelegramNotificationSender | None = None
        self._turn: Turn | None = None
        self.application = Application.builder().bot(self.bot).updater(None).build()
        self._route(self.application)
        self.loop.run_until_complete(self.application.initialize())

    # --- routing -----------------------------------------------------------------------------------

    def _route(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        application.add_handler(CommandHandler("start", self._guard(self._on_start), filters=private))
        application.add_handler(
            CommandHandler(list(COMMANDS), self._guard(self._on_command), filters=private)
        )
        if self.config.operators_chat_id is not None:
            operators = filters.Chat(self.config.operators_chat_id) & filters.UpdateType.MESSAGE
            application.add_handler(MessageHandler(operators, self._guard(self._on_operator_message)))
        application.add_handler(MessageHandler(private & filters.TEXT, self._guard(self._on_text)))
        application.add_handler(MessageHandler(private, self._guard(self._on_other)))
        application.add_handler(CallbackQueryHandler(self._guard(self._on_callback)))
        application.add_error_handler(self._on_error)

    def _guard(self, handler: Handler) -> Handler:
        """Domain failures and bugs are logged with context and answered with an apology, never raised.

        The apology replaces what the turn was about to say only while nothing was committed.
        """

        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            try:
                await handler(update, context)
            except Exception:
                turn = self._current()
                logger.exception(
                    "bot handler failed",
                    extra={
                        "update_id": update.update_id,
                        "handler": handler.__name__,
                        "user_id": _uid(update),
                    },
                )
                if turn.committed and turn.calls:
                    return  # the change stands: its answer goes out, never replaced by an apology
                if not turn.committed:
                    turn.next_state = None  # the dialog stays where it was: the step can be tried again
                if turn.user is not None and turn.chat_id == int(turn.user.user_id):  # a private chat
                    turn.calls.clear()
                    turn.reply(texts.t("apology", turn.lang))

        guarded.__name__ = handler.__name__
        return guarded

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("update not processed", extra={"error": repr(context.error)})

    def _current(self) -> Turn:
        if self._turn is None:
            raise RuntimeError("no update is being handled")
        return self._turn

    def _enter(self, update: Update) -> Turn | None:
        """The turn of a participant's update; None when it has no human sender (nothing to answer)."""
        turn = self._current()
        user = update.effective_user
        if user is None or user.is_bot:
            return None
        turn.user = TelegramProfile(
            user_id=str(user.id),
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
            language_code=user.language_code,
        )
        turn.chat_id = update.effective_chat.id if update.effective_chat else None
        if turn.chat_id is None:
            return None
        self.flows.arrived(turn)
        return turn

    def _take(self, turn: Turn) -> bool:
        """Take the update before acting on it; False when it was taken before (a redelivery)."""
        if not self.state.take_update(turn.update_id, self.clock()):
            logger.info("duplicate update ignored", extra={"update_id": turn.update_id})
            return False
        turn.claimed = True
        return True

    async def _on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        turn = self._enter(update)
        if turn is None or not self._take(turn):
            return
        payload = context.args[0] if context.args else None
        self.flows.start(turn, payload)

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        turn = self._enter(update)
        if turn is None:
            return
        message = update.effective_message
        command = (message.text or "").split()[0].lstrip("/").split("@")[0].lower() if message else ""
        self.flows.command(turn, COMMANDS[command])

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        turn = self._enter(update)
        if turn is None:
            return
        message = update.effective_message
        if message is None or message.text is None:
            return
        action = keyboards.menu_action(message.text)
        if action is not None:
            self.flows.command(turn, action)
        elif self._take(turn):
            self.flows.text(turn, message.text)

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        turn = self._enter(update)
        if turn is None or update.message is None or not self._take(turn):
            return
        self.flows.not_text(turn, update.message)

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        turn = self._enter(update)
        if turn is None:
            return
        message = query.message
        if not isinstance(message, Message) or message.chat.type != "private":
            turn.call(AnswerCallbackQuery(query.id))
            return
        if not self._take(turn):
            return
        turn.chat_id = message.chat.id
        self.flows.callback(turn, query.data or "", message.message_id, query.id)

    async def _on_operator_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        turn = self._current()
        message = update.message
        if (
            self.desk is None
            or message is None
            or not message.is_topic_message
            or message.message_thread_id is None
            or not self._by_operator(message)
            or message.forum_topic_created is not None
        ):
            return
        participant_id = self.state.participant_of_thread(str(message.chat.id), message.message_thread_id)
        if participant_id is None:
            return
        participant = self.services.participants.find(participant_id)
        if participant is not None and self._take(turn):
            await self.desk.relay_to_participant(message, participant)
            if message.text or is_media(message):
                line = dialog.from_operator(participant.id, turn.update_id, message, self.clock())
                dialog.record(self.services.dialog, line)

    def _by_operator(self, message: Message) -> bool:
        """A person in the operators' chat, or an operator posting anonymously as the chat itself."""
        if message.sender_chat is not None:
            return message.sender_chat.id == self.config.operators_chat_id
        return message.from_user is not None and not message.from_user.is_bot

    # --- one update ------------------------------------------------------------------------------------

    def handle(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """Handle one update exactly once; returns the Bot API call to put in the webhook answer, if any."""
        update_id = data["update_id"]
        try:
            update = Update.de_json(data, self.bot)
        except Exception:
            logger.warning("malformed update ignored", extra={"update_id": update_id})
            return None
        turn = Turn(update_id=update_id, clock=self.clock, state_store=self.state)
        self._turn = turn
        self.notices.drain()  # whatever an earlier, failed turn left is the sweep's
        try:
            inline, notices = self.loop.run_until_complete(self._process(update, turn))
        finally:
            self._turn = None
        if notices:
            try:
                self.services.outbox.dispatch(self.sender(), notices)
            except Exception:  # the change is committed; the scheduled sweep delivers what is left
                logger.exception("immediate delivery failed", extra={"update_id": update_id})
        return inline

    async def _process(self, update: Update, turn: Turn) -> tuple[dict[str, Any] | None, list[str]]:
        """Route the update, then make the turn's calls. When the turn committed notices (delivered right
        after it), every call is made here, so that the participant reads the answer before the notice."""
        await self.application.process_update(update)
        notices = self.notices.drain()
        if not self._save_state(turn) or not turn.calls:
            return None, notices
        last = turn.calls[-1]
        deferred = turn.calls if notices or last.method not in WEBHOOK_METHODS else turn.calls[:-1]
        for call in deferred:
            await self._make(call)
        return (None if deferred is turn.calls else calls.webhook_answer(last)), notices

    def _save_state(self, turn: Turn) -> bool:
        """False when the write of the dialog step found the update handled before: nothing is said."""
        try:
            if turn.save_state():
                return True
        except Exception:  # the answer still goes out; the step stays as it was
            logger.exception("dialog state not saved", extra={"update_id": turn.update_id})
            return True
        logger.info("duplicate update ignored", extra={"update_id": turn.update_id})
        return False

    async def _make(self, call: BotCall) -> None:
        """Make one of the turn's calls through python-telegram-bot; a failure is logged, never raised."""
        params = calls.params(call)
        markup = _markup(params.pop("reply_markup", None))
        if "link_preview_options" in params:
            params["link_preview_options"] = LinkPreviewOptions(**params["link_preview_options"])
        if "reply_parameters" in params:
            params["reply_parameters"] = ReplyParameters(**params["reply_parameters"])
        try:
            if call.method == "sendMessage":
                await self.bot.send_message(reply_markup=markup, **params)
            elif call.method == "editMessageText":
                inline = markup if isinstance(markup, InlineKeyboardMarkup) else None
                await self.bot.edit_message_text(reply_markup=inline, **params)
            elif call.method == "answerCallbackQuery":
                await self.bot.answer_callback_query(**params)
            else:
                raise ValueError(f"unsupported call {call.method}")
        except Exception:
            logger.exception(
                "bot API call failed", extra={"method": call.method, "chat_id": params.get("chat_id")}
            )

    def sender(self) -> TelegramNotificationSender:
        if self._sender is None:
            self._sender = TelegramNotificationSender(BotApi(self.config), operators=self.group)
        return self._sender

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.run_until_complete(self.application.shutdown())
        self.loop.close()


def _markup(
    value: dict[str, Any] | None,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    if value is None:
        return None
    if "inline_keyboard" in value:
        return InlineKeyboardMarkup.de_json(value, None)
    if value.get("remove_keyboard"):
        return ReplyKeyboardRemove()
    return ReplyKeyboardMarkup.de_json(value, None)


def _uid(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None
