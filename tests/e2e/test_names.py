"""People by name in a real browser: a name search with ё and a middle-of-name match, and an export an
accountant opens as it is (``;`` between cells, a malicious name one inert cell). Screenshots on a laptop
and a phone; axe finds no serious violation."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from devtools.telegram_updates import LocalUser
from tests.e2e.conftest import PHONE, LocalSystem, check_accessibility, log_in, screenshot, table_rows

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

ALYONA = LocalUser(5101, "Алёна", "alyona_e2e")
EVIL = LocalUser(5102, "=cmd;=1+2", "evil_e2e")


def join(system: LocalSystem, user: LocalUser, ozon_id: str) -> None:
    system.say(user, "/start")
    system.say(user, ozon_id)


def search(page: Page, term: str, expected: list[str]) -> None:
    """Type a term into the list's search and wait for the rows it finds."""
    box = page.locator("main input[name=q]")
    box.fill(term)
    box.press("Enter")
    expect(page.locator("main table.data tbody .name-cell a")).to_have_text(expected)


def test_a_name_search_with_yo_and_an_export_with_a_malicious_name(
    page: Page, local_system: LocalSystem
) -> None:
    join(local_system, ALYONA, "510100001")
    join(local_system, EVIL, "510200001")
    app = local_system.app_url
    log_in(page, app, "participants")
    expect(page.get_by_role("heading", level=1, name="Участники")).to_be_visible()

    search(page, "АЛЕНА", ["Алёна"])  # any case, е for ё
    search(page, "лен", ["Алёна"])  # the middle of the name
    check_accessibility(page, "participants found by name")
    screenshot(page, "desktop-names-search")
    page.set_viewport_size(PHONE)
    check_accessibility(page, "participants found by name on a phone")
    screenshot(page, "phone-names-search")
    page.set_viewport_size({"width": 1366, "height": 768})

    page.goto(f"{app}#/statistics")
    form = page.locator("form.export-form", has=page.get_by_role("heading", name="Дерево рефералов"))
    with page.expect_download() as info:
        form.get_by_role("button", name="Скачать CSV").click()
    raw = Path(info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["ID участника", "Имя"]
    assert {len(row) for row in rows} == {len(rows[0])}
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id["5102"][1] == "'=cmd;=1+2" and by_id["5102"][2] == "evil_e2e"
    assert by_id["5101"][1] == "Алёна"
    check_accessibility(page, "statistics after an export")


def test_the_journal_names_its_object_and_words_its_attributes(page: Page, local_system: LocalSystem) -> None:
    join(local_system, LocalUser(5103, "Семён", "semyon_e2e"), "510300001")
    local_system.give_points(5103, 100)
    app = local_system.app_url
    log_in(page, app, "journal?object_type=participant&object_id=5103")
    expect(page.get_by_role("heading", level=1, name="Журнал действий")).to_be_visible()
    rows = table_rows(page)
    assert rows[0]["action"] == "Корректировка баланса", rows
    assert rows[0]["object_id"] == "Семён @semyon_e2e · ID 5103", rows
    check_accessibility(page, "journal naming people")
    screenshot(page, "desktop-names-journal")
    page.locator("main table.data a").first.click()
    expect(page.get_by_role("heading", level=1, name="Корректировка баланса")).to_be_visible()
    changes = table_rows(page, "#changes")
    assert {c["attribute"] for c in changes} == {"Доступно, баллов", "Заморожено, баллов", "Баланс, баллов"}
    page.set_viewport_size(PHONE)
    check_accessibility(page, "journal record on a phone")
    screenshot(page, "phone-names-journal-record")
