"""Property: whatever happened to a participant's points — purchases in their network, returns and
cancellations, releases, operators' corrections, withdrawals paid or rejected — the lines of the bot's
balance breakdown add up to the balance it shows, and that balance is the stored one."""

from __future__ import annotations

import contextlib
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from referral.domain.orders import Attribution, Posting
from referral.domain.participants import Participant
from referral.errors import DomainError
from referral.services import Services

from tests.bot.conftest import Bot, TgUser
from tests.support.builders import chain, posting

_ids = itertools.count(1)

WHO = st.integers(min_value=0, max_value=2)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), WHO, st.integers(min_value=500, max_value=4000)),
        st.tuples(
            st.just("return"), st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=3000)
        ),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=9)),
        st.tuples(st.just("release")),
        st.tuples(st.just("correct"), WHO, st.integers(-60, 60), st.integers(-60, 60)),
        st.tuples(
            st.just("withdraw"),
            WHO,
            st.integers(min_value=100, max_value=300),
            st.sampled_from(["paid", "rejected", "new"]),
        ),
    ),
    max_size=10,
)


@dataclass
class Network:
    """A fresh chain of three (top, middle, buyer at the bottom) and what was bought in it."""

    services: Services
    bot: Bot
    members: list[Participant]
    postings: list[Posting] = field(default_factory=list)

    def apply(self, step: tuple[object, ...]) -> None:
        kind, *args = step
        with contextlib.suppress(DomainError):  # refused (e.g. too little to withdraw): nothing moved
            getattr(self, f"_{kind}")(*args)

    def _buy(self, who: int, amount: int) -> None:
        buyer = self.members[who]
        bought = posting(self.bot.clock.advance(hours=1), f"{amount}.00", customer_id=buyer.ozon_id)
        self.services.purchases.record_purchase(bought, buyer.id, Attribution.CUSTOMER_ID)
        self.postings.append(bought)

    def _return(self, index: int, amount: int) -> None:
        if self.postings:
            number = self.postings[index % len(self.postings)].posting_number
            self.services.purchases.apply_return(number, f"r{next(_ids)}", Decimal(amount))

    def _cancel(self, index: int) -> None:
        if self.postings:
            self.services.purchases.apply_status(
                self.postings[index % len(self.postings)].with_status("cancelled")
            )

    def _release(self) -> None:
        for bought in self.postings:
            self.services.purchases.apply_status(bought.with_status("delivered"))
        self.bot.clock.advance(days=31)
        self.services.release.release_matured()

    def _correct(self, who: int, available: int, total: int) -> None:
        key = f"prop-{next(_ids)}"
        self.services.ledger.correct_balance(
            "operator",
            self.members[who].id,
            available_change=available,
            total_change=total,
            reason="r",
            idempotency_key=key,
        )

    def _withdraw(self, who: int, points: int, outcome: str) -> None:
        request = self.services.withdrawals.request(self.members[who].id, points, f"w{next(_ids)}")
        if outcome != "new":
            reason = "no" if outcome == "rejected" else None
            self.services.withdrawals.change_status("operator", request.withdrawal_id, outcome, reason)


def shown(text: str) -> tuple[int, int]:
    """The balance the bot shows, and the sum of its breakdown's lines."""
    number = re.compile(r"[+−]?\d[\d ]*")

    def value(raw: str) -> int:
        return int(raw.replace(" ", "").replace("−", "-"))

    total = re.match(r"<b>Баланс: ([\d ]+) балл", text)
    assert total is not None, text
    _, _, lines = text.partition("Из чего складывается баланс")
    parts = re.findall(rf"^• [^:\n]+: ({number.pattern})$", lines, flags=re.MULTILINE)
    return value(total.group(1)), sum(value(part) for part in parts)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_the_breakdown_adds_up_to_the_balance(
    bot: Bot, services: Services, steps: list[tuple[object, ...]]
) -> None:
    services.settings.update("admin", {"own_rate": "100", "min_withdrawal": 100})
    base = 1000 * next(_ids)
    members = chain(services, *(str(base + offset) for offset in range(3)))
    network = Network(services, bot, members)

    for step in steps:
        network.apply(step)

    for member in members:
        stored = services.repos.participants.get_participant(member.id)
        assert stored is not None
        total, lines = shown(
            bot.say(TgUser(int(member.id), member.profile.first_name or "x"), "/balance")["text"]
        )
        assert (total, lines) == (stored.balances.balance, stored.balances.balance), steps
    assert services.reconciliation.run().clean
    bot.clock.advance(days=1)


def test_a_level_the_program_no_longer_pays_still_counts_in_the_breakdown(
    bot: Bot, services: Services
) -> None:
    top, _, _, buyer = chain(services, "301", "302", "303", "304")
    bought = posting(bot.clock.advance(hours=1), "2000.00", customer_id=buyer.ozon_id)
    services.purchases.record_purchase(bought, buyer.id, Attribution.CUSTOMER_ID)
    services.settings.update("admin", {"levels": 2, "level_rates": ["50", "30"]})

    text = bot.say(TgUser(301, "Top"), "/balance")["text"]

    assert "• за 3-й уровень: " in text
    assert shown(text)[0] == shown(text)[1] > 0
    stored = services.repos.participants.get_participant(top.id)
    assert stored is not None and shown(text)[0] == stored.balances.balance
