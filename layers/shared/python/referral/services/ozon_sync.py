"""The scheduled Ozon sync (SPEC §5): the one place where purchases, and so points, enter the system.

Four streams are walked page by page from checkpoints saved in the table:

* ``fbs-created`` — FBS postings by creation date (cursor pagination);
* ``fbs-changed`` — FBS postings by ``last_changed_status_date`` (deliveries, cancellations);
* ``fbo`` — FBO postings by creation date (``/v3/posting/fbo/list``, cursor pagination). FBO lists
  cannot filter by status change, so every ``fbo_refresh_minutes`` a window re-reads the last
  ``fbo_refresh_days`` of them (runs in between read only new ones); an unchanged posting costs no
  write, only its share of a page's batch read;
* ``returns`` — returns (FBS and FBO) by status-change moment (``last_id`` pagination).

Every posting goes through ``PurchaseService`` (attribution by customer id, exactly-once accrual,
statuses, returns); the sync only decides which of its operations a posting needs, after one batch
read of what the table already knows about the page. A checkpoint is saved only after its page was
fully applied, so a run that dies anywhere is resumed by the next one; re-applying a page is harmless
because every domain write is conditional (exactly-once). A lease item keeps overlapping runs apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from referral.clock import from_iso, to_iso, utcnow
from referral.domain.orders import Attribution, Order, Posting
from referral.domain.participants import Participant
from referral.errors import Conflict, DomainError, Forbidden, NotFound
from referral.ozon.client import OzonClient, PostingsPage
from referral.ozon.config import MAX_PERIOD_DAYS, SyncConfig
from referral.ozon.errors import OzonAuthError, OzonError, OzonRequestError, OzonUnavailable, RecordError
from referral.ozon.models import FBS, OzonPosting, OzonReturn
from referral.ozon.streams import (
    FBO_STREAM,
    FBS_CHANGED,
    FBS_CREATED,
    RETURNS_STREAM,
    STREAMS,
    stream_metric,
)
from referral.repository.administration import AdministrationRepository
from referral.repository.participants import OzonIdentity
from referral.repository.sync_state import StreamHealth, SyncState
from referral.services.purchases import PurchaseService

logger = Logger(child=True)

LEASE_NAME = "ozon-sync"
MAX_PERIOD = timedelta(days=MAX_PERIOD_DAYS)
SAFETY_MARGIN_SECONDS = 20.0
"""Stop starting pages when the Lambda has less time than this left; the next run resumes."""

OK = "ok"
BUSY = "busy"
AUTH_ERROR = "auth_error"
FAILED = "failed"
"""Every stream the run reached failed (other than by a rejected key): nothing progressed."""
NOT_CONFIGURED = "not_configured"
LEASE_LOST = "lease_lost"


@dataclass
class SyncReport:
    """What one run did. ``accrued`` and ``reversed`` are points; the rest are counts of records."""

    status: str = OK
    seen: int = 0
    """Postings and returns read from Ozon (a posting read again later counts again)."""
    new: int = 0
    """Postings stored for the first time."""
    unchanged: int = 0
    """Postings read again that needed nothing (the cost of re-reading for status changes)."""
    attributed: int = 0
    accrued: int = 0
    reversed: int = 0
    skipped: int = 0
    returns_applied: int = 0
    pages: int = 0
    caught_up: bool = False
    error: str | None = None
    streams: dict[str, bool] = field(default_factory=dict)
    """Per stream reached: whether it walked up to "now"."""
    stream_states: dict[str, str] = field(default_factory=dict)
    """Per stream, this run: ``ok`` (caught up), ``behind`` (progressed, more to read), ``failed`` or
    ``not_reached`` (the run's time or page budget ran out first)."""
    stream_health: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per stream, over runs: ``StreamHealth`` (since when a failing stream fails, and why)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Known:
    """What the table knew about a page's buyers when the page was read (kept current as it is applied)."""

    identities: dict[str, OzonIdentity]
    buyers: dict[str, Participant]


class LeaseLost(Exception):
    """Another run took the lease over (ours expired): stop at once; that run carries on."""


ClientFactory = Callable[[str, str], OzonClient]
STREAM_FAILURES = (OzonAuthError, OzonRequestError, OzonUnavailable, RecordError)
"""What stops one stream for this run — recorded on it and retried next run — while the others go on."""
STREAM_OK, STREAM_BEHIND, STREAM_FAILED, STREAM_NOT_REACHED = "ok", "behind", "failed", "not_reached"


def stream_metrics(report: SyncReport) -> dict[str, int]:
    """One metric per stream the run reached: 1 when it progressed, 0 when it failed (alarms watch them)."""
    return {
        stream_metric(stream): int(state != STREAM_FAILED)
        for stream, state in report.stream_states.items()
        if state != STREAM_NOT_REACHED
    }


class OzonSyncService:
    def __init__(
        self,
        purchases: PurchaseService,
        client_factory: ClientFactory,
        config: SyncConfig | None = None,
        *,
        administration: AdministrationRepository | None = None,
        state: SyncState | None = None,
        clock: Callable[[], datetime] = utcnow,
        time_left: Callable[[], float] | None = None,
    ) -> None:
        self.purchases = purchases
        self.administration = administration or AdministrationRepository()
        self.state = state or SyncState()
        self.client_factory = client_factory
        self.config = config or SyncConfig()
        self.clock = clock
        self.time_left = time_left
        self.owner = uuid.uuid4().hex

    # --- the run -------------------------------------------------------------------------------------

    def run(self) -> SyncReport:
        """One scheduled run: take the lease, walk every stream from its checkpoint, record health."""
        report = SyncReport()
        credentials = self.purchases.settings.ozon_credentials()
        if credentials is None:
            report.status = NOT_CONFIGURED
            report.error = "Ozon API credentials are not configured."
            self.administration.record_sync_health(self.clock(), report.error)
            return report
        if not self.state.acquire_lease(LEASE_NAME, self.owner, self.clock(), self.config.lease_seconds):
            report.status = BUSY
            logger.info("another sync run holds the lease; nothing to do")
            return report
        client = self.client_factory(*credentials)
        try:
            run = _Run(self, client, report)
            run.walk()
        except LeaseLost:
            report.status = LEASE_LOST
            logger.warning("the sync lease was taken over by another run; stopping")
            return report
        except Exception as error:
            self.administration.record_sync_health(self.clock(), f"{type(error).__name__}: {error}")
            raise
        finally:
            client.close()
            self.state.release_lease(LEASE_NAME, self.owner)
        return self._conclude(report, run.failures, rejected=run.key_rejected)

    def _conclude(self, report: SyncReport, failures: dict[str, OzonError], *, rejected: bool) -> SyncReport:
        """The run's status and the connection's health: a rejected key is still told as such."""
        now = self.clock()
        progressed = [s for s, state in report.stream_states.items() if state in (STREAM_OK, STREAM_BEHIND)]
        if failures:
            report.error = "; ".join(f"{stream}: {error}" for stream, error in failures.items())
        if failures and not progressed:
            auth = [e for e in failures.values() if isinstance(e, OzonAuthError)]
            if rejected or len(auth) == len(failures):
                report.status, report.error = AUTH_ERROR, str(auth[0])
                logger.error("Ozon rejected the API key", extra={"error": report.error})
            else:
                report.status = FAILED
            self.administration.record_sync_health(now, report.error)
            return report
        self.administration.record_sync_health(now, None)
        if report.error:  # some streams progressed, some failed: both are recorded
            self.administration.record_sync_health(now, report.error)
        return report


class _Run:
    """State of one run: the client, the counters, the page budget."""

    def __init__(self, service: OzonSyncService, client: OzonClient, report: SyncReport) -> None:
        self.service = service
        self.purchases = service.purchases
        self.config = service.config
        self.client = client
        self.report = report
        self.state = service.state
        # Ozon's filters take whole seconds: round up so the window's end includes this very moment. The
        # next window resumes from the whole second before it (``resume``): a change made later in this
        # second, after its page was read, falls in that next window instead of between the two.
        now = service.clock()
        self.now = now.replace(microsecond=0) + timedelta(seconds=1 if now.microsecond else 0)
        self.settled = now.replace(microsecond=0)
        self.checkpoints = {stream: self.state.get_checkpoint(stream) for stream in STREAMS}
        self.health: dict[str, StreamHealth] = self.state.stream_health(STREAMS)
        self.failures: dict[str, OzonError] = {}
        self.key_checked = False
        self.key_rejected = False

    def walk(self) -> None:
        """Unfinished windows first, then the stream caught up longest ago: a page budget is shared fairly."""
        walkers: dict[str, Callable[[], bool]] = {
            FBS_CREATED: lambda: self._walk_postings(FBS_CREATED),
            FBS_CHANGED: lambda: self._walk_postings(FBS_CHANGED),
            FBO_STREAM: lambda: self._walk_postings(FBO_STREAM),
            RETURNS_STREAM: self._walk_returns,
        }
        states = dict.fromkeys(STREAMS, STREAM_NOT_REACHED)
        for stream in sorted(STREAMS, key=self._staleness):
            pages = self.report.pages
            try:
                finished = walkers[stream]()
            except STREAM_FAILURES as error:
                states[stream] = STREAM_FAILED
                self._failed(stream, self._explained(error))
                if self.key_rejected:
                    break  # a rejected key fails every stream alike: no point asking again
                continue
            if self.report.pages == pages:
                break  # out of time or pages before this stream's first page
            self.report.streams[stream] = finished
            states[stream] = STREAM_OK if finished else STREAM_BEHIND
            self.health[stream] = self.state.record_stream_success(self.health[stream], self.service.clock())
            if not finished:
                break
        self.report.stream_states = states
        self.report.stream_health = {stream: health.as_dict() for stream, health in self.health.items()}
        self.report.caught_up = all(
            checkpoint is not None and checkpoint.get("done") for checkpoint in self.checkpoints.values()
        )

    def _explained(self, error: OzonError) -> OzonError:
        """A 401/403 means a rejected key or a key without the stream's role: ``/v1/roles`` tells which."""
        if not isinstance(error, OzonAuthError) or self.key_checked:
            return error
        self.key_checked = True
        try:
            roles = self.client.key_roles()
        except OzonAuthError:
            self.key_rejected = True
            return error
        except (OzonError, ValueError):
            return error  # cannot tell: recorded as it is
        names = ", ".join(role.name for role in roles.roles) or "none"
        return OzonRequestError(
            f"the API key has no role allowing this stream's method (its roles: {names}); {error}", status=403
        )

    def _failed(self, stream: str, error: OzonError) -> None:
        """Record the failure on the stream (retried next run) and let the other streams go on."""
        self.failures[stream] = error
        self.report.streams[stream] = False
        self.health[stream] = self.state.record_stream_failure(
            self.health[stream], self.service.clock(), str(error)
        )
        logger.error(
            "a sync stream failed; the others go on",
            extra={"stream": stream, "error": str(error), "failing_since": self.health[stream].failing_since},
        )

    def _staleness(self, stream: str) -> tuple[int, str, int]:
        checkpoint = self.checkpoints[stream]
        order = STREAMS.index(stream)
        if checkpoint is None or not checkpoint.get("done"):
            return 0, "", order
        return 1, str(checkpoint["to"]), order

    # --- budget, lease, windows ----------------------------------------------------------------------

    def _may_fetch(self) -> bool:
        if self.config.max_pages is not None and self.report.pages >= self.config.max_pages:
            return False
        time_left = self.service.time_left
        return time_left is None or time_left() > SAFETY_MARGIN_SECONDS

    def _page_done(self, stream: str, window: dict[str, Any]) -> None:
        """The page is applied: keep the lease (or stop, leaving the checkpoint to the new holder), save."""
        if not self.state.renew_lease(
            LEASE_NAME, self.service.owner, self.service.clock(), self.config.lease_seconds
        ):
            raise LeaseLost
        self.state.save_checkpoint(stream, window, self.service.clock())
        self.checkpoints[stream] = dict(window)
        self.report.pages += 1

    def _window(self, stream: str) -> dict[str, Any]:
        """The unfinished window of ``stream``, or the next: from where the last ended, minus an overlap."""
        checkpoint = self.checkpoints[stream]
        if checkpoint is not None and not checkpoint.get("done"):
            return dict(checkpoint)
        if checkpoint is None:
            start = origin = self.now - timedelta(days=self.config.backfill_days)
        else:
            resume = from_iso(checkpoint.get("resume") or checkpoint["to"])
            start = resume - timedelta(seconds=self.config.overlap_seconds)
            origin = from_iso(checkpoint.get("origin") or checkpoint["from"])
        window: dict[str, Any] = {"position": None, "done": False, "origin": to_iso(origin)}
        if stream == FBO_STREAM:
            refreshed_at = checkpoint.get("refreshed_at") if checkpoint is not None else None
            interval = timedelta(minutes=self.config.fbo_refresh_minutes)
            if refreshed_at is None or self.now - from_iso(refreshed_at) >= interval:
                # re-read recent FBO postings for status changes, never before the installation's backfill
                start = min(start, max(origin, self.now - timedelta(days=self.config.fbo_refresh_days)))
                refreshed_at = to_iso(self.now)
            window["refreshed_at"] = refreshed_at
        start = max(start, self.now - MAX_PERIOD)
        end = min(self.now, start + MAX_PERIOD)
        resume = min(end, self.settled)
        return {**window, "from": to_iso(start), "to": to_iso(end), "resume": to_iso(resume)}

    # --- postings ------------------------------------------------------------------------------------

    def _walk_postings(self, stream: str) -> bool:
        while self._may_fetch():
            window = self._window(stream)
            start, end = from_iso(window["from"]), from_iso(window["to"])
            page = self._fetch(stream, start, end, window["position"])
            self._apply_page(page)
            window["position"] = page.cursor if page.has_next else None
            window["done"] = not page.has_next
            self._page_done(stream, window)
            if window["done"] and end >= self.now:
                return True
        return False

    def _fetch(self, stream: str, start: datetime, end: datetime, position: Any) -> PostingsPage:
        size = self.config.page_size
        if not isinstance(position, str):
            position = None  # a window begun with offset pages starts over (harmless: idempotent)
        if stream == FBS_CREATED:
            return self.client.fbs_postings(start, end, cursor=position, limit=size)
        if stream == FBS_CHANGED:
            return self.client.fbs_postings(
                max(end - MAX_PERIOD, self.now - MAX_PERIOD),
                end,
                cursor=position,
                limit=size,
                changed_from=start,
                changed_to=end,
            )
        return self.client.fbo_postings(start, end, cursor=position, limit=size)

    def _apply_page(self, page: PostingsPage) -> None:
        for error in page.errors:
            self._skip(error.reference, error.problem)
        self.report.seen += len(page.postings)
        converted: list[tuple[OzonPosting, Posting]] = []
        for raw in page.postings:
            try:
                converted.append((raw, raw.to_posting(page.scheme)))
            except DomainError as error:
                self._skip(raw.posting_number, error.message)
        orders, identities = self.state.known_postings(
            (p.posting_number for _, p in converted), {p.customer_id for _, p in converted if p.customer_id}
        )
        ready: list[tuple[Posting, Order | None]] = []
        for raw, posting in converted:
            order = orders.get(posting.posting_number)
            if (
                order is None
                and page.scheme == FBS
                and not raw.customer_reported
                and self.config.fetch_missing_customer
            ):
                try:
                    posting = self._with_customer(posting)
                except (RecordError, OzonRequestError, DomainError) as error:
                    # Kept out rather than stored without its buyer: the posting comes back with its next
                    # status change (``fbs-changed``), when its detail is read again.
                    self._skip(posting.posting_number, f"its detail could not be read: {error}")
                    continue
            if page.scheme == FBS:
                posting = self._with_delivery_date(posting, order)
            ready.append((posting, order))
        self._apply_postings(ready, identities)

    def _apply_postings(
        self, postings: list[tuple[Posting, Order | None]], identities: dict[str, OzonIdentity]
    ) -> None:
        """Apply postings whose stored orders are known, after batch reads of their buyers' profiles."""
        missing = {p.customer_id for p, _ in postings if p.customer_id and p.customer_id not in identities}
        if missing:  # customers a posting's detail named
            identities.update(self.state.known_postings((), missing)[1])
        buyer_ids = {
            identity.participant_id
            for posting, order in postings
            if order is None
            and posting.customer_id
            and (identity := identities.get(posting.customer_id)) is not None
            and identity.participant_id is not None
        }
        known = _Known(
            identities, self.service.purchases.participants.get_participants(buyer_ids) if buyer_ids else {}
        )
        for posting, order in postings:
            self._apply_posting(posting, order, known)

    def _with_customer(self, posting: Posting) -> Posting:
        """The FBS list left out ``customer``: its detail says who bought it."""
        detail = self.client.fbs_posting(posting.posting_number)
        if detail is None or detail.customer_id is None:
            return posting
        return detail.to_posting(FBS)

    def _with_delivery_date(self, posting: Posting, order: Order | None) -> Posting:
        """The FBS list does not say when a posting was delivered, its detail does: read once, when the
        posting is first seen delivered (if the detail cannot tell, the order keeps the sync's time)."""
        if not posting.is_delivered or posting.delivered_at is not None:
            return posting
        if order is not None and order.posting.is_delivered:
            return posting
        try:
            detail = self.client.fbs_posting(posting.posting_number)
        except (RecordError, OzonRequestError):
            return posting
        if detail is None or detail.fact_delivery_date is None:
            return posting
        return replace(posting, delivered_at=detail.fact_delivery_date)

    def _apply_posting(self, posting: Posting, order: Order | None, known: _Known) -> None:
        """Route one posting to the purchase service; refusals of the domain skip only this posting."""
        try:
            if order is None:
                self.report.new += 1
                self._new_posting(posting, known)
            elif order.participant_id is not None:
                if posting.status != order.posting.status and not order.posting.is_cancelled:
                    result = self.purchases.apply_status(posting, order=order)
                    if result is not None:
                        self.report.reversed += result.reversed_points
                else:
                    self.report.unchanged += 1
            elif _changed(order.posting, posting):
                purchase = self.purchases.observe(posting, order=order)
                if purchase is not None and not purchase.duplicate:
                    self.report.attributed += 1
                    self.report.accrued += purchase.points
            else:
                self.report.unchanged += 1
        except Conflict:
            raise  # lost a race: the page is not checkpointed and the next run applies it again
        except DomainError as error:
            self._skip(posting.posting_number, error.message)

    def _new_posting(self, posting: Posting, known: _Known) -> None:
        identity = known.identities.get(posting.customer_id) if posting.customer_id else None
        if identity is not None and identity.participant_id is not None:
            try:
                purchase = self.purchases.record_purchase(
                    posting,
                    identity.participant_id,
                    Attribution.CUSTOMER_ID,
                    buyer=known.buyers.get(identity.participant_id),
                )
            except (Forbidden, NotFound):
                pass  # bought before registering (R6), or the participant is gone: just keep the posting
            else:
                if purchase.buyer is not None:
                    known.buyers[purchase.buyer.id] = purchase.buyer  # their order dates for the next one
                if not purchase.duplicate:
                    self.report.attributed += 1
                    self.report.accrued += purchase.points
                return
        self.purchases.record_posting(
            posting,
            new=True,
            identity_recorded=identity is not None and identity.first_purchase_at is not None,
        )

    # --- returns -------------------------------------------------------------------------------------

    def _walk_returns(self) -> bool:
        while self._may_fetch():
            window = self._window(RETURNS_STREAM)
            start, end = from_iso(window["from"]), from_iso(window["to"])
            page = self.client.returns(
                start, end, last_id=window["position"], limit=self.config.returns_page_size
            )
            for error in page.errors:
                self._skip(error.reference, error.problem)
            self.report.seen += len(page.returns)
            for item in page.returns:
                self._apply_return(item)
            window["position"] = page.last_id if page.has_next else None
            window["done"] = not page.has_next
            self._page_done(RETURNS_STREAM, window)
            if window["done"] and end >= self.now:
                return True
        return False

    def _apply_return(self, item: OzonReturn) -> None:
        if not item.money_returned:
            logger.info(
                "return not (yet) refunded to the buyer; applied once it is",
                extra={"posting_number": item.posting_number, "return_id": item.return_id},
            )
            return
        try:
            try:
                result = self.purchases.apply_return(item.posting_number, item.return_id, item.amount)
            except NotFound:
                if not self._fetch_posting(item.posting_number):
                    self._skip(item.posting_number, "return of a posting Ozon does not know")
                    return
                result = self.purchases.apply_return(item.posting_number, item.return_id, item.amount)
        except Conflict:
            raise
        except (DomainError, RecordError, OzonRequestError) as error:
            self._skip(item.posting_number, str(error))
            return
        if not result.duplicate:
            self.report.returns_applied += 1
            self.report.reversed += result.reversed_points

    def _fetch_posting(self, posting_number: str) -> bool:
        """A return of a posting older than anything synced: read the posting itself first."""
        found = self.client.posting(posting_number)
        if found is None:
            return False
        scheme, raw = found
        posting = raw.to_posting(scheme)
        orders, identities = self.state.known_postings((posting_number,), ())
        self.report.seen += 1
        self._apply_postings([(posting, orders.get(posting_number))], identities)
        return True

    def _skip(self, reference: str | None, problem: str) -> None:
        self.report.skipped += 1
        logger.warning("skipped a record", extra={"posting_number": reference, "problem": problem})


def _changed(stored: Posting, seen: Posting) -> bool:
    return (
        stored.status != seen.status
        or stored.amount != seen.amount
        or (seen.customer_id is not None and stored.customer_id != seen.customer_id)
    )
