"""The dialog with the operators in a real browser: a withdrawal handled end to end from the web app, the
participant's question visible on the request, an answer sent from it, the status change told in the topic."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from devtools.local_run import LOCAL_OPERATORS_CHAT
from devtools.telegram_updates import LocalUser
from tests.e2e.conftest import PHONE, LocalSystem, check_accessibility, log_in, screenshot, wait_for_calls

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_a_withdrawal_is_handled_from_the_web_app_with_its_dialog(
    page: Page, local_system: LocalSystem
) -> None:
    boris = LocalUser(5002, "Борис")
    local_system.give_points(boris.id, 500)
    withdrawal_id = local_system.ask_withdrawal(boris, 200)
    local_system.say(boris, "Когда придут деньги?")
    operators = int(LOCAL_OPERATORS_CHAT)
    _, seen_topic = local_system.telegram_calls(operators)
    _, seen_boris = local_system.telegram_calls(boris.id)

    # the request's screen shows the participant's question
    log_in(page, local_system.app_url, f"withdrawals/{withdrawal_id}")
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Заявка W-\d+$"))).to_be_visible()
    dialog = page.locator("#dialog")
    expect(dialog.get_by_role("heading", name="Переписка с участником")).to_be_visible()
    expect(dialog.locator(".dialog-in").filter(has_text="Когда придут деньги?")).to_be_visible()
    check_accessibility(page, "withdrawal with the dialog")
    screenshot(page, "desktop-withdrawal-dialog")

    # the operator answers from the web app: it reaches the participant and the topic, and shows in the dialog
    dialog.get_by_label("Текст ответа").fill("Выплатим сегодня до вечера.")
    dialog.get_by_role("button", name="Отправить ответ").click()
    expect(page.get_by_role("status").filter(has_text="Ответ отправлен")).to_be_visible()
    expect(dialog.locator(".dialog-out").filter(has_text="Выплатим сегодня до вечера.")).to_be_visible()
    wait_for_calls(local_system, boris.id, seen_boris, r"Оператор:\s*Выплатим сегодня до вечера\.")
    wait_for_calls(local_system, operators, seen_topic, r"\(веб-приложение\):\s*Выплатим сегодня")

    # the status change goes into the topic with a link to the request
    page.get_by_role("button", name="Взять в работу (согласование)").click()
    page.locator(".confirm-box").get_by_role("button", name="Подтвердить").click()
    expect(page.locator("#withdrawal-status")).to_have_attribute("data-status", "negotiation")
    wait_for_calls(local_system, operators, seen_topic, r"Заявка W-\d+: новая → в переговорах")
    calls, _ = local_system.telegram_calls(operators, seen_topic)
    links = [c["params"]["text"] for c in calls if "в переговорах" in str(c["params"].get("text"))]
    assert links and re.search(
        rf'href="http://127\.0\.0\.1:\d+/admin/app/#/withdrawals/{withdrawal_id}"', links[-1]
    )

    # the participant card shows the same dialog, on a phone too
    page.goto(f"{local_system.app_url}#/participants/{boris.id}")
    expect(page.locator("#dialog .dialog-out").filter(has_text="Выплатим сегодня")).to_be_visible()
    page.set_viewport_size(PHONE)
    page.goto(f"{local_system.app_url}#/withdrawals/{withdrawal_id}")
    expect(page.locator("#dialog .dialog-out").filter(has_text="Выплатим сегодня")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    check_accessibility(page, "withdrawal with the dialog on a phone")
    screenshot(page, "phone-withdrawal-dialog")
