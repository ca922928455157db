"""The participant sees their request's number (W-…) in what the bot tells them about it."""

from __future__ import annotations

from devtools.fake_telegram import FakeTelegram
from tests.admin.conftest import Api
from tests.support.builders import join


def test_the_participant_is_told_each_status_with_the_request_number(
    telegram: FakeTelegram, owner: Api
) -> None:
    from referral.admin import context

    domain = context.current().services
    participant = join(domain, "31")
    domain.ledger.correct_balance(
        "setup", "31", available_change=500, total_change=500, reason="seed", idempotency_key="seed-1"
    )
    withdrawal = domain.withdrawals.request(participant.id, 300, "req-1")
    path = f"/admin/withdrawals/{withdrawal.withdrawal_id}/status"

    owner.post(path, {"status": "negotiation"})
    paid = owner.post(
        path, {"status": "paid", "payout": {"method": "card", "reference": "P-9", "details": "4111"}}
    )

    assert paid.status == 200
    texts = [c.text for c in telegram.calls_to("sendMessage") if c.chat_id == 31]
    assert len(texts) == 2
    assert texts[0].startswith("💬 Заявка на вывод W-1 (300 баллов) в работе")
    assert (
        texts[1] == "✅ Заявка W-1: выплачено 300.00 ₽ за 300 баллов. Осталось: доступно 200, заморожено 0."
    )
