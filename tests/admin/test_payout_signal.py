"""Operators marking requests paid feed the shared payout signal: the fingerprint is taken from the details
as entered, before they are masked, and kept on the request instead of them; the key is the admin
function's, read from Secrets Manager (moto) as a deployed function reads it."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from referral.domain.participants import Participant
from referral.domain.payout_details import luhn_valid
from referral.domain.risks import RiskFlag, RiskKind
from referral.read.risks import RiskFilter, open_flags
from referral.repository import keys
from referral.repository.models import Entity, WithdrawalItem
from referral.repository.payout_fingerprints import PayoutSharerItem
from referral.services import Services

from tests.admin.conftest import Api
from tests.conftest import PAYOUT_KEY
from tests.support.builders import join


def card(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


CARD = card("427638001234567")
DIGITS = re.compile(r"\d")


@pytest.fixture(autouse=True)
def payout_key(table_name: str, monkeypatch: pytest.MonkeyPatch) -> str:
    secrets = boto3.client("secretsmanager")
    arn = str(
        secrets.create_secret(Name="ozon-referral/payout-fingerprint-key", SecretString=PAYOUT_KEY)["ARN"]
    )
    monkeypatch.setenv("PAYOUT_FINGERPRINT_KEY_ARN", arn)
    return arn


def funded(domain: Services, user_id: str) -> Participant:
    participant = join(domain, user_id)
    domain.ledger.correct_balance(
        "setup",
        participant.id,
        available_change=1000,
        total_change=1000,
        reason="seed",
        idempotency_key=f"seed-{user_id}",
    )
    return participant


def in_negotiation(owner: Api, domain: Services, user_id: str) -> str:
    participant = funded(domain, user_id)
    wid = domain.withdrawals.request(participant.id, 300, f"req-{user_id}").withdrawal_id
    assert owner.post(f"/admin/withdrawals/{wid}/status", {"status": "negotiation"}).status == 200
    return wid


def pay(owner: Api, wid: str, details: str, method: str = "card") -> Any:
    reply = owner.post(
        f"/admin/withdrawals/{wid}/status",
        {"status": "paid", "payout": {"method": method, "reference": f"PP-{wid[:4]}", "details": details}},
    )
    assert reply.status == 200, reply.text
    return reply.json


def shared_payout_flags() -> list[RiskFlag]:
    found, _ = open_flags(RiskFilter(kind=RiskKind.SHARED_PAYOUT), 100, None)
    return found


def stored(wid: str) -> WithdrawalItem:
    return WithdrawalItem.get(keys.withdrawal_pk(wid), keys.WITHDRAWAL_SK)


def raw_table() -> str:
    return json.dumps(Entity._get_connection().scan().get("Items", []), ensure_ascii=False)


def test_two_requests_paid_to_the_same_card_raise_a_flag_and_only_masked_details_are_kept(
    owner: Api, domain: Services
) -> None:
    first, second = in_negotiation(owner, domain, "41"), in_negotiation(owner, domain, "42")

    paid = pay(owner, first, f"Сбер {CARD[:4]}-{CARD[4:8]}-{CARD[8:12]}-{CARD[12:]}")
    assert shared_payout_flags() == []
    pay(owner, second, f"карта {CARD}")

    [flag] = shared_payout_flags()
    assert flag.participant_ids == ("41", "42")
    assert flag.evidence == {"participants": ["41", "42"], "count": 2, "kind": "card", "last4": CARD[-4:]}
    assert paid["payout_details"] == f"Сбер •••• {CARD[-4:]}"
    [one], [other] = stored(first).payout_fingerprints, stored(second).payout_fingerprints
    assert one == other == flag.subject
    assert (stored(first).payout_details, stored(second).payout_details) == (
        f"Сбер •••• {CARD[-4:]}",
        f"карта •••• {CARD[-4:]}",
    )
    table = raw_table()
    spelled = {CARD, CARD[:12], f"{CARD[:4]}-{CARD[4:8]}", f"{CARD[:4]} {CARD[4:8]}"}
    assert not [s for s in spelled if s in table]
    assert PAYOUT_KEY not in table


def test_an_sbp_phone_is_fingerprinted_before_it_is_masked(owner: Api, domain: Services) -> None:
    first, second = in_negotiation(owner, domain, "41"), in_negotiation(owner, domain, "42")
    pay(owner, first, "Тинькофф, +7 (915) 123-45-67", method="sbp")
    pay(owner, second, "8 915 1234567 Сбер", method="sbp")

    [flag] = shared_payout_flags()
    assert (flag.evidence["kind"], flag.evidence["last4"]) == ("phone", "4567")
    assert stored(first).payout_details == "Тинькофф, •••• 4567"
    assert "9151234567" not in raw_table() and "123-45-67" not in raw_table()


def test_a_card_from_the_dialog_and_the_same_card_paid_to_another_participant_are_shared(
    owner: Api, domain: Services
) -> None:
    wid = in_negotiation(owner, domain, "41")
    writer = join(domain, "43")
    domain.risks.dialog_message(writer.id, f"карта {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}", "tg:1")

    pay(owner, wid, CARD)

    [flag] = shared_payout_flags()
    assert flag.participant_ids == ("41", "43")
    sources = sorted(i.source for i in Entity.scan() if isinstance(i, PayoutSharerItem))
    assert sources == ["tg:1", f"withdrawal:{wid}"]


def test_cards_ending_alike_or_details_without_a_number_are_not_shared(owner: Api, domain: Services) -> None:
    other = next(
        c for c in (card(f"5536913800{n:03d}{CARD[12:15]}") for n in range(1000)) if c[-4:] == CARD[-4:]
    )
    requests = [in_negotiation(owner, domain, user_id) for user_id in ("41", "42", "44", "45")]
    pay(owner, requests[0], CARD)
    pay(owner, requests[1], other)
    pay(owner, requests[2], "Сбер")  # a bank's name alone says nothing about who was paid
    pay(owner, requests[3], "Сбер")

    assert shared_payout_flags() == []
    assert stored(requests[2]).payout_fingerprints is None


def test_a_bulk_payout_to_one_card_flags_the_participants_and_a_repeated_batch_counts_nobody_twice(
    owner: Api, domain: Services
) -> None:
    ids = [in_negotiation(owner, domain, "41"), in_negotiation(owner, domain, "42")]
    body = {
        "ids": ids,
        "status": "paid",
        "payout": {"method": "card", "reference": "BATCH-1", "details": CARD},
    }

    first = owner.post("/admin/withdrawals/bulk", body)
    again = owner.post("/admin/withdrawals/bulk", body)

    assert [i["result"] for i in first.json["items"]] == ["done", "done"]
    assert [i["result"] for i in again.json["items"]] == ["unchanged", "unchanged"]
    [flag] = shared_payout_flags()
    assert (flag.participant_ids, flag.raised_times) == (("41", "42"), 1)
    assert len([i for i in Entity.scan() if isinstance(i, PayoutSharerItem)]) == 2


def test_without_a_readable_key_payouts_work_and_the_health_check_says_the_signal_is_off(
    owner: Api, domain: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from referral.admin import context

    monkeypatch.setenv("PAYOUT_FINGERPRINT_KEY_ARN", "ozon-referral/no-such-secret")
    for started in ("settings", "services"):  # a new container: it reads the key at its start
        context.current().__dict__.pop(started, None)
    first, second = in_negotiation(owner, domain, "41"), in_negotiation(owner, domain, "42")
    pay(owner, first, CARD)
    paid = pay(owner, second, CARD)

    assert (paid["status"], paid["payout_details"]) == ("paid", f"•••• {CARD[-4:]}")
    assert shared_payout_flags() == [] and stored(second).payout_fingerprints is None
    assert [r for r in caplog.records if r.getMessage().startswith("shared payout signal is off")]
    checks = {c["check"]: c for c in owner.get("/admin/health").json["checks"]}
    assert (checks["payout_key"]["ok"], checks["payout_key"]["problem"]) == (False, "payout_key_unreadable")
    assert "shared payout signal is off" in checks["payout_key"]["advice"]

    monkeypatch.delenv("PAYOUT_FINGERPRINT_KEY_ARN")
    checks = {c["check"]: c for c in owner.get("/admin/health").json["checks"]}
    assert checks["payout_key"]["problem"] == "payout_key_not_configured"


def test_a_readable_key_passes_the_health_check_without_showing_it(owner: Api) -> None:
    reply = owner.get("/admin/health")
    [check] = [c for c in reply.json["checks"] if c["check"] == "payout_key"]
    assert (check["ok"], check["problem"], check["facts"]) == (True, None, {})
    assert PAYOUT_KEY not in reply.text


def test_make_doctor_names_a_missing_payout_key_with_what_to_do(
    owner: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from devtools import doctor

    monkeypatch.delenv("PAYOUT_FINGERPRINT_KEY_ARN")
    assert doctor.main(["--api-url", "https://admin.example.com"]) == 1
    output = capsys.readouterr().out
    assert "[FAIL] payout_key" in output
    assert "payout_key_not_configured: Set PAYOUT_FINGERPRINT_KEY_ARN" in output
