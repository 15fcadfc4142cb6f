"""The ``Store`` interface: what the queue and the worker ask of a storage engine.

An engine keeps jobs, their events and queue settings in a database, and offers
these calls and nothing more; the queue, the worker, the CLI and the frontends
never speak SQL and never know which engine they run on. Every write is one
transaction that also records the events it caused and returns them (``Written``)
for the caller to deliver once committed. The records exchanged are plain values
(``litequeue._records``): ``NewJob`` and ``JobRun`` to insert, ``Claim`` and
``Outcome`` from a worker, ``Running`` for a claimed attempt. Times passed in are
POSIX seconds; times read back are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .._records import Claim, JobFilter, JobRun, NewJob, Outcome, Running, Written
from ..models import (
    ErrorInfo,
    Event,
    EventType,
    Job,
    KeyState,
    QueueInfo,
    Schedule,
    WorkerInfo,
)
from .copy import TableRows
from .listing import NEWEST, Order, Position
from .scheduling import DueSchedule

if TYPE_CHECKING:  # bulk runs the lifecycle, which runs over this module's Transaction
    from .bulk import Steered

__all__ = [
    "AttemptEnd",
    "ChildEnd",
    "Claim",
    "JobFilter",
    "JobRun",
    "NewJob",
    "Outcome",
    "Recount",
    "Running",
    "Store",
    "SuccessEnd",
    "TableRows",
    "Transaction",
    "Written",
]

#: A fenced end of an attempt, as recorded: the job's new status, its parent, and the
#: attempt's number.
AttemptEnd = tuple[str, int | None, int]
#: A success as recorded: job id, run id, new status (``running`` when the job waits
#: for children), parent, attempt, and whether all its children have already ended.
SuccessEnd = tuple[int, int, str, int | None, int, bool]
#: A parent after one more child ended: its status, lease end, children, children
#: ended, and progress (share and message).
ChildEnd = tuple[str, float | None, int, int, float, str | None]
#: A parent's children counted again: children, children ended, and whether it waits
#: for them (running, with no attempt of its own out).
Recount = tuple[int, int, bool]


class Transaction(Protocol):
    """One open write transaction of an engine: what the job lifecycle
    (``engines/lifecycle.py``) reads and changes, a statement per call, and the events
    it records. An engine's store opens it, hands it to the lifecycle, and commits."""

    #: The transaction's clock (POSIX seconds): every row it writes is stamped so.
    now: float

    def event(self, job_id: int, type: EventType, data: dict[str, Any] | None = None) -> None:
        """Record an event, written with the transaction."""

    def succeeded(self, job_id: int, attempt: int) -> None:
        """Record an attempt's ``succeeded`` event."""

    def job(self, job_id: int) -> Job:
        """The job as this transaction sees it, or ``JobNotFound``."""

    def succeed_plain(self, outcomes: Sequence[Outcome]) -> bool:
        """Record successes of jobs with no parent and no children, each still held by
        its attempt (whose number the outcome carries), all or none; False (nothing
        changed) when any of that does not hold."""

    def succeed(self, outcomes: Sequence[Outcome]) -> list[SuccessEnd]:
        """Record successes of attempts still holding their jobs: a job that took
        children keeps running, without a lease, for them to decide its end."""

    def end_attempt(self, outcome: Outcome, *, expired: bool) -> AttemptEnd | None:
        """Record a failure, cancellation or hand-back of an attempt that still holds
        its job (``expired``: its lease is known to have run out); None otherwise."""

    def expired_attempts(self) -> list[tuple[int, int, int, int]]:
        """``(job_id, attempt, max_attempts, run_id)`` of attempts whose lease ran out."""

    def child_ended(self, parent_id: int) -> ChildEnd | None:
        """Count one more ended child of an unfinished parent; None if it has finished."""

    def unsuccessful_children(self, parent_id: int) -> int:
        """How many of a parent's children did not succeed."""

    def end_parent(self, parent_id: int, status: str, error: ErrorInfo | None) -> int | None:
        """End a job that waited for its children; returns its own parent."""

    def active_children(self, job_id: int) -> list[int]:
        """The ids of a job's queued and running children."""

    def cancel_job(self, job_id: int, error: ErrorInfo | None = None) -> tuple[bool, int | None]:
        """Cancel a queued or running job (keeping ``error`` as why): whether it was,
        and its parent."""

    def requeue(self, job_id: int) -> None:
        """Queue a finished job again with a fresh budget of attempts."""

    def children_to_retry(self, job_id: int) -> list[tuple[int, str]]:
        """``(id, status)`` of a job's failed and cancelled children."""

    def count_kept_children(self, job_id: int) -> None:
        """Count as ended the children of a job that are neither active nor going
        back (before its failed and cancelled children are queued again)."""

    def waits_for_children(self, job_id: int) -> bool:
        """Whether what is left of a job is waiting for its children: a batch
        parent's, or a job's whose handler returned (its result is kept)."""

    def reopen(self, job_id: int) -> None:
        """A finished parent waits for its children again."""

    def status_and_parent(self, job_id: int) -> tuple[str, int | None] | None:
        """A job's status and parent; None when its row is gone (pruned)."""

    def subtree(self, job_id: int) -> list[int]:
        """A job's id and the ids of all its descendants."""

    def first_running(self, job_ids: list[int]) -> int | None:
        """The lowest id among these jobs that is running, if any."""

    def remove_jobs(self, job_ids: list[int]) -> list[Job]:
        """Delete these jobs (and their tags); returns them as they were, by id."""

    def remove_events(self, job_ids: list[int]) -> None:
        """Delete the events of these jobs, but those this transaction writes."""

    def statuses(self, job_ids: Sequence[int]) -> dict[int, str]:
        """``{id: status}`` of those of these jobs that exist."""

    def add_dependencies(self, job_id: int, depends_on: Sequence[int], left: int) -> None:
        """Record that a job depends on these jobs, ``left`` of which have not
        succeeded yet (it is claimable when none is left)."""

    def release_dependants(self, job_id: int) -> None:
        """A job succeeded: each queued job that depends on it waits for one fewer."""

    def dependants(self, job_id: int) -> list[int]:
        """The ids of the queued jobs that depend on a job."""

    def due_schedules(self, queues: Sequence[str], now: float) -> list[DueSchedule]:
        """The unpaused schedules of ``queues`` whose next slot is at or before ``now``,
        held against other schedulers until this transaction ends."""

    def advance_schedule(self, name: str, next_slot: float, last_slot: float | None) -> None:
        """Move a schedule on: its next slot, and the latest it enqueued (if any now)."""

    def set_blockers(self, job_id: int, left: int) -> None:
        """How many of its dependencies a job put back waits for."""

    def recount(self, parent_id: int) -> Recount | None:
        """Count an unfinished parent's ended children from their rows; None if it has
        finished."""


class Store(Protocol):
    """One open database of one engine, safe to share between threads."""

    #: Where the data lives, as the messages about it name it.
    path: str

    # -- writes: each one transaction, returning the events it wrote ----------------

    def enqueue(self, news: Sequence[NewJob | JobRun]) -> tuple[list[Job], Written]:
        """Insert jobs in order; a ``unique_key`` held by an active job returns that
        job instead, unless ``force``."""

    def create_batch(
        self, parent: NewJob, children: Sequence[NewJob]
    ) -> tuple[Job, list[Job], Written]:
        """Insert a parent that runs no handler and waits for ``children``."""

    def claim(
        self, claim: Claim, outcomes: Sequence[Outcome] = ()
    ) -> tuple[list[Running], list[Outcome], Written]:
        """Record ``outcomes`` and claim up to ``claim.limit`` due jobs (taking back
        expired leases first); returns the attempts claimed and the outcomes accepted."""

    def finish(self, outcomes: Sequence[Outcome]) -> tuple[list[Outcome], Written]:
        """Record outcomes without claiming; returns those accepted (a late answer of an
        attempt that lost its job is not)."""

    def heartbeat(self, attempts: Sequence[tuple[int, int]], lease: float) -> dict[int, int]:
        """Extend the leases of these ``(job_id, run_id)`` attempts by ``lease`` seconds;
        returns ``{job_id: run_id}`` of those still holding their jobs."""

    def progress(
        self, job_id: int, run_id: int, progress: float | None, message: str | None
    ) -> Written:
        """Record a running attempt's progress (nothing written if it lost its job)."""

    def log(self, job_id: int, run_id: int, message: str) -> Written:
        """Add a log line to a running attempt's events."""

    def cancel(self, job_id: int) -> tuple[Job, Written]:
        """Cancel a queued or running job and its unfinished children."""

    def retry(self, job_id: int) -> tuple[Job, Written]:
        """Put a failed or cancelled job back, with a fresh budget of attempts."""

    def set_queue(self, name: str, changes: dict[str, Any]) -> QueueInfo:
        """Create or change a queue's settings (``limit``, ``paused``, ``rate`` and
        ``per_key_rate`` as ``Rate`` values, ``per_key_limit``)."""

    def save_schedule(self, schedule: Schedule, payload: str) -> Schedule:
        """Store a schedule (``payload`` as JSON) or change the one of its name; a
        changed cron or time zone starts its slots anew from ``schedule.next_slot``."""

    def schedules(self, name: str | None = None) -> list[Schedule]:
        """Every schedule by name, or the one named (none if there is none)."""

    def pause_schedule(self, name: str, paused: bool, next_slot: float | None) -> bool:
        """Pause or resume a schedule (resumed: from ``next_slot``); False if none."""

    def remove_schedule(self, name: str) -> bool:
        """Delete a schedule; False if there was none."""

    def fire_schedules(self, queues: Sequence[str], now: float) -> tuple[list[Job], Written]:
        """Enqueue the due slots of the schedules of ``queues`` (``scheduling.fire``)."""

    def delete(self, job_id: int) -> tuple[list[Job], Written]:
        """Delete a job that is not running, with its descendants and their events,
        writing a ``deleted`` event for each; returns the removed jobs, by id."""

    def steer(self, action: str, job_ids: Sequence[int]) -> tuple[Steered, Written]:
        """Retry, cancel or delete (``action``) each of these jobs, in one transaction,
        as the single actions do, skipping those it no longer applies to
        (``bulk.steer``)."""

    def prune(
        self,
        jobs_before: float | None,
        events_before: float | None,
        removed: Callable[[list[Job]], None] | None = None,
    ) -> tuple[int, int]:
        """Delete jobs finished, and events written, before these times (``None``:
        keep them); returns how many of each went. ``removed`` (if given) hears the
        removed jobs after each transaction commits."""

    # -- reads ------------------------------------------------------------------------

    def get(self, job_id: int) -> Job:
        """The job, or ``JobNotFound``."""

    def jobs(
        self,
        *,
        status: Iterable[str] = (),
        queue: str | None = None,
        kind: str | None = None,
        tag: str | None = None,
        parent_id: int | None = None,
        unique_key: str | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[Job]:
        """Jobs matching every given filter, newest first."""

    def stats(self, *, tag: str | None = None) -> dict[str, dict[str, int]]:
        """``{queue: {status: count}}`` of the statuses present."""

    def list_jobs(
        self,
        where: JobFilter,
        *,
        order: Order = NEWEST,
        after: Position | None = None,
        limit: int = 50,
        scan: int | None = None,
    ) -> tuple[list[Job], Position | None]:
        """A page of the jobs matching ``where`` in ``order`` (newest first unless
        told), past the position ``after``; returns it with the position to pass as
        the next ``after``: its last row's, or, when ``scan`` stopped the reading
        before the page was full, where it stopped (None: nothing follows). Keyset
        paging: every page costs the same at any depth (``engines.listing``).

        ``scan`` bounds the jobs a page sorted by id reads (along ids past ``after``,
        of the statuses asked) to check the filters no index serves: queue, kind, tag,
        text."""

    def count_jobs(self, where: JobFilter) -> int:
        """How many jobs match ``where`` (what a bulk action would touch)."""

    def finished_per_minute(self, since: float) -> list[tuple[str, str, float, int]]:
        """``(queue, status, minute start, count)`` of the jobs that succeeded or
        failed since ``since`` (POSIX seconds)."""

    def oldest_queued(self, queues: Sequence[str], now: float) -> dict[str, tuple[int, float]]:
        """``{queue: (job id, due since)}`` of the first (lowest id) queued job of each
        of ``queues`` that is due at ``now``: the one it has kept waiting longest."""

    def key_states(
        self, keys: Sequence[str], kind: str | None, version: str | None
    ) -> dict[str, KeyState]:
        """What the jobs of each unique key say about it."""

    def queues(self) -> list[QueueInfo]:
        """Every queue that has settings or jobs, by name."""

    def events(
        self, after: int, limit: int, job_id: int | None = None, *, until: int | None = None
    ) -> list[Event]:
        """Committed events with ``after < seq <= until``, oldest first: an event that
        commits later never has a lower ``seq`` than one already seen."""

    def last_seq(self) -> int:
        """The newest event's ``seq`` (0 when there is none)."""

    def next_due(self, queues: Sequence[str], kinds: Sequence[str] | None = None) -> float:
        """When the next delayed job of ``queues`` (and ``kinds``, unless ``None``)
        becomes due, a rate window of theirs lets a start out, or a lease runs out
        (POSIX seconds, after now; infinity when none will happen)."""

    def next_slot(self, queues: Sequence[str]) -> float:
        """When the next slot of an unpaused schedule of ``queues`` comes (POSIX seconds;
        infinity for none): a read, so that schedulers write only when one is due."""

    def queues_held(self, queues: Sequence[str]) -> bool:
        """Whether no job of ``queues`` can start now, whatever is enqueued: each of
        them is paused or has used up its queue-wide rate window (``next_due`` says
        when the window lets a start out). A per-key rate or limit never holds a
        whole queue: a job of another key may come."""

    def queues_capped(self, queues: Sequence[str]) -> bool:
        """Whether any of ``queues`` caps its running jobs (a concurrency limit or a
        per-key limit): there a claim may come up short while due jobs wait, and the
        next answer frees room for them."""

    def held_back(self, queues: Sequence[str], kinds: Sequence[str] | None = None) -> bool:
        """Whether due jobs of ``queues`` (and ``kinds``, unless ``None``) with no
        dependency left wait in a queue that is not paused and has a rate or per-key
        limits (what ``run(until_empty=True)`` waits out)."""

    def queued_by_kind(self) -> dict[tuple[str, str], int]:
        """``{(queue, kind): count}`` of the queued jobs."""

    # -- workers ------------------------------------------------------------------------

    def worker_alive(
        self, name: str, queues: Sequence[str], kinds: Sequence[str] | None, until: float
    ) -> None:
        """Record (or renew) a running worker, live until ``until`` (POSIX seconds)."""

    def worker_gone(self, name: str) -> None:
        """Forget a worker that stopped (and any whose record ran out long ago)."""

    def workers(self) -> list[WorkerInfo]:
        """The workers whose records have not run out, by name."""

    # -- copying a queue between databases (``engines/copy.py``) -----------------------

    def export_rows(self) -> Generator[TableRows, None, None]:
        """Every row of the copied tables, in the engine-neutral form, from one snapshot
        of the database (the snapshot is held until the iterator ends or is closed)."""

    def import_rows(self, chunks: Iterable[TableRows]) -> dict[str, int]:
        """Write exported rows, ids and event numbers as they were, into this database
        in one transaction; ``TargetNotEmpty`` (nothing written) when it already holds
        jobs, events or queue settings. Returns how many rows went into each table."""

    # -- change, schema, lifetime -------------------------------------------------------

    def data_version(self, queues: Sequence[str] | None = None) -> int:
        """A number that changes whenever another connection commits (compare for
        equality only): how an idle worker notices work from elsewhere. Given
        ``queues``, an engine may leave it alone for commits that concern only other
        queues."""

    def wait_for_change(self, timeout: float, poll: float) -> bool:
        """Block until another connection commits, or ``timeout`` passes; True when a
        change was seen."""

    def watch(self, queues: Sequence[str], waker: Callable[[], None]) -> Callable[[], None] | None:
        """Call ``waker()`` (from another thread) whenever ``data_version(queues)``
        moves, until the returned function is called: an idle worker then claims as
        soon as work comes, without looking. ``None`` where the engine cannot tell
        without being asked: the worker looks at ``data_version`` instead."""

    def schema_version(self) -> int:
        """The migration number the database is at."""

    def check_integrity(self) -> None:
        """``NotADatabase`` naming the damage the database's own check finds."""

    def close(self) -> None:
        """Release the connection(s). Idempotent."""
