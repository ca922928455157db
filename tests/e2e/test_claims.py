"""Order claims in a real browser: two claims held for review through the bot; on the Claims screen one is
approved (its answer lost and the confirmation sent again: one accrual), one rejected with a reason the
participant gets in the bot; the decided tabs show them; the settings section changes the review mode."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, Request, Route, expect

from devtools.telegram_updates import LocalUser
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    LocalSystem,
    check_accessibility,
    log_in,
    open_screen,
    screenshot,
    wait_for_calls,
)

pytestmark = pytest.mark.e2e

SPONSOR = LocalUser(7101, "Ирина")
BUYERS = (LocalUser(7102, "Кирилл"), LocalUser(7103, "Лиза"))
SETTINGS_CACHE_SECONDS = 5
"""How long the local runner's functions keep the settings they read (its ``SETTINGS_CACHE_SECONDS``)."""


def settings_claims(system: LocalSystem) -> dict[str, Any]:
    claims: dict[str, Any] = system.admin_api("GET", "/settings")["settings"]["claims"]
    return claims


def set_review(system: LocalSystem, review: str) -> None:
    version = system.admin_api("GET", "/settings")["version"]
    changes = {"claims": {"review": review}}
    system.admin_api("PUT", "/settings", {"expected_version": version, "changes": changes, "reason": None})


def fbo_posting(system: LocalSystem, amount: str) -> str:
    """An FBO posting (no buyer id) in the fake Seller API: only its claimant's price proves it."""
    added = requests.post(
        f"{system.gateway}/_local/ozon/postings", json={"amount": amount, "scheme": "FBO"}, timeout=10
    )
    added.raise_for_status()
    return str(added.json()["posting_number"])


def held_claim(system: LocalSystem, buyer: LocalUser, amount: str) -> str:
    """The buyer claims a new posting in the bot and names its price: the claim waits for an operator."""
    number = fbo_posting(system, amount)
    _, seen = system.telegram_calls(buyer.id)
    system.say(buyer, "🧾 Моя покупка")
    system.say(buyer, number)
    system.say(buyer, amount.split(".")[0])
    wait_for_calls(system, buyer.id, seen, rf"Заказ {number} .* отправлен на проверку")
    return number


@pytest.fixture
def held(local_system: LocalSystem) -> Iterator[tuple[str, str]]:
    """Every claim held (``claims.review = all``), a sponsor and two referrals with one held claim each."""
    set_review(local_system, "all")
    seen_by_the_bot = time.monotonic() + SETTINGS_CACHE_SECONDS + 0.5
    local_system.say(SPONSOR, "/start")
    local_system.say(SPONSOR, "710100001")
    code = local_system.admin_api("GET", f"/participants/{SPONSOR.id}")["personal_code"]
    for n, buyer in enumerate(BUYERS, start=2):
        local_system.say(buyer, f"/start {code}")
        local_system.say(buyer, f"71010000{n}")
    time.sleep(max(0.0, seen_by_the_bot - time.monotonic()))
    try:
        yield held_claim(local_system, BUYERS[0], "2400.00"), held_claim(local_system, BUYERS[1], "1500.00")
    finally:
        set_review(local_system, "none")


def ledger_of(system: LocalSystem, posting_number: str) -> list[tuple[str, int]]:
    entries = system.admin_api("GET", f"/journal/ledger?posting_number={posting_number}")["items"]
    return [(str(e["participant_id"]), int(e["credit"])) for e in entries]


def approve_with_a_lost_answer(page: Page, system: LocalSystem, number: str) -> None:
    """The approval's first answer is lost; the same confirmation sent again is applied once, and said so."""
    card = page.locator(f"article.claim[data-posting='{number}']")
    sent: list[dict[str, Any]] = []

    def lose_the_first_answer(route: Route, request: Request) -> None:
        sent.append(json.loads(request.post_data or "{}"))
        if len(sent) == 1:
            route.fetch()  # the server applies it...
            route.abort()  # ...but the browser never hears back
        else:
            route.continue_()

    page.route(f"**/admin/claims/{number}/approve", lose_the_first_answer)
    card.get_by_role("button", name="Одобрить").click()
    confirm = card.locator("form[data-decision=approved]")
    expect(confirm).to_contain_text("пригласившим начислятся баллы")
    confirm.get_by_role("button", name="Да, одобрить").click()
    expect(confirm.get_by_role("alert")).to_contain_text("Сервер недоступен")
    confirm.get_by_role("button", name="Да, одобрить").click()
    expect(page.locator(".claims-result")).to_contain_text(
        f"Решение по заявке на {number} уже было принято раньше"
    )
    expect(card).to_have_count(0)
    assert len(sent) == 2 and sent[0]["idempotency_key"] == sent[1]["idempotency_key"], sent
    entries = ledger_of(system, number)
    assert [who for who, _ in entries] == [str(SPONSOR.id)] and entries[0][1] > 0, entries
    sponsor = system.admin_api("GET", f"/participants/{SPONSOR.id}")
    assert (sponsor["accrued_total"], sponsor["balance"]) == (entries[0][1], entries[0][1]), sponsor


def reject_with_a_reason(page: Page, system: LocalSystem, number: str, buyer: LocalUser) -> None:
    """The reason is required (the form says the participant sees it); the participant gets it in the bot."""
    _, seen = system.telegram_calls(buyer.id)
    card = page.locator(f"article.claim[data-posting='{number}']")
    card.get_by_role("button", name="Отклонить").click()
    refusal = card.locator("form[data-decision=rejected]")
    expect(refusal).to_contain_text("Участник увидит эту причину в боте")
    refusal.get_by_role("button", name="Отклонить заявку").click()
    expect(refusal.get_by_label("Причина отказа")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, "claims with the rejection form")
    refusal.get_by_label("Причина отказа").fill("Цена не совпала с чеком")
    refusal.get_by_role("button", name="Отклонить заявку").click()
    expect(page.locator(".claims-result")).to_contain_text(f"Заявка на {number} отклонена")
    told = wait_for_calls(system, buyer.id, seen, "Цена не совпала с чеком")
    assert any(number in text for text in told), told
    assert ledger_of(system, number) == []


def change_the_review_mode(page: Page, system: LocalSystem) -> None:
    """A bad threshold is refused under its field and nothing is stored; then the review mode changes."""
    open_screen(page, system.app_url, "settings", "Настройки")
    section = page.locator("form.claim-settings")
    section.get_by_label("Какие заявки проверять вручную").select_option("above_amount")
    section.get_by_label("Порог суммы заказа, ₽").fill("-5")
    section.get_by_role("button", name="Сохранить правила проверки").click()
    expect(section.get_by_label("Порог суммы заказа, ₽")).to_have_attribute("aria-invalid", "true")
    expect(section.get_by_role("alert")).to_contain_text("Порог суммы заказа, ₽: Не меньше 0.")
    section.scroll_into_view_if_needed()
    check_accessibility(page, "the claims settings with an error")
    screenshot(page, "desktop-settings-claims")
    assert settings_claims(system)["review"] == "all"
    section.get_by_label("Порог суммы заказа, ₽").fill("5 000")
    section.get_by_role("button", name="Сохранить правила проверки").click()
    expect(page.get_by_role("status").filter(has_text="Настройки сохранены")).to_be_visible()
    stored = settings_claims(system)
    assert (stored["review"], stored["review_above"]) == ("above_amount", "5000"), stored


def test_claims_are_approved_once_rejected_with_a_reason_and_the_review_mode_is_set(
    page: Page, local_system: LocalSystem, held: tuple[str, str]
) -> None:
    approved, rejected = held
    log_in(page, local_system.app_url, "claims?limit=1")
    expect(page.get_by_role("heading", level=1, name="Заявки на заказы")).to_be_visible()
    expect(page.locator("article.claim")).to_have_count(1)
    page.get_by_role("button", name="Показать ещё").click()
    expect(page.locator("article.claim")).to_have_count(2)
    open_screen(page, local_system.app_url, "claims", "Заявки на заказы")
    first = page.locator(f"article.claim[data-posting='{approved}']")
    expect(first.get_by_role("link", name="Кирилл (7102)")).to_have_attribute("href", "#/participants/7102")
    expect(first).to_contain_text("2 400,00 ₽")
    expect(first).to_contain_text("FBO")
    expect(first).to_contain_text("участник назвал цену товара из заказа")
    expect(first.locator("table.data tbody tr")).to_contain_text("Чай улун «Молочный»")
    expect(page.locator(f"article.claim[data-posting='{rejected}']")).to_contain_text("Лиза (7103)")
    check_accessibility(page, "claims")
    screenshot(page, "desktop-claims")

    approve_with_a_lost_answer(page, local_system, approved)
    reject_with_a_reason(page, local_system, rejected, BUYERS[1])
    expect(page.locator("main")).to_contain_text("Заявок, ждущих решения, нет")

    page.get_by_role("button", name="Отклонённые").click()
    decided = page.locator(f"article.claim[data-posting='{rejected}']")
    expect(decided).to_contain_text("Цена не совпала с чеком")
    expect(decided.get_by_role("button", name="Одобрить")).to_have_count(0)
    page.set_viewport_size(PHONE)
    check_accessibility(page, "rejected claims on a phone")
    screenshot(page, "phone-claims")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Одобренные").click()
    decider = page.locator(f"article.claim[data-posting='{approved}'] .prop", has_text="Решение принял")
    # the operator by name once their account has one ("Owner · ID 100"), else by id
    expect(decider.locator("dd")).to_have_text(re.compile(r"^\s*(Owner · ID )?100\s*$"))

    change_the_review_mode(page, local_system)
