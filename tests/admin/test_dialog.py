"""The dialog in the admin API: listing it, answering from the web app (exactly once), and the notes a
status change posts into the participant's topic with a link to the request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from referral.admin import context
from referral.domain.conversations import Attachment, Author, Channel, DialogLine, Direction
from referral.services import Services

from devtools.fake_telegram import FakeTelegram
from tests.admin.conftest import OPERATOR_ID, Api, audits, outbox, snapshot
from tests.support.builders import join
from tests.support.clock import FakeClock

OPERATORS = -1001234567890
WEB_APP = "https://admin.example.com/admin/app"


@pytest.fixture
def operators_group(admin_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPERATORS_CHAT_ID", str(OPERATORS))
    monkeypatch.setenv("ADMIN_WEB_APP_URL", WEB_APP)


@pytest.fixture
def anna(operators_group: None, owner: Api, domain: Services) -> str:
    return join(domain, "31").id


def answer(api: Api, text: str, key: str = "answer-0001", participant: str = "31") -> tuple[int, Any]:
    reply = api.post(
        f"/admin/participants/{participant}/dialog", {"text": text, "request_key": key}, as_="operator"
    )
    return reply.status, reply.json


def test_an_answer_reaches_the_participant_and_their_topic_once_even_when_retried(
    anna: str, owner: Api, telegram: FakeTelegram
) -> None:
    status, page = answer(owner, "Здравствуйте! Выплата <завтра>.")
    again, repeated = answer(owner, "Здравствуйте! Выплата <завтра>.")

    assert (status, page["sent"], again, repeated["sent"]) == (200, True, 200, False)
    [to_participant] = telegram.calls_to("sendMessage", chat_id=31)
    assert to_participant.text == "💬 <b>Оператор:</b>\nЗдравствуйте! Выплата &lt;завтра&gt;."
    [topic] = telegram.calls_to("createForumTopic")
    assert topic.params["name"] == "Name31 · 31"
    [in_topic] = telegram.calls_to("sendMessage", chat_id=OPERATORS)
    assert in_topic.text == (
        f"💬 <b>Оператор Admin{OPERATOR_ID} (id {OPERATOR_ID})</b> (веб-приложение):\n"
        "Здравствуйте! Выплата &lt;завтра&gt;."
    )
    assert in_topic.params["message_thread_id"] is not None
    [line] = repeated["items"]
    assert (line["direction"], line["channel"], line["author_id"], line["author_name"]) == (
        "out",
        "web",
        OPERATOR_ID,
        f"Admin{OPERATOR_ID}",
    )
    assert line["text"] == "Здравствуйте! Выплата <завтра>."
    [audit] = [a for a in audits() if a.action == "dialog.reply"]
    assert (audit.actor_id, audit.object_type, audit.object_id) == (OPERATOR_ID, "participant", "31")
    assert len(outbox()) == 2  # one notice to the participant, one into the topic


def test_the_same_request_key_for_another_answer_is_refused(anna: str, owner: Api) -> None:
    answer(owner, "Первый ответ")
    before = snapshot()

    status, body = answer(owner, "Другой ответ")

    assert status == 409
    assert body["error"]["details"]["reason"] == "idempotency_key_reused"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("participant", "text", "key", "status"),
    [
        ("31", "   ", "answer-0001", 422),
        ("31", "x" * 3501, "answer-0001", 422),
        ("31", "Ответ", "short", 422),
        ("99", "Ответ", "answer-0001", 404),
    ],
)
def test_a_bad_answer_is_refused_and_writes_nothing(
    anna: str, owner: Api, telegram: FakeTelegram, participant: str, text: str, key: str, status: int
) -> None:
    before = snapshot()

    got, _ = answer(owner, text, key, participant)

    assert got == status
    assert snapshot() == before
    assert telegram.calls == []


def test_the_dialog_is_listed_newest_first_a_page_at_a_time(
    anna: str, owner: Api, domain: Services, clock: FakeClock
) -> None:
    for n in range(3):
        domain.dialog.record(
            DialogLine(
                participant_id="31",
                source=f"tg:{n}",
                direction=Direction.FROM_PARTICIPANT,
                channel=Channel.TELEGRAM,
                author=Author("31", "Name31", "user31"),
                at=clock.now + timedelta(minutes=n),
                text=f"вопрос {n}",
                attachments=(Attachment("photo", "31", 10 + n, "AgAC"),) if n == 2 else (),
            )
        )

    first = owner.get("/admin/participants/31/dialog", query={"limit": 2}).json
    rest = owner.get("/admin/participants/31/dialog", query={"limit": 2, "cursor": first["next_cursor"]}).json

    assert [line["text"] for line in first["items"]] == ["вопрос 2", "вопрос 1"]
    assert [line["text"] for line in rest["items"]] == ["вопрос 0"]
    assert rest["next_cursor"] is None
    photo = first["items"][0]["attachments"][0]
    assert (photo["kind"], photo["chat_id"], photo["message_id"], photo["file_id"]) == (
        "photo",
        "31",
        12,
        "AgAC",
    )
    assert first["topic_url"] is None  # no topic yet: nothing to link to
    other = owner.get("/admin/participants/32/dialog", query={"cursor": first["next_cursor"]})
    assert other.status == 404


def test_a_status_change_in_the_web_app_is_posted_into_the_topic_with_a_link(
    anna: str, owner: Api, domain: Services, telegram: FakeTelegram
) -> None:
    domain.ledger.correct_balance(
        "setup", "31", available_change=500, total_change=500, reason="seed", idempotency_key="seed-1"
    )
    withdrawal = domain.withdrawals.request("31", 300, "req-1")
    telegram.reset()

    reply = owner.post(
        f"/admin/withdrawals/{withdrawal.withdrawal_id}/status", {"status": "negotiation"}, as_="operator"
    )

    assert reply.status == 200
    [note] = telegram.calls_to("sendMessage", chat_id=OPERATORS)
    link = f'<a href="{WEB_APP}/#/withdrawals/{withdrawal.withdrawal_id}">'
    assert f"Заявка W-{withdrawal.number}</b>: новая → <b>в переговорах</b>" in note.text
    assert f"Оператор: Admin{OPERATOR_ID} (id {OPERATOR_ID})" in note.text
    assert link in note.text
    assert len(telegram.calls_to("sendMessage", chat_id=31)) == 1  # the participant's own notice


def test_without_the_web_app_address_the_status_note_goes_without_a_link(
    operators_group: None,
    monkeypatch: pytest.MonkeyPatch,
    owner: Api,
    clock: FakeClock,
    telegram: FakeTelegram,
) -> None:
    monkeypatch.delenv("ADMIN_WEB_APP_URL")
    context.reset(clock=clock, settings_max_age=0)  # the settings are read again, without the address
    domain = context.current().services
    join(domain, "31")
    domain.ledger.correct_balance(
        "setup", "31", available_change=500, total_change=500, reason="seed", idempotency_key="seed-1"
    )
    withdrawal = domain.withdrawals.request("31", 300, "req-1")

    reply = owner.post(
        f"/admin/withdrawals/{withdrawal.withdrawal_id}/status",
        {"status": "rejected", "reason": "Нет реквизитов"},
    )

    assert reply.status == 200
    [note] = telegram.calls_to("sendMessage", chat_id=OPERATORS)
    assert "отклонена" in note.text and "Причина: Нет реквизитов" in note.text
    assert "<a href" not in note.text
