"""What the Telegram bot keeps in the table: processed updates, dialog state, operator topics, digests.

Items and keys (all in the one table):

* ``TGUPDATE#<update id>`` / ``TGUPDATE`` — an update already taken; expires (TTL) after two days,
  well past Telegram's 24 hours of redelivery.
* ``P#<user id>`` / ``PROFILE#CONV`` — the dialog state of one Telegram user and the last update that
  wrote it. It sits next to the participant's profile and network levels so that one query (SK between
  ``NET#`` and ``PROFILE#~``) returns all a menu command needs, and its write is conditional on the update
  being new, so that a menu command's one write is also what takes its update. It expires after a week
  of silence.
* ``TOPIC#<participant>`` / ``TOPIC`` and ``THREAD#<chat>#<thread>`` / ``THREAD`` — the operators' forum
  topic of a participant, both ways.
* ``DIGEST#<participant>`` / ``DIGEST`` — the periodic digest schedule: sparse in the ``DUE`` index under
  ``DIGEST`` while enabled, with the counters seen at the last digest (to report the period's growth).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.update import Action

from referral.clock import to_iso
from referral.domain.participants import NetworkLevel, Participant
from referral.repository import keys, mapping
from referral.repository.models import (
    DecimalAttribute,
    Entity,
    IntegerAttribute,
    NetworkLevelItem,
    ParticipantItem,
)
from referral.repository.unit_of_work import TransactionConflict, UnitOfWork

UPDATE_TTL = timedelta(days=2)
CONVERSATION_TTL = timedelta(days=7)
CONVERSATION_SK = "PROFILE#CONV"
DUE_DIGEST = "DIGEST"
DIGEST_FREQUENCIES = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


class ProcessedUpdateItem(Entity, discriminator="tg_update"):
    """``TGUPDATE#<update id>`` / ``TGUPDATE``: this update was taken by a webhook call."""

    received_at = UnicodeAttribute()


class ConversationItem(Entity, discriminator="tg_conversation"):
    """``P#<user id>`` / ``PROFILE#CONV``: where a user is in a dialog, and what was said so far."""

    user_id = UnicodeAttribute()
    state = UnicodeAttribute()
    data = UnicodeAttribute(default="{}")
    updated_at = UnicodeAttribute()
    update_id = IntegerAttribute(null=True)
    """The update whose turn wrote this state."""


class TopicItem(Entity, discriminator="tg_topic"):
    """``TOPIC#<participant>`` / ``TOPIC``: the participant's topic in the operators' supergroup."""

    participant_id = UnicodeAttribute()
    chat_id = UnicodeAttribute()
    thread_id = IntegerAttribute()
    created_at = UnicodeAttribute()


class ThreadItem(Entity, discriminator="tg_thread"):
    """``THREAD#<chat>#<thread>`` / ``THREAD``: whose topic an operator's message was written in."""

    participant_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


class DigestItem(Entity, discriminator="tg_digest"):
    """``DIGEST#<participant>`` / ``DIGEST``: digest schedule and the counters at the last digest."""

    participant_id = UnicodeAttribute()
    frequency = UnicodeAttribute(null=True)
    next_at = UnicodeAttribute(null=True)
    accrued_total = IntegerAttribute(default=0)
    network_size = IntegerAttribute(default=0)
    network_orders = IntegerAttribute(default=0)
    network_amount = DecimalAttribute(default=Decimal)
    updated_at = UnicodeAttribute()


# --- processed updates ------------------------------------------------------------------------------


def claim_update(update_id: int, now: datetime) -> bool:
    """Take an update for processing; False when it was taken before (Telegram delivered it again)."""
    item = ProcessedUpdateItem(
        f"TGUPDATE#{update_id}", "TGUPDATE", received_at=to_iso(now), expires_at=now + UPDATE_TTL
    )
    try:
        item.save(condition=ProcessedUpdateItem.pk.does_not_exist())
    except Exception as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


# --- one user's view: profile, network levels, dialog state ------------------------------------------


@dataclass(frozen=True, slots=True)
class Conversation:
    state: str = "idle"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UserView:
    """Everything about one Telegram user a bot turn starts with, read in one query."""

    participant: Participant | None
    levels: dict[int, NetworkLevel]
    conversation: Conversation
    unreachable: bool = False
    digest: str | None = None


def load_user(user_id: str) -> UserView:
    participant: Participant | None = None
    levels: dict[int, NetworkLevel] = {}
    conversation = Conversation()
    unreachable = False
    digest = None
    for item in Entity.query(keys.participant_pk(user_id), Entity.sk.between("NET#", CONVERSATION_SK + "~")):
        if isinstance(item, ParticipantItem):
            participant = mapping.participant(item)
            unreachable = bool(item.unreachable)
            digest = item.digest
        elif isinstance(item, NetworkLevelItem):
            levels[item.level] = mapping.network_level(item)
        elif isinstance(item, ConversationItem):
            conversation = Conversation(item.state, json.loads(item.data or "{}"))
    return UserView(participant, levels, conversation, unreachable, digest)


def save_conversation(
    user_id: str, state: str, data: dict[str, Any], now: datetime, update_id: int, *, if_new: bool
) -> bool:
    """Write a user's dialog state. With ``if_new`` the write also takes the update: it is refused (False)
    when this update, or a later one, already wrote the state. Telegram numbers updates in order, and
    redelivers for a day at most; a state older than that never refuses, whatever its number (Telegram
    restarts the numbering after a week without updates)."""
    item = ConversationItem(
        keys.participant_pk(user_id),
        CONVERSATION_SK,
        user_id=user_id,
        state=state,
        data=json.dumps(data, ensure_ascii=False, sort_keys=True),
        updated_at=to_iso(now),
        update_id=update_id,
        expires_at=now + CONVERSATION_TTL,
    )
    if not if_new:
        item.save()
        return True
    try:
        item.save(
            condition=ConversationItem.update_id.does_not_exist()
            | (ConversationItem.update_id < update_id)
            | (ConversationItem.updated_at < to_iso(now - UPDATE_TTL))
        )
    except Exception as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


# --- participants' notification preferences -----------------------------------------------------------


def set_unreachable(participant_id: str, unreachable: bool) -> None:
    """The participant blocked the bot; absent participants are left alone (see ``set_reachable``)."""
    try:
        ParticipantItem(keys.participant_pk(participant_id), keys.PROFILE).update(
            [ParticipantItem.unreachable.set(unreachable)], condition=ParticipantItem.pk.exists()
        )
    except Exception as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise


@dataclass(frozen=True, slots=True)
class DigestCounters:
    """Cumulative counters a digest compares against the previous digest's."""

    accrued_total: int = 0
    network_size: int = 0
    network_orders: int = 0
    network_amount: Decimal = field(default_factory=Decimal)

    @classmethod
    def of(cls, participant: Participant, levels: dict[int, NetworkLevel]) -> DigestCounters:
        below = [level for number, level in levels.items() if number >= 1]
        return cls(
            accrued_total=participant.accrued_total,
            network_size=participant.network_size,
            network_orders=sum(level.orders for level in below),
            network_amount=sum((level.amount for level in below), Decimal(0)),
        )


def set_digest(participant_id: str, frequency: str | None, counters: DigestCounters, now: datetime) -> None:
    """Turn the periodic digest on (``daily``/``weekly``) or off; the first one covers from now on."""
    if frequency is not None and frequency not in DIGEST_FREQUENCIES:
        raise ValueError(f"unknown digest frequency {frequency!r}")
    uow = UnitOfWork()
    profile_action = ParticipantItem.digest.set(frequency) if frequency else ParticipantItem.digest.remove()
    uow.update(
        "profile",
        ParticipantItem(keys.participant_pk(participant_id), keys.PROFILE),
        [profile_action],
        ParticipantItem.pk.exists(),
    )
    actions: list[Action] = [
        DigestItem.entity_type.set(DigestItem),
        DigestItem.participant_id.set(participant_id),
        DigestItem.updated_at.set(to_iso(now)),
        *_counter_actions(counters),
    ]
    if frequency:
        next_at = to_iso(now + DIGEST_FREQUENCIES[frequency])
        actions += [
            DigestItem.frequency.set(frequency),
            DigestItem.next_at.set(next_at),
            DigestItem.duepk.set(DUE_DIGEST),
            DigestItem.duesk.set(f"{next_at}#{participant_id}"),
        ]
    else:
        actions += [
            DigestItem.frequency.remove(),
            DigestItem.next_at.remove(),
            DigestItem.duepk.remove(),
            DigestItem.duesk.remove(),
        ]
    uow.update("digest", DigestItem(_digest_pk(participant_id), "DIGEST"), actions)
    uow.commit()


@dataclass(frozen=True, slots=True)
class DueDigest:
    participant_id: str
    frequency: str
    next_at: str
    duesk: str
    previous: DigestCounters


def due_digests(now: datetime, limit: int = 100) -> Iterator[DueDigest]:
    """Digests whose time has come, oldest first (one query page per ``limit``)."""
    for item in Entity.due.query(
        DUE_DIGEST, Entity.duesk <= f"{to_iso(now)}#\uffff", scan_index_forward=True, page_size=limit
    ):
        if isinstance(item, DigestItem) and item.frequency and item.next_at and item.duesk:
            yield DueDigest(
                item.participant_id,
                item.frequency,
                item.next_at,
                item.duesk,
                DigestCounters(
                    item.accrued_total, item.network_size, item.network_orders, item.network_amount
                ),
            )


def claim_digest(digest: DueDigest, next_at: datetime) -> bool:
    """Move the digest to its next slot before sending; False when another run took it already."""
    stamp = to_iso(next_at)
    try:
        DigestItem(_digest_pk(digest.participant_id), "DIGEST").update(
            [DigestItem.next_at.set(stamp), DigestItem.duesk.set(f"{stamp}#{digest.participant_id}")],
            condition=(DigestItem.duesk == digest.duesk) & (DigestItem.frequency == digest.frequency),
        )
    except Exception as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def finish_digest(participant_id: str, counters: DigestCounters, now: datetime) -> None:
    """A digest went out: the next one reports growth from these counters on."""
    uow = UnitOfWork()
    uow.update(
        "digest",
        DigestItem(_digest_pk(participant_id), "DIGEST"),
        [*_counter_actions(counters), DigestItem.updated_at.set(to_iso(now))],
        DigestItem.pk.exists(),
    )
    uow.update(
        "profile",
        ParticipantItem(keys.participant_pk(participant_id), keys.PROFILE),
        [ParticipantItem.last_digest_at.set(to_iso(now))],
        ParticipantItem.pk.exists(),
    )
    uow.commit()


def set_reachable(participant_id: str, digest: str | None, now: datetime) -> None:
    """The participant writes to the bot again: clear the mark and put their digest (if they chose one)
    back on the schedule, its counters kept so that the next digest covers the time they were away."""
    uow = UnitOfWork()
    uow.update(
        "profile",
        ParticipantItem(keys.participant_pk(participant_id), keys.PROFILE),
        [ParticipantItem.unreachable.set(False)],
        ParticipantItem.pk.exists(),
    )
    if digest in DIGEST_FREQUENCIES:
        next_at = to_iso(now + DIGEST_FREQUENCIES[digest])
        uow.update(
            "digest",
            DigestItem(_digest_pk(participant_id), "DIGEST"),
            [
                DigestItem.entity_type.set(DigestItem),
                DigestItem.participant_id.set(participant_id),
                DigestItem.frequency.set(digest),
                DigestItem.next_at.set(next_at),
                DigestItem.duepk.set(DUE_DIGEST),
                DigestItem.duesk.set(f"{next_at}#{participant_id}"),
                DigestItem.updated_at.set(to_iso(now)),
            ],
        )
    uow.commit()


def pause_digest(participant_id: str, now: datetime) -> None:
    """Leave the schedule (the participant is unreachable); the chosen frequency stays on the profile."""
    DigestItem(_digest_pk(participant_id), "DIGEST").update(
        [
            DigestItem.next_at.remove(),
            DigestItem.duepk.remove(),
            DigestItem.duesk.remove(),
            DigestItem.updated_at.set(to_iso(now)),
        ]
    )


def _digest_pk(participant_id: str) -> str:
    return f"DIGEST#{participant_id}"


def _counter_actions(counters: DigestCounters) -> list[Action]:
    return [
        DigestItem.accrued_total.set(counters.accrued_total),
        DigestItem.network_size.set(counters.network_size),
        DigestItem.network_orders.set(counters.network_orders),
        DigestItem.network_amount.set(counters.network_amount),
    ]


# --- operators' forum topics ---------------------------------------------------------------------------


def topic_of(participant_id: str) -> int | None:
    try:
        item = TopicItem.get(f"TOPIC#{participant_id}", "TOPIC")
    except TopicItem.DoesNotExist:
        return None
    return item.thread_id


def participant_of_thread(chat_id: str, thread_id: int) -> str | None:
    try:
        item = ThreadItem.get(f"THREAD#{chat_id}#{thread_id}", "THREAD")
    except ThreadItem.DoesNotExist:
        return None
    return item.participant_id


def remember_topic(
    participant_id: str, chat_id: str, thread_id: int, now: datetime, *, replace: int | None = None
) -> int:
    """Save a new topic both ways. If another call saved one first, that one wins and is returned.

    ``replace`` names a topic that turned out to be gone (deleted by operators) and is superseded.
    """
    uow = UnitOfWork()
    stamp = to_iso(now)
    topic = TopicItem(
        f"TOPIC#{participant_id}",
        "TOPIC",
        participant_id=participant_id,
        chat_id=chat_id,
        thread_id=thread_id,
        created_at=stamp,
    )
    if replace is None:
        uow.create("topic", topic)
    else:
        uow.put("topic", topic, TopicItem.thread_id == replace)
    uow.create(
        "thread",
        ThreadItem(
            f"THREAD#{chat_id}#{thread_id}", "THREAD", participant_id=participant_id, created_at=stamp
        ),
    )
    try:
        uow.commit()
    except TransactionConflict as conflict:
        if conflict.failed_on("topic"):
            existing = topic_of(participant_id)
            if existing is not None:
                return existing
        raise
    return thread_id
