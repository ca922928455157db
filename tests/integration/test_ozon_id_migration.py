"""Stored Ozon IDs re-spelt canonically: a dry run that writes nothing, a run, a second run with nothing
left to do, and collisions reported without merging anyone."""

from __future__ import annotations

import io

import pytest
from referral.repository import keys
from referral.repository.models import Entity, OzonIdentityItem, ParticipantItem
from referral.repository.table import table_name
from referral.services import Services

from devtools.migrate_ozon_ids import main, run
from tests.support.builders import join


def stored_as(participant_id: str, spelling: str) -> None:
    """The state a registration made before IDs were canonical left behind."""
    item = ParticipantItem.get(keys.participant_pk(participant_id), keys.PROFILE)
    identity = OzonIdentityItem.get(keys.ozon_pk(item.ozon_id), keys.OZON_SK)
    OzonIdentityItem(
        keys.ozon_pk(spelling),
        keys.OZON_SK,
        ozon_id=spelling,
        participant_id=participant_id,
        claimed_at=identity.claimed_at,
    ).save()
    identity.delete()
    item.update([ParticipantItem.ozon_id.set(spelling)])


def snapshot() -> dict[tuple[str, str], dict[str, object]]:
    return {(i.pk, i.sk): i.attribute_values for i in Entity.scan()}


def identities() -> dict[str, str | None]:
    return {i.ozon_id: i.participant_id for i in Entity.scan() if isinstance(i, OzonIdentityItem)}


def ozon_id_of(participant_id: str) -> str:
    return str(ParticipantItem.get(keys.participant_pk(participant_id), keys.PROFILE).ozon_id)


def test_dry_run_then_run_then_nothing_left(services: Services) -> None:
    join(services, "1", ozon_id="111111")
    join(services, "2", ozon_id="222222")
    join(services, "3", ozon_id="333333")
    stored_as("1", "000111111")
    stored_as("2", "２２２２２２")
    OzonIdentityItem(
        keys.ozon_pk("0444444"), keys.OZON_SK, ozon_id="0444444", first_purchase_at="2026-01-02"
    ).save()
    before = snapshot()

    out = io.StringIO()
    planned = run(dry_run=True, out=out)

    assert snapshot() == before
    assert {(c.participant_id, c.canonical) for c in planned.respellings} == {
        ("1", "111111"),
        ("2", "222222"),
    }
    assert "would re-spell participant 1: '000111111' -> 111111" in out.getvalue()

    done = run(dry_run=False, out=io.StringIO())

    assert len(done.respellings) == 2 and len(done.orphans) == 1 and not done.collisions
    assert [ozon_id_of(p) for p in ("1", "2", "3")] == ["111111", "222222", "333333"]
    assert identities() == {"111111": "1", "222222": "2", "333333": "3", "444444": None}
    orphan = OzonIdentityItem.get(keys.ozon_pk("444444"), keys.OZON_SK)
    assert orphan.first_purchase_at == "2026-01-02"
    claimed = OzonIdentityItem.get(keys.ozon_pk("111111"), keys.OZON_SK)
    assert claimed.claimed_at is not None

    settled = snapshot()
    again = run(dry_run=False, out=io.StringIO())
    assert not again.respellings and not again.orphans and not again.collisions
    assert snapshot() == settled


def test_participants_whose_ids_become_equal_are_reported_and_left_alone(services: Services) -> None:
    join(services, "1", ozon_id="555555")
    join(services, "2", ozon_id="555556")
    join(services, "3", ozon_id="777777")
    join(services, "4", ozon_id="777778")
    stored_as("2", "0555555")  # collides with the canonical "555555" of participant 1
    stored_as("3", "0777777")
    stored_as("4", "00777777")  # two old spellings of one ID
    before = snapshot()

    out = io.StringIO()
    result = run(dry_run=False, out=out)

    assert {c.canonical: c.participants for c in result.collisions} == {
        "555555": (("1", "555555"), ("2", "0555555")),
        "777777": (("3", "0777777"), ("4", "00777777")),
    }
    assert snapshot() == before
    assert "collision on 555555: 1 ('555555'), 2 ('0555555')" in out.getvalue()


def test_the_command_exits_1_while_collisions_remain(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    join(services, "1", ozon_id="555555")
    join(services, "2", ozon_id="555556")
    stored_as("2", "0555555")
    monkeypatch.setenv("TABLE_NAME", table_name())

    assert main(["--dry-run"]) == 1
    assert ozon_id_of("2") == "0555555"
