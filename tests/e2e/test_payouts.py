"""Payouts in the web app: two requests chosen in the queue are marked paid with one reference."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from devtools.telegram_updates import LocalUser
from tests.e2e.conftest import PHONE, LocalSystem, check_accessibility, log_in, screenshot, table_rows

pytestmark = pytest.mark.e2e


def test_two_requests_are_marked_paid_at_once_and_a_new_one_is_refused(
    page: Page, local_system: LocalSystem
) -> None:
    user = LocalUser(5003, "Вера")
    local_system.give_points(5003, 900)
    ids = [local_system.ask_withdrawal(user, 300) for _ in range(3)]
    for wid in ids[:2]:
        local_system.admin_api("POST", f"/withdrawals/{wid}/status", {"status": "negotiation"})
    labels = [local_system.admin_api("GET", f"/withdrawals/{wid}")["label"] for wid in ids]
    assert all(re.fullmatch(r"W-\d+", label) for label in labels), labels

    log_in(page, local_system.app_url, "withdrawals?participant_id=5003")
    expect(page.get_by_role("heading", level=1, name="Заявки на вывод")).to_be_visible()
    for label in labels:
        page.get_by_role("checkbox", name=f"Выбрать {label}").check()
    bulk = page.locator(".bulk-form")
    bulk.get_by_label("Способ выплаты").select_option("bank_transfer")
    bulk.get_by_label("Номер платежа").fill("REG-77")
    check_accessibility(page, "withdrawals with the bulk form")
    screenshot(page, "desktop-withdrawals-bulk")
    bulk.get_by_role("button", name="Отметить выплаченными").click()

    report = page.locator(".bulk-report")
    expect(report.locator("li")).to_have_count(3)
    expect(report.locator("li[data-result=done]")).to_have_count(2)
    expect(report.locator("li[data-result=refused]")).to_contain_text(labels[2])
    rows = {r["label"]: r["status"] for r in table_rows(page)}
    assert [rows[label] for label in labels] == ["выплачена", "выплачена", "новая"], rows
    check_accessibility(page, "withdrawals with the bulk report")

    page.get_by_role("textbox", name="Найти заявку по номеру или ID").fill(labels[0])
    page.get_by_role("button", name="Открыть").click()
    expect(page.get_by_role("heading", level=1, name=f"Заявка {labels[0]}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("REG-77")

    page.set_viewport_size(PHONE)
    page.goto(f"{local_system.app_url}#/withdrawals?participant_id=5003")
    expect(page.locator(".bulk-form")).to_be_visible()
    check_accessibility(page, "withdrawals (phone)")
    screenshot(page, "phone-withdrawals-bulk")
