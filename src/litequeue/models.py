"""The values litequeue hands out: jobs, events and queue settings.

They are frozen ``attrs`` classes built from store rows; every timestamp is a
timezone-aware UTC ``datetime``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

__all__ = [
    "ErrorInfo",
    "Event",
    "EventType",
    "Job",
    "JobStatus",
    "KeyState",
    "QueueInfo",
    "Schedule",
    "Undecodable",
]

JSON = Any  # a value that survives json.dumps/json.loads unchanged


class Undecodable:
    """Stands for a stored payload, result or event datum that cannot be read back
    (nested past what Python can decode, or not JSON at all: a row written by an older
    version or another tool). The job is still listed; a worker fails it with a
    ``PayloadError``. In ``to_dict()`` it is ``{"undecodable": reason}``.

    A plain class, not an attrs one: ``attrs.asdict`` would turn it into its fields
    rather than hand it to ``to_dict``'s serializer."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        #: What could not be decoded, and why.
        self.reason = reason

    def to_dict(self) -> dict[str, str]:
        return {"undecodable": self.reason}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Undecodable) and other.reason == self.reason

    def __hash__(self) -> int:
        return hash(self.reason)

    def __repr__(self) -> str:
        return f"Undecodable({self.reason!r})"

    def __str__(self) -> str:
        return f"<undecodable: {self.reason}>"


class JobStatus(enum.StrEnum):
    """Where a job is in its life: ``queued -> running -> succeeded | failed | cancelled``."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """True for the three end states."""
        return self in _FINISHED


_FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class EventType(enum.StrEnum):
    """Every kind of event row; ``docs/events.md`` says when each is written."""

    ENQUEUED = "enqueued"
    STARTED = "started"
    PROGRESS = "progress"
    LOG = "log"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REQUEUED = "requeued"
    LEASE_EXPIRED = "lease_expired"
    RELEASED = "released"
    WAITING = "waiting"
    DELETED = "deleted"
    SCHEDULED = "scheduled"


class KeyState(enum.StrEnum):
    """What ``Queue.key_states`` knows of a unique key."""

    NEW = "new"  #: no job ever held the key
    ACTIVE = "active"  #: a queued or running job holds it
    DONE = "done"  #: succeeded with the current handler version
    OUTDATED = "outdated"  #: succeeded, but with another handler version: re-run it
    FAILED = "failed"  #: the latest job with the key failed or was cancelled


@attrs.frozen(kw_only=True)
class ErrorInfo:
    """Why an attempt failed, kept on the job."""

    #: Name of the exception class, e.g. ``"ValueError"``.
    type: str
    #: ``str()`` of the exception.
    message: str
    #: The formatted traceback, or ``None`` when there is none to show.
    traceback: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErrorInfo:
        return cls(
            type=str(data.get("type", "Error")),
            message=str(data.get("message", "")),
            traceback=data.get("traceback"),
        )

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


# Job and Event are not slotted: a frozen attrs class with a __dict__ is built by
# writing the dict, about 40% cheaper than setting slots one by one, and the store
# builds thousands of them per enqueue_many and per drained batch.
@attrs.frozen(kw_only=True, slots=False)
class Job:
    """A snapshot of one job row."""

    #: Unique, increasing id.
    id: int
    #: Which handler runs it.
    kind: str
    #: The named lane it waits in.
    queue: str
    #: Where it is in its life.
    status: JobStatus
    #: The handler's input (JSON).
    payload: JSON
    #: The handler's return value (JSON), once succeeded.
    result: JSON = None
    #: Why the latest attempt failed.
    error: ErrorInfo | None = None
    #: Higher runs first.
    priority: int = 0
    #: Not claimed before this time.
    run_at: datetime
    #: Number of runs so far; 0 until first claimed.
    attempt: int = 0
    #: Runs allowed before the job fails for good.
    max_attempts: int = 3
    #: Seconds an attempt may run, counted from its claim; ``None`` for no limit.
    timeout: float | None = None
    #: 0 to 100.
    progress: float = 0.0
    #: What the handler said it is doing.
    progress_message: str | None = None
    #: The batch this job belongs to.
    parent_id: int | None = None
    #: Idempotency key: one active job per key.
    unique_key: str | None = None
    #: Free labels to filter by, e.g. ``project:42``.
    tags: list[str] = attrs.field(factory=list)
    #: Version of the handler that last ran it.
    handler_version: str | None = None
    #: When it was enqueued.
    created_at: datetime
    #: When its row last changed.
    updated_at: datetime
    #: When its latest attempt was claimed.
    started_at: datetime | None = None
    #: When it reached an end state.
    finished_at: datetime | None = None
    #: When the current attempt's lease ends (running jobs only).
    lease_until: datetime | None = None
    #: The jobs that must succeed before this one may start.
    depends_on: list[int] = attrs.field(factory=list)
    #: How many of them have not succeeded yet (it is claimable at 0).
    dependencies_left: int = 0
    #: The key its queue's per-key limits count it under (``None``: not subject to them).
    limit_key: str | None = None

    def evolve(self, **changes: Any) -> Job:
        """A copy with some fields changed."""
        return attrs.evolve(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (timestamps as ISO 8601 strings)."""
        return attrs.asdict(self, value_serializer=_serialize)


@attrs.frozen(kw_only=True, slots=False)
class Event:
    """One row of the durable event log."""

    #: Position in the log; strictly increasing, never reused.
    seq: int
    #: The job it is about.
    job_id: int
    #: What happened.
    type: EventType
    #: When it happened.
    at: datetime
    #: Details, depending on the type (see ``docs/events.md``).
    data: dict[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the time as an ISO 8601 string)."""
        return attrs.asdict(self, value_serializer=_serialize)


@attrs.frozen(kw_only=True)
class WorkerInfo:
    """A live worker, as it keeps itself known in the database (``Queue.workers()``)."""

    #: The worker's name (``host:pid:random`` unless given).
    name: str
    #: The queues it serves, in order of preference.
    queues: tuple[str, ...]
    #: The kinds it claims; ``None`` for every kind (``any_kind=True``).
    kinds: tuple[str, ...] | None
    #: When it started running.
    started_at: datetime
    #: When it last renewed its record (each heartbeat).
    last_heartbeat: datetime
    #: The running jobs it holds: those it claimed and has a lease on.
    holding: int = 0

    def handles(self, queue: str, kind: str) -> bool:
        """Whether it would claim a job of ``kind`` in ``queue``."""
        return queue in self.queues and (self.kinds is None or kind in self.kinds)


@attrs.frozen(kw_only=True)
class QueueInfo:
    """A queue's settings, kept in the database so every process obeys them."""

    #: The queue's name.
    name: str
    #: Jobs that may run at once across all workers; ``None`` for no limit.
    limit: int | None = None
    #: A paused queue hands out no jobs.
    paused: bool = False
    #: At most this many starts in any window, e.g. ``"100/m"``; ``None`` for no limit.
    rate: str | None = None
    #: The same, for the jobs of each ``limit_key``.
    per_key_rate: str | None = None
    #: Jobs of one ``limit_key`` that may run at once; ``None`` for no limit.
    per_key_limit: int | None = None


@attrs.frozen(kw_only=True)
class Schedule:
    """A periodic job, kept in the database: every worker serving its queue runs the
    scheduler that enqueues each of its slots once."""

    #: Its name (also the tag ``schedule:<name>`` of the jobs it makes).
    name: str
    #: The kind of job each slot enqueues.
    kind: str
    #: The cron expression (five fields) naming its slots.
    cron: str
    #: The payload of each job (JSON).
    payload: JSON = None
    #: The IANA time zone the cron expression is read in.
    timezone: str = "UTC"
    #: The queue its jobs go to.
    queue: str = "default"
    #: What a scheduler does with slots missed while none ran: ``latest``, ``all``,
    #: ``none``.
    catch_up: str = "latest"
    #: A paused schedule enqueues nothing; its slots meanwhile are missed.
    paused: bool = False
    #: When it was first stored: its slots are the cron times after this.
    created_at: datetime
    #: The next slot it will enqueue.
    next_slot: datetime
    #: The latest slot it enqueued, if any.
    last_slot: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601 strings)."""
        return attrs.asdict(self, value_serializer=_serialize)


def _serialize(_inst: Any, _field: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Undecodable):
        return value.to_dict()
    return value
