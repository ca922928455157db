"""How an order counts in the statistics: the buyer's orders and sum, every network level's, the link's.

Steps of the order repository's transactions; they add to that transaction's merged profile and level
changes and never commit anything themselves.
"""

from __future__ import annotations

from decimal import Decimal

from pynamodb.expressions.update import Action

from referral.clock import to_iso
from referral.domain.orders import CANCELLED, AccrualPlan
from referral.repository.changes import Changes
from referral.repository.links import link_ref
from referral.repository.models import LinkItem, NetworkLevelItem, ParticipantItem
from referral.repository.unit_of_work import UnitOfWork

LINK = "link"

NetworkPath = tuple[tuple[str, int], ...]
"""The buyer (level 0) and their ancestors with their levels: whose statistics an order counts in."""


def count_purchase(
    uow: UnitOfWork, changes: Changes, plan: AccrualPlan, level_dates_kept: frozenset[tuple[str, int]]
) -> None:
    """The purchase in the buyer's and the network's statistics, and in its link's."""
    created = to_iso(plan.posting.created_at)
    _date_buyer(changes, plan, created)
    for participant_id, level in plan.network_levels:
        dated = (participant_id, level) not in level_dates_kept
        changes.level(
            participant_id,
            level,
            *([NetworkLevelItem.last_order_at.set(created)] if dated else []),
            condition=(
                NetworkLevelItem.last_order_at.does_not_exist() | (NetworkLevelItem.last_order_at < created)
            )
            if dated
            else None,
            orders=1,
            amount=plan.accounted_amount,
        )
        if level > 0:
            changes.profile(
                participant_id,
                adds=[
                    (ParticipantItem.network_orders, 1),
                    (ParticipantItem.network_amount, plan.accounted_amount),
                ],
            )
    if plan.link_code:
        uow.update(LINK, link_ref(plan.link_code), [LinkItem.purchases.add(1)], LinkItem.pk.exists())


def _date_buyer(changes: Changes, plan: AccrualPlan, created: str) -> None:
    """The buyer's order count and sum, and their first/last order dates where the plan moves them."""
    buyer_dates: list[Action] = []
    if plan.buyer_last_order_at is not None:
        buyer_dates += [
            ParticipantItem.last_order_at.set(created),
            ParticipantItem.sort_last_order.set(created),
        ]
        changes.profile(
            plan.buyer_id,
            condition=ParticipantItem.last_order_at.does_not_exist()
            | (ParticipantItem.last_order_at < created),
        )
    if plan.buyer_first_order_at is not None:
        buyer_dates.append(ParticipantItem.first_order_at.set(created))
        changes.profile(
            plan.buyer_id,
            condition=ParticipantItem.first_order_at.does_not_exist()
            | (ParticipantItem.first_order_at > created),
        )
    changes.profile(
        plan.buyer_id,
        *buyer_dates,
        adds=[(ParticipantItem.orders_count, 1), (ParticipantItem.purchases_sum, plan.accounted_amount)],
    )


def uncount_purchase(
    changes: Changes, network_levels: NetworkPath, amount_change: Decimal, status: str | None
) -> None:
    """Purchase statistics follow the order: a return lowers the sum, a cancellation removes it."""
    orders_change = -1 if status == CANCELLED else 0
    buyer_id = network_levels[0][0]
    changes.profile(
        buyer_id,
        adds=[(ParticipantItem.purchases_sum, amount_change), (ParticipantItem.orders_count, orders_change)],
    )
    for participant_id, level in network_levels:
        changes.level(participant_id, level, amount=amount_change, orders=orders_change)
        if level > 0:
            changes.profile(
                participant_id,
                adds=[
                    (ParticipantItem.network_orders, orders_change),
                    (ParticipantItem.network_amount, amount_change),
                ],
            )
