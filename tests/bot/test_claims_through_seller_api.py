"""An order claim in production wiring: the bot looks the posting up through the real Seller API client."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from referral.services import Services

from devtools.fake_ozon import FakeOzon, FakeProduct
from functions.bot_webhook import handler as webhook
from tests.bot.conftest import Bot, TgUser


@pytest.fixture
def ozon(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOzon]:
    with FakeOzon() as fake:
        monkeypatch.setenv("OZON_API_URL", fake.url)
        monkeypatch.setenv("OZON_CLIENT_ID", fake.client_id)
        monkeypatch.setenv("OZON_API_KEY", fake.api_key)
        yield fake


def test_a_claimed_fbo_order_is_found_at_ozon_and_counted(
    bot: Bot, services: Services, ozon: FakeOzon
) -> None:
    webhook.reset()
    webhook.runtime(clock=bot.clock)  # no injected lookup: the deployed path
    sponsor, buyer = TgUser(201, "Anna"), TgUser(202, "Boris")
    bot.register(sponsor, "111111111")
    code = services.repos.participants.get_participant("201")
    assert code is not None and code.personal_code
    bot.register(buyer, "222222222", code.personal_code)
    bot.clock.advance(hours=1)
    ozon.add_fbo(
        "3000-0001-1", bot.clock.now, [FakeProduct(1, "Tea", Decimal("1000.00"))], status="delivered"
    )
    bot.say(buyer, "🧾 Моя покупка")
    bot.telegram.reset()

    asked = bot.say(buyer, "3000-0001")
    assert asked["text"].startswith("Чтобы подтвердить, что заказ ваш")  # FBO: no buyer id, so a proof
    answer = bot.say(buyer, "1000")

    texts = [answer.get("text", "")] + [
        call.text for call in bot.telegram.calls_to("sendMessage", chat_id=202)
    ]
    assert any(t.startswith("Заказ 3000-0001-1 от 10.01.2026 на 1 000.00 ₽ засчитан.") for t in texts), texts
    assert ozon.count() >= 1  # the posting was looked up at the Seller API
    sponsor_now = services.repos.participants.get_participant("201")
    assert sponsor_now is not None and sponsor_now.balances.frozen == 50


def test_without_a_connection_a_claim_is_answered_politely(
    bot: Bot, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OZON_CLIENT_ID", "OZON_API_KEY", "OZON_API_KEY_SECRET_ID"):
        monkeypatch.delenv(name, raising=False)
    webhook.reset()
    webhook.runtime(clock=bot.clock)
    anna = TgUser(301, "Anna")
    bot.register(anna, "333333333")
    bot.say(anna, "🧾 Моя покупка")

    answer = bot.say(anna, "3000-0001")

    assert "Ozon" in answer["text"]
    assert services.ledger.entries_of("301") == []


@pytest.mark.parametrize("scheme", ["FBS", "FBO"])
def test_an_order_number_counts_every_shipment_of_a_split_order_once(
    bot: Bot, services: Services, ozon: FakeOzon, scheme: str
) -> None:
    webhook.reset()
    webhook.runtime(clock=bot.clock)
    sponsor, buyer = TgUser(401, "Anna"), TgUser(402, "Boris")
    bot.register(sponsor, "444444441")
    code = services.repos.participants.get_participant("401")
    assert code is not None and code.personal_code
    bot.register(buyer, "444444442", code.personal_code)
    bot.clock.advance(hours=1)
    add = ozon.add_fbs if scheme == "FBS" else ozon.add_fbo
    for number, price in (("3300-0001-2", "1000.00"), ("3300-0001-3", "500.00")):  # no "-1": split
        add(number, bot.clock.now, [FakeProduct(1, "Tea", Decimal(price))], status="delivered")

    replies = []
    for number in ("3300-0001", "3300-0001-3"):  # the order number, then one of its shipments again
        bot.say(buyer, "🧾 Моя покупка")
        bot.telegram.reset()
        answer = bot.say(buyer, number)
        if answer.get("text", "").startswith("Чтобы подтвердить"):  # no buyer id: the price is the proof
            answer = bot.say(buyer, "500")
        sent = [call.text for call in bot.telegram.calls_to("sendMessage", chat_id=402)]
        replies.append([answer.get("text", ""), *sent])

    assert any(t.startswith("Заказ 3300-0001-2 от") for t in replies[0]), replies[0]
    assert any(t.startswith("Заказ 3300-0001-3 от") for t in replies[0]), replies[0]
    assert "Этот заказ уже засчитан вам." in replies[1], replies[1]
    lists = [r for r in ozon.requests if r.path.endswith("/list")]
    assert lists and all(r.body["filter"]["order_numbers"] == ["3300-0001"] for r in lists)
    sponsor_now = services.repos.participants.get_participant("401")
    assert sponsor_now is not None and sponsor_now.balances.frozen == 50 + 25
