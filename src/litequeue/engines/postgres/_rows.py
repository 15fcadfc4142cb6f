"""Rows of the PostgreSQL engine as litequeue's values, each read by column name
(the connections hand rows back as dicts), in one place.

Times are POSIX seconds in the database and aware UTC datetimes outside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from ..._records import Running, decode_json, decode_stored
from ...models import ErrorInfo, Event, EventType, Job, JobStatus, Schedule, WorkerInfo

__all__ = [
    "claim_order",
    "claimed",
    "dt",
    "event",
    "job",
    "jobs_by_id",
    "running",
    "schedule",
    "worker",
]

Row = Mapping[str, Any]

_STATUSES = {status.value: status for status in JobStatus}
_EVENT_TYPES = {type_.value: type_ for type_ in EventType}
UNDECODED: Any = object()


def dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _maybe_dt(value: float | None) -> datetime | None:
    return None if value is None else dt(value)


def job(row: Row, payload: Any = UNDECODED) -> Job:
    """A ``Job`` from its row (``_sql.JOB_COLUMNS``); ``payload`` when already decoded."""
    job_id = row["id"]
    error = row["error"]
    result = row["result"]
    tags = row["tags"]
    return Job(
        id=job_id,
        kind=row["kind"],
        queue=row["queue"],
        status=_STATUSES[row["status"]],
        payload=(
            decode_stored(row["payload"], "payload of job", job_id)
            if payload is UNDECODED
            else payload
        ),
        result=None if result is None else decode_stored(result, "result of job", job_id),
        error=None if error is None else _error(error, job_id),
        priority=row["priority"],
        run_at=dt(row["run_at"]),
        attempt=row["attempt"],
        max_attempts=row["max_attempts"],
        timeout=row["timeout"],
        progress=row["progress"],
        progress_message=row["progress_message"],
        parent_id=row["parent_id"],
        unique_key=row["unique_key"],
        tags=[] if tags == "[]" else decode_json(tags),
        handler_version=row["handler_version"],
        created_at=dt(row["created_at"]),
        updated_at=dt(row["updated_at"]),
        started_at=_maybe_dt(row["started_at"]),
        finished_at=_maybe_dt(row["finished_at"]),
        lease_until=_maybe_dt(row["lease_until"]),
        depends_on=[] if row["depends_on"] == "[]" else decode_json(row["depends_on"]),
        dependencies_left=row["blockers"],
        limit_key=row["limit_key"],
    )


def schedule(row: Row) -> Schedule:
    """A ``Schedule`` from its row (``_sql.SCHEDULES``)."""
    return Schedule(
        name=row["name"],
        kind=row["kind"],
        cron=row["cron"],
        payload=decode_stored(row["payload"], "payload of schedule", 0),
        timezone=row["timezone"],
        queue=row["queue"],
        catch_up=row["catch_up"],
        paused=bool(row["paused"]),
        created_at=dt(row["created_at"]),
        next_slot=dt(row["next_slot"]),
        last_slot=_maybe_dt(row["last_slot"]),
    )


def jobs_by_id(rows: Iterable[Row]) -> list[Job]:
    """Jobs from their rows, by id."""
    return sorted(map(job, rows), key=lambda found: found.id)


def claim_order(row: Row) -> tuple[Any, ...]:
    """The order a claim hands jobs out in (``RETURNING`` has none): best first."""
    return (-row["priority"], row["run_at"], row["id"])


def running(rows: Sequence[Row]) -> list[Running]:
    """The claimed attempts from their rows (each the job as its claim left it); the
    ``Job`` of each is built when first asked for, sharing the decoded payload."""
    claimed = []
    for row in rows:
        job_id = row["id"]
        payload = decode_stored(row["payload"], "payload of job", job_id)
        claimed.append(
            Running(  # positional, as Running asks
                row["run_id"],
                job_id,
                row["kind"],
                row["attempt"],
                row["max_attempts"],
                row["timeout"],
                row["parent_id"],
                payload,
                cast(Any, row),
                _claimed_job,
            )
        )
    return claimed


def _claimed_job(row: Any, payload: Any) -> Job:
    return job(row, payload)


def claimed(rows: Sequence[Sequence[Any]], names: Sequence[str]) -> list[Running]:
    """The claimed attempts from rows given as tuples, whose columns ``names`` names
    (the claim function's, read from its result): a tuple costs the client less to
    receive than a dict per row, and the ``Job`` of each, when first asked for, is
    built from a dict of the row by name."""
    at = {name: i for i, name in enumerate(names)}
    i_run, i_id, i_kind, i_attempt, i_max, i_timeout, i_parent, i_payload = (
        at[name]
        for name in (
            "run_id", "id", "kind", "attempt", "max_attempts", "timeout", "parent_id", "payload"
        )
    )  # fmt: skip

    def build(row: Sequence[Any], payload: Any) -> Job:
        return job(dict(zip(names, row, strict=True)), payload)

    attempts = []
    for row in rows:
        job_id = row[i_id]
        payload = decode_stored(row[i_payload], "payload of job", job_id)
        attempt_of = Running(  # positional, as Running asks
            row[i_run], job_id, row[i_kind], row[i_attempt], row[i_max], row[i_timeout],
            row[i_parent], payload, row, build,
        )  # fmt: skip
        attempts.append(attempt_of)
    return attempts


def event(row: Row) -> Event:
    """An ``Event`` from its row (``seq, job_id, type, at, data``)."""
    seq = row["seq"]
    return Event(
        seq=seq,
        job_id=row["job_id"],
        type=_EVENT_TYPES[row["type"]],
        at=dt(row["at"]),
        data=_event_data(row["data"], seq),
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


def worker(row: Row) -> WorkerInfo:
    """A ``WorkerInfo`` from its row (``name, queues, kinds, started_at, seen_at,
    holding``)."""
    kinds = row["kinds"]
    return WorkerInfo(
        name=row["name"],
        queues=tuple(decode_json(row["queues"])),
        kinds=None if kinds is None else tuple(decode_json(kinds)),
        started_at=dt(row["started_at"]),
        last_heartbeat=dt(row["seen_at"]),
        holding=row["holding"],
    )
