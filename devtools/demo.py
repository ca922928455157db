"""A small demo network registered through the bot itself: a 4-person chain with one order each."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from devtools.telegram_updates import LocalUser, message_update, post_update


@dataclass(frozen=True)
class DemoPerson:
    user: LocalUser
    ozon_id: str
    order_amount: Decimal
    sponsor: int | None


DEMO_PEOPLE = (
    DemoPerson(LocalUser(5001, "Анна", "anna_demo"), "500000001", Decimal("2490.00"), None),
    DemoPerson(LocalUser(5002, "Борис", "boris_demo"), "500000002", Decimal("1890.00"), 5001),
    DemoPerson(LocalUser(5003, "Вера", None), "500000003", Decimal("3200.00"), 5002),
    DemoPerson(LocalUser(5004, "Глеб", "gleb_demo", "en"), "500000004", Decimal("990.00"), 5003),
)


def seed_network(gateway: str, webhook_secret: str) -> tuple[DemoPerson, ...]:
    """Each person opens their sponsor's link and gives an Ozon ID, exactly as in Telegram."""
    from referral.repository.participants import ParticipantRepository

    participants = ParticipantRepository()
    for person in DEMO_PEOPLE:
        code = ""
        if person.sponsor is not None:
            sponsor = participants.get_participant(str(person.sponsor))
            code = f" {sponsor.personal_code}" if sponsor and sponsor.personal_code else ""
        post_update(gateway, webhook_secret, message_update(person.user, f"/start{code}")).raise_for_status()
        post_update(gateway, webhook_secret, message_update(person.user, person.ozon_id)).raise_for_status()
    return DEMO_PEOPLE
