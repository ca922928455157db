"""Fraud flags in a real browser: two newcomers with the same Ozon ID written differently are flagged; the
Risks screen lists and filters the flag, the participant card shows it, and an operator resolves it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from devtools.telegram_updates import LocalUser
from tests.e2e.conftest import PHONE, LocalSystem, check_accessibility, log_in, open_screen, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def register(system: LocalSystem, user: LocalUser, ozon_id: str) -> None:
    system.say(user, "/start")
    system.say(user, ozon_id)


def test_equal_ozon_ids_are_flagged_listed_filtered_shown_on_the_card_and_resolved(
    page: Page, local_system: LocalSystem
) -> None:
    register(local_system, LocalUser(6101, "Глеб"), "987650001")
    register(local_system, LocalUser(6102, "Дина"), "0987650001")
    app = local_system.app_url
    log_in(page, app)

    open_screen(page, app, "risks?participant_id=6101", "Риски")
    rows = page.locator("main table.data tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Совпадающие Ozon ID")
    expect(rows.first.get_by_role("link", name="6102")).to_be_visible()
    check_accessibility(page, "risks")
    screenshot(page, "desktop-risks")

    open_screen(page, app, "risks?participant_id=6101&kind=claim_burst", "Риски")
    expect(page.locator("main")).to_contain_text("Открытых флагов нет")

    page.set_viewport_size(PHONE)
    open_screen(page, app, "risks?participant_id=6102", "Риски")
    expect(page.locator("main table.data tbody tr")).to_have_count(1)
    check_accessibility(page, "risks on a phone")
    screenshot(page, "phone-risks")

    page.set_viewport_size({"width": 1366, "height": 900})
    open_screen(page, app, "participants/6101", "Глеб")
    card = page.get_by_role("region", name="Открытые флаги риска")
    expect(card).to_contain_text("Совпадающие Ozon ID")
    check_accessibility(page, "the card's risk flags")
    screenshot(page, "desktop-card-risks")
    card.get_by_label("Заметка").fill("Одна семья, проверено")
    card.get_by_role("button", name="Закрыть").click()
    expect(card).to_contain_text("Открытых флагов нет")

    open_screen(page, app, "risks?participant_id=6102", "Риски")
    expect(page.locator("main")).to_contain_text("Открытых флагов нет")
    journal = local_system.admin_api("GET", "/journal/actions?action=risk.resolve")
    assert [(a["action"], a["reason"]) for a in journal["items"]] == [
        ("risk.resolve", "Одна семья, проверено")
    ]
