"""What every aggregate's writes share: the per-item change merger and small single-item helpers.

DynamoDB allows one operation per item in a transaction, so all changes a transaction makes to one
participant's profile or network level are merged here first. The labels of those items (``profile:<id>``
and ``level:<id>:<level>``) are spelled here, and turned back into the domain's refusal here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from referral.domain.ledger import BalanceDelta
from referral.errors import DomainError, ParticipantsChanged
from referral.repository import keys
from referral.repository.models import NetworkLevelItem, ParticipantItem
from referral.repository.unit_of_work import CONDITION_FAILED, TransactionConflict, UnitOfWork

T = TypeVar("T")
M = TypeVar("M", bound=Model)
Number = int | Decimal

PROFILE = "profile"
LEVEL = "level"


def profile_label(participant_id: str) -> str:
    return f"{PROFILE}:{participant_id}"


def level_label(participant_id: str, level: int) -> str:
    return f"{LEVEL}:{participant_id}:{level}"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursor: dict[str, Any] | None


@dataclass
class ItemChange:
    """All changes to one item in a transaction, merged: DynamoDB allows one operation per item."""

    adds: dict[str, tuple[Any, Number]] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)

    def add(self, attribute: Any, value: Number) -> None:
        if value:
            _, total = self.adds.get(attribute.attr_name, (attribute, 0))
            self.adds[attribute.attr_name] = (attribute, total + value)

    def all_actions(self) -> list[Action]:
        return self.actions + [attribute.add(total) for attribute, total in self.adds.values() if total]

    def condition(self) -> Condition | None:
        combined: Condition | None = None
        for extra in self.conditions:
            combined = extra if combined is None else combined & extra
        return combined


class Changes:
    """Accumulates changes to participants' profiles and network levels within one transaction."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.profiles: dict[str, ItemChange] = defaultdict(ItemChange)
        self.levels: dict[tuple[str, int], ItemChange] = defaultdict(ItemChange)

    def balance(self, participant_id: str, delta: BalanceDelta, *, accrued: int = 0) -> None:
        change = self.profiles[participant_id]
        change.add(ParticipantItem.frozen, delta.frozen)
        change.add(ParticipantItem.available, delta.available)
        change.add(ParticipantItem.reserved, delta.reserved)
        change.add(ParticipantItem.withdrawn, delta.withdrawn)
        change.add(ParticipantItem.accrued_total, accrued)
        change.add(ParticipantItem.balance, delta.frozen + delta.available)

    def profile(
        self,
        participant_id: str,
        *actions: Action,
        adds: Iterable[tuple[Any, Number]] = (),
        condition: Condition | None = None,
    ) -> None:
        change = self.profiles[participant_id]
        change.actions.extend(actions)
        for attribute, value in adds:
            change.add(attribute, value)
        if condition is not None:
            change.conditions.append(condition)

    def level(
        self,
        participant_id: str,
        level: int,
        *actions: Action,
        condition: Condition | None = None,
        **adds: Number,
    ) -> None:
        change = self.levels[(participant_id, level)]
        change.actions.extend(actions)
        if condition is not None:
            change.conditions.append(condition)
        for name, value in adds.items():
            change.add(getattr(NetworkLevelItem, name), value)

    def flush(self) -> None:
        for participant_id, change in self.profiles.items():
            self._flush_profile(participant_id, change)
        for (participant_id, level), change in self.levels.items():
            actions = change.all_actions()
            if not actions:
                continue
            self.uow.update(
                level_label(participant_id, level),
                NetworkLevelItem(keys.participant_pk(participant_id), keys.network_sk(level)),
                [
                    NetworkLevelItem.entity_type.set(NetworkLevelItem),
                    NetworkLevelItem.participant_id.set(participant_id),
                    NetworkLevelItem.level.set(level),
                    *actions,
                ],
                change.condition(),
            )

    def _flush_profile(self, participant_id: str, change: ItemChange) -> None:
        """One update of the profile, or a condition check when only conditions were asked for."""
        actions = change.all_actions()
        if not actions and not change.conditions:
            return
        condition: Condition = ParticipantItem.pk.exists()
        extra = change.condition()
        if extra is not None:
            condition = condition & extra
        label = profile_label(participant_id)
        if actions:
            item = ParticipantItem(keys.participant_pk(participant_id), keys.PROFILE)
            self.uow.update(label, item, actions, condition)
        else:
            self.uow.check(
                label, ParticipantItem, keys.participant_pk(participant_id), keys.PROFILE, condition
            )


def participants_changed(conflict: TransactionConflict) -> ParticipantsChanged:
    """The profiles and network levels whose condition failed, as the domain's refusal."""
    participants: set[str] = set()
    levels: set[tuple[str, int]] = set()
    for label in conflict.failed:
        kind, _, rest = label.partition(":")
        if kind == PROFILE:
            participants.add(rest)
        elif kind == LEVEL:
            participant_id, _, level = rest.rpartition(":")
            levels.add((participant_id, int(level)))
    return ParticipantsChanged(participants=frozenset(participants), levels=frozenset(levels))


def touches_participants(conflict: TransactionConflict) -> bool:
    return any(label.partition(":")[0] in (PROFILE, LEVEL) for label in conflict.failed)


def commit(uow: UnitOfWork, refusal: Callable[[TransactionConflict], DomainError]) -> None:
    """Commit ``uow``; a condition that did not hold is raised as the domain's refusal ``refusal`` gives."""
    try:
        uow.commit()
    except TransactionConflict as conflict:
        raise refusal(conflict) from None


def update_item(label: str, item: Model, actions: list[Action], condition: Condition) -> None:
    """A single-item conditional update; a condition that does not hold is a ``TransactionConflict``."""
    try:
        item.update(actions, condition=condition)
    except UpdateError as error:
        if is_condition_failure(error):
            raise TransactionConflict([label], [CONDITION_FAILED]) from None
        raise


def get_item(model: type[M], pk: str, sk: str) -> M | None:
    try:
        return model.get(pk, sk)
    except model.DoesNotExist:
        return None


def is_condition_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"
