"""The bot's own phrases (Russian by default, English for English-speaking users) and safe formatting.

Messages are sent with ``parse_mode=HTML``. Every value put into a phrase is escaped unless it is
already :class:`Html`, so names, usernames, product names and admin-edited texts can never break the
markup or inject links. Admin-editable texts come from the settings; these are the fixed ones around them.
"""

from __future__ import annotations

import functools
import html
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from referral.config import ConfigurationError, optional
from referral.domain.participants import TelegramProfile
from referral.domain.settings import LocalizedText
from referral.telegram.phrases_participant import PHRASES as PARTICIPANT_PHRASES

RU = "ru"
EN = "en"


class Html(str):
    """A fragment that is already valid, escaped HTML."""

    __slots__ = ()


def language(code: str | None) -> str:
    return EN if (code or "").lower().startswith("en") else RU


def esc(value: object) -> Html:
    return value if isinstance(value, Html) else Html(html.escape(str(value), quote=True))


def setting(text: LocalizedText, lang: str) -> Html:
    """An operator-edited text: plain text, escaped."""
    return esc(text.for_language(lang))


UNITS: dict[str, tuple[tuple[str, str, str], tuple[str, str]]] = {
    "points": (("балл", "балла", "баллов"), ("point", "points")),
    "orders": (("заказ", "заказа", "заказов"), ("order", "orders")),
}
"""Russian forms for 1, 2–4 and 5+ (21 балл, 22 балла, 11 баллов); English singular and plural."""


def count(value: int, unit: str, lang: str) -> str:
    """A number with its unit in the right plural form: ``303 балла``, ``1 order``, ``1 000 points``."""
    russian, english = UNITS[unit]
    if lang == EN:
        return f"{points(value)} {english[0] if abs(value) == 1 else english[1]}"
    tens, ones = abs(value) % 100, abs(value) % 10
    if ones == 1 and tens != 11:
        form = russian[0]
    elif 2 <= ones <= 4 and not 12 <= tens <= 14:
        form = russian[1]
    else:
        form = russian[2]
    return f"{points(value)} {form}"


def points(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def signed(value: int) -> str:
    """A change of points with its sign: ``+1 000``, ``−250`` (a true minus), ``0``."""
    return f"+{points(value)}" if value > 0 else f"−{points(-value)}" if value < 0 else "0"


def money(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ")


MESSAGE_LIMIT = 4096
"""Telegram's limit for a message's text once its HTML is parsed, in UTF-16 code units."""


def shown_length(text: str) -> int:
    """How long Telegram considers plain ``text``: in UTF-16 code units (an emoji may count as two)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[str]:
    """Plain ``text`` in parts of at most ``limit`` (``shown_length``), cut after a line or a word if any."""
    parts: list[str] = []
    rest = text
    while shown_length(rest) > limit:
        cut = max(len(rest.encode("utf-16-le")[: limit * 2].decode("utf-16-le", errors="ignore")), 1)
        line = rest.rfind("\n", 0, cut + 1)
        word = rest.rfind(" ", 0, cut + 1)
        end = line if line > 0 else word if word > 0 else cut
        parts.append(rest[:end])
        rest = rest[end + 1 :] if end < cut or rest[end : end + 1] in ("\n", " ") else rest[end:]
    return [*parts, rest] if rest or not parts else parts


DEFAULT_TIMEZONE = "Europe/Moscow"
MOSCOW = timezone(timedelta(hours=3), "MSK")
"""Moscow has kept UTC+3 all year since 2014: the default still works where no time zone database is."""


@functools.cache
def program_timezone() -> tzinfo:
    """Where the program's dates are shown: ``PROGRAM_TIMEZONE`` (an IANA name), Moscow by default."""
    name = optional("PROGRAM_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_TIMEZONE:
            return MOSCOW
        raise ConfigurationError(f"PROGRAM_TIMEZONE {name!r} is not a known time zone") from None


def date(value: datetime | None) -> str:
    return value.astimezone(program_timezone()).strftime("%d.%m.%Y") if value else "—"


def moment(value: datetime) -> str:
    """A date and time with the zone's name, e.g. ``11.01.2026 01:30 MSK``."""
    return value.astimezone(program_timezone()).strftime("%d.%m.%Y %H:%M %Z")


PHRASES: dict[str, tuple[str, str]] = {
    # menu buttons
    "btn_link": ("🔗 Моя ссылка", "🔗 My link"),
    "btn_links": ("📋 Мои ссылки", "📋 My links"),
    "btn_new_link": ("➕ Ссылка на товар", "➕ Product link"),
    "btn_balance": ("💰 Баланс", "💰 Balance"),
    "btn_referrals": ("👥 Мои рефералы", "👥 My referrals"),
    "btn_claim": ("🧾 Моя покупка", "🧾 My purchase"),
    "btn_withdraw": ("💸 Вывести баллы", "💸 Withdraw"),
    "btn_notifications": ("🔔 Уведомления", "🔔 Notifications"),
    "btn_help": ("❓ Помощь", "❓ Help"),
    "btn_cancel": ("✖️ Отмена", "✖️ Cancel"),
    "btn_confirm": ("✅ Подтвердить", "✅ Confirm"),
    "btn_daily": ("Ежедневно", "Daily"),
    "btn_weekly": ("Еженедельно", "Weekly"),
    "btn_off": ("Выключить", "Off"),
    # registration
    "start_conditions": ("<b>Условия программы</b>\n{conditions}", "<b>Program conditions</b>\n{conditions}"),
    "ask_ozon_id": (
        "Чтобы участвовать, пришлите свой Ozon ID.\n\n{howto}",
        "To join, send your Ozon ID.\n\n{howto}",
    ),
    "unknown_link": (
        "Эта ссылка-приглашение не найдена. Вы всё равно можете присоединиться.",
        "This invitation link was not found. You can still join.",
    ),
    "already_registered": (
        "Вы уже участвуете в программе. Повторная регистрация по другой ссылке невозможна.",
        "You are already in the program. Another invitation link cannot change your sponsor.",
    ),
    "own_link": (
        "Это ваша собственная ссылка — поделитесь ею с друзьями.",
        "This is your own link — share it.",
    ),
    "welcome_back": ("С возвращением! Меню ниже.", "Welcome back! The menu is below."),
    "existing_buyer": (
        "Вы уже покупали наши товары до регистрации, поэтому присоединились без пригласившего "
        "(таковы условия программы). Приглашать друзей и получать баллы вы можете как обычно.",
        "You bought our goods before joining, so you joined without a sponsor (the program's rules). "
        "You can invite friends and earn points as usual.",
    ),
    "joined_via_sponsor": ("Ваш пригласивший: {name}.", "Your sponsor: {name}."),
    "product_after_join": (
        "Товар, по ссылке на который вы пришли: <b>{name}</b>\n{url}",
        "The product you came for: <b>{name}</b>\n{url}",
    ),
    "bad_ozon_id": (
        "Ozon ID — это от 3 до 20 цифр, например 123456789. Попробуйте ещё раз.",
        "The Ozon ID is 3 to 20 digits, for example 123456789. Please try again.",
    ),
    "ozon_id_taken": (
        "Этот Ozon ID уже привязан к другому участнику. Проверьте номер или напишите в поддержку: /help",
        "This Ozon ID already belongs to another participant. Check it or contact support: /help",
    ),
    "register_first": (
        "Сначала зарегистрируйтесь: нажмите /start",
        "Please register first: tap /start",
    ),
    # menu answers
    "my_link": (
        "Ваша ссылка для приглашений:\n{url}\n\nПоделитесь ею — за покупки приглашённых вы получаете баллы.",
        "Your invitation link:\n{url}\n\nShare it — you earn points for your referrals' purchases.",
    ),
    "links_title": ("<b>Ваши ссылки</b>", "<b>Your links</b>"),
    "links_item": (
        "{title}\n{url}\nсоздана {created} · переходов {clicks} · регистраций {registrations} · "
        "покупок {purchases}",
        "{title}\n{url}\ncreated {created} · clicks {clicks} · registrations {registrations} · "
        "purchases {purchases}",
    ),
    "link_personal": ("🔗 Личная ссылка", "🔗 Personal link"),
    "link_product": ("🛍 {name}", "🛍 {name}"),
    "ask_product_name": (
        "{intro}\n\nШаг 1 из 2: пришлите название товара.",
        "{intro}\n\nStep 1 of 2: send the product name.",
    ),
    "bad_product_name": ("Название — от 1 до 100 символов.", "The name must be 1 to 100 characters."),
    "bad_product_ref": (
        "Нужна ссылка вида https://www.ozon.ru/product/… или числовой SKU. Попробуйте ещё раз.",
        "Send a link like https://www.ozon.ru/product/… or a numeric SKU. Please try again.",
    ),
    "product_link_created": (
        "Ссылка на товар «{name}» готова:\n{url}",
        "Your link for “{name}” is ready:\n{url}",
    ),
    "balance": (
        "<b>Баланс: {total}</b>\n"
        "• доступно сейчас: {available}\n"
        "• заморожено (период возврата): {frozen}\n"
        "{breakdown}",
        "<b>Balance: {total}</b>\n"
        "• available now: {available}\n"
        "• frozen (return period): {frozen}\n"
        "{breakdown}",
    ),
    "balance_level": ("• за {level}-й уровень: {points}\n", "• for level {level}: {points}\n"),
    "referrals_title": ("<b>Ваши рефералы</b>", "<b>Your referrals</b>"),
    "referrals_level1": ("<b>1-й уровень: {count}</b>", "<b>Level 1: {count}</b>"),
    "referrals_item": (
        "• {who} — с {joined}; {orders} на {amount} ₽; последний {last}",
        "• {who} — since {joined}; {orders}, {amount} RUB; last {last}",
    ),
    "referrals_more": ("… и ещё {count}", "… and {count} more"),
    "referrals_none": ("Пока никого — поделитесь своей ссылкой!", "Nobody yet — share your link!"),
    "referrals_level": (
        "<b>{level}-й уровень: {count}</b> · {orders} на {amount} ₽ · последний {last}",
        "<b>Level {level}: {count}</b> · {orders}, {amount} RUB · last {last}",
    ),
    "ask_order_number": (
        "Пришлите номер заказа Ozon (например 12345678-0001 или 12345678-0001-1).",
        "Send the Ozon order number (for example 12345678-0001 or 12345678-0001-1).",
    ),
    "bad_order_number": (
        "Номер заказа — цифры и дефисы, например 12345678-0001-1. Попробуйте ещё раз.",
        "An order number is digits and dashes, for example 12345678-0001-1. Please try again.",
    ),
    "order_not_found": (
        "Заказ {number} не найден среди заказов наших товаров. Проверьте номер.",
        "Order {number} was not found among orders of our goods. Please check the number.",
    ),
    "order_lookup_unavailable": (
        "Сейчас не получается проверить заказ в Ozon. Попробуйте позже.",
        "The order cannot be checked with Ozon right now. Please try later.",
    ),
    "order_claimed": (
        "Заказ {number} от {created} на {amount} ₽ засчитан.\n{earn}",
        "Order {number} of {created}, {amount} RUB, is counted.\n{earn}",
    ),
    "order_earns": (
        "Вам начислено {points}; они заморожены до {release}, затем станут доступны.",
        "You earn {points}; they are frozen until {release}, then become available.",
    ),
    "order_earns_nothing": (
        "За собственные покупки баллы сейчас не начисляются, но заказ учтён в статистике, "
        "и баллы получат ваши пригласившие.",
        "Own purchases earn no points at the moment, but the order counts in the statistics "
        "and earns points for your sponsors.",
    ),
    "order_duplicate": ("Этот заказ уже засчитан вам.", "This order is already counted for you."),
    "withdraw_too_little": (
        "Минимум для вывода — {minimum}. Сейчас доступно: {available}.",
        "The minimum to withdraw is {minimum}. Available now: {available}.",
    ),
    "withdraw_ask_amount": (
        "{instruction}\n\nДоступно: <b>{available}</b> (минимум {minimum}{maximum}). Сколько баллов вывести?",
        "{instruction}\n\nAvailable: <b>{available}</b> (minimum {minimum}{maximum}). How many points?",
    ),
    "withdraw_maximum": (", максимум {maximum}", ", maximum {maximum}"),
    "withdraw_bad_amount": (
        "Укажите целое число баллов, например 500.",
        "Send a whole number of points, for example 500.",
    ),
    "withdraw_below_min": (
        "Минимальная сумма вывода — {minimum}.",
        "The minimum is {minimum}.",
    ),
    "withdraw_above_max": (
        "Максимальная сумма вывода — {maximum}.",
        "The maximum is {maximum}.",
    ),
    "withdraw_above_available": (
        "Столько нет: доступно {available}.",
        "That is more than you have: {available} available.",
    ),
    # refusals of the domain, by their reason (see REFUSALS)
    "participant_blocked": (
        "Ваше участие в программе приостановлено, поэтому это сейчас недоступно. Напишите в поддержку: /help",
        "Your participation in the program is suspended, so this is not available. Contact support: /help",
    ),
    "order_cancelled": (
        "Этот заказ отменён, баллы за него не начисляются.",
        "That order was cancelled, so it earns no points.",
    ),
    "order_taken": (
        "Этот заказ уже засчитан другому участнику.",
        "That order already counts for another participant.",
    ),
    "order_other_account": (
        "Этот заказ оформлен с другого аккаунта Ozon.",
        "That order was placed from a different Ozon account.",
    ),
    "order_before_registration": (
        "Заказ сделан до вашей регистрации в программе, поэтому не учитывается.",
        "That order was placed before you joined the program, so it does not count.",
    ),
    "too_many_links": (
        "У вас уже наибольшее возможное число ссылок — новую создать нельзя.",
        "You already have as many links as allowed, so no new one can be created.",
    ),
    "busy_retry": (
        "Не получилось из-за одновременных изменений. Пожалуйста, попробуйте ещё раз.",
        "That did not work because of changes made at the same moment. Please try again.",
    ),
    "refused": (
        "Это сейчас невозможно. Если нужна помощь, напишите в поддержку: /help",
        "That is not possible right now. If you need help, contact support: /help",
    ),
    "withdraw_confirm": (
        "Вывести <b>{points}</b> = <b>{fiat} ₽</b> (курс {rate} ₽ за балл)?\n"
        "После подтверждения баллы будут зарезервированы, а оператор свяжется с вами здесь.",
        "Withdraw <b>{points}</b> = <b>{fiat} RUB</b> (rate {rate} RUB per point)?\n"
        "After you confirm, the points are reserved and an operator will contact you here.",
    ),
    "withdraw_requested": (
        "✅ Заявка на вывод принята: {points} ({fiat} ₽), номер {id}. Оператор напишет вам в этом чате.",
        "✅ Your withdrawal request is open: {points} ({fiat} RUB), number {id}. "
        "An operator will write to you in this chat.",
    ),
    "withdraw_cancelled": ("Вывод отменён.", "Withdrawal cancelled."),
    "stale_button": ("Эта кнопка уже неактуальна.", "This button is no longer active."),
    "notifications": (
        "<b>Дайджест</b>: баллы за период, рост сети и покупки рефералов.\nСейчас: <b>{current}</b>.\n\n"
        "О новых рефералах, начислениях, разморозке и заявках на вывод бот сообщает сразу.",
        "<b>Digest</b>: points of the period, network growth and referrals' purchases.\n"
        "Now: <b>{current}</b>.\n\n"
        "New referrals, accruals, released points and withdrawal updates are announced at once.",
    ),
    "digest_daily": ("ежедневно", "daily"),
    "digest_weekly": ("еженедельно", "weekly"),
    "digest_off": ("выключен", "off"),
    "help": (
        "<b>Помощь</b>\n"
        "Напишите свой вопрос одним или несколькими сообщениями прямо сюда — "
        "оператор ответит в этом чате.\n\n"
        "Команды: /link — моя ссылка, /links — мои ссылки, /newlink — ссылка на товар или именная ссылка, "
        "/balance — баланс, "
        "/referrals — рефералы, /claim — засчитать покупку, /withdraw — вывод, /notifications — уведомления, "
        "/cancel — отменить действие.\n\n{promo}",
        "<b>Help</b>\n"
        "Write your question here in one or more messages — an operator will answer in this chat.\n\n"
        "Commands: /link — my link, /links — my links, /newlink — product or named link, /balance — balance, "
        "/referrals — referrals, /claim — claim a purchase, /withdraw — withdraw, /notifications — "
        "notifications, /cancel — cancel the current action.\n\n{promo}",
    ),
    "cancelled": ("Действие отменено.", "Cancelled."),
    "relayed": ("✉️ Передано оператору. Ответ придёт сюда.", "✉️ Sent to an operator. The answer comes here."),
    "relay_failed": (
        "⚠️ Сейчас не получается передать сообщение оператору. Пожалуйста, повторите его чуть позже.",
        "⚠️ Your message cannot be passed to an operator right now. Please send it again a little later.",
    ),
    "text_only": (
        "Пожалуйста, отправьте текстовое сообщение.",
        "Please send a text message.",
    ),
    "use_menu": ("Выберите действие в меню ниже.", "Choose an action in the menu below."),
    "apology": (
        "Извините, что-то пошло не так. Попробуйте ещё раз чуть позже.",
        "Sorry, something went wrong. Please try again a little later.",
    ),
    "operator_says": ("💬 <b>Оператор:</b>\n{text}", "💬 <b>Operator:</b>\n{text}"),
    "operator_mark": ("💬 <b>Оператор</b>", "💬 <b>Operator</b>"),
    # notifications
    "n_new_referral": ("🎉 У вас новый реферал: {who}.", "🎉 You have a new referral: {who}."),
    "n_accrued_own": (
        "💰 +{points} за вашу покупку (заказ {posting}). Заморожены до {release}.",
        "💰 +{points} for your purchase (order {posting}). Frozen until {release}.",
    ),
    "n_accrued": (
        "💰 +{points} за покупку реферала {level}-го уровня (заказ {posting}). Заморожены до {release}.",
        "💰 +{points} for a level {level} referral's purchase (order {posting}). Frozen until {release}.",
    ),
    "n_released": (
        "✅ Разморожено и доступно к выводу: {points} (заказ {posting}).",
        "✅ Released and ready to withdraw: {points} (order {posting}).",
    ),
    "n_reversed": (
        "↩️ Списано {points}: заказ {posting} {what}.",
        "↩️ Taken back: {points}, order {posting} {what}.",
    ),
    "n_reversed_cancelled": ("отменён", "was cancelled"),
    "n_reversed_returned": ("возвращён (полностью или частично)", "was returned (fully or partly)"),
    "n_wd_negotiation": (
        "💬 Заявка на вывод {number} ({points}) в работе: оператор согласует с вами способ выплаты.",
        "💬 Your withdrawal {number} ({points}) is in progress: an operator will agree the payout with you.",
    ),
    "n_wd_paid": (
        "✅ Заявка {number}: выплачено {fiat} ₽ за {points}. "
        "Осталось: доступно {available}, заморожено {frozen}.",
        "✅ Request {number}: paid {fiat} RUB for {points}. Left: {available} available, {frozen} frozen.",
    ),
    "n_wd_rejected": (
        "❌ Заявка на вывод {number} ({points}) отклонена. Причина: {reason}. Баллы вернулись на баланс.",
        "❌ Your withdrawal {number} ({points}) was rejected. Reason: {reason}. The points are back.",
    ),
    "n_wd_cancelled": (
        "Заявка на вывод {number} ({points}) отменена, баллы вернулись на баланс.",
        "Your withdrawal {number} ({points}) was cancelled; the points are back on your balance.",
    ),
    "digest": (
        "<b>Дайджест за {period}</b>\n• начислено баллов: {accrued}\n• новых участников в сети: {grown}\n"
        "• покупок рефералов: {orders} на {amount} ₽\nБаланс: {balance} (доступно {available}).",
        "<b>Your {period} digest</b>\n• points earned: {accrued}\n• new members in your network: {grown}\n"
        "• referrals' purchases: {orders}, {amount} RUB\nBalance: {balance} ({available} available).",
    ),
    "period_daily": ("день", "daily"),
    "period_weekly": ("неделю", "weekly"),
    **PARTICIPANT_PHRASES,
}


def t(key: str, lang: str, **values: Any) -> Html:
    """A phrase in ``lang`` with ``values`` escaped (``Html`` values are inserted as they are)."""
    ru, en = PHRASES[key]
    template = en if lang == EN else ru
    return Html(template.format(**{name: esc(value) for name, value in values.items()}))


REFUSALS = {
    "participant_blocked": "participant_blocked",
    "not_registered": "register_first",
    "busy_retry": "busy_retry",
    "already_registered": "already_registered",
    "ozon_id_format": "bad_ozon_id",
    "ozon_id_taken": "ozon_id_taken",
    "order_cancelled": "order_cancelled",
    "order_already_yours": "order_duplicate",
    "order_taken": "order_taken",
    "order_other_account": "order_other_account",
    "order_before_registration": "order_before_registration",
    "amount_not_positive": "withdraw_bad_amount",
    "below_min_withdrawal": "withdraw_below_min",
    "above_max_withdrawal": "withdraw_above_max",
    "insufficient_funds": "withdraw_above_available",
    "product_name_length": "bad_product_name",
    "product_ref_invalid": "bad_product_ref",
    "too_many_links": "too_many_links",
}
"""The phrase for each stable ``reason`` of a domain refusal (``referral.errors``)."""


def refusal(reason: str, lang: str, **values: Any) -> Html:
    """A domain refusal in the user's language, by its reason; an unknown reason gets a polite general
    phrase, never the domain's English message. ``values`` fill the phrase (minimum, maximum, available)."""
    return t(REFUSALS.get(reason, "refused"), lang, **values)


# Operators read Russian: what the bot writes into the operators' topics.
TOPIC_PARTICIPANT = "👤 <b>Участник</b> {who}:\n{text}"
TOPIC_PARTICIPANT_MEDIA = "👤 <b>Участник</b> {who}"
TOPIC_WITHDRAWAL = (
    "💸 <b>Заявка на вывод</b> {id}\nУчастник: {who}\nБаллы: <b>{points}</b>\nСумма: <b>{fiat} ₽</b> "
    "(курс {rate})\nОсталось доступно: {available}, заморожено: {frozen}\nСоздана: {created}"
)
TOPIC_UNDELIVERED = "⚠️ Не доставлено: участник заблокировал бота."
TOPIC_NOT_DELIVERED = "⚠️ Не доставлено участнику: {reason}"
TOPIC_UNSUPPORTED = (
    "⚠️ Участнику пересылаются текст, фото, документы, видео, аудио, голосовые сообщения и стикеры; "
    "это сообщение не передано."
)


def topic(template: str, **values: Any) -> Html:
    return Html(template.format(**{name: esc(value) for name, value in values.items()}))


def full_name(profile: TelegramProfile) -> str | None:
    """First and last name as the user gave them to Telegram; None when they gave neither."""
    return " ".join(part for part in (profile.first_name, profile.last_name) if part) or None


def who(user_id: str, name: str | None, username: str | None) -> Html:
    """How a participant is shown: name, @username and id, all escaped."""
    parts = [esc(name)] if name else []
    if username:
        parts.append(esc(f"@{username}"))
    parts.append(Html(f"id {esc(user_id)}"))
    return Html(", ".join(parts))


def who_short(name: str | None, username: str | None) -> Html:
    """A referral as other participants see them: name and @username, never ids."""
    parts = [esc(name)] if name else []
    if username:
        parts.append(esc(f"@{username}"))
    return Html(" ".join(parts) or "—")
