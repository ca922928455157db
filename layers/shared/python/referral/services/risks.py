"""Fraud signals computed where the data already flows, and operators' resolution of the flags they raise.

Each hook runs after the write it watches has committed, outside its transaction, and swallows its own
failure (logged, counted as the ``RiskSignalFailures`` metric): a signal never fails a registration, a
claim, a return or a withdrawal request. Signals only flag; nothing here blocks anyone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from referral.clock import utcnow
from referral.domain import risks as rules
from referral.domain.audit import AuditRecord, Change
from referral.domain.participants import Participant
from referral.domain.payout_details import PayoutFingerprint, PayoutFingerprinter
from referral.domain.risks import FlagStatus, RiskFlag, RiskThresholds, Signal
from referral.errors import InvalidInput, NotFound
from referral.read.risks import RiskFilter, open_flags
from referral.repository.participants import ParticipantRepository
from referral.repository.payout_fingerprints import PayoutFingerprintRepository
from referral.repository.risk_flags import RiskFlagRepository
from referral.services.settings import SettingsService

logger = Logger(child=True)

MAX_NOTE = 2000
FAILURE_METRIC = "RiskSignalFailures"

CLAIMS = "claims"
REFUNDS = "refunds"
CANCELLED = "cancelled"
REFERRAL_CLAIMS = "referral_claims"
OZON_SET = "ozon"


class RiskService:
    def __init__(
        self,
        flags: RiskFlagRepository | None = None,
        participants: ParticipantRepository | None = None,
        settings: SettingsService | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        fingerprints: PayoutFingerprinter | None = None,
        payouts: PayoutFingerprintRepository | None = None,
    ) -> None:
        """``fingerprints``: the keyed fingerprinter of payout details; None (no key): that signal is off."""
        self.fingerprinter = fingerprints
        self.payouts = payouts or PayoutFingerprintRepository()
        self.flags = flags or RiskFlagRepository()
        self.participants = participants or ParticipantRepository()
        self.settings = settings or SettingsService()
        self.clock = clock

    # --- hooks: one call from each flow, never failing it ----------------------------------------------

    def registered(self, participant: Participant) -> None:
        """A registration: the sponsor's burst of newcomers, and Ozon IDs equal to others'."""
        with self._guarded("registration", participant.id) as limits:
            if limits is None:
                return
            now = self.clock()
            canonical = rules.canonical_ozon_id(participant.ozon_id)
            if canonical:
                sharing = self.flags.join_set(OZON_SET, canonical, participant.id)
                self._raise(rules.shared_ozon_id(canonical, sharing, limits), now)
            if participant.sponsor_id:
                since = now - timedelta(minutes=limits.registration_burst_minutes)
                recent = self.flags.referrals_since(participant.sponsor_id, since)
                self._raise(rules.registration_burst(participant.sponsor_id, recent, limits), now)

    def ozon_id_contested(self, owner_id: str, contender_id: str, ozon_id: str) -> None:
        """A newcomer gave an Ozon ID a participant has (perhaps spelt otherwise): refused, and flagged."""
        with self._guarded("registration", contender_id) as limits:
            if limits is None:
                return
            canonical = rules.canonical_ozon_id(ozon_id)
            if not canonical:
                return
            self.flags.join_set(OZON_SET, canonical, owner_id)
            sharing = self.flags.join_set(OZON_SET, canonical, contender_id)
            self._raise(rules.shared_ozon_id(canonical, sharing, limits), self.clock())

    def claimed(self, participant: Participant, posting_number: str) -> None:
        """A claimed order: the claimant's claims in the window, and the sponsor's claim-only referrals."""
        with self._guarded("claim", participant.id) as limits:
            if limits is None:
                return
            now = self.clock()
            since = now - timedelta(hours=limits.claim_burst_hours)
            recent = self.flags.observe_timed(CLAIMS, participant.id, posting_number, now, since)
            self._raise(rules.claim_burst(participant.id, recent, limits), now)
            sponsor = participant.sponsor_id
            if sponsor:
                claimed = self.flags.count_once(REFERRAL_CLAIMS, sponsor, posting_number).count
                level = self.participants.network_levels(sponsor).get(1)
                orders = level.orders if level else 0
                self._raise(rules.claim_only_referrals(sponsor, claimed, orders, limits), now)

    def refunded(
        self, buyer_id: str, network: tuple[str, ...], posting_number: str, *, cancelled: bool
    ) -> None:
        """An order cancelled or (partly) returned: the refund rate of every network the buyer is in.

        ``network``: the buyer's ancestors, nearest first. A posting counts once per network however many
        returns it has; the rate's base is every order the network placed, the cancelled ones included.
        """
        with self._guarded("refund", buyer_id) as limits:
            if limits is None or not network:
                return
            now = self.clock()
            for root_id in network:
                refunded = self.flags.count_once(REFUNDS, root_id, posting_number).count
                if cancelled:
                    self.flags.count_once(CANCELLED, root_id, posting_number)
                levels = self.participants.network_levels(root_id)
                standing = sum(level.orders for depth, level in levels.items() if depth > 0)
                placed = standing + self.flags.counts(CANCELLED, root_id).count
                self._raise(rules.refund_rate(root_id, refunded, placed, limits), now)

    def withdrawal_requested(
        self, participant_id: str, payout_details: str | None, *, source: str = "withdrawal"
    ) -> None:
        """A withdrawal request with payout details: the same details given by other participants."""
        fingerprints = self.payout_fingerprints(payout_details)
        self.payout_given(participant_id, fingerprints, source, flow="withdrawal")

    def dialog_message(self, participant_id: str, text: str | None, source: str) -> None:
        """A participant's message to the operators: the cards and phones in it, compared with others'.

        ``source`` names the message (``tg:<update id>``); the text itself goes nowhere from here, and a
        message without payout details costs nothing."""
        fingerprints = self._fingerprinted(text, payout=False)
        self.payout_given(participant_id, fingerprints, source, flow="dialog")

    def payout_fingerprints(self, details: str | None) -> tuple[PayoutFingerprint, ...]:
        """The keyed fingerprints of payout details an operator recorded (none without the key)."""
        return self._fingerprinted(details, payout=True)

    def _fingerprinted(self, text: str | None, *, payout: bool) -> tuple[PayoutFingerprint, ...]:
        """Never raises: a relay or a payout goes on whatever happens here."""
        if self.fingerprinter is None or not text:
            return ()
        try:
            found = self.fingerprinter.of_payout(text) if payout else self.fingerprinter.of_message(text)
        except Exception:
            _failed("payout" if payout else "dialog", "-")
            return ()
        return tuple(found)

    def payout_given(
        self,
        participant_id: str,
        fingerprints: tuple[PayoutFingerprint, ...],
        source: str,
        *,
        flow: str = "payout",
    ) -> None:
        """Payout details of ``participant_id`` (fingerprinted): who else gave the same ones."""
        if not fingerprints:
            return
        with self._guarded(flow, participant_id) as limits:
            if limits is None:
                return
            self._share(participant_id, list(fingerprints), source, limits)

    def _share(
        self, participant_id: str, fingerprints: list[PayoutFingerprint], source: str, limits: RiskThresholds
    ) -> None:
        now = self.clock()
        for fingerprint in fingerprints:
            sharing = self.payouts.join(fingerprint, participant_id, source, now)
            signal = rules.shared_payout(
                fingerprint.value, sharing, limits, kind=fingerprint.kind.value, last4=fingerprint.last4
            )
            self._raise(signal, now)

    def _raise(self, signal: Signal | None, now: datetime) -> None:
        if signal is None:
            return
        flag = self.flags.raise_signal(signal, now)
        logger.info(
            "risk flag raised",
            extra={"flag_id": flag.flag_id, "kind": flag.kind.value, "times": flag.raised_times},
        )

    @contextmanager
    def _guarded(self, flow: str, participant_id: str) -> Iterator[RiskThresholds | None]:
        """The thresholds in force (None when signals are off); failures are logged and counted."""
        try:
            limits: RiskThresholds | None = self.settings.current().risks
        except Exception:
            _failed(flow, participant_id)
            limits = None
        try:
            yield limits if limits is not None and limits.enabled else None
        except Exception:
            _failed(flow, participant_id)

    # --- operators ----------------------------------------------------------------------------------------

    def is_flagged(self, participant_id: str) -> bool:
        """Whether the participant has an open flag: under the ``flagged`` policy their claims wait."""
        flags, _ = open_flags(RiskFilter(participant_id=participant_id), 1, None)
        return bool(flags)

    def get(self, flag_id: str) -> RiskFlag:
        flag = self.flags.get_flag(flag_id)
        if flag is None:
            raise NotFound("Risk flag not found.", details={"flag_id": flag_id}, reason="risk_flag_not_found")
        return flag

    def resolve(self, actor_id: str, flag_id: str, note: str) -> RiskFlag:
        """Close a flag with the operator's note, audited exactly once; resolving it again changes nothing."""
        note = (note or "").strip()
        if not 1 <= len(note) <= MAX_NOTE:
            raise InvalidInput(f"A note must be 1 to {MAX_NOTE} characters.", reason="note_length")
        flag = self.get(flag_id)
        if flag.status == FlagStatus.RESOLVED:
            return flag
        now = self.clock()
        audit = AuditRecord(
            audit_id=uuid.uuid4().hex,
            actor_id=actor_id,
            action="risk.resolve",
            object_type="risk_flag",
            object_id=flag_id,
            object_name=flag.kind.value,
            created_at=now,
            changes=(Change("status", FlagStatus.OPEN.value, FlagStatus.RESOLVED.value),),
            reason=note,
        )
        self.flags.commit_resolution(flag, actor_id, note, audit, now)
        return self.get(flag_id)


def _failed(flow: str, participant_id: str) -> None:
    """Logged and counted (best effort: the metric must not fail the caller either)."""
    logger.exception("risk signal failed", extra={"flow": flow, "participant_id": participant_id})
    try:
        namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "OzonReferral")
        with single_metric(
            name=FAILURE_METRIC, unit=MetricUnit.Count, value=1, namespace=namespace
        ) as metric:
            metric.add_dimension(name="flow", value=flow)
    except Exception:
        logger.exception("risk failure metric not emitted")
