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

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from .._records import Claim, JobRun, NewJob, Outcome, Running, Written
from ..models import Event, Job, KeyState, QueueInfo

__all__ = ["Claim", "JobRun", "NewJob", "Outcome", "Running", "Store", "Written"]


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
        """Create or change a queue's settings (``limit``, ``paused``)."""

    def prune(self, jobs_before: float | None, events_before: float | None) -> tuple[int, int]:
        """Delete jobs finished, and events written, before these times (``None``:
        keep them); returns how many of each went."""

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

    def next_due(self, queues: Sequence[str]) -> float:
        """When the next delayed job of ``queues`` becomes due or a lease runs out
        (POSIX seconds; infinity when neither will happen)."""

    # -- change, schema, lifetime -------------------------------------------------------

    def data_version(self) -> int:
        """A number that changes whenever another connection commits (compare for
        equality only): how an idle worker notices work from elsewhere."""

    def wait_for_change(self, timeout: float, poll: float) -> bool:
        """Block until another connection commits, or ``timeout`` passes; True when a
        change was seen."""

    def schema_version(self) -> int:
        """The migration number the database is at."""

    def close(self) -> None:
        """Release the connection(s). Idempotent."""
