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
from enum import StrEnum
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.update import Action

from referral.clock import to_iso
from referral.domain.notifications import Notification
from referral.domain.participants import NetworkLevel, Participant
from referral.repository import keys, mapping
from referral.repository.models import (
    DecimalAttribute,
    Entity,
    IntegerAttribute,
    NetworkLevelItem,
    ParticipantItem,
)
from referral.repository.outbox import add_notice
from referral.repository.unit_of_work import TransactionConflict, UnitOfWork

UPDATE_TTL = timedelta(days=2)
CONVERSATION_TTL = timedelta(days=7)
CONVERSATION_SK = keys.CONVERSATION_SK
DUE_DIGEST = keys.DUE_DIGEST
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
        keys.processed_update_pk(update_id),
        keys.PROCESSED_UPDATE_SK,
        received_at=to_iso(now),
        expires_at=now + UPDATE_TTL,
    )
    try:
        item.save(condition=ProcessedUpdateItem.pk.does_not_exist())
    except Exception as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


# --- one user's view: profile, network levels, dialog state ------------------------------------------


class DialogState(StrEnum):
    """Where a user is in a dialog with the bot; stored by value in the conversation item."""

    IDLE = "idle"
    AWAIT_OZON_ID = "await_ozon_id"
    AWAIT_ORDER = "await_order"
    AWAIT_PRODUCT_NAME = "await_product_name"
    AWAIT_PRODUCT_REF = "await_product_ref"
    AWAIT_AMOUNT = "await_amount"
    AWAIT_CONFIRM = "await_confirm"
    AWAIT_CLAIM_PROOF = "await_claim_proof"

    @classmethod
    def stored(cls, value: str | None) -> DialogState:
        """A stored step; one this code no longer knows (written by an older release) ends the dialog."""
        try:
            return cls(value or cls.IDLE)
        except ValueError:
            return cls.IDLE


@dataclass(frozen=True, slots=True)
class Conversation:
    state: DialogState = DialogState.IDLE
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
    for item in Entity.query(
        keys.participant_pk(user_id), Entity.sk.between(keys.USER_VIEW_FIRST_SK, keys.USER_VIEW_LAST_SK)
    ):
        if isinstance(item, ParticipantItem):
            participant = mapping.participant(item)
            unreachable = bool(item.unreachable)
            digest = item.digest
        elif isinstance(item, NetworkLevelItem):
            levels[item.level] = mapping.network_level(item)
        elif isinstance(item, ConversationItem):
            conversation = Conversation(DialogState.stored(item.state), json.loads(item.data or "{}"))
    return UserView(participant, levels, conversation, unreachable, digest)


def save_conversation(
    user_id: str, state: DialogState, data: dict[str, Any], now: datetime, update_id: int, *, if_new: bool
) -> bool:
    """Write a user's dialog state. With ``if_new`` the write also takes the update: it is refused (False)
    when this update, or a later one, already wrote the state. Telegram numbers updates in order, and
    redelivers for a day at most; a state older than that never refuses, whatever its number (Telegram
    restarts the numbering after a week without updates)."""
    item = ConversationItem(
        keys.participant_pk(user_id),
        CONVERSATION_SK,
        user_id=user_id,
        state=state.value,
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
            DigestItem.duesk.set(keys.due_digest_sk(next_at, participant_id)),
        ]
    else:
        actions += [
            DigestItem.frequency.remove(),
            DigestItem.next_at.remove(),
            DigestItem.duepk.remove(),
            DigestItem.duesk.remove(),
        ]
    uow.update("digest", DigestItem(keys.digest_pk(participant_id), keys.DIGEST_SK), actions)
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
        DigestItem(keys.digest_pk(digest.participant_id), keys.DIGEST_SK).update(
            [
                DigestItem.next_at.set(stamp),
                DigestItem.duesk.set(keys.due_digest_sk(stamp, digest.participant_id)),
            ],
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
        DigestItem(keys.digest_pk(participant_id), keys.DIGEST_SK),
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
            DigestItem(keys.digest_pk(participant_id), keys.DIGEST_SK),
            [
                DigestItem.entity_type.set(DigestItem),
                DigestItem.participant_id.set(participant_id),
                DigestItem.frequency.set(digest),
                DigestItem.next_at.set(next_at),
                DigestItem.duepk.set(DUE_DIGEST),
                DigestItem.duesk.set(keys.due_digest_sk(next_at, participant_id)),
                DigestItem.updated_at.set(to_iso(now)),
            ],
        )
    uow.commit()


def pause_digest(participant_id: str, now: datetime) -> None:
    """Leave the schedule (the participant is unreachable); the chosen frequency stays on the profile."""
    DigestItem(keys.digest_pk(participant_id), keys.DIGEST_SK).update(
        [
            DigestItem.next_at.remove(),
            DigestItem.duepk.remove(),
            DigestItem.duesk.remove(),
            DigestItem.updated_at.set(to_iso(now)),
        ]
    )


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
        item = TopicItem.get(keys.topic_pk(participant_id), keys.TOPIC_SK)
    except TopicItem.DoesNotExist:
        return None
    return item.thread_id


def participant_of_thread(chat_id: str, thread_id: int) -> str | None:
    try:
        item = ThreadItem.get(keys.thread_pk(chat_id, thread_id), keys.THREAD_SK)
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
        keys.topic_pk(participant_id),
        keys.TOPIC_SK,
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
            keys.thread_pk(chat_id, thread_id),
            keys.THREAD_SK,
            participant_id=participant_id,
            created_at=stamp,
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


# --- the bot's storage as one object -------------------------------------------------------------------


class BotState:
    """What the bot keeps in the table, as one object the composition root builds and hands to the bot.

    It speaks domain types only (views, dialog states, notifications); the items above stay here.
    """

    def load_user(self, user_id: str) -> UserView:
        return load_user(user_id)

    def take_update(self, update_id: int, now: datetime) -> bool:
        return claim_update(update_id, now)

    def save_conversation(
        self,
        user_id: str,
        state: DialogState,
        data: dict[str, Any],
        now: datetime,
        update_id: int,
        *,
        if_new: bool,
    ) -> bool:
        return save_conversation(user_id, state, data, now, update_id, if_new=if_new)

    def set_unreachable(self, participant_id: str, unreachable: bool) -> None:
        set_unreachable(participant_id, unreachable)

    def set_reachable(self, participant_id: str, digest: str | None, now: datetime) -> None:
        set_reachable(participant_id, digest, now)

    def set_digest(
        self, participant_id: str, frequency: str | None, counters: DigestCounters, now: datetime
    ) -> None:
        set_digest(participant_id, frequency, counters, now)

    def topic_of(self, participant_id: str) -> int | None:
        return topic_of(participant_id)

    def participant_of_thread(self, chat_id: str, thread_id: int) -> str | None:
        return participant_of_thread(chat_id, thread_id)

    def remember_topic(
        self, participant_id: str, chat_id: str, thread_id: int, now: datetime, *, replace: int | None = None
    ) -> int:
        return remember_topic(participant_id, chat_id, thread_id, now, replace=replace)

    def post_to_operators(self, notification: Notification, now: datetime) -> bool:
        """Put a message for the operators' group in the outbox; False when it was put there before.

        The caller delivers it at once; it is not recorded with the committed notices, so it is not
        delivered a second time after the turn.
        """
        uow = UnitOfWork()
        add_notice(uow, notification, now)
        try:
            uow.commit()
        except TransactionConflict:
            return False
        return True

    def recipient(self, participant_id: str) -> Recipient | None:
        """What sending a participant a notice needs to know; None when there is no such participant."""
        try:
            profile = ParticipantItem.get(keys.participant_pk(participant_id), keys.PROFILE)
        except ParticipantItem.DoesNotExist:
            return None
        return Recipient(profile.language_code, bool(profile.unreachable))


@dataclass(frozen=True, slots=True)
class Recipient:
    language_code: str | None
    unreachable: bool
