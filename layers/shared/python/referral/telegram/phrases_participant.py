"""The participant's phrases about their account: the balance breakdown, corrections, named links, blocking.

Merged into ``texts.PHRASES``; the same ``(ru, en)`` shape and escaping rules apply.
"""

from __future__ import annotations

PHRASES: dict[str, tuple[str, str]] = {
    "balance_breakdown": (
        "\n<b>Из чего складывается баланс</b>\n• за собственные покупки: {own}\n{levels}{deductions}",
        "\n<b>How your balance adds up</b>\n• for own purchases: {own}\n{levels}{deductions}",
    ),
    "balance_corrections": (
        "• корректировки оператора: {points}\n",
        "• operators' corrections: {points}\n",
    ),
    "balance_reserved": ("• в заявках на вывод: {reserved}\n", "• in withdrawal requests: {reserved}\n"),
    "balance_withdrawn": ("• выведено за всё время: {withdrawn}\n", "• withdrawn in total: {withdrawn}\n"),
    "referrals_level_empty": (
        "<b>{level}-й уровень: {count}</b> · {orders} на {amount} ₽",
        "<b>Level {level}: {count}</b> · {orders}, {amount} RUB",
    ),
    "n_corrected": (
        "✏️ Оператор изменил ваш баланс: {change}.\nБаланс: {balance} (доступно {available}).",
        "✏️ An operator changed your balance: {change}.\nBalance: {balance} ({available} available).",
    ),
    "n_corrected_reason": (
        "✏️ Оператор изменил ваш баланс: {change}.\nПричина: {reason}\n"
        "Баланс: {balance} (доступно {available}).",
        "✏️ An operator changed your balance: {change}.\nReason: {reason}\n"
        "Balance: {balance} ({available} available).",
    ),
    "correction_available": ("доступно {points}", "available {points}"),
    "correction_frozen": ("заморожено {points}", "frozen {points}"),
    "blocked_start": (
        "Ваше участие в программе приостановлено: новые баллы не начисляются, вывод недоступен. "
        "Если это ошибка, напишите сюда — сообщение получит оператор.",
        "Your participation in the program is suspended: no new points are earned and withdrawals are "
        "not available. If this is a mistake, write here — an operator will get your message.",
    ),
    "relayed_blocked": (
        "Ваше участие в программе приостановлено. Сообщение передано оператору, ответ придёт сюда.",
        "Your participation in the program is suspended. Your message was passed to an operator; "
        "the answer comes here.",
    ),
    "menu_back": ("Главное меню — на кнопках ниже.", "The main menu is on the buttons below."),
    "link_named": ("🏷 {name}", "🏷 {name}"),
    "btn_no_product": ("🔗 Без товара", "🔗 No product"),
    "ask_product_ref": (
        "Шаг 2 из 2: пришлите ссылку на товар Ozon (https://www.ozon.ru/product/…) или его SKU.\n"
        "Нужна просто именная ссылка-приглашение (например, «Instagram» или «Чат дома»)? "
        "Нажмите «🔗 Без товара».",
        "Step 2 of 2: send the Ozon product URL (https://www.ozon.ru/product/…) or its SKU.\n"
        "Want just a named invitation link (say, “Instagram” or “Building chat”)? Press “🔗 No product”.",
    ),
    "named_link_created": (
        "Ссылка «{name}» готова:\n{url}",
        "Your link “{name}” is ready:\n{url}",
    ),
}
