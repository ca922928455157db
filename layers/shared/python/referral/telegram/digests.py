"""Periodic digests: what happened in a participant's program since their last digest.

Each due digest is claimed (its schedule moved to the next slot with a conditional write) before it is
sent, so two runs never both send it. Sends are paced under Telegram's overall limit; a 429 waits its
``retry_after`` and tries once more; a participant who blocked the bot is marked unreachable and leaves
the schedule. A period with nothing to report sends nothing (the schedule still moves on). A digest that
fails for any other reason is logged and put back a little later; the run goes on with the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from aws_lambda_powertools import Logger

from referral.clock import from_iso, to_iso, utcnow
from referral.repository import bot_state
from referral.repository.bot_state import DIGEST_FREQUENCIES, DigestCounters, DueDigest
from referral.telegram import texts
from referral.telegram.bot_api import BotApi, BotApiError
from referral.telegram.texts import t

logger = Logger(child=True)

RETRY_DELAY = timedelta(minutes=30)


@dataclass
class DigestReport:
    sent: int = 0
    empty: int = 0
    unreachable: int = 0
    retried: int = 0
    skipped: int = 0
    failed: int = 0


class DigestSender:
    def __init__(
        self,
        api: BotApi,
        *,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.api = api
        self.clock = clock
        self.sleep = sleep or api.pace.sleep

    def run(self, *, time_left: Callable[[], float] | None = None, limit: int = 100) -> DigestReport:
        """Send every due digest while there is time (``time_left`` seconds); the rest waits a run."""
        report = DigestReport()
        while True:
            batch = list(bot_state.due_digests(self.clock(), limit))
            if not batch:
                return report
            for digest in batch:
                if time_left is not None and time_left() < 5:
                    return report
                self._isolated(digest, report)
            if len(batch) < limit:
                return report

    def _isolated(self, digest: DueDigest, report: DigestReport) -> None:
        """One participant's digest; whatever goes wrong with it, the others still go out."""
        now = self.clock()
        period = DIGEST_FREQUENCIES[digest.frequency]
        scheduled = from_iso(digest.next_at)
        following = scheduled + period if scheduled + period > now else now + period
        try:
            self._one(digest, following, now, report)
        except Exception:
            report.failed += 1
            logger.exception(
                "digest failed; put back for later", extra={"participant_id": digest.participant_id}
            )
            try:
                self._retry_later(digest, following)
            except Exception:
                logger.exception("digest not put back", extra={"participant_id": digest.participant_id})

    def _one(self, digest: DueDigest, following: datetime, now: datetime, report: DigestReport) -> None:
        if not bot_state.claim_digest(digest, following):
            report.skipped += 1
            return
        view = bot_state.load_user(digest.participant_id)
        participant = view.participant
        if participant is None or view.unreachable or view.digest != digest.frequency:
            bot_state.pause_digest(digest.participant_id, now)
            report.skipped += 1
            return
        counters = DigestCounters.of(participant, view.levels)
        accrued = counters.accrued_total - digest.previous.accrued_total
        grown = counters.network_size - digest.previous.network_size
        orders = counters.network_orders - digest.previous.network_orders
        amount = counters.network_amount - digest.previous.network_amount
        if accrued == 0 and grown == 0 and orders == 0 and amount == Decimal(0):
            bot_state.finish_digest(participant.id, counters, now)
            report.empty += 1
            return
        lang = texts.language(participant.profile.language_code)
        text = t(
            "digest",
            lang,
            period=t(f"period_{digest.frequency}", lang),
            accrued=texts.points(accrued),
            grown=grown,
            orders=orders,
            amount=texts.money(amount),
            balance=texts.points(participant.balances.balance),
            available=texts.points(participant.balances.available),
        )
        for attempt in range(2):
            try:
                self.api.call("sendMessage", chat_id=int(participant.id), text=text, parse_mode="HTML")
            except BotApiError as error:
                if error.unreachable:
                    bot_state.set_unreachable(participant.id, True)
                    bot_state.pause_digest(participant.id, now)
                    report.unreachable += 1
                    return
                if error.retry_after is not None and attempt == 0:
                    self.sleep(error.retry_after)
                    continue
                self._retry_later(digest, following)
                report.retried += 1
                return
            bot_state.finish_digest(participant.id, counters, self.clock())
            report.sent += 1
            return
        self._retry_later(digest, following)
        report.retried += 1

    def _retry_later(self, digest: DueDigest, claimed_until: datetime) -> None:
        """Put the digest back a little later, keeping the counters so nothing of the period is lost."""
        moved = DueDigest(
            digest.participant_id,
            digest.frequency,
            digest.next_at,
            f"{to_iso(claimed_until)}#{digest.participant_id}",
            digest.previous,
        )
        bot_state.claim_digest(moved, self.clock() + RETRY_DELAY)
