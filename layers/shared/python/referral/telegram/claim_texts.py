"""The bot's phrases of order claims that need proof or an operator's approval (Russian, English)."""

from __future__ import annotations

from typing import Any

from referral.telegram.texts import EN, Html, esc

CLAIM_PHRASES: dict[str, tuple[str, str]] = {
    "claim_ask_price": (
        "Чтобы подтвердить, что заказ ваш, пришлите цену одного из товаров заказа — как она указана "
        "в заказе в приложении Ozon (например 1390 или 1390,50).",
        "To confirm the order is yours, send the price of one of its items as your order in the Ozon app "
        "shows it (for example 1390 or 1390.50).",
    ),
    "claim_bad_price": (
        "Пришлите цену числом, например 1390 или 1390,50.",
        "Send the price as a number, for example 1390 or 1390.50.",
    ),
    "claim_price_mismatch": (
        "Цена не совпадает ни с одним товаром этого заказа, заказ не засчитан. Проверьте цену в заказе "
        "в приложении Ozon и попробуйте снова через «🧾 Моя покупка».",
        "The price matches none of this order's items, so the order is not counted. Check the price in "
        "your order in the Ozon app and try again with “🧾 My purchase”.",
    ),
    "claim_attempts_exhausted": (
        "Слишком много попыток подтвердить заказ. Попробуйте снова после {retry}.",
        "Too many attempts to confirm the order. Please try again after {retry}.",
    ),
    "claim_held": (
        "Заказ {number} от {created} на {amount} ₽ принят и отправлен на проверку оператору. "
        "Баллы будут начислены после подтверждения — мы сообщим.",
        "Order {number} of {created}, {amount} RUB, is accepted and sent to an operator for review. "
        "Points are accrued once it is approved; we will let you know.",
    ),
    "claim_rejected": (
        "Ваша заявка на этот заказ была отклонена оператором. Причина: {reason}",
        "Your claim of this order was rejected by an operator. Reason: {reason}",
    ),
    "claim_exists": (
        "Этот заказ уже на проверке у оператора.",
        "This order is already being reviewed by an operator.",
    ),
    "n_claim_approved": (
        "✅ Оператор подтвердил заказ {posting}: он засчитан вам.",
        "✅ An operator approved order {posting}: it counts for you now.",
    ),
    "n_claim_rejected": (
        "❌ Оператор отклонил заявку на заказ {posting}. Причина: {reason}",
        "❌ An operator rejected your claim of order {posting}. Reason: {reason}",
    ),
}


def ct(key: str, lang: str, **values: Any) -> Html:
    """A claims phrase in ``lang`` with ``values`` escaped (``Html`` values are inserted as they are)."""
    ru, en = CLAIM_PHRASES[key]
    template = en if lang == EN else ru
    return Html(template.format(**{name: esc(value) for name, value in values.items()}))


def decision_notice(kind: str, payload: dict[str, Any], lang: str) -> Html:
    """The participant's message about an operator's decision on their claim."""
    if kind == "claim_approved":
        return ct("n_claim_approved", lang, posting=payload["posting_number"])
    return ct(
        "n_claim_rejected", lang, posting=payload["posting_number"], reason=payload.get("reason") or "—"
    )
