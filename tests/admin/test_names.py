"""People by name: the ledger, the queue and the journal name participants and operators; name search;
the journal's words; exports as a spreadsheet opens them."""

from __future__ import annotations

import ast
import csv
import io
import re
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from referral.domain.participants import TelegramProfile
from referral.domain.settings import Settings
from referral.domain.withdrawals import WithdrawalStatus
from referral.read import participants as participant_list
from referral.repository.models import AuditItem
from referral.services import Services
from referral.services.settings import _flatten

from tests.admin.conftest import OPERATOR_ID, OWNER_ID, Api, dynamodb_requests
from tests.support.builders import join
from tests.support.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "functions" / "admin_api" / "web"
ALYONA = {"id": "41", "name": "Алёна Семёнова", "username": "alyona"}


def register(
    domain: Services, user_id: str, first: str | None, last: str | None, username: str | None
) -> None:
    profile = TelegramProfile(user_id=user_id, username=username, first_name=first, last_name=last)
    domain.participants.register(profile, str(900_000 + int(user_id)), None)


def found(owner: Api, term: str, **query: object) -> list[str]:
    reply = owner.get("/admin/participants", query={"name": term, "sort": "id", "order": "asc", **query})
    assert reply.status == 200, reply.text
    return [row["id"] for row in reply.json["items"]]


def test_a_name_search_finds_any_part_in_any_case_with_yo_as_ye(owner: Api, domain: Services) -> None:
    register(domain, "11", "Алёна", "Семёнова", "alyona_s")
    register(domain, "12", "Елена", "Петрова", "lenochka")
    register(domain, "13", None, None, "Fedor_KING")
    register(domain, "14", "Пётр", "Ёлкин", None)

    assert found(owner, "алена") == ["11"]
    assert found(owner, "АЛЁНА") == ["11"]
    assert found(owner, "семен") == ["11"]
    assert found(owner, "ена") == ["11", "12"]  # the middle of a name
    assert found(owner, "елкин") == ["14"] and found(owner, "ЕЛК") == ["14"]
    assert found(owner, "петр") == ["12", "14"]
    assert found(owner, "king") == ["13"]  # the middle of a @username without a name
    assert found(owner, "@ochk") == ["12"]  # '@': the username only
    assert found(owner, "@петр") == []
    assert found(owner, "yona_") == ["11"]
    assert found(owner, "нет такого") == []


def test_a_search_matching_many_walks_the_list_with_the_same_test(
    owner: Api, domain: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        register(domain, str(20 + n), f"Семён{n}", None, None)
    register(domain, "30", "Иван", None, None)
    monkeypatch.setattr(participant_list, "CANDIDATES", 2)  # more matches than candidates: the walk
    ids: list[str] = []
    cursor = None
    for _ in range(10):
        reply = owner.get(
            "/admin/participants",
            query={"name": "семен", "sort": "id", "order": "asc", "limit": 3, "cursor": cursor},
        )
        ids += [r["id"] for r in reply.json["items"]]
        cursor = reply.json["next_cursor"]
        if cursor is None:
            break
    assert ids == ["20", "21", "22", "23", "24"]


def withdrawal_for(domain: Services, participant_id: str) -> str:
    domain.ledger.correct_balance(
        OWNER_ID,
        participant_id,
        available_change=500,
        total_change=500,
        reason="r",
        idempotency_key="key-00000001",
    )
    settings = domain.settings.current()
    return domain.withdrawals.request(participant_id, settings.min_withdrawal, "req-00000001").withdrawal_id


def test_the_ledger_queue_and_journal_name_people_with_the_id_beside(
    owner: Api, domain: Services, clock: FakeClock
) -> None:
    register(domain, "41", "Алёна", "Семёнова", "alyona")
    request_id = withdrawal_for(domain, "41")
    clock.advance(seconds=1)
    assert (
        owner.post(f"/admin/withdrawals/{request_id}/comments", {"text": "звоню"}, as_="operator").status
        == 200
    )

    ledger = owner.get("/admin/journal/ledger").json["items"]
    correction = next(r for r in ledger if r["kind"] == "correction")
    assert correction["participant"] == ALYONA
    assert correction["actor"]["id"] == OWNER_ID

    assert owner.get("/admin/withdrawals").json["items"][0]["participant"] == ALYONA
    assert owner.get("/admin/participants/41/ledger").json["items"][0]["participant"] == ALYONA

    journal = owner.get("/admin/journal/actions").json["items"]
    comment = next(r for r in journal if r["action"] == "withdrawal.comment")
    assert comment["actor"]["id"] == OPERATOR_ID
    assert comment["object_person"] == ALYONA
    balance = next(r for r in journal if r["action"] == "participant.balance_correction")
    assert balance["object_person"] == ALYONA
    admin_added = next(r for r in journal if r["action"] == "admin.add")
    assert admin_added["object_person"]["id"] == admin_added["object_id"]
    detail = owner.get(f"/admin/withdrawals/{request_id}").json
    assert detail["participant"] == ALYONA
    assert [e["actor"]["id"] for e in detail["history"] if e["event"] == "comment"] == [OPERATOR_ID]


def test_a_page_of_50_named_rows_costs_a_bounded_number_of_requests(
    owner: Api, domain: Services, clock: FakeClock
) -> None:
    for n in range(50):
        join(domain, str(100 + n))
        domain.ledger.correct_balance(
            OWNER_ID,
            str(100 + n),
            available_change=1,
            total_change=1,
            reason="r",
            idempotency_key=f"key-{n:08d}",
        )
        clock.advance(seconds=1)
    with dynamodb_requests() as ledger:
        page = owner.get("/admin/journal/ledger", query={"limit": 50})
    with dynamodb_requests() as journal:
        actions = owner.get("/admin/journal/actions", query={"limit": 50})
    with dynamodb_requests() as queue:
        requests = owner.get("/admin/withdrawals", query={"limit": 50})
    assert page.status == actions.status == requests.status == 200
    assert all(r["participant"]["name"] for r in page.json["items"]) and len(page.json["items"]) == 50
    # names cost one BatchGetItem per 100 keys: 50 participants and 1 operator on the ledger's page,
    # 50 participants and their operator in the journal's; none when the page is empty
    assert ledger["BatchGetItem"] == 1
    assert journal["BatchGetItem"] == 1
    assert queue["BatchGetItem"] == 0


# --- the journal in words -------------------------------------------------------------------------


def phrase_keys() -> set[str]:
    text = "".join(
        path.read_text(encoding="utf-8") for path in (WEB / "i18n.js", WEB / "phrases" / "names.js")
    )
    return set(re.findall(r'^\s*"([a-z_][a-z0-9_.#]*)":\s*\[', text, flags=re.MULTILINE))


def attribute_key(attribute: str) -> str:
    """``level_rates.1`` is worded once for every level: ``attr.level_rates.#``."""
    return "attr." + re.sub(r"\.\d+", ".#", attribute)


def _strings(node: ast.AST) -> set[str]:
    """The actions an expression can give: its string constants, and the f-string of a status change."""
    if isinstance(node, ast.JoinedStr) and ast.unparse(node) == "f'withdrawal.{target.value}'":
        return {f"withdrawal.{s.value}" for s in WithdrawalStatus if s != WithdrawalStatus.NEW}
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def audited_actions() -> set[str]:
    """Every action an audit record is written with, read from the code that writes them."""
    actions: set[str] = set()
    for path in (ROOT / "layers" / "shared" / "python" / "referral").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            for keyword in node.keywords:
                if keyword.arg == "action" and name == "AuditRecord":
                    actions |= _strings(keyword.value)
            if name in ("_change", "_audit"):
                actions |= {s for arg in node.args for s in _strings(arg) if "." in s}
    return actions


def test_every_action_and_attribute_of_the_journal_has_words(owner: Api, domain: Services) -> None:
    keys = phrase_keys()
    register(domain, "61", "Ира", None, None)
    join(domain, "62")
    owner.put("/admin/participants/61/blocked", {"blocked": True, "reason": "r"})
    owner.put("/admin/participants/61/blocked", {"blocked": False, "reason": "r"})
    owner.put("/admin/participants/62/sponsor", {"sponsor_id": "61", "reason": "r"})
    request_id = withdrawal_for(domain, "62")
    owner.post(f"/admin/withdrawals/{request_id}/comments", {"text": "t"})
    owner.post(f"/admin/withdrawals/{request_id}/status", {"status": "negotiation"})
    owner.put("/admin/settings", {"expected_version": 0, "changes": {"hold_days": 14}, "reason": "r"})
    written = list(AuditItem.scan())
    attributes = {c.attribute for item in written for c in item.changes or ()}
    attributes |= set(_flatten(Settings().to_document()))
    attributes |= {"client_id", "api_key", "role", "active", "blocked"}
    actions = audited_actions() | {item.action for item in written}

    assert {"participant.block", "withdrawal.paid", "settings.update", "admin.role", "admin.add"} <= actions
    assert {"sponsor_id", "status", "comment", "hold_days", "available"} <= attributes
    assert sorted(a for a in actions if f"action.{a}" not in keys) == []
    assert sorted(a for a in attributes if attribute_key(a) not in keys) == []
    assert {f"object.{t}" for t in ("participant", "withdrawal", "settings", "admin")} <= keys


# --- exports -----------------------------------------------------------------------------------------


def parsed(text: str, delimiter: str = ";") -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def test_an_export_is_utf8_with_a_bom_semicolons_every_cell_quoted_and_inert(
    owner: Api, domain: Services
) -> None:
    register(domain, "71", "=HYPERLINK(1)", None, None)
    register(domain, "72", "Анна;=SUM(A1)", None, "anna")
    register(domain, "73", "+7 Пётр", "-x", None)
    register(domain, "74", "@me", None, None)
    register(domain, "75", "\tTab", None, None)
    register(domain, "76", "\rCR", None, None)

    reply = owner.get("/admin/exports/referral-tree.csv")
    assert reply.status == 200
    assert reply.text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    lines = reply.text[1:].split("\r\n")
    assert lines[0].split(";")[:3] == ['"ID участника"', '"Имя"', '"Username в Telegram"']
    assert all(line.startswith('"') and line.endswith('"') for line in lines[1:] if line)
    rows = parsed(reply.text)
    assert {len(r) for r in rows} == {6}
    assert {r[0]: r[1] for r in rows[1:]} == {
        "71": "'=HYPERLINK(1)",
        "72": "Анна;=SUM(A1)",
        "73": "'+7 Пётр -x",
        "74": "'@me",
        "75": "'\tTab",
        "76": "'\rCR",
    }


def test_an_export_with_commas_in_english_keeps_the_same_cells(owner: Api, domain: Services) -> None:
    register(domain, "81", "Anna, Jr.", None, None)
    reply = owner.get("/admin/exports/referral-tree.csv", query={"delimiter": "comma", "lang": "en"})
    rows = parsed(reply.text, ",")
    assert rows[0][:2] == ["Participant ID", "Name"]
    assert rows[1][1] == "Anna, Jr."
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", rows[1][3])
    assert owner.get("/admin/exports/referral-tree.csv", query={"delimiter": "tab"}).status == 422
    assert owner.get("/admin/exports/referral-tree.csv", query={"lang": "de"}).status == 422


def test_export_times_are_in_the_programs_time_zone(owner: Api, domain: Services, clock: FakeClock) -> None:
    register(domain, "91", "Время", None, None)
    rows = parsed(owner.get("/admin/exports/referral-tree.csv").text)
    moscow = clock.now.astimezone(timezone(timedelta(hours=3)))
    assert rows[1][3] == moscow.strftime("%d.%m.%Y %H:%M:%S")
