"""Payout details as the shared payout signal reads them: found in free text, one spelling each, keyed."""

from __future__ import annotations

import hashlib

import pytest
from referral.domain.payout_details import (
    PayoutFingerprinter,
    PayoutKind,
    details_of_payout,
    find_details,
    luhn_valid,
)
from referral.domain.payouts import mask_details, payout

KEY = b"a-test-key-of-thirty-two-bytes!!"


def card(prefix: str) -> str:
    """``prefix`` completed with its Luhn check digit."""
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


CARD = card("427612345678901")  # 16 digits
MIR19 = card("220012345678901234")  # 19 digits


def kinds(text: str) -> list[tuple[PayoutKind, str | None]]:
    return [(detail.kind, detail.last4) for detail in find_details(text)]


def test_luhn_check_digit() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid(CARD) and luhn_valid(MIR19)
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    "written",
    [
        CARD,
        f"{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}",
        f"{CARD[:4]}-{CARD[4:8]}-{CARD[8:12]}-{CARD[12:]}",
        f"карта: {CARD[:4]}\u00a0{CARD[4:8]}\u00a0{CARD[8:12]}\u00a0{CARD[12:]}, спасибо",
        "".join(chr(ord("０") + int(d)) for d in CARD),  # full-width digits
    ],
)
def test_a_card_in_any_formatting_is_one_card(written: str) -> None:
    fingerprinter = PayoutFingerprinter(KEY)
    [found] = fingerprinter.of_message(written)
    assert (found.kind, found.last4) == (PayoutKind.CARD, CARD[-4:])
    assert found == fingerprinter.of_message(CARD)[0]


@pytest.mark.parametrize(
    "written",
    [
        "8 915 123-45-67",
        "+7 (915) 123-45-67",
        "+79151234567",
        "89151234567",
        "7 915 1234567",
        "+7-915-123-4567",
    ],
)
def test_a_phone_in_any_formatting_is_one_phone(written: str) -> None:
    fingerprinter = PayoutFingerprinter(KEY)
    [found] = fingerprinter.of_message(f"СБП по номеру {written}")
    assert (found.kind, found.last4) == (PayoutKind.PHONE, "4567")
    assert found == fingerprinter.of_message("+79151234567")[0]


def test_what_is_not_a_card_or_a_mobile_phone_is_not_taken_for_one() -> None:
    assert kinds(CARD[:-1] + str((int(CARD[-1]) + 1) % 10)) == []  # the check digit is wrong
    assert kinds(CARD[:15]) == []  # too short for a card
    assert kinds("40817810099910004312") == []  # a 20-digit account number
    assert kinds("заказ 87654321-0001-1, W-1042") == []
    assert kinds("+7 495 123-45-67") == []  # a landline: SBP goes to mobile numbers
    assert kinds("мой Ozon ID 123456789") == []


def test_several_details_in_one_message_are_each_found() -> None:
    text = f"{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}\nили 8 915 123 45 67, или {MIR19}"
    assert kinds(text) == [
        (PayoutKind.CARD, CARD[-4:]),
        (PayoutKind.PHONE, "4567"),
        (PayoutKind.CARD, MIR19[-4:]),
    ]
    assert kinds(f"{CARD} {CARD[:4]}-{CARD[4:8]}-{CARD[8:12]}-{CARD[12:]}") == [(PayoutKind.CARD, CARD[-4:])]


def test_an_operators_free_form_details_are_one_other_detail() -> None:
    [other] = details_of_payout("ЮMoney кошелёк 4100 1234 5678")
    assert (other.kind, other.last4) == (PayoutKind.OTHER, "5678")
    assert details_of_payout("Sber") == []  # too little to say who is paid
    assert details_of_payout("Tinkoff ***-12-34") == []
    assert [d.kind for d in details_of_payout(f"Сбер {CARD}")] == [PayoutKind.CARD]


def test_the_fingerprint_is_keyed() -> None:
    first, second = PayoutFingerprinter(KEY), PayoutFingerprinter(b"another-key-of-thirty-two-bytes!")
    [one], [other] = first.of_message(CARD), second.of_message(CARD)
    assert one.value != other.value
    unkeyed = {hashlib.sha256(f"{prefix}{CARD}".encode()).hexdigest()[:32] for prefix in ("", "card\x00")}
    assert one.value not in unkeyed and CARD not in one.value
    assert KEY.decode() not in repr(first) and KEY.decode() not in str(first)
    assert CARD not in repr(find_details(CARD))
    with pytest.raises(ValueError, match="at least 32 bytes"):
        PayoutFingerprinter(b"short")


def test_a_paid_requests_details_are_stored_masked_phones_included() -> None:
    recorded = payout("sbp", "SBP-1", "Сбер +7 (915) 123-45-67")
    assert recorded.details == "Сбер •••• 4567"
    assert recorded.entered == "Сбер +7 (915) 123-45-67"
    assert "123-45-67" not in repr(recorded)
    assert mask_details(f"карта {CARD}") == f"карта •••• {CARD[-4:]}"
