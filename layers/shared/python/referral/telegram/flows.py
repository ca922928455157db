"""What participants do in their private chat with the bot (SPEC §4), over the domain services.

Every flow reads the user's state once (``Turn.view``), calls one service, and answers. Domain refusals
become polite answers in the user's language; nothing here moves points except through the services.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from aws_lambda_powertools import Logger
from telegram import Message
from telegram.error import TelegramError

from referral.domain.links import LinkKind, LinkOpenOutcome, deep_link
from referral.domain.orders import PostingLookup
from referral.domain.participants import Participant, SponsorOutcome
from referral.domain.withdrawals import check_request, fiat_amount
from referral.errors import (
    AlreadyRegistered,
    DomainError,
)
from referral.ozon.errors import OzonError, OzonNotFound
from referral.repository import bot_state
from referral.repository.bot_state import DigestCounters
from referral.services import Services
from referral.telegram import keyboards, texts
from referral.telegram.config import BotConfig
from referral.telegram.conversation import (
    AWAIT_AMOUNT,
    AWAIT_CONFIRM,
    AWAIT_ORDER,
    AWAIT_OZON_ID,
    AWAIT_PRODUCT_NAME,
    AWAIT_PRODUCT_REF,
    IDLE,
    Turn,
)
from referral.telegram.operators import OperatorDesk, is_media
from referral.telegram.texts import Html, t

logger = Logger(child=True)

ORDER_NUMBER = re.compile(r"^\d{4,20}(-\d{1,10}){0,2}$")
AMOUNT = re.compile(r"^\d{1,12}$")
MAX_LISTED_REFERRALS = 30
MAX_TEXT = 3500

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


class UnavailableLookup:
    """Stands in for the Seller API client where none is configured: every claim is 'try later'."""

    def find_posting(self, number: str) -> None:
        raise OzonError("the Seller API client is not configured")


class ParticipantFlows:
    def __init__(
        self,
        services: Services,
        config: BotConfig,
        lookup: PostingLookup,
        desk: OperatorDesk | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.services = services
        self.config = config
        self.lookup = lookup
        self.desk = desk
        self.clock = clock

    # --- entry points from the router -------------------------------------------------------------

    def arrived(self, turn: Turn) -> None:
        """Any private update: a participant marked unreachable (they had blocked the bot) is back."""
        view = turn.view()
        if view.participant is not None and view.unreachable:
            bot_state.set_reachable(view.participant.id, view.digest, self.clock())

    async def start(self, turn: Turn, payload: str | None) -> None:
        view = turn.view()
        turn.clear_state()
        lang = turn.lang
        opened = self.services.participants.open_link(payload, turn.user_id) if payload else None
        if view.participant is not None:
            if opened is not None and opened.outcome == LinkOpenOutcome.OWN_LINK:
                turn.reply(t("own_link", lang), menu=True)
            elif opened is not None and opened.outcome == LinkOpenOutcome.ALREADY_REGISTERED:
                turn.reply(t("already_registered", lang), menu=True)
            else:
                turn.reply(t("welcome_back", lang), menu=True)
            return
        settings = self.services.settings.current()
        parts = [t("start_conditions", lang, conditions=texts.setting(settings.texts.conditions, lang))]
        code = None
        if opened is not None:
            if opened.outcome == LinkOpenOutcome.NEWCOMER and opened.link is not None:
                code = opened.link.code
            else:
                parts.append(t("unknown_link", lang))
        parts.append(t("ask_ozon_id", lang, howto=texts.setting(settings.texts.ozon_id_howto, lang)))
        turn.set_state(AWAIT_OZON_ID, code=code)
        turn.reply(Html("\n\n".join(parts)), {"remove_keyboard": True})

    async def command(self, turn: Turn, action: str) -> None:
        """A menu button or a slash command. One that starts a dialog step replaces an unfinished one; a
        look-up (``LOOK_UPS``) answers and leaves an open step open, its Cancel keyboard still shown."""
        lang = turn.lang
        if action == "btn_cancel":
            cancelled = turn.state
            turn.clear_state()
            if cancelled == AWAIT_CONFIRM:
                turn.reply(t("withdraw_cancelled", lang), menu=True)
            else:
                turn.reply(t("cancelled", lang), menu=turn.view().participant is not None)
            return
        participant = turn.view().participant
        if participant is None:
            await self._not_registered(turn)
            return
        if action not in LOOK_UPS:
            turn.clear_state()
        handler = {
            "btn_link": self._my_link,
            "btn_links": self._my_links,
            "btn_new_link": self._new_link,
            "btn_balance": self._balance,
            "btn_referrals": self._referrals,
            "btn_claim": self._claim_start,
            "btn_withdraw": self._withdraw_start,
            "btn_notifications": self._notifications,
            "btn_help": self._help,
        }[action]
        handler(turn, participant)

    async def text(self, turn: Turn, text: str) -> None:
        """Free text (menu buttons are commands): the answer to the open dialog step, or a question."""
        state = turn.state
        if state == AWAIT_OZON_ID:
            await self._register(turn, text)
            return
        participant = turn.view().participant
        if participant is None:
            await self._not_registered(turn)
            return
        if state == AWAIT_ORDER:
            await self._claim(turn, participant, text)
        elif state == AWAIT_PRODUCT_NAME:
            self._product_name(turn, text)
        elif state == AWAIT_PRODUCT_REF:
            self._product_ref(turn, participant, text)
        elif state == AWAIT_AMOUNT:
            self._withdraw_amount(turn, participant, text)
        elif state == AWAIT_CONFIRM:
            turn.reply(t("use_menu", turn.lang))
        elif text.startswith("/"):
            turn.reply(t("use_menu", turn.lang), menu=True)
        else:
            await self._relay(turn, participant, text)

    async def not_text(self, turn: Turn, message: Message) -> None:
        """A photo, document, sticker, ...: outside a dialog step a registered participant's media goes to the
        operators like a question; anything else is answered that text is expected."""
        participant = turn.view().participant
        if participant is None or turn.state != IDLE or self.desk is None or not is_media(message):
            turn.reply(t("text_only", turn.lang))
            return
        try:
            await self.desk.relay_media_from_participant(participant, message)
        except TelegramError as error:
            self._not_relayed(turn, participant, error)
            return
        turn.reply(t("relayed", turn.lang))

    async def callback(self, turn: Turn, data: str, message_id: int | None, callback_id: str) -> None:
        lang = turn.lang
        participant = turn.view().participant
        answer = None
        if participant is None:
            answer = t("register_first", lang)
        elif data.startswith("wd:"):
            answer = await self._withdraw_decision(turn, participant, data, message_id)
        elif data in keyboards.DIGEST_BUTTONS:
            self._digest_choice(turn, participant, keyboards.DIGEST_BUTTONS[data], message_id)
        else:
            answer = t("stale_button", lang)
        turn.call(
            "answerCallbackQuery", callback_query_id=callback_id, **({"text": answer} if answer else {})
        )

    # --- registration --------------------------------------------------------------------------------

    async def _not_registered(self, turn: Turn) -> None:
        turn.reply(t("register_first", turn.lang), {"remove_keyboard": True})

    async def _register(self, turn: Turn, text: str) -> None:
        lang = turn.lang
        user = turn.user
        assert user is not None
        try:
            registration = self.services.participants.register(user, text, turn.data.get("code"))
        except AlreadyRegistered as refused:
            turn.clear_state()
            turn.reply(_refusal(refused, lang), menu=True)
            return
        except DomainError as refused:  # the step stays open: the participant sends another Ozon ID
            turn.reply(_refusal(refused, lang))
            return
        turn.committed = True
        turn.clear_state()
        participant = registration.participant
        settings = self.services.settings.current()
        parts = [texts.setting(settings.texts.welcome, lang)]
        if registration.outcome == SponsorOutcome.EXISTING_BUYER:
            parts.append(t("existing_buyer", lang))
        elif registration.outcome == SponsorOutcome.ATTACHED and participant.sponsor_id:
            sponsor = self.services.participants.find(participant.sponsor_id)
            if sponsor is not None:
                name = texts.who_short(texts.full_name(sponsor.profile), sponsor.profile.username)
                parts.append(t("joined_via_sponsor", lang, name=name))
        if participant.personal_code:
            parts.append(
                t("my_link", lang, url=deep_link(self.config.bot_username, participant.personal_code))
            )
        turn.reply(Html("\n\n".join(parts)), menu=True)
        product = registration.product_link
        if product is not None and product.product_name and product.product_ref:
            turn.reply(
                t(
                    "product_after_join",
                    lang,
                    name=product.product_name,
                    url=_product_url(product.product_ref),
                )
            )

    # --- menu ---------------------------------------------------------------------------------------

    def _my_link(self, turn: Turn, participant: Participant) -> None:
        if participant.personal_code is None:
            turn.reply(t("apology", turn.lang), menu=True)
            return
        turn.reply(
            t("my_link", turn.lang, url=deep_link(self.config.bot_username, participant.personal_code))
        )

    def _my_links(self, turn: Turn, participant: Participant) -> None:
        lang = turn.lang
        lines = [t("links_title", lang)]
        for link in self.services.links.links_of(participant.id):
            title = (
                t("link_personal", lang)
                if link.kind == LinkKind.PERSONAL
                else t("link_product", lang, name=link.product_name or "—")
            )
            lines.append(
                t(
                    "links_item",
                    lang,
                    title=title,
                    url=deep_link(self.config.bot_username, link.code),
                    created=texts.date(link.created_at),
                    clicks=link.clicks,
                    registrations=link.registrations,
                    purchases=link.purchases,
                )
            )
        turn.reply(_join(lines))

    def _new_link(self, turn: Turn, participant: Participant) -> None:
        settings = self.services.settings.current()
        intro = texts.setting(settings.texts.product_links, turn.lang)
        turn.set_state(AWAIT_PRODUCT_NAME)
        turn.reply(t("ask_product_name", turn.lang, intro=intro), keyboards.cancel_only(turn.lang))

    def _product_name(self, turn: Turn, text: str) -> None:
        name = " ".join(text.split())
        if not 1 <= len(name) <= 100:
            turn.reply(t("bad_product_name", turn.lang))
            return
        turn.set_state(AWAIT_PRODUCT_REF, name=name)
        turn.reply(t("ask_product_ref", turn.lang))

    def _product_ref(self, turn: Turn, participant: Participant, text: str) -> None:
        name = str(turn.data.get("name", ""))
        try:
            link = self.services.links.create_product_link(participant.id, name, text)
        except DomainError as refused:
            if refused.reason != "product_ref_invalid":  # nothing to correct: the step ends
                turn.clear_state()
            turn.reply(_refusal(refused, turn.lang), menu=refused.reason != "product_ref_invalid")
            return
        turn.committed = True
        turn.clear_state()
        url = deep_link(self.config.bot_username, link.code)
        turn.reply(t("product_link_created", turn.lang, name=link.product_name or name, url=url), menu=True)

    def _balance(self, turn: Turn, participant: Participant) -> None:
        lang = turn.lang
        settings = self.services.settings.current()
        levels = turn.view().levels
        balances = participant.balances
        extra = ""
        if balances.reserved:
            extra += t("balance_reserved", lang, reserved=texts.points(balances.reserved))
        if balances.withdrawn:
            extra += t("balance_withdrawn", lang, withdrawn=texts.points(balances.withdrawn))
        by_level = "".join(
            t(
                "balance_level",
                lang,
                level=level,
                points=texts.points(levels[level].earned if level in levels else 0),
            )
            for level in range(1, settings.levels + 1)
        )
        turn.reply(
            t(
                "balance",
                lang,
                total=texts.count(balances.balance, "points", lang),
                available=texts.points(balances.available),
                frozen=texts.points(balances.frozen),
                reserved=Html(extra),
                own=texts.points(levels[0].earned if 0 in levels else 0),
                levels=Html(by_level),
            )
        )

    def _referrals(self, turn: Turn, participant: Participant) -> None:
        lang = turn.lang
        settings = self.services.settings.current()
        direct = sorted(
            self.services.participants.direct_referrals(participant.id), key=lambda p: p.registered_at
        )
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
        levels = turn.view().levels
        for number in range(2, settings.levels + 1):
            level = levels.get(number)
            lines.append(
                t(
                    "referrals_level",
                    lang,
                    level=number,
                    count=level.referrals if level else 0,
                    orders=texts.count(level.orders if level else 0, "orders", lang),
                    amount=texts.money(level.amount if level else Decimal(0)),
                    last=texts.date(level.last_order_at if level else None),
                )
            )
        turn.reply(_join(lines))

    def _help(self, turn: Turn, participant: Participant) -> None:
        settings = self.services.settings.current()
        turn.reply(t("help", turn.lang, promo=texts.setting(settings.texts.promo_code, turn.lang)), menu=True)

    def _notifications(self, turn: Turn, participant: Participant) -> None:
        current = turn.view().digest
        turn.reply(self._digest_text(turn.lang, current), keyboards.digest_choice(turn.lang, current))

    def _digest_text(self, lang: str, current: str | None) -> Html:
        return t("notifications", lang, current=t(f"digest_{current or 'off'}", lang))

    def _digest_choice(
        self, turn: Turn, participant: Participant, frequency: str | None, message_id: int | None
    ) -> None:
        counters = DigestCounters.of(participant, turn.view().levels)
        bot_state.set_digest(participant.id, frequency, counters, self.clock())
        turn.committed = True
        if message_id is not None:
            turn.call(
                "editMessageText",
                chat_id=turn.chat_id,
                message_id=message_id,
                text=self._digest_text(turn.lang, frequency),
                parse_mode="HTML",
                reply_markup=keyboards.digest_choice(turn.lang, frequency),
            )

    # --- order claims (R6) -------------------------------------------------------------------------

    def _claim_start(self, turn: Turn, participant: Participant) -> None:
        turn.set_state(AWAIT_ORDER)
        turn.reply(t("ask_order_number", turn.lang), keyboards.cancel_only(turn.lang))

    async def _claim(self, turn: Turn, participant: Participant, text: str) -> None:
        lang = turn.lang
        number = text.strip().lstrip("№#").strip()
        if not ORDER_NUMBER.match(number):
            turn.reply(t("bad_order_number", lang))
            return
        try:
            posting = self.lookup.find_posting(number)
        except OzonNotFound:
            posting = None
        except OzonError:
            turn.reply(t("order_lookup_unavailable", lang), menu=True)
            turn.clear_state()
            return
        turn.clear_state()
        if posting is None:
            turn.reply(t("order_not_found", lang, number=number), menu=True)
            return
        try:
            result = self.services.purchases.claim_order(participant.id, posting)
        except DomainError as refused:
            turn.reply(_refusal(refused, lang), menu=True)
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

    # --- withdrawals (R10) -------------------------------------------------------------------------

    def _withdraw_start(self, turn: Turn, participant: Participant) -> None:
        lang = turn.lang
        settings = self.services.settings.current()
        available = participant.balances.available
        if participant.blocked:
            turn.reply(t("participant_blocked", lang), menu=True)
            return
        if available < settings.min_withdrawal:
            turn.reply(
                t(
                    "withdraw_too_little",
                    lang,
                    minimum=texts.count(settings.min_withdrawal, "points", lang),
                    available=texts.count(available, "points", lang),
                ),
                menu=True,
            )
            return
        maximum = (
            t("withdraw_maximum", lang, maximum=texts.count(settings.max_withdrawal, "points", lang))
            if settings.max_withdrawal
            else Html("")
        )
        turn.set_state(AWAIT_AMOUNT)
        turn.reply(
            t(
                "withdraw_ask_amount",
                lang,
                instruction=texts.setting(settings.texts.withdrawal_instruction, lang),
                available=texts.count(available, "points", lang),
                minimum=texts.count(settings.min_withdrawal, "points", lang),
                maximum=maximum,
            ),
            keyboards.cancel_only(lang),
        )

    def _withdraw_amount(self, turn: Turn, participant: Participant, text: str) -> None:
        lang = turn.lang
        raw = text.strip().replace(" ", "")
        if not AMOUNT.match(raw):
            turn.reply(t("withdraw_bad_amount", lang))
            return
        points = int(raw)
        settings = self.services.settings.current()
        try:
            check_request(participant, points, settings)
        except DomainError as refused:
            turn.reply(_refusal(refused, lang))
            return
        key = str(turn.update_id)
        turn.set_state(AWAIT_CONFIRM, points=points, key=key)
        fiat = fiat_amount(points, settings.point_rate)
        turn.reply(
            t(
                "withdraw_confirm",
                lang,
                points=texts.count(points, "points", lang),
                fiat=texts.money(fiat),
                rate=settings.point_rate.normalize(),
            ),
            keyboards.confirm_withdrawal(lang, key),
        )

    async def _withdraw_decision(
        self, turn: Turn, participant: Participant, data: str, message_id: int | None
    ) -> Html | None:
        lang = turn.lang
        _, decision, key = [*data.split(":", 2), "", ""][:3]
        if turn.state != AWAIT_CONFIRM or str(turn.data.get("key")) != key:
            return t("stale_button", lang)
        turn.clear_state()
        if decision != "ok":
            self._edit(turn, message_id, t("withdraw_cancelled", lang))
            return None
        points = int(turn.data["points"])
        try:
            withdrawal = self.services.withdrawals.request(
                participant.id, points, f"tg:{participant.id}:{key}"
            )
        except DomainError as refused:
            self._edit(turn, message_id, _refusal(refused, lang))
            return None
        turn.committed = True
        self._edit(
            turn,
            message_id,
            t(
                "withdraw_requested",
                lang,
                points=texts.count(withdrawal.points, "points", lang),
                fiat=texts.money(withdrawal.fiat_amount),
                id=withdrawal.withdrawal_id,
            ),
        )
        if self.desk is not None:
            try:
                await self.desk.announce_withdrawal(participant, withdrawal)
            except Exception:  # the request stands and the operators' queue lists it
                logger.exception(
                    "withdrawal not announced to operators",
                    extra={"withdrawal_id": withdrawal.withdrawal_id, "participant_id": participant.id},
                )
        return None

    def _edit(self, turn: Turn, message_id: int | None, text: Html) -> None:
        if message_id is None:
            turn.reply(text, menu=True)
            return
        turn.call(
            "editMessageText", chat_id=turn.chat_id, message_id=message_id, text=text, parse_mode="HTML"
        )

    # --- operator dialog ---------------------------------------------------------------------------

    async def _relay(self, turn: Turn, participant: Participant, text: str) -> None:
        if self.desk is None:
            turn.reply(t("apology", turn.lang))
            return
        try:
            await self.desk.relay_from_participant(participant, text[:MAX_TEXT])
        except TelegramError as error:
            self._not_relayed(turn, participant, error)
            return
        turn.reply(t("relayed", turn.lang))

    def _not_relayed(self, turn: Turn, participant: Participant, error: TelegramError) -> None:
        """E.g. the bot may not create topics: the participant is told, whoever runs the bot must fix it."""
        logger.error(
            "participant's message not relayed to operators",
            extra={"participant_id": participant.id, "reason": error.message},
        )
        turn.reply(t("relay_failed", turn.lang))


def _join(lines: list[Html]) -> Html:
    text = Html("\n\n".join(lines))
    return text if len(text) <= 4000 else Html(text[:3990] + "\n…")


def _product_url(ref: str) -> str:
    return ref if ref.startswith("https://") else f"https://www.ozon.ru/product/{ref}/"


def _refusal(error: DomainError, lang: str) -> Html:
    """The refusal in the user's words, by its stable reason, with the numbers it carries."""
    details = error.details
    return texts.refusal(
        error.reason,
        lang,
        minimum=texts.count(int(details.get("min_withdrawal", 0)), "points", lang),
        maximum=texts.count(int(details.get("max_withdrawal", 0)), "points", lang),
        available=texts.count(max(int(details.get("available", 0)), 0), "points", lang),
    )
