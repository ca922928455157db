"""Cards and phones participants write in their dialog with the operators feed the shared payout signal.

The bot is the real webhook handler with the key read from Secrets Manager (moto) as a deployed one reads
it; what is observed is the table (the fingerprint index, the flags), the relay calls the fake Bot API
received, and the logs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from referral.domain.payout_details import luhn_valid
from referral.domain.risks import RiskFlag, RiskKind
from referral.read.risks import RiskFilter, open_flags
from referral.repository.models import Entity
from referral.repository.payout_fingerprints import PayoutSharerItem

from tests.bot.conftest import OPERATORS, Bot, TgUser
from tests.conftest import PAYOUT_KEY
from tests.support.refusals import refused_writes

ANNA, BORIS = TgUser(101, "Anna", "anna"), TgUser(102, "Boris", "boris")


def card(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


CARD = card("427638001234567")
SAME_ENDING = next(
    c for c in (card(f"5536913800{n:03d}{CARD[12:15]}") for n in range(1000)) if c[-4:] == CARD[-4:]
)
"""Another card whose last four digits are the same."""


def grouped(number: str, joiner: str = " ") -> str:
    return joiner.join(number[i : i + 4] for i in range(0, len(number), 4))


@pytest.fixture(autouse=True)
def payout_key(table_name: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The key as the stack makes it: a secret, its ARN in the bot's environment (before the bot starts)."""
    secrets = boto3.client("secretsmanager")
    arn = str(
        secrets.create_secret(Name="ozon-referral/payout-fingerprint-key", SecretString=PAYOUT_KEY)["ARN"]
    )
    monkeypatch.setenv("PAYOUT_FINGERPRINT_KEY_ARN", arn)
    return arn


@pytest.fixture
def two(bot: Bot) -> Bot:
    bot.register(ANNA, "111111111")
    bot.register(BORIS, "222222222")
    bot.telegram.reset()
    return bot


def shared_payout_flags() -> list[RiskFlag]:
    found, _ = open_flags(RiskFilter(kind=RiskKind.SHARED_PAYOUT), 100, None)
    return found


def sharers() -> list[PayoutSharerItem]:
    return [item for item in Entity.scan() if isinstance(item, PayoutSharerItem)]


def raw_table() -> str:
    return json.dumps(Entity._get_connection().scan().get("Items", []), ensure_ascii=False)


def relayed_texts(bot: Bot) -> list[str]:
    return [call.text for call in bot.telegram.calls_to("sendMessage", chat_id=OPERATORS)]


def test_the_same_card_written_differently_by_two_participants_raises_one_flag_naming_both(two: Bot) -> None:
    two.say(ANNA, f"Переведите, пожалуйста, на карту {grouped(CARD)}")
    two.say(BORIS, f"моя карта {grouped(CARD, '-')} сбер")

    [flag] = shared_payout_flags()
    assert flag.participant_ids == ("101", "102")
    assert flag.evidence == {"participants": ["101", "102"], "count": 2, "kind": "card", "last4": CARD[-4:]}
    assert CARD not in flag.reason and grouped(CARD) not in flag.reason
    # The relay itself is as it always was: each message, as written, in its author's topic.
    texts = relayed_texts(two)
    assert len(texts) == 2 and grouped(CARD) in texts[0] and grouped(CARD, "-") in texts[1]
    # The index holds fingerprints, kinds and last four digits; the key is nowhere in the table.
    items = sharers()
    assert sorted(i.participant_id for i in items) == ["101", "102"]
    assert {(i.kind, i.last4) for i in items} == {("card", CARD[-4:])}
    assert all(CARD not in json.dumps(i.serialize()) for i in items)
    assert PAYOUT_KEY not in raw_table()


def test_two_cards_ending_in_the_same_four_digits_are_not_shared(two: Bot) -> None:
    two.say(ANNA, f"карта {grouped(CARD)}")
    two.say(BORIS, f"карта {grouped(SAME_ENDING)}")

    assert shared_payout_flags() == []
    assert len({item.pk for item in sharers()}) == 2


def test_the_same_phone_written_differently_is_shared_and_a_near_miss_is_not(two: Bot) -> None:
    carol = TgUser(103, "Carol")
    two.register(carol, "333333333")
    two.say(ANNA, "СБП: 8 915 123-45-67, Тинькофф")
    two.say(carol, "по номеру +7 (916) 123-45-67")  # another number, the same last four digits
    assert shared_payout_flags() == []

    two.say(BORIS, "+79151234567")

    [flag] = shared_payout_flags()
    assert flag.participant_ids == ("101", "102")
    assert (flag.evidence["kind"], flag.evidence["last4"]) == ("phone", "4567")
    assert "9151234567" not in json.dumps(flag.evidence) + flag.reason


def test_a_redelivered_update_or_the_same_card_again_adds_no_second_item(two: Bot) -> None:
    update = two.message(ANNA, f"карта {CARD}")
    two.post(update)
    two.post(update)  # Telegram delivers it again
    two.say(ANNA, f"ещё раз: {grouped(CARD)}")

    [item] = sharers()
    assert (item.participant_id, item.source) == ("101", f"tg:{update['update_id']}")
    assert shared_payout_flags() == []
    assert len(relayed_texts(two)) == 2  # the redelivered update was not relayed twice either


def test_a_photo_caption_with_a_card_counts_too(two: Bot) -> None:
    two.say(ANNA, f"карта {CARD}")
    two.send(
        BORIS,
        {
            "photo": [{"file_id": "AgACcard", "file_unique_id": "AQADcard", "width": 640, "height": 480}],
            "caption": f"вот карта {grouped(CARD)}",
        },
    )

    [flag] = shared_payout_flags()
    assert flag.participant_ids == ("101", "102")


@pytest.fixture
def failing_index(table_name: str) -> Iterator[None]:
    """DynamoDB refusing every write of the fingerprint index."""
    with refused_writes("PutItem", "PAYFP#"):
        yield


def test_a_failing_signal_leaves_the_relay_intact_and_is_logged_and_counted(
    two: Bot,
    failing_index: None,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    capsys.readouterr()
    ack = two.say(ANNA, f"карта {grouped(CARD)}")

    assert ack["text"] == "✉️ Передано оператору. Ответ придёт сюда."
    assert len(relayed_texts(two)) == 1
    assert sharers() == [] and shared_payout_flags() == []
    [failed] = [r for r in caplog.records if r.getMessage() == "risk signal failed"]
    assert (failed.levelname, getattr(failed, "flow", None)) == ("ERROR", "dialog")
    metrics = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if "RiskSignalFailures" in line
    ]
    assert [(m["flow"], m["RiskSignalFailures"]) for m in metrics] == [("dialog", [1.0])]
    logged = caplog.text + json.dumps(metrics)
    assert CARD not in logged and grouped(CARD) not in logged and PAYOUT_KEY not in logged


def test_an_unreadable_key_turns_the_signal_off_with_a_warning_and_relays_on(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from functions.bot_webhook import handler as webhook

    monkeypatch.setenv(
        "PAYOUT_FINGERPRINT_KEY_ARN",
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:ozon-referral/missing-AbCdEf",
    )
    webhook.reset()
    bot.register(ANNA, "111111111")
    bot.register(BORIS, "222222222")
    bot.say(ANNA, f"карта {CARD}")
    bot.say(BORIS, f"карта {CARD}")

    assert len(relayed_texts(bot)) == 2
    assert sharers() == [] and shared_payout_flags() == []
    [off] = [r for r in caplog.records if r.getMessage().startswith("shared payout signal is off")]
    assert (off.levelname, getattr(off, "problem", None)) == ("WARNING", "payout_key_unreadable")
