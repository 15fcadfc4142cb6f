"""Rows of a queue file as litequeue's values: each row unpacked into the names of
its columns (``_sql.JOB_COLUMNS``, ``_sql.CLAIMED_COLUMNS``), in one place.

Times are POSIX seconds in the file and aware UTC datetimes outside it. These run
for every job read or claimed, so they avoid work a row does not need (a timestamp
equal to another is converted once; a claimed job's ``Job`` is built only when
asked for).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from ..._rates import Rate
from ..._records import Running, decode_json, decode_stored
from ...models import ErrorInfo, Event, EventType, Job, JobStatus, QueueInfo, Schedule, WorkerInfo
from ._sql import CLAIMED_COLUMNS

__all__ = [
    "claim_order",
    "copies",
    "dt",
    "event",
    "job",
    "jobs_by_id",
    "queue_info",
    "running",
    "worker",
]

_STATUSES = {status.value: status for status in JobStatus}
_EVENT_TYPES = {type_.value: type_ for type_ in EventType}
_CLAIMED = {name: index for index, name in enumerate(CLAIMED_COLUMNS)}
_ID, _PRIORITY, _RUN_AT, _ATTEMPT = (
    _CLAIMED["id"],
    _CLAIMED["priority"],
    _CLAIMED["run_at"],
    _CLAIMED["attempt"],
)

UNDECODED: Any = object()


def dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def job(row: Sequence[Any], payload: Any = UNDECODED) -> Job:
    """A ``Job`` from its ``JOB_COLUMNS`` row; ``payload`` when already decoded."""
    (
        job_id, kind, queue, status, payload_text, result, error, priority, run_at, attempt,
        max_attempts, timeout, progress, progress_message, parent_id, unique_key, tags,
        handler_version, created, updated, started, finished, lease_until, _run_id,
        depends_on, blockers, limit_key,
    ) = row  # fmt: skip
    created_at = dt(created)
    # Timestamps of a row often repeat one another (run_at is the enqueue time, a
    # claim sets started_at and updated_at together): convert each value once.
    updated_at = created_at if updated == created else dt(updated)
    return Job(
        id=job_id,
        kind=kind,
        queue=queue,
        status=_STATUSES[status],
        payload=(
            decode_stored(payload_text, "payload of job", job_id)
            if payload is UNDECODED
            else payload
        ),
        result=None if result is None else decode_stored(result, "result of job", job_id),
        error=None if error is None else _error(error, job_id),
        priority=priority,
        run_at=created_at if run_at == created else dt(run_at),
        attempt=attempt,
        max_attempts=max_attempts,
        timeout=timeout,
        progress=progress,
        progress_message=progress_message,
        parent_id=parent_id,
        unique_key=unique_key,
        tags=[] if tags == "[]" else decode_json(tags),
        handler_version=handler_version,
        created_at=created_at,
        updated_at=updated_at,
        started_at=None if started is None else updated_at if started == updated else dt(started),
        finished_at=(
            None if finished is None else updated_at if finished == updated else dt(finished)
        ),
        lease_until=None if lease_until is None else dt(lease_until),
        depends_on=[] if depends_on == "[]" else decode_json(depends_on),
        dependencies_left=blockers,
        limit_key=limit_key,
    )


def jobs_by_id(rows: Iterable[Sequence[Any]]) -> list[Job]:
    """Jobs from their ``JOB_COLUMNS`` rows, by id."""
    return sorted(map(job, rows), key=lambda found: found.id)


def running(rows: Sequence[Sequence[Any]], now: float, lease_until: float) -> list[Running]:
    """The claimed attempts from their ``CLAIMED_COLUMNS`` rows; the ``Job`` of each is
    built when first asked for, sharing the decoded payload."""
    build = functools.partial(_claimed_job, now, lease_until)
    claimed = []
    for row in rows:
        (
            job_id, kind, _, payload, _, _, _, _, attempt, max_attempts, timeout, parent_id,
            _, _, _, _, run_id, _, _,
        ) = row  # fmt: skip
        attempt_of = Running(  # positional, as Running asks
            run_id, job_id, kind, attempt, max_attempts, timeout, parent_id,
            decode_stored(payload, "payload of job", job_id), row, build,
        )  # fmt: skip
        claimed.append(attempt_of)
    return claimed


def claim_order(row: Sequence[Any]) -> tuple[Any, ...]:
    """The order a claim hands jobs out in (``RETURNING`` has none): best first."""
    return (-row[_PRIORITY], row[_RUN_AT], row[_ID])


def claimed_attempt(row: Sequence[Any]) -> tuple[int, int]:
    """``(job id, attempt)`` of a claimed row: what its ``started`` event says."""
    return row[_ID], row[_ATTEMPT]


def _claimed_job(now: float, lease_until: float, row: Sequence[Any], payload: Any) -> Job:
    return job(_claimed_row(row, now, lease_until), payload)


def _claimed_row(row: Sequence[Any], now: float, lease_until: float) -> tuple[Any, ...]:
    """The ``JOB_COLUMNS`` row of a job as its claim left it: the claim read back only
    what it did not set (a claimed job was queued, so it had no ``finished_at``)."""
    (
        job_id, kind, queue, payload, result, error, priority, run_at, attempt, max_attempts,
        timeout, parent_id, unique_key, tags, handler_version, created_at, run_id, depends_on,
        limit_key,
    ) = row  # fmt: skip
    return (
        job_id, kind, queue, "running", payload, result, error, priority, run_at, attempt,
        max_attempts, timeout, 0.0, None, parent_id, unique_key, tags, handler_version,
        created_at, now, now, None, lease_until, run_id, depends_on, 0, limit_key,
    )  # fmt: skip


def copies(model: Job, ids: Iterable[int], payloads: Iterable[Any]) -> list[Job]:
    """Copies of ``model``, one per id and payload. Each copy gets a copy of the
    model's ``__dict__`` (its fields), at a third of the cost of attrs' ``__init__``
    (thousands are made per ``enqueue_many``)."""
    fields = model.__dict__
    tags = fields["tags"]
    new, set_dict = object.__new__, object.__setattr__  # Job's own __setattr__ refuses
    jobs = []
    for job_id, payload in zip(ids, payloads, strict=True):
        values = fields.copy()
        values["id"] = job_id
        values["payload"] = payload
        if tags:
            values["tags"] = tags.copy()  # each its own list, as a Job read back has
        copy = new(Job)
        set_dict(copy, "__dict__", values)
        jobs.append(copy)
    return jobs


def event(row: Sequence[Any]) -> Event:
    """An ``Event`` from its row (``seq, job_id, type, at, data``)."""
    seq, job_id, type_, at, data = row
    return Event(
        seq=seq, job_id=job_id, type=_EVENT_TYPES[type_], at=dt(at), data=_event_data(data, seq)
    )


def _error(text: str, job_id: int) -> ErrorInfo:
    """A job's stored error; one that cannot be read says so in its place."""
    data = decode_stored(text, "error of job", job_id)
    if isinstance(data, dict):
        return ErrorInfo.from_dict(data)
    return ErrorInfo(type="Undecodable", message=str(data))


def _event_data(text: str, seq: int) -> dict[str, Any]:
    """An event's stored data; data that cannot be read says so in its place."""
    data = decode_stored(text, "data of event", seq)
    return data if isinstance(data, dict) else {"undecodable": str(data)}


def queue_info(row: Sequence[Any]) -> QueueInfo:
    """A ``QueueInfo`` from its ``QUEUE_SETTINGS`` row."""
    name, limit, paused, rate_count, rate_period, key_count, key_period, per_key_limit = row
    return QueueInfo(
        name=name,
        limit=limit,
        paused=bool(paused),
        rate=None if rate_count is None else str(Rate(rate_count, rate_period)),
        per_key_rate=None if key_count is None else str(Rate(key_count, key_period)),
        per_key_limit=per_key_limit,
    )


def schedule(row: Sequence[Any]) -> Schedule:
    """A ``Schedule`` from its ``SCHEDULES`` row."""
    (
        name, kind, cron, payload, timezone, queue, catch_up, paused, created, next_slot,
        last_slot,
    ) = row  # fmt: skip
    return Schedule(
        name=name,
        kind=kind,
        cron=cron,
        payload=decode_stored(payload, "payload of schedule", 0),
        timezone=timezone,
        queue=queue,
        catch_up=catch_up,
        paused=bool(paused),
        created_at=dt(created),
        next_slot=dt(next_slot),
        last_slot=None if last_slot is None else dt(last_slot),
    )


def worker(row: Sequence[Any]) -> WorkerInfo:
    """A ``WorkerInfo`` from its row (``name, queues, kinds, started_at, seen_at,
    holding``)."""
    name, queues, kinds, started_at, seen_at, holding = row
    return WorkerInfo(
        name=name,
        queues=tuple(decode_json(queues)),
        kinds=None if kinds is None else tuple(decode_json(kinds)),
        started_at=dt(started_at),
        last_heartbeat=dt(seen_at),
        holding=holding,
    )
