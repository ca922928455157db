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
from playwright.sync_api import Locator, Page, Request, Route, expect

from devtools.local_run import LOCAL_BOT_TOKEN
from devtools.telegram_updates import LocalUser
from tests.e2e.conftest import (
    ADMIN_ID,
    LocalSystem,
    check_accessibility,
    log_in,
    number,
    open_screen,
    screenshot,
    table_rows,
    wait_for_calls,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def correction_form(page: Page) -> Locator:
    return page.locator("form", has=page.get_by_role("heading", name="Корректировка баланса"))


def correct(page: Page, change: int, reason: str) -> Locator:
    """Fills the card's correction (available and total by ``change``) and submits it; the form."""
    form = correction_form(page)
    form.get_by_label("Изменение доступных баллов").fill(str(change))
    form.get_by_label("Изменение всего баланса").fill(str(change))
    form.get_by_label("Причина").fill(reason)
    form.get_by_role("button", name="Провести корректировку").click()
    return form


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
    expect(page.get_by_role("alert")).to_have_text(
        "Этот аккаунт Telegram не является активным администратором."
    )

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
    form = correction_form(page)

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
    assert ledger[0]["movement"] == "+250\nдост. +250" and ledger[0]["actor_id"].endswith(ADMIN_ID), ledger[0]
    audit = table_rows(page, "#audit")
    assert audit[0]["action"] == "Корректировка баланса" and audit[0]["reason"] == "Бонус за отзыв", audit

    # the journal record shows each attribute's old and new value
    page.locator("#audit table a").first.click()
    expect(page.get_by_role("heading", level=1, name="Корректировка баланса")).to_be_visible()
    changes = table_rows(page, "#changes")
    assert changes, "the journal record lists its changed attributes"
    assert any(c["old"] != c["new"] for c in changes), changes
    assert "Доступно, баллов" in [c["attribute"] for c in changes], changes  # attributes in words
    check_accessibility(page, "journal record")
    screenshot(page, "desktop-journal-record")

    # the global ledger lists it too, filtered by operation
    open_screen(page, app, "ledger?kind=correction", "Движение баллов")
    rows = table_rows(page)
    assert rows and rows[0]["participant_id"] == "Борис @boris_demo · ID 5002", (
        rows
    )  # the name, the id beside
    assert rows[0]["kind"] == "Корректировка", rows


def test_a_correction_that_would_make_a_balance_negative_is_refused_in_russian(
    page: Page, local_system: LocalSystem
) -> None:
    log_in(page, local_system.app_url, "participants/5004")
    expect(page.get_by_role("heading", level=1, name="Глеб")).to_be_visible()
    stats_before = page.locator(".stat-grid").first.inner_text()

    form = correct(page, -99999, "Списание по ошибке")

    alert = form.get_by_role("alert")
    expect(alert).to_contain_text("Корректировка сделала бы баланс отрицательным.")
    expect(alert).to_contain_text("Сейчас доступно")
    expect(alert).not_to_contain_text("negative")
    check_accessibility(page, "card with a refused correction")
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Глеб")).to_be_visible()
    assert page.locator(".stat-grid").first.inner_text() == stats_before


def test_a_correction_retried_after_a_lost_answer_is_applied_once_and_said_so(
    page: Page, local_system: LocalSystem
) -> None:
    """The answer to the first submission is lost; sending the same form again must not correct twice."""
    log_in(page, local_system.app_url, "participants/5001")
    expect(page.get_by_role("heading", level=1, name="Анна")).to_be_visible()
    available_before = number(page.locator("[data-stat=available] .stat-value").inner_text())
    sent: list[dict[str, object]] = []

    def lose_the_first_answer(route: Route, request: Request) -> None:
        sent.append(json.loads(request.post_data or "{}"))
        if len(sent) == 1:
            route.fetch()  # the server applies it...
            route.abort()  # ...but the browser never hears back
        else:
            route.continue_()

    page.route("**/admin/participants/5001/balance-corrections", lose_the_first_answer)
    form = correct(page, 70, "Компенсация доставки")
    expect(form.get_by_role("alert")).to_contain_text("Сервер недоступен")

    form.get_by_role("button", name="Провести корректировку").click()
    expect(page.get_by_role("status").filter(has_text="уже была проведена")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Корректировка проведена")).to_have_count(0)
    expect(page.locator("[data-stat=available] .stat-value")).to_have_text(
        re.compile(rf"^{available_before + 70}$")
    )
    assert sent[0]["idempotency_key"] == sent[1]["idempotency_key"], sent

    # the next correction is a new one: a new key, applied
    correct(page, -70, "Компенсация доставки отменена")
    expect(page.get_by_role("status").filter(has_text="Корректировка проведена")).to_be_visible()
    expect(page.locator("[data-stat=available] .stat-value")).to_have_text(
        re.compile(rf"^{available_before}$")
    )
    assert len(sent) == 3 and sent[2]["idempotency_key"] != sent[0]["idempotency_key"], sent


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
    correct(page, 400, "Перенос баллов со старого аккаунта")
    expect(page.get_by_role("status").filter(has_text="Корректировка проведена")).to_be_visible()

    # Вера asks the bot for 300 points and confirms with the inline button
    withdrawal_id = local_system.ask_withdrawal(vera, 300)

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
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Заявка W-\d+$"))).to_be_visible()
    expect(page.locator("#withdrawal-status")).to_have_attribute("data-status", "new")
    # from "new" an operator cannot mark it paid
    expect(page.get_by_role("button", name="Выплачено")).to_have_count(0)
    check_accessibility(page, "withdrawal with its status buttons")

    # rejecting asks for the reason the participant will see; without it the server's refusal is in Russian
    page.get_by_role("button", name="Отклонить").click()
    confirm = page.locator(".confirm-box")
    expect(confirm).to_contain_text("Участнику вернётся 300 баллов.")
    confirm.get_by_role("button", name="Подтвердить").click()
    expect(confirm.get_by_role("alert")).to_contain_text("Укажите причину отклонения — её увидит участник.")
    expect(confirm.get_by_label("Причина (её увидит участник)")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, "withdrawal with the reject confirmation and its error")
    screenshot(page, "desktop-withdrawal-reject")
    confirm.get_by_role("button", name="Отмена").click()
    expect(page.locator("#withdrawal-status")).to_have_attribute("data-status", "new")

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
    page.get_by_label("Номер платежа").fill("PP-1")
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.locator("#withdrawal-status")).to_have_attribute("data-status", "paid")
    expect(page.get_by_text("Заявка закрыта")).to_be_visible()
    check_accessibility(page, "withdrawal")
    screenshot(page, "desktop-withdrawal")
    history = [r["change"] for r in table_rows(page, "#history")]
    assert any("выплачена" in change for change in history), history

    # the participant is told (the outbox is delivered by its scheduled function)
    local_system.run("notify_outbox")
    wait_for_calls(local_system, vera.id, seen, r"Заявка W-\d+: выплачено 300\.00 ₽ за 300 баллов")

    # and the payout counts in the withdrawn rating, where nobody with nothing withdrawn is listed
    open_screen(page, app, "statistics", "Статистика")
    page.get_by_role("button", name="По выведенным баллам").click()
    expect(page.get_by_role("button", name="По выведенным баллам")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#ratings table.data")).to_contain_text("Вера (5003)")
    rating = table_rows(page, "#ratings")
    assert rating and all(number(r["value"]) > 0 for r in rating), rating


def test_the_withdrawals_queue_is_newest_first_and_can_be_reversed(
    page: Page, local_system: LocalSystem
) -> None:
    anna = LocalUser(5001, "Анна")
    local_system.give_points(5001, 350)
    first = local_system.ask_withdrawal(anna, 150)
    second = local_system.ask_withdrawal(anna, 200)
    try:
        log_in(page, local_system.app_url, "withdrawals?participant_id=5001")
        expect(page.get_by_role("heading", level=1, name="Заявки на вывод")).to_be_visible()
        ids = [r["id"] for r in table_rows(page)]
        assert ids.index(second) < ids.index(first), ids

        # a filter is on, so the filters are shown
        expect(page.locator("details.filter-box")).to_have_attribute("open", "")
        page.get_by_label("Порядок").select_option("asc")
        page.get_by_role("button", name="Применить").click()
        expect(page).to_have_url(re.compile(r"order=asc"))
        expect(page.locator("[aria-busy=true]")).to_have_count(0)
        ids = [r["id"] for r in table_rows(page)]
        assert ids.index(first) < ids.index(second), ids
    finally:
        for withdrawal_id in (first, second):
            local_system.admin_api("POST", f"/withdrawals/{withdrawal_id}/status", {"status": "cancelled"})


def test_settings_show_the_servers_validation_and_save_a_good_value(
    page: Page, local_system: LocalSystem
) -> None:
    app = local_system.app_url
    log_in(page, app, "settings")
    expect(page.get_by_role("heading", level=1, name="Настройки")).to_be_visible()
    hold_days = page.get_by_label("Срок заморозки, дней")

    hold_days.fill("400")
    page.get_by_label("Ставка 1-го уровня").fill("-5")
    page.get_by_role("button", name="Сохранить настройки").click()
    alert = page.locator(".settings-form").get_by_role("alert")
    expect(alert).to_contain_text("Срок заморозки, дней: Не больше 365.")
    expect(alert).to_contain_text("Ставка 1-го уровня: Не меньше 0.")
    expect(alert).not_to_contain_text("hold_days")
    expect(alert).not_to_contain_text("Input should")
    expect(hold_days).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".settings-form .field-error:visible")).to_have_text(
        ["Не меньше 0.", "Не больше 365."]
    )
    check_accessibility(page, "settings with validation errors")
    screenshot(page, "desktop-settings-errors")

    page.get_by_label("Ставка 1-го уровня").fill("50")

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
    # one order, one referral: the singular
    rows = {r["id"]: r for r in table_rows(page)}
    assert rows["5004"]["purchases_sum"].endswith("1 order"), rows["5004"]
    check_accessibility(page, "participants in English")

    page.reload()
    expect(page.get_by_role("heading", level=1, name="Participants")).to_be_visible()
    page.get_by_role("link", name="Settings").click()
    hold_days = page.get_by_label("Hold period, days")
    hold_days.fill("1000")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".settings-form").get_by_role("alert")).to_contain_text(
        "Hold period, days: At most 365."
    )
    check_accessibility(page, "settings in English with a validation error")

    open_screen(page, app, "participants/5001", "Анна")
    tree = page.locator("#tree")
    expect(tree).to_contain_text("1 referral ·")
    check_accessibility(page, "participant card in English")

    page.get_by_role("button", name="RU").click()
    open_screen(page, app, "settings", "Настройки")
    expect(page.get_by_label("Срок заморозки, дней")).to_be_visible()


def test_the_participants_list_pages_forward_and_back(page: Page, local_system: LocalSystem) -> None:
    log_in(page, local_system.app_url, "participants?sort=id&order=asc&limit=2")
    expect(page.get_by_role("heading", level=1, name="Участники")).to_be_visible()
    pager = page.get_by_role("navigation", name="Страницы: Участники")
    expect(page.locator("table.data tbody tr")).to_have_count(2)
    assert [r["id"] for r in table_rows(page)] == ["5001", "5002"]
    expect(pager.get_by_role("button", name="← Назад")).to_be_disabled()

    pager.get_by_role("button", name="Дальше →").click()
    expect(pager).to_contain_text("Страница 2")
    assert [r["id"] for r in table_rows(page)] == ["5003", "5004"]

    pager.get_by_role("button", name="← Назад").click()
    expect(pager).to_contain_text("Страница 1")
    assert [r["id"] for r in table_rows(page)] == ["5001", "5002"]
    expect(pager.get_by_role("button", name="← Назад")).to_be_disabled()


def test_a_sponsor_change_and_a_block_show_in_the_cards_audit_trail(
    page: Page, local_system: LocalSystem
) -> None:
    """Глеб moves under Борис and back, is blocked and unblocked; a cycle is refused in Russian."""
    log_in(page, local_system.app_url, "participants/5004")
    expect(page.get_by_role("heading", level=1, name="Глеб")).to_be_visible()

    def sponsor_form() -> Locator:
        return page.locator("form", has=page.get_by_role("heading", name="Пригласивший", exact=True))

    def sponsor() -> Locator:
        return page.locator(".prop", has=page.locator("dt", has_text="Пригласил")).locator("dd")

    sponsor_form().get_by_label("ID нового пригласившего").fill("5002")
    sponsor_form().get_by_label("Причина").fill("Перешёл к другому пригласившему")
    sponsor_form().get_by_role("button", name="Сменить пригласившего").click()
    expect(page.get_by_role("status").filter(has_text="Пригласивший изменён")).to_be_visible()
    expect(sponsor()).to_have_text("5002")
    audit = table_rows(page, "#audit")
    assert (
        audit[0]["action"] == "Смена пригласившего"
        and audit[0]["reason"] == "Перешёл к другому пригласившему"
    ), audit

    sponsor_form().get_by_label("ID нового пригласившего").fill("5003")
    sponsor_form().get_by_label("Причина").fill("Вернули как было")
    sponsor_form().get_by_role("button", name="Сменить пригласившего").click()
    expect(sponsor()).to_have_text("5003")

    block = page.locator("form", has=page.get_by_role("heading", name="Блокировка"))
    block.get_by_label("Причина").fill("Подозрение на накрутку")
    block.get_by_role("button", name="Заблокировать").click()
    expect(page.get_by_role("heading", level=1, name="Глеб")).to_be_visible()
    expect(page.locator(".page-head .status-blocked")).to_have_text("заблокирован")
    unblock = page.locator("form", has=page.get_by_role("heading", name="Разблокировка"))
    unblock.get_by_label("Причина").fill("Проверка пройдена")
    unblock.get_by_role("button", name="Разблокировать").click()
    expect(page.locator("form", has=page.get_by_role("heading", name="Блокировка"))).to_be_visible()
    expect(page.locator(".page-head .status-blocked")).to_have_count(0)

    audit = table_rows(page, "#audit")
    actions = [(r["action"], r["reason"]) for r in audit[:4]]
    assert actions == [
        ("Разблокировка участника", "Проверка пройдена"),
        ("Блокировка участника", "Подозрение на накрутку"),
        ("Смена пригласившего", "Вернули как было"),
        ("Смена пригласившего", "Перешёл к другому пригласившему"),
    ], actions

    # Анна under her own network's Глеб would be a cycle
    open_screen(page, local_system.app_url, "participants/5001", "Анна")
    sponsor_form().get_by_label("ID нового пригласившего").fill("5004")
    sponsor_form().get_by_label("Причина").fill("Ошибка")
    sponsor_form().get_by_role("button", name="Сменить пригласившего").click()
    expect(sponsor_form().get_by_role("alert")).to_have_text(
        "Новый пригласивший состоит в сети этого участника — получился бы цикл."
    )


def test_the_cards_ledger_filters_by_operation_and_direction(page: Page, local_system: LocalSystem) -> None:
    local_system.give_points(5002, 30)
    log_in(page, local_system.app_url, "participants/5002")
    ledger = page.locator("#ledger")
    expect(ledger.locator("table.data")).to_contain_text("Начисление")

    ledger.get_by_text("Фильтры движения баллов").click()
    ledger.get_by_label("Операция").select_option("correction")
    ledger.get_by_role("button", name="Применить").click()
    expect(ledger.locator("[aria-busy=true]")).to_have_count(0)
    rows = table_rows(page, "#ledger")
    assert rows and {r["kind"] for r in rows} == {"Корректировка"}, rows

    ledger.get_by_label("Операция").select_option("accrual")
    ledger.get_by_label("Уровень", exact=True).fill("1")
    ledger.get_by_role("button", name="Применить").click()
    expect(ledger.locator("[aria-busy=true]")).to_have_count(0)
    rows = table_rows(page, "#ledger")
    assert rows and all(r["kind"] == "Начисление" and "1-й уровень" in r["source"] for r in rows), rows
    assert "балл. за 1000 ₽" in rows[0]["source"], rows[0]

    ledger.get_by_label("Уровень", exact=True).fill("abc")
    ledger.get_by_role("button", name="Применить").click()
    expect(ledger.get_by_role("alert")).to_contain_text("Уровень: Введите целое число.")

    ledger.get_by_role("button", name="Сбросить").click()
    expect(ledger.get_by_label("Операция")).to_have_value("")
    expect(ledger.locator("[aria-busy=true]")).to_have_count(0)
    kinds = {r["kind"] for r in table_rows(page, "#ledger")}
    assert {"Начисление", "Корректировка"} <= kinds, kinds
