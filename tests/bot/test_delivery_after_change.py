"""Notices go out right after the change, from whichever function made it, without waiting for the sweep."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from referral.clock import utcnow
from referral.domain.notifications import NotificationStatus
from referral.repository.models import Entity, NotificationItem
from referral.services import Services

from devtools.fake_ozon import FakeOzon
from devtools.fake_telegram import FakeTelegram
from functions.notify_outbox.handler import sweep
from tests.admin.conftest import Api
from tests.bot.conftest import BOT_TOKEN
from tests.support.builders import chain, join, posting
from tests.support.clock import FakeClock
from tests.support.lambda_context import lambda_context
from tests.sync.world import chain_of_four, hours_ago, products, run_sync

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def bot_env(telegram: FakeTelegram, table_name: str, monkeypatch: pytest.MonkeyPatch) -> FakeTelegram:
    """Every function has the bot's token and the (fake) Bot API it sends notices through."""
    telegram.reset()
    monkeypatch.setenv("TABLE_NAME", table_name)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", telegram.url)
    return telegram


def statuses() -> list[str]:
    return sorted(item.status for item in Entity.scan() if isinstance(item, NotificationItem))


def test_the_release_function_delivers_the_released_notice(bot_env: FakeTelegram, table_name: str) -> None:
    from functions.release_frozen.handler import handler

    clock = FakeClock(start=utcnow() - timedelta(days=60))
    services = Services.build(clock=clock, settings_max_age=0)
    _, buyer = chain(services, "301", "302")
    bought = posting(clock.advance(hours=1), "2000.00", number="5000-0001-1", customer_id=buyer.ozon_id)
    services.purchases.claim_order(buyer.id, bought)
    services.purchases.apply_status(bought.with_status("delivered"))
    sweep()  # what the setup's own changes left in the outbox
    bot_env.reset()

    result = handler({"source": "aws.events"}, lambda_context())

    assert result["released"] == 1
    [notice] = bot_env.calls_to("sendMessage")
    assert (notice.chat_id, notice.text) == (
        301,
        "✅ Разморожено и доступно к выводу: 100 баллов (заказ 5000-0001-1).",
    )
    assert sweep().sent == 0
    assert statuses() == [NotificationStatus.SENT.value] * 3  # new referral and accrual (setup), release


def test_the_sync_function_delivers_the_accrual_notices(
    bot_env: FakeTelegram, services: Services, ozon: FakeOzon, sync_env: None
) -> None:
    a, b, c, d = chain_of_four(services)
    ozon.add_fbs("1001-0001-1", hours_ago(30), products(("1000.00", 1)), customer_id=int(d.ozon_id))
    sweep()  # what the setup's own changes left in the outbox
    bot_env.reset()

    result = run_sync()

    assert result["accrued"] == 3 * 50
    notices = {call.chat_id: call.text for call in bot_env.calls_to("sendMessage")}
    assert notices == {
        int(p.id): f"💰 +50 баллов за покупку реферала {level}-го уровня (заказ 1001-0001-1). "
        f"Заморожены до {(hours_ago(30) + timedelta(days=30)).astimezone(MOSCOW):%d.%m.%Y}."
        for p, level in ((c, 1), (b, 2), (a, 3))
    }
    assert sweep().sent == 0


def test_the_admin_api_delivers_a_status_notice(telegram: FakeTelegram, owner: Api) -> None:
    from referral.admin import context

    domain = context.current().services
    participant = join(domain, "31")
    domain.ledger.correct_balance(
        "setup", "31", available_change=500, total_change=500, reason="seed", idempotency_key="seed-1"
    )
    withdrawal = domain.withdrawals.request(participant.id, 300, "req-1")

    reply = owner.post(f"/admin/withdrawals/{withdrawal.withdrawal_id}/status", {"status": "negotiation"})

    assert reply.status == 200
    [notice] = telegram.calls_to("sendMessage")
    assert notice.chat_id == 31 and notice.text.startswith("💬 Заявка на вывод W-1 (300 баллов) в работе")
    assert sweep().sent == 0


def test_a_failing_bot_api_does_not_break_the_admin_answer(telegram: FakeTelegram, owner: Api) -> None:
    from referral.admin import context

    domain = context.current().services
    participant = join(domain, "31")
    domain.ledger.correct_balance(
        "setup", "31", available_change=500, total_change=500, reason="seed", idempotency_key="seed-1"
    )
    withdrawal = domain.withdrawals.request(participant.id, 300, "req-1")
    telegram.fail("sendMessage", status=502, description="Bad Gateway")

    reply = owner.post(f"/admin/withdrawals/{withdrawal.withdrawal_id}/status", {"status": "negotiation"})

    assert (reply.status, reply.json["status"]) == (200, "negotiation")
    [notice] = [item for item in Entity.scan() if isinstance(item, NotificationItem)]
    assert (notice.status, notice.attempts, notice.last_error) == (
        NotificationStatus.PENDING.value,
        1,
        "Telegram 502: Bad Gateway",
    )  # the sweep retries it
