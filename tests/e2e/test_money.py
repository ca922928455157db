"""Money at a glance in a real browser: the dashboard's money strip against the ledger, the orders view and a
participant's money, on a laptop and a phone, with axe."""

from __future__ import annotations

import re
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    PHONE,
    SCREENSHOTS,
    LocalSystem,
    check_accessibility,
    log_in,
    open_screen,
    screenshot,
    table_rows,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

MOSCOW = ZoneInfo("Europe/Moscow")


def whole_ledger(system: LocalSystem) -> list[dict[str, Any]]:
    """Every ledger entry, through the global ledger listing (not the money code)."""
    entries: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = "limit=100" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        page = system.admin_api("GET", f"/journal/ledger?{query}")
        entries += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return entries


def leading_points(text: str) -> int:
    """ "1 234 б. · 3 085,00 ₽" → 1234."""
    return int(re.sub(r"[^\d-]", "", text.split("б.")[0]) or "0")


def test_the_money_strip_shows_the_ledgers_sums(page: Page, local_system: LocalSystem) -> None:
    local_system.give_points(5001, 700)
    entries = whole_ledger(local_system)
    owed = sum(e["d_frozen"] + e["d_available"] for e in entries)
    frozen = sum(e["d_frozen"] for e in entries)
    this_month = datetime.now(UTC).astimezone(MOSCOW).strftime("%Y-%m")
    accrued = sum(
        e["d_frozen"] + e["d_available"]
        for e in entries
        if e["kind"] == "accrual"
        and datetime.fromisoformat(e["created_at"].replace("Z", "+00:00"))
        .astimezone(MOSCOW)
        .strftime("%Y-%m")
        == this_month
    )
    waiting = local_system.admin_api("GET", "/withdrawals/counts")

    log_in(page, local_system.app_url, "statistics")
    open_screen(page, local_system.app_url, "statistics", "Статистика")
    strip = page.locator(".money-strip")
    expect(strip.locator("[data-money=owed] .stat-value")).to_be_visible()
    assert leading_points(strip.locator("[data-money=owed] .stat-value").inner_text()) == owed
    assert leading_points(strip.locator("[data-money=frozen] .stat-value").inner_text()) == frozen
    assert owed > 0
    months = table_rows(page, ".money-strip")
    assert leading_points(months[0]["accrued"]) == accrued
    waiting_text = strip.locator("[data-money=waiting] .stat-value").inner_text()
    assert waiting_text.startswith(str(waiting["new"] + waiting["negotiation"]))
    expect(strip.get_by_role("heading", name="Синхронизация с Ozon")).to_be_visible()
    check_accessibility(page, "statistics with the money strip")
    strip.screenshot(path=str(_shots() / "money-strip-desktop.png"))
    page.set_viewport_size(PHONE)
    expect(strip.locator("[data-money=owed]")).to_be_visible()
    check_accessibility(page, "money strip on a phone")
    strip.screenshot(path=str(_shots() / "money-strip-phone.png"))


def _shots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


def test_the_orders_view_and_a_participants_money(page: Page, local_system: LocalSystem) -> None:
    orders = local_system.admin_api("GET", "/orders?limit=50")["items"]

    log_in(page, local_system.app_url, "orders")
    open_screen(page, local_system.app_url, "orders", "Заказы")
    expect(page.locator(".top-sellers [aria-busy=false]")).to_have_count(1)
    rows = table_rows(page)
    assert [r["posting_number"] for r in rows] == [o["posting_number"] for o in orders]
    check_accessibility(page, "orders")
    screenshot(page, "orders-desktop")
    page.set_viewport_size(PHONE)
    check_accessibility(page, "orders on a phone")
    screenshot(page, "orders-phone")

    page.set_viewport_size({"width": 1366, "height": 768})
    money = local_system.admin_api("GET", "/participants/5001/money")
    open_screen(page, local_system.app_url, "participants/5001", "Анна")
    section = page.locator("#money")
    expect(section.locator("[data-money=balance] .stat-value")).to_be_visible()
    assert (
        leading_points(section.locator("[data-money=balance] .stat-value").inner_text())
        == (money["balance"]["points"])
    )
    check_accessibility(page, "participant card with money")
    section.screenshot(path=str(_shots() / "participant-money-desktop.png"))
    page.set_viewport_size(PHONE)
    check_accessibility(page, "participant money on a phone")
    section.screenshot(path=str(_shots() / "participant-money-phone.png"))
