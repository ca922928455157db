"""The operators' web app end to end: a real browser against the local runner with its demo network.

Demo (devtools/demo.py): 5001 Анна → 5002 Борис → 5003 Вера → 5004 Глеб, one order each, points frozen.
The local admin is 100 (owner), logged in with the local login.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from devtools.local_run import LOCAL_BOT_TOKEN
from devtools.telegram_updates import LocalUser
from tests.e2e.conftest import PHONE, LocalSystem, check_accessibility, screenshot

pytestmark = pytest.mark.e2e

ADMIN_ID = "100"


def log_in(page: Page, app_url: str, route: str = "participants") -> None:
    page.goto(f"{app_url}#/{route}")
    expect(page.get_by_role("heading", name="Вход для операторов")).to_be_visible()
    page.get_by_label("Telegram ID").fill(ADMIN_ID)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("navigation", name="Разделы")).to_be_visible()


def open_screen(page: Page, app_url: str, route: str, heading: str) -> None:
    page.goto(f"{app_url}#/{route}")
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    expect(page.locator("[aria-busy=true]")).to_have_count(0)


def table_rows(page: Page, scope: str = "main") -> list[dict[str, str]]:
    """The first data table under ``scope`` as {column key: cell text} per row."""
    return list(
        page.locator(scope)
        .locator("table.data")
        .first.evaluate(
            """table => [...table.tBodies[0].rows]
                .filter(row => !row.querySelector("td.empty"))
                .map(row => Object.fromEntries(
                    [...row.cells].map(c => [c.dataset.col, c.innerText.trim()])))"""
        )
    )


def number(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text.split("\n")[0]) or "0")


def wait_for_calls(system: LocalSystem, chat_id: int, after: int, pattern: str) -> list[str]:
    """The texts the fake Bot API got for ``chat_id`` since ``after``, once one matches ``pattern``."""
    deadline = time.monotonic() + 15
    texts: list[str] = []
    while time.monotonic() < deadline:
        calls, _ = system.telegram_calls(chat_id, after)
        texts = [re.sub(r"<[^>]+>", "", str(c["params"].get("text", ""))) for c in calls]
        if any(re.search(pattern, text) for text in texts):
            return texts
        time.sleep(0.3)
    raise AssertionError(f"no message matching {pattern!r} to {chat_id}; got {texts}")


def test_login_screen_offers_the_local_login_and_refuses_a_stranger(
    page: Page, local_system: LocalSystem
) -> None:
    page.goto(local_system.app_url)

    expect(page.get_by_role("heading", name="Вход для операторов")).to_be_visible()
    expect(page.get_by_label("Telegram ID")).to_have_value("100")
    check_accessibility(page, "login")
    screenshot(page, "desktop-login")

    page.get_by_label("Telegram ID").fill("777")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("alert")).to_contain_text("not an active admin")

    page.get_by_label("Telegram ID").fill(ADMIN_ID)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", level=1, name="Участники")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("владелец")
    expect(page.get_by_role("link", name="Участники")).to_have_attribute("aria-current", "page")

    page.get_by_role("button", name="Выйти").click()
    expect(page.get_by_role("heading", name="Вход для операторов")).to_be_visible()


def test_the_telegram_widgets_redirect_logs_in_with_the_signed_data(
    page: Page, local_system: LocalSystem
) -> None:
    """The widget sends the browser back to ``data-auth-url`` with the signed user: the production login."""
    fields = {
        "id": ADMIN_ID,
        "first_name": "Owner",
        "username": "owner_local",
        "auth_date": str(int(time.time())),
    }
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret_key = hashlib.sha256(LOCAL_BOT_TOKEN.encode()).digest()
    signed = {**fields, "hash": hmac.new(secret_key, check.encode(), hashlib.sha256).hexdigest()}

    page.goto(f"{local_system.app_url}?{urlencode({**signed, 'hash': '0' * 64})}")
    expect(page.get_by_role("heading", name="Вход для операторов")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="signature")).to_have_count(1)

    page.goto(f"{local_system.app_url}?{urlencode(signed)}")
    expect(page.get_by_role("heading", level=1, name="Участники")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("владелец")
    assert "hash=" not in page.url, "the signed data must not stay in the address bar"


def test_a_participant_is_found_by_sorting_and_filtering_the_table(
    page: Page, local_system: LocalSystem
) -> None:
    app = local_system.app_url
    log_in(page, app)
    expect(page.locator("table.data tbody tr")).to_have_count(4)

    # sort by balance: largest first, then the other way round
    page.locator("button[data-sort=balance]").click()
    expect(page.locator("th[aria-sort=descending] button[data-sort=balance]")).to_be_visible()
    balances = [number(r["balance"]) for r in table_rows(page)]
    assert balances == sorted(balances, reverse=True) and len(balances) == 4
    page.locator("button[data-sort=balance]").click()
    expect(page.locator("th[aria-sort=ascending] button[data-sort=balance]")).to_be_visible()
    balances = [number(r["balance"]) for r in table_rows(page)]
    assert balances == sorted(balances)

    # filters: exactly one direct referral and purchases of at least 1800 RUB → Анна, Борис, Вера
    page.get_by_text("Фильтры", exact=True).click()
    page.locator("input[name=referrals_min]").fill("1")
    page.locator("input[name=referrals_max]").fill("1")
    page.locator("input[name=purchases_min]").fill("1800")
    page.get_by_role("button", name="Применить").click()
    expect(page).to_have_url(re.compile(r"purchases_min=1800"))
    expect(page.locator("table.data tbody tr")).to_have_count(3)

    # the smallest purchases first: Борис (1890 RUB), the largest last: Вера (3200 RUB)
    page.locator("button[data-sort=purchases_sum]").click()
    expect(page.locator("th[aria-sort=descending] button[data-sort=purchases_sum]")).to_be_visible()
    page.locator("button[data-sort=purchases_sum]").click()
    expect(page.locator("th[aria-sort=ascending] button[data-sort=purchases_sum]")).to_be_visible()
    names = [r["name"].split()[0] for r in table_rows(page)]
    assert names == ["Борис", "Анна", "Вера"], names

    # the Ozon ID finds exactly one participant
    page.get_by_label("Искать по").select_option("ozon_id")
    page.get_by_label("Что искать").fill("500000003")
    page.get_by_role("button", name="Найти").click()
    expect(page).to_have_url(re.compile(r"ozon_id=500000003"))
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    assert table_rows(page)[0]["id"] == "5003"

    # and the name search narrows it to one
    page.get_by_label("Искать по").select_option("name")
    page.get_by_label("Что искать").fill("Бор")
    page.get_by_role("button", name="Найти").click()
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Борис").click()
    expect(page.get_by_role("heading", level=1, name="Борис")).to_be_visible()
    expect(page.locator("[data-stat=balance] .stat-value")).not_to_have_text("0")


def test_a_balance_correction_appears_in_the_ledger_and_the_journal(
    page: Page, local_system: LocalSystem
) -> None:
    app = local_system.app_url
    log_in(page, app, "participants/5002")
    expect(page.get_by_role("heading", level=1, name="Борис")).to_be_visible()
    available_before = number(page.locator("[data-stat=available] .stat-value").inner_text())
    form = page.locator("form", has=page.get_by_role("heading", name="Корректировка баланса"))

    # the reason is required: the API's validation message lands next to the field
    form.get_by_label("Изменение доступных баллов").fill("250")
    form.get_by_label("Изменение всего баланса").fill("250")
    form.get_by_role("button", name="Провести корректировку").click()
    expect(form.get_by_role("alert")).to_be_visible()
    expect(form.get_by_label("Причина")).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".field-error:visible")).to_have_count(1)

    form.get_by_label("Причина").fill("Бонус за отзыв")
    form.get_by_role("button", name="Провести корректировку").click()
    expect(page.get_by_role("status").filter(has_text="Корректировка проведена")).to_be_visible()
    expect(page.locator("[data-stat=available] .stat-value")).to_have_text(
        re.compile(rf"^{available_before + 250}$")
    )

    ledger = table_rows(page, "#ledger")
    assert ledger[0]["kind"] == "Корректировка" and ledger[0]["reason"] == "Бонус за отзыв", ledger[0]
    assert ledger[0]["d_available"] == "+250" and ledger[0]["actor_id"] == ADMIN_ID
    audit = table_rows(page, "#audit")
    assert audit[0]["action"] == "Корректировка баланса" and audit[0]["reason"] == "Бонус за отзыв", audit

    # the journal record shows each attribute's old and new value
    page.locator("#audit table a").first.click()
    expect(page.get_by_role("heading", level=1, name="Корректировка баланса")).to_be_visible()
    changes = table_rows(page, "#changes")
    assert changes, "the journal record lists its changed attributes"
    assert any(c["old"] != c["new"] for c in changes), changes
    check_accessibility(page, "journal record")
    screenshot(page, "desktop-journal-record")

    # the global ledger lists it too, filtered by operation
    open_screen(page, app, "ledger?kind=correction", "Движение баллов")
    rows = table_rows(page)
    assert rows and rows[0]["participant_id"] == "5002" and rows[0]["kind"] == "Корректировка", rows


def test_the_referral_tree_opens_level_by_level_from_the_keyboard(
    page: Page, local_system: LocalSystem
) -> None:
    log_in(page, local_system.app_url, "participants/5001")
    expect(page.get_by_role("heading", level=1, name="Анна")).to_be_visible()
    tree = page.locator("#tree")
    expect(tree.get_by_role("link", name="Борис (5002)")).to_be_visible()

    toggle = tree.get_by_role("button", name="Рефералы участника Борис")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(tree.get_by_role("link", name="Вера (5003)")).to_be_visible()
    tree.get_by_role("button", name="Рефералы участника Вера").press("Space")
    expect(tree.get_by_role("link", name="Глеб (5004)")).to_be_visible()

    tree.get_by_label("Уровень").select_option("3")
    expect(tree.get_by_role("link", name="Глеб (5004)")).to_be_visible()
    expect(tree.get_by_role("link", name="Борис (5002)")).to_have_count(0)


def test_a_withdrawal_requested_in_the_bot_is_paid_in_the_app_and_the_participant_is_told(
    page: Page, local_system: LocalSystem
) -> None:
    app = local_system.app_url
    vera = LocalUser(5003, "Вера")

    # the operator gives Вера available points first
    log_in(page, app, "participants/5003")
    form = page.locator("form", has=page.get_by_role("heading", name="Корректировка баланса"))
    form.get_by_label("Изменение доступных баллов").fill("400")
    form.get_by_label("Изменение всего баланса").fill("400")
    form.get_by_label("Причина").fill("Перенос баллов со старого аккаунта")
    form.get_by_role("button", name="Провести корректировку").click()
    expect(page.get_by_role("status").filter(has_text="Корректировка проведена")).to_be_visible()

    # Вера asks the bot for 300 points and confirms with the inline button
    _, seen = local_system.telegram_calls(vera.id)
    local_system.say(vera, "💸 Вывести баллы")
    local_system.say(vera, "300")
    calls, _ = local_system.telegram_calls(vera.id, seen)
    markups = [call["params"].get("reply_markup") or {} for call in calls]
    buttons = [
        button
        for markup in markups
        for row in (json.loads(markup) if isinstance(markup, str) else markup).get("inline_keyboard", [])
        for button in row
        if str(button.get("callback_data", "")).startswith("wd:ok:")
    ]
    assert buttons, f"the bot offered no confirmation: {calls}"
    local_system.press(vera, buttons[-1]["callback_data"], 1)
    texts = wait_for_calls(local_system, vera.id, seen, r"Заявка на вывод 300 баллов")
    [withdrawal_id] = re.findall(r"номер (\S+)\. Оператор", " ".join(texts))

    # the header's badge counts it as new on every screen
    page.reload()
    badge = page.locator("#new-badge")
    expect(badge).to_be_visible()
    assert int(badge.get_attribute("data-count") or "0") >= 1

    # the queue, newest first, filtered to new requests
    page.get_by_role("link", name=re.compile("Заявки на вывод")).click()
    expect(page.get_by_role("heading", level=1, name="Заявки на вывод")).to_be_visible()
    page.get_by_role("group", name="Статус заявки").get_by_role("button", name="новая").click()
    expect(page).to_have_url(re.compile(r"status=new"))
    expect(page.get_by_role("link", name=withdrawal_id)).to_be_visible()
    page.get_by_role("link", name=withdrawal_id).click()
    expect(page.get_by_role("heading", level=1, name=f"Заявка {withdrawal_id}")).to_be_visible()
    expect(page.locator("#withdrawal-status")).to_have_attribute("data-status", "new")
    # from "new" an operator cannot mark it paid
    expect(page.get_by_role("button", name="Выплачено")).to_have_count(0)

    comments = page.locator("#comments")
    comments.get_by_role("textbox", name="Комментарий").fill("Договорились о переводе на карту")
    comments.get_by_role("button", name="Добавить").click()
    expect(comments.locator(".comments")).to_contain_text("Договорились о переводе на карту")

    page.get_by_role("button", name="Взять в работу (согласование)").click()
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.locator("#withdrawal-status")).to_have_attribute("data-status", "negotiation")
    expect(page.get_by_role("button", name="Взять в работу (согласование)")).to_have_count(0)
    expect(badge).to_be_hidden()  # no new request is left: the badge follows at once

    _, seen = local_system.telegram_calls(vera.id)
    page.get_by_role("button", name="Выплачено").click()
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.locator("#withdrawal-status")).to_have_attribute("data-status", "paid")
    expect(page.get_by_text("Заявка закрыта")).to_be_visible()
    check_accessibility(page, "withdrawal")
    screenshot(page, "desktop-withdrawal")
    history = [r["change"] for r in table_rows(page, "#history")]
    assert any("выплачена" in change for change in history), history

    # the participant is told (the outbox is delivered by its scheduled function)
    local_system.run("notify_outbox")
    wait_for_calls(local_system, vera.id, seen, r"Выплачено 300\.00 ₽ за 300 баллов")


def test_settings_show_the_servers_validation_and_save_a_good_value(
    page: Page, local_system: LocalSystem
) -> None:
    app = local_system.app_url
    log_in(page, app, "settings")
    expect(page.get_by_role("heading", level=1, name="Настройки")).to_be_visible()
    hold_days = page.get_by_label("Срок заморозки, дней")

    hold_days.fill("400")
    page.get_by_role("button", name="Сохранить настройки").click()
    alert = page.locator(".settings-form").get_by_role("alert")
    expect(alert).to_contain_text("hold_days")
    expect(hold_days).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".settings-form .field-error:visible")).to_contain_text("365")

    hold_days.fill("21")
    page.get_by_label("Причина изменения (для журнала)").fill("Короче срок возврата")
    page.get_by_role("button", name="Сохранить настройки").click()
    expect(page.get_by_role("status").filter(has_text="Настройки сохранены")).to_be_visible()
    expect(page.get_by_label("Срок заморозки, дней")).to_have_value("21")
    expect(page.get_by_label("Срок заморозки, дней")).not_to_have_attribute("aria-invalid", "true")

    open_screen(page, app, "journal?action=settings.update", "Журнал действий")
    rows = table_rows(page)
    assert rows and rows[0]["reason"] == "Короче срок возврата", rows


def test_the_interface_switches_to_english_and_remembers_it(page: Page, local_system: LocalSystem) -> None:
    app = local_system.app_url
    log_in(page, app)

    page.get_by_role("button", name="EN").click()
    expect(page.get_by_role("heading", level=1, name="Participants")).to_be_visible()
    nav = page.get_by_role("navigation", name="Sections")
    for label in ("Participants", "Withdrawals", "Action journal", "Points ledger", "Settings", "Statistics"):
        expect(nav.get_by_role("link", name=re.compile(f"^{label}"))).to_be_visible()
    expect(page.locator("button[data-sort=balance]")).to_contain_text("Balance")
    assert page.evaluate("document.documentElement.lang") == "en"

    page.reload()
    expect(page.get_by_role("heading", level=1, name="Participants")).to_be_visible()
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_label("Hold period, days")).to_be_visible()
    page.get_by_role("button", name="RU").click()
    expect(page.get_by_label("Срок заморозки, дней")).to_be_visible()


SCREENS = [
    ("participants", "Участники"),
    ("participants/5001", "Анна"),
    ("withdrawals", "Заявки на вывод"),
    ("journal", "Журнал действий"),
    ("ledger", "Движение баллов"),
    ("settings", "Настройки"),
    ("statistics", "Статистика"),
]


def test_the_main_screens_are_accessible_on_a_laptop_and_a_phone(
    page: Page, local_system: LocalSystem
) -> None:
    app = local_system.app_url
    log_in(page, app)
    for route, heading in SCREENS:
        open_screen(page, app, route, heading)
        if route == "statistics":
            page.get_by_role("button", name="Пересчитать сейчас").click()
            expect(page.get_by_role("status").filter(has_text="Пересчитаны месяцы")).to_be_visible()
            expect(page.locator("figure.metric svg")).to_have_count(18)
        check_accessibility(page, route)
        screenshot(page, "desktop-" + route.replace("/", "-"))

    page.set_viewport_size(PHONE)
    for route, heading in SCREENS[:3]:
        open_screen(page, app, route, heading)
        # the page itself never scrolls sideways; wide tables scroll inside their own box
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), route
        if route == "participants":
            assert page.locator(".table-wrap").first.evaluate("el => el.scrollWidth > el.clientWidth")
        check_accessibility(page, f"{route} (phone)")
        screenshot(page, "phone-" + route.replace("/", "-"))
