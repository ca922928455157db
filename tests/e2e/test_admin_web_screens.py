"""The web app's screens in a real browser: layout on a laptop and a phone, accessibility, statistics and
exports, the admins list, the login page's resilience and the phrase book.

Screenshots land in tests/e2e/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect
from referral.admin.csv_export import HEADER_WORDS

from devtools.telegram_updates import LocalUser
from tests.e2e.conftest import (
    PHONE,
    LocalSystem,
    check_accessibility,
    log_in,
    number,
    open_screen,
    screenshot,
    table_rows,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

WEB = Path(__file__).resolve().parents[2] / "functions" / "admin_api" / "web"

SCREENS = [
    ("participants", "Участники"),
    ("participants/5001", "Анна"),
    ("withdrawals", "Заявки на вывод"),
    ("journal", "Журнал действий"),
    ("ledger", "Движение баллов"),
    ("settings", "Настройки"),
    ("statistics", "Статистика"),
]


def header_is_one_row(page: Page) -> bool:
    """The sections and the admin's tools share the header's one line."""
    nav = page.locator("#nav-list").bounding_box()
    tools = page.locator(".header-tools").bounding_box()
    assert nav and tools
    return abs(nav["y"] + nav["height"] / 2 - (tools["y"] + tools["height"] / 2)) < 8


def no_sideways_scrolling(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_the_main_screens_on_a_laptop(page: Page, local_system: LocalSystem) -> None:
    app = local_system.app_url
    log_in(page, app)
    for route, heading in SCREENS:
        open_screen(page, app, route, heading)
        assert header_is_one_row(page), route
        if route == "statistics":
            page.get_by_role("button", name="Пересчитать сейчас").click()
            toast = page.get_by_role("status").locator(".toast", has_text="Пересчитаны месяцы")
            expect(toast).to_be_visible()
            expect(page.locator("figure.metric svg")).to_have_count(18)
            # month labels every third month: four per chart, none crowding
            expect(page.locator("figure.metric svg .chart-axis text")).to_have_count(18 * 4)
            # the toast sits in the top right corner and can be closed
            box = toast.bounding_box()
            assert box and box["y"] < 120 and box["x"] + box["width"] > 1366 - 30, box
            toast.get_by_role("button", name="Закрыть уведомление").click()
            expect(toast).to_have_count(0)
        if route == "ledger":
            # every column fits on the screen, the operator and the reason too
            assert page.locator(".table-wrap").first.evaluate("el => el.scrollWidth <= el.clientWidth")
            expect(page.locator("table.data thead th").last).to_have_text("Причина")
            expect(page.locator("table.data thead th").last).to_be_in_viewport()
        check_accessibility(page, route)
        screenshot(page, "desktop-" + route.replace("/", "-"))

    page.get_by_role("button", name="EN").click()
    expect(page.get_by_role("heading", level=1, name="Statistics")).to_be_visible()
    assert header_is_one_row(page), "English"
    check_accessibility(page, "statistics in English")


def test_the_phone_layout_has_a_menu_and_no_sideways_scrolling(page: Page, local_system: LocalSystem) -> None:
    local_system.give_points(5002, 100)
    withdrawal_id = local_system.ask_withdrawal(LocalUser(5002, "Борис"), 100)
    try:
        phone_screens(page, local_system)
    finally:
        local_system.admin_api("POST", f"/withdrawals/{withdrawal_id}/status", {"status": "cancelled"})


def phone_screens(page: Page, local_system: LocalSystem) -> None:
    app = local_system.app_url
    page.set_viewport_size(PHONE)
    log_in(page, app, "withdrawals?participant_id=5002")
    expect(page.get_by_role("heading", level=1, name="Заявки на вывод")).to_be_visible()

    # the sections fold behind the menu button, which also carries the new-requests count
    menu = page.get_by_role("button", name=re.compile("^Меню"))
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="Статистика")).to_be_hidden()
    assert int(page.locator("#menu-badge").get_attribute("data-count") or "0") >= 1
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for label in (
        "Участники",
        "Заявки на вывод",
        "Журнал действий",
        "Движение баллов",
        "Настройки",
        "Статистика",
    ):
        expect(
            page.get_by_role("navigation", name="Разделы").get_by_role("link", name=re.compile(f"^{label}"))
        ).to_be_in_viewport()
    check_accessibility(page, "phone menu")
    screenshot(page, "phone-menu")
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")

    # each request is a card: points, sum and status on screen without scrolling sideways
    assert no_sideways_scrolling(page)
    first = page.locator("table.data tbody tr").first
    for column in ("points", "fiat_amount", "status"):
        cell = first.locator(f"[data-col={column}]")
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (column, box)
    label = first.locator("[data-col=points]").evaluate("el => getComputedStyle(el, '::before').content")
    assert label == '"Баллы"', label
    expect(first.locator("[data-col=points]")).to_have_text("100")
    check_accessibility(page, "withdrawals (phone)")
    screenshot(page, "phone-withdrawals")

    menu.click()
    page.get_by_role("link", name="Движение баллов").click()
    expect(page.get_by_role("heading", level=1, name="Движение баллов")).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")

    for route, heading in SCREENS:
        open_screen(page, app, route, heading)
        assert no_sideways_scrolling(page), route
        check_accessibility(page, f"{route} (phone)")
        screenshot(page, "phone-" + route.replace("/", "-"))


def test_every_rating_lists_its_leaders_without_zero_rows(page: Page, local_system: LocalSystem) -> None:
    # somebody has withdrawn points: Борис is paid 100
    local_system.give_points(5002, 100)
    withdrawal_id = local_system.ask_withdrawal(LocalUser(5002, "Борис"), 100)
    for status in ("negotiation", "paid"):
        payout = {"payout": {"method": "card", "reference": "PP-5002"}} if status == "paid" else {}
        local_system.admin_api("POST", f"/withdrawals/{withdrawal_id}/status", {"status": status, **payout})

    log_in(page, local_system.app_url, "statistics")
    expect(page.get_by_role("heading", level=1, name="Статистика")).to_be_visible()
    tabs = page.get_by_role("group", name="Рейтинг")
    for tab, leader in [
        ("По приглашённым", "Анна (5001)"),
        ("По числу покупок сети", "Анна (5001)"),
        ("По сумме покупок сети", "Анна (5001)"),
        ("По выведенным баллам", "Борис (5002)"),
    ]:
        tabs.get_by_role("button", name=tab).click()
        expect(tabs.get_by_role("button", name=tab)).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#ratings [aria-busy=true]")).to_have_count(0)
        rows = table_rows(page, "#ratings")
        assert rows, tab
        assert all(number(r["value"]) > 0 for r in rows), (tab, rows)
        assert leader in [r["participant_id"] for r in rows], (tab, rows)
        # Глеб has nobody under him: no row of zeros for him
        if tab != "По выведенным баллам":
            assert "Глеб (5004)" not in [r["participant_id"] for r in rows], (tab, rows)


def download(page: Page, form_title: str) -> list[list[str]]:
    form = page.locator("form.export-form", has=page.get_by_role("heading", name=form_title))
    with page.expect_download() as info:
        form.get_by_role("button", name="Скачать CSV").click()
    path = info.value.path()
    rows = list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8-sig")), delimiter=";"))
    columns = {ru: column for column, (ru, _) in HEADER_WORDS.items()}  # the header row is in Russian
    return [[columns.get(cell, cell) for cell in rows[0]], *rows[1:]] if rows else rows


def test_csv_exports_download_their_rows_and_warn_when_cut_short(
    page: Page, local_system: LocalSystem
) -> None:
    log_in(page, local_system.app_url, "statistics")
    expect(page.get_by_role("heading", level=1, name="Статистика")).to_be_visible()

    tree = download(page, "Дерево рефералов")
    assert tree[0] == ["participant_id", "name", "username", "registered_at", "sponsor_id", "sponsor_name"], (
        tree[0]
    )
    assert tree[2][:3] == ["5002", "Борис", "boris_demo"] and tree[2][4:] == ["5001", "Анна"], tree

    purchases = download(page, "Покупки рефералов")
    assert purchases[0][:2] == ["participant_id", "name"] and "amount" in purchases[0], purchases[0]
    by_participant = {row[0]: dict(zip(purchases[0], row, strict=True)) for row in purchases[1:]}
    assert by_participant["5003"]["name"] == "Вера" and by_participant["5003"]["sponsor_id"] == "5002", (
        purchases
    )

    stats = download(page, "Итоги по участникам")
    assert stats[0] == [
        "participant_id",
        "name",
        "username",
        "referrals_brought",
        "referrals_bought",
        "referrals_purchases_sum",
    ]
    assert next(row for row in stats if row[0] == "5001")[:5] == ["5001", "Анна", "anna_demo", "1", "1"], (
        stats
    )

    # an export that never ends is cut at 200 parts, and the operator is told
    served: list[str] = []

    def endless(route: Route) -> None:
        served.append(route.request.url)
        route.fulfill(
            status=200, headers={"Content-Type": "text/csv", "X-Next-Cursor": "more"}, body="a,b\r\n1,2\r\n"
        )

    page.route("**/admin/exports/referral-tree.csv*", endless)
    rows = download(page, "Дерево рефералов")
    assert len(served) == 200 and len(rows) == 201, (len(served), len(rows))
    form = page.locator("form.export-form", has=page.get_by_role("heading", name="Дерево рефералов"))
    expect(form.get_by_role("alert")).to_contain_text("вошли только первые 200 частей")
    check_accessibility(page, "statistics with an export warning")


def test_an_owner_adds_an_operator_and_sees_them_in_the_list(page: Page, local_system: LocalSystem) -> None:
    log_in(page, local_system.app_url, "settings")
    admins = page.locator("#admins")
    form = admins.locator("form", has=page.get_by_role("heading", name="Добавить администратора"))

    form.get_by_label("Telegram ID").fill("ольга")
    form.get_by_role("button", name="Добавить").click()
    expect(form.get_by_role("alert")).to_contain_text("Telegram ID: Только цифры, не больше 20.")

    form.get_by_label("Telegram ID").fill("300")
    form.get_by_label("Имя").fill("Оператор Ольга")
    form.get_by_label("Роль").select_option("operator")
    form.get_by_role("button", name="Добавить").click()
    expect(page.get_by_role("status").filter(has_text="Оператор Ольга добавлен")).to_be_visible()
    expect(admins.locator("table.data")).to_contain_text("Оператор Ольга")
    rows = {r["telegram_id"]: r for r in table_rows(page, "#admins")}
    assert rows["300"]["name"] == "Оператор Ольга" and rows["300"]["role"] == "оператор", rows
    assert rows["300"]["state"] == "активен" and rows["300"]["added_by"] == "100", rows

    # the same person again is refused in Russian
    form = admins.locator("form", has=page.get_by_role("heading", name="Добавить администратора"))
    form.get_by_label("Telegram ID").fill("300")
    form.get_by_role("button", name="Добавить").click()
    expect(form.get_by_role("alert")).to_have_text("Этот пользователь уже администратор.")


def test_the_login_page_asks_for_its_options_again_after_a_failure(
    page: Page, local_system: LocalSystem
) -> None:
    failures = []

    def fail_once(route: Route) -> None:
        if not failures:
            failures.append(route.request.url)
            route.fulfill(status=503, content_type="application/json", body="{}")
        else:
            route.continue_()

    page.route("**/admin/auth/config", fail_once)
    page.goto(local_system.app_url)
    expect(page.get_by_role("heading", name="Вход для операторов")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Ошибка на сервере")
    expect(page.get_by_label("Telegram ID")).to_have_count(0)
    check_accessibility(page, "login without its options")

    page.get_by_role("button", name="Повторить").click()
    expect(page.get_by_label("Telegram ID")).to_have_value("100")


def test_every_phrase_the_app_uses_exists_in_both_languages(page: Page, local_system: LocalSystem) -> None:
    """Keys in the code ⊆ the phrase book ⊆ keys in the code, each worded in Russian and English."""
    sources = [p.read_text() for p in WEB.rglob("*.js") if p.name != "i18n.js"]
    page.goto(local_system.app_url)
    keys = page.evaluate("async () => (await import('/admin/app/i18n.js')).KEYS")
    groups = {key.split(".")[0] for key in keys}
    literal = {
        k
        for text in sources
        for k in re.findall(r"[\"']([a-z]+\.[a-z_0-9]+)[\"']", text)
        if k.split(".")[0] in groups
    }
    prefixes = {p for text in sources for p in re.findall(r"`([a-z]+\.[a-z_.]*)\$\{", text)}

    assert literal - set(keys) == set(), "phrases used but missing from i18n.js"
    unused = {k for k in keys if k not in literal and not any(k.startswith(p) for p in prefixes)}
    assert unused == set(), "phrases nobody uses"
    bad = page.evaluate(
        """async (keys) => {
            const i18n = await import('/admin/app/i18n.js');
            const bad = [];
            for (const lang of ["ru", "en"]) {
                i18n.setLang(lang);
                for (const key of keys) for (const count of [1, 2, 5]) {
                    const text = i18n.tn(key, count);
                    const ok = typeof text === "string" && text.trim() && text !== key;
                    if (!ok) bad.push(`${lang} ${key} ${count}`);
                }
            }
            i18n.setLang("ru");
            return bad;
        }""",
        keys,
    )
    assert bad == []


def test_answers_with_validation_types_and_decimal_string_amounts_are_understood(
    page: Page, local_system: LocalSystem
) -> None:
    """The API may word a 422 item by pydantic's type and context, and send amounts as decimal strings."""
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    dashboard = {
        "months": months,
        "series": {"sales_sum": ["0.00"] * 11 + ["11570.00"], "average_order": ["0.00"] * 11 + ["2892.50"]},
        "updated_at": None,
    }
    refusal = {
        "code": "invalid_input",
        "message": "Invalid request",
        "details": {
            "errors": [
                {
                    "field": "hold_days",
                    "message": "(worded by the type)",
                    "type": "less_than_equal",
                    "ctx": {"le": 365},
                }
            ]
        },
    }

    def serve_dashboard(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(dashboard))

    def refuse_settings(route: Route) -> None:
        if route.request.method != "PUT":
            route.continue_()
            return
        route.fulfill(status=422, content_type="application/json", body=json.dumps({"error": refusal}))

    page.route("**/admin/statistics/dashboard", serve_dashboard)
    page.route("**/admin/settings", refuse_settings)
    log_in(page, local_system.app_url, "statistics")
    expect(page.get_by_role("heading", level=1, name="Статистика")).to_be_visible()
    expect(page.locator("figure[data-metric=sales_sum] .metric-last")).to_have_text("11 570,00 ₽")
    expect(page.locator("figure[data-metric=average_order] .metric-last")).to_have_text("2 892,50 ₽")
    expect(page.locator("figure[data-metric=sales_sum] .chart-grid text").last).to_have_text("15 тыс.")

    open_screen(page, local_system.app_url, "settings", "Настройки")
    page.get_by_label("Срок заморозки, дней").fill("400")
    page.get_by_role("button", name="Сохранить настройки").click()
    alert = page.locator(".settings-form").get_by_role("alert")
    expect(alert).to_contain_text("Срок заморозки, дней: Не больше 365.")
    expect(alert).not_to_contain_text("worded by the type")
