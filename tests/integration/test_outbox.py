"""The notification outbox: written with the change, claimed before sending, retried, never doubled."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from referral.domain.notifications import (
    CLAIM_SECONDS,
    MAX_ATTEMPTS,
    DeliveryOutcome,
    DeliveryResult,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from referral.errors import OzonIdTaken
from referral.repository.unit_of_work import CommittedNotices
from referral.services import Services

from tests.support.builders import join
from tests.support.clock import FakeClock


@dataclass
class RecordingSender:
    """A sender that records what it was asked to deliver and answers as scripted."""

    outcomes: list[DeliveryResult] = field(default_factory=list)
    sent: list[Notification] = field(default_factory=list)

    def send(self, notification: Notification) -> DeliveryResult:
        self.sent.append(notification)
        return self.outcomes.pop(0) if self.outcomes else DeliveryResult(DeliveryOutcome.SENT)


def test_a_notice_is_written_with_the_change_and_delivered_once(services: Services) -> None:
    sponsor = join(services, "1")
    join(services, "2", sponsor)
    sender = RecordingSender()

    first = services.outbox.dispatch_due(sender)
    second = services.outbox.dispatch_due(sender)

    assert (first.sent, second.sent) == (1, 0)
    assert [(n.participant_id, n.kind) for n in sender.sent] == [("1", NotificationKind.NEW_REFERRAL)]
    stored = services.repos.outbox.get_notification(sender.sent[0].notification_id)
    assert stored is not None and (stored.status, stored.attempts) == (NotificationStatus.SENT, 1)


def test_nothing_is_announced_for_a_change_that_did_not_commit(services: Services) -> None:
    sponsor = join(services, "1", ozon_id="111111111")
    join(services, "2", sponsor, ozon_id="222222222")
    services.outbox.dispatch_due(RecordingSender())

    with pytest.raises(OzonIdTaken):
        join(services, "3", sponsor, ozon_id="222222222")

    assert services.outbox.pending() == []


def test_a_failed_delivery_is_retried_with_backoff(services: Services, clock: FakeClock) -> None:
    sponsor = join(services, "1")
    join(services, "2", sponsor)
    sender = RecordingSender(
        [DeliveryResult(DeliveryOutcome.RETRY, retry_after=timedelta(seconds=90), error="429")]
    )

    report = services.outbox.dispatch_due(sender)

    assert report.retried == 1
    assert services.outbox.pending() == []  # not due yet
    [notice] = sender.sent
    stored = services.repos.outbox.get_notification(notice.notification_id)
    assert stored is not None and stored.status == NotificationStatus.PENDING and stored.last_error == "429"
    clock.advance(seconds=91)
    assert services.outbox.dispatch_due(sender).sent == 1
    assert len(sender.sent) == 2


def test_a_participant_who_blocked_the_bot_is_given_up_on(services: Services) -> None:
    sponsor = join(services, "1")
    join(services, "2", sponsor)
    sender = RecordingSender([DeliveryResult(DeliveryOutcome.UNREACHABLE, error="403 blocked")])

    assert services.outbox.dispatch_due(sender).failed == 1
    [notice] = sender.sent
    stored = services.repos.outbox.get_notification(notice.notification_id)
    assert stored is not None and stored.status == NotificationStatus.FAILED


def test_attempts_are_bounded(services: Services, clock: FakeClock) -> None:
    sponsor = join(services, "1")
    join(services, "2", sponsor)
    sender = RecordingSender([DeliveryResult(DeliveryOutcome.RETRY, error="boom")] * MAX_ATTEMPTS)

    for _ in range(MAX_ATTEMPTS):
        services.outbox.dispatch_due(sender)
        clock.advance(hours=7)

    assert len(sender.sent) == MAX_ATTEMPTS
    stored = services.repos.outbox.get_notification(sender.sent[0].notification_id)
    assert stored is not None and stored.status == NotificationStatus.FAILED


def test_a_notice_claimed_by_one_sender_is_not_sent_by_another(services: Services, clock: FakeClock) -> None:
    sponsor = join(services, "1")
    join(services, "2", sponsor)
    [pending] = services.outbox.pending()
    now = clock()
    assert services.repos.outbox.claim_notification(pending, now, now + timedelta(seconds=60))

    other = RecordingSender()
    report = services.outbox.dispatch(other, [pending.notification_id])

    assert (report.sent, report.skipped, other.sent) == (0, 1, [])
    # a claim that expired (the first sender died) can be taken over
    clock.advance(seconds=120)
    assert services.outbox.dispatch(other, [pending.notification_id]).sent == 1


def test_a_crashing_sender_leaves_the_notice_for_a_retry(services: Services) -> None:
    class Crashing:
        def send(self, notification: Notification) -> DeliveryResult:
            raise ConnectionError("network down")

    sponsor = join(services, "1")
    join(services, "2", sponsor)

    report = services.outbox.dispatch_due(Crashing())

    assert report.retried == 1
    [notice] = services.repos.outbox.due_notifications(services.outbox.clock() + timedelta(hours=1), 10)
    assert notice.last_error == "ConnectionError: network down"


def test_a_notice_taken_over_after_its_lease_ran_out_does_not_stop_the_sweep(
    services: Services, clock: FakeClock
) -> None:
    sponsor = join(services, "1")
    join(services, "2", sponsor)
    join(services, "3", sponsor)
    other = RecordingSender()

    @dataclass
    class OutlastingSender:
        """Its first send outlasts the lease; another sweep takes that notice over and finishes it."""

        sent: list[Notification] = field(default_factory=list)

        def send(self, notification: Notification) -> DeliveryResult:
            if not self.sent:
                clock.advance(seconds=CLAIM_SECONDS + 1)
                services.outbox.dispatch(other, [notification.notification_id])
            self.sent.append(notification)
            return DeliveryResult(DeliveryOutcome.SENT)

    slow = OutlastingSender()
    report = services.outbox.dispatch_due(slow)

    assert (report.sent, report.skipped) == (1, 1)
    assert len(slow.sent) == 2 and [n.notification_id for n in other.sent] == [slow.sent[0].notification_id]
    stored = [services.repos.outbox.get_notification(n.notification_id) for n in slow.sent]
    assert [n.status if n else None for n in stored] == [NotificationStatus.SENT] * 2


def test_the_caller_receives_the_ids_of_the_notices_its_change_committed(
    table_name: str, clock: FakeClock
) -> None:
    notices = CommittedNotices()
    wired = Services.build(clock=clock, notices=notices)
    sponsor = join(wired, "1", ozon_id="111111111")
    assert notices.drain() == []

    join(wired, "2", sponsor, ozon_id="222222222")
    with pytest.raises(OzonIdTaken):
        join(wired, "3", sponsor, ozon_id="222222222")

    committed = notices.drain()
    assert [wired.repos.outbox.get_notification(i).kind for i in committed] == [NotificationKind.NEW_REFERRAL]  # type: ignore[union-attr]
    assert notices.drain() == []
