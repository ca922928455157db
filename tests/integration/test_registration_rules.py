"""R1–R4: registration with and without links, re-attachment, new-buyers-only, self-referral."""

from __future__ import annotations

from datetime import timedelta

import pytest
from referral.domain.links import LinkKind, LinkOpenOutcome
from referral.domain.notifications import NotificationKind
from referral.domain.participants import SponsorOutcome, TelegramProfile
from referral.errors import AlreadyRegistered, InvalidInput, OzonIdTaken, ReferralCycle, SelfReferral
from referral.services import Services

from tests.support.builders import chain, join, posting
from tests.support.clock import FakeClock


def profile(user_id: str) -> TelegramProfile:
    return TelegramProfile(user_id=user_id, username=f"u{user_id}", first_name="Ann", language_code="ru")


def test_r1_registration_without_a_link_creates_a_participant_with_a_personal_link(
    services: Services,
) -> None:
    registration = services.participants.register(profile("10"), "123456789")

    participant = services.participants.get("10")
    assert registration.outcome == SponsorOutcome.NO_LINK
    assert participant.sponsor_id is None and participant.ancestors == ()
    assert participant.ozon_id == "123456789"
    links = services.links.links_of("10")
    assert [(link.kind, link.code) for link in links] == [(LinkKind.PERSONAL, participant.personal_code)]


def test_r1_registration_by_link_attaches_to_the_sponsor_and_counts_the_link(services: Services) -> None:
    sponsor = join(services, "1")
    assert sponsor.personal_code is not None
    opened = services.participants.open_link(sponsor.personal_code, "2")
    assert opened.outcome == LinkOpenOutcome.NEWCOMER

    registration = services.participants.register(profile("2"), "200000001", sponsor.personal_code)

    assert registration.outcome == SponsorOutcome.ATTACHED
    assert registration.participant.sponsor_id == "1"
    link = services.repos.links.get_link(sponsor.personal_code)
    assert link is not None and (link.clicks, link.registrations) == (1, 1)
    refreshed = services.participants.get("1")
    assert (refreshed.direct_referrals, refreshed.network_size) == (1, 1)
    assert services.participants.network("1")[1].referrals == 1
    notices = services.outbox.pending()
    assert [(n.participant_id, n.kind) for n in notices] == [("1", NotificationKind.NEW_REFERRAL)]
    assert notices[0].payload["referral_username"] == "u2"


def test_r1_a_buyer_from_outside_the_program_can_register_and_build_a_network(
    services: Services, clock: FakeClock
) -> None:
    services.purchases.record_posting(posting(clock.now - timedelta(days=5), customer_id="555000111"))

    buyer = join(services, "7", ozon_id="555000111")
    friend = join(services, "8", buyer)

    assert buyer.sponsor_id is None
    assert friend.sponsor_id == "7"


def test_r2_a_registered_participant_is_never_reattached_but_the_click_counts(services: Services) -> None:
    first, other = join(services, "1"), join(services, "2")
    member = join(services, "3", first)
    assert other.personal_code is not None

    opened = services.participants.open_link(other.personal_code, "3")
    with pytest.raises(AlreadyRegistered):
        services.participants.register(profile("3"), "300000009", other.personal_code)

    assert opened.outcome == LinkOpenOutcome.ALREADY_REGISTERED
    assert services.participants.get("3").sponsor_id == member.sponsor_id == "1"
    link = services.repos.links.get_link(other.personal_code)
    assert link is not None and (link.clicks, link.registrations) == (1, 0)
    assert services.participants.get("2").direct_referrals == 0


def test_r3_when_only_new_buyers_may_be_invited_an_earlier_buyer_joins_without_sponsor(
    services: Services, clock: FakeClock
) -> None:
    services.settings.update("owner", {"invite_only_new_buyers": True})
    sponsor = join(services, "1")
    services.purchases.record_posting(posting(clock.now - timedelta(days=3), customer_id="700000001"))

    earlier_buyer = services.participants.register(profile("2"), "700000001", sponsor.personal_code)
    newcomer = services.participants.register(profile("3"), "700000002", sponsor.personal_code)

    assert earlier_buyer.outcome == SponsorOutcome.EXISTING_BUYER
    assert earlier_buyer.participant.sponsor_id is None
    assert newcomer.outcome == SponsorOutcome.ATTACHED
    assert services.participants.get("1").direct_referrals == 1


def test_r3_when_anyone_may_be_invited_an_earlier_buyer_is_attached(
    services: Services, clock: FakeClock
) -> None:
    sponsor = join(services, "1")
    services.purchases.record_posting(posting(clock.now - timedelta(days=3), customer_id="700000001"))

    registration = services.participants.register(profile("2"), "700000001", sponsor.personal_code)

    assert registration.outcome == SponsorOutcome.ATTACHED
    assert registration.participant.sponsor_id == "1"


def test_r4_opening_ones_own_link_is_refused_and_not_counted(services: Services) -> None:
    owner = join(services, "1")
    assert owner.personal_code is not None

    opened = services.participants.open_link(owner.personal_code, "1")

    assert opened.outcome == LinkOpenOutcome.OWN_LINK
    link = services.repos.links.get_link(owner.personal_code)
    assert link is not None and link.clicks == 0


def test_r4_an_ozon_id_belongs_to_one_participant_only(services: Services) -> None:
    join(services, "1", ozon_id="900000001")

    with pytest.raises(OzonIdTaken):
        services.participants.register(profile("2"), "900000001")
    with pytest.raises(OzonIdTaken):
        services.participants.register(profile("3"), " 900 000 001 ")

    assert services.participants.find("2") is None
    assert services.participants.find("3") is None


def test_r4_cycles_and_self_sponsorship_are_refused(services: Services) -> None:
    top, middle, bottom = chain(services, "1", "2", "3")

    with pytest.raises(ReferralCycle):
        services.tree.reparent("admin", top.id, bottom.id, "test")
    with pytest.raises(SelfReferral):
        services.tree.reparent("admin", middle.id, middle.id, "test")

    assert services.participants.get("1").sponsor_id is None
    assert services.participants.get("2").sponsor_id == "1"


@pytest.mark.parametrize("bad", ["", "abc", "12", "1" * 21, "12-34-56"])
def test_an_invalid_ozon_id_is_refused_without_any_write(services: Services, bad: str) -> None:
    with pytest.raises(InvalidInput, match="Ozon ID"):
        services.participants.register(profile("5"), bad)
    assert services.participants.find("5") is None


def test_an_unknown_link_registers_without_sponsor(services: Services) -> None:
    registration = services.participants.register(profile("5"), "500000005", "nosuchcode")
    assert registration.outcome == SponsorOutcome.UNKNOWN_LINK
    assert registration.participant.sponsor_id is None
    assert services.participants.open_link("nosuchcode", "6").outcome == LinkOpenOutcome.UNKNOWN


def test_a_product_link_brings_the_newcomer_to_the_product(services: Services, clock: FakeClock) -> None:
    join(services, "1")
    clock.advance(minutes=1)
    link = services.links.create_product_link("1", "Чайник", "https://www.ozon.ru/product/kettle-123456/")

    registration = services.participants.register(profile("2"), "200000002", link.code)

    assert registration.product_link is not None
    assert registration.product_link.product_name == "Чайник"
    assert registration.participant.sponsor_id == "1"
    assert [lnk.kind for lnk in services.links.links_of("1")] == [LinkKind.PERSONAL, LinkKind.PRODUCT]


def test_product_links_are_validated(services: Services) -> None:
    join(services, "1")
    with pytest.raises(InvalidInput):
        services.links.create_product_link("1", "", "123456")
    with pytest.raises(InvalidInput):
        services.links.create_product_link("1", "Kettle", "https://evil.example/product/1")
    assert len(services.links.links_of("1")) == 1


def test_ancestor_chains_are_kept_up_to_the_deepest_level(services: Services) -> None:
    members = chain(services, *[str(i) for i in range(1, 14)])
    deepest = services.participants.get(members[-1].id)
    assert deepest.ancestors == tuple(str(i) for i in range(12, 2, -1))  # 10 nearest, nearest first
    assert services.participants.network("1")[10].referrals == 1


def test_r4_an_ozon_id_spelt_another_way_is_the_same_id(services: Services) -> None:
    full_width = "".join(chr(0xFF10 + int(d)) for d in "00900000002")
    newcomer = services.participants.register(profile("1"), full_width).participant
    assert newcomer.ozon_id == "900000002"

    for n, spelling in enumerate(["900000002", "0900000002", "٩٠٠٠٠٠٠٠٢"], start=2):
        with pytest.raises(OzonIdTaken):
            services.participants.register(profile(str(n)), spelling)
        assert services.participants.find(str(n)) is None
