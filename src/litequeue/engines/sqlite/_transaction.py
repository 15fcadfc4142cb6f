"""The SQLite engine's write transaction: the events it writes, and the statements
the job lifecycle (``engines/lifecycle.py``) runs through it, one call each."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..._checks import INT64_MAX
from ..._records import Outcome, Written, dumps, encode_json
from ...errors import JobNotFound
from ...models import ErrorInfo, EventType, Job
from ..base import AttemptEnd, ChildEnd, Recount, SuccessEnd
from ..scheduling import DueSchedule
from . import _rows, _sql

__all__ = ["SQLiteTransaction", "execute_in_chunks"]


#: From how many plain successes they go a chunk per statement (``SUCCEED_PLAIN_MANY``)
#: rather than one statement each: each chunk's statement costs ~40k instructions of its
#: own, so 10 successes cost 52.3k a job in chunks (4 + 4 + 2) against 40.5k by
#: ``executemany``, where 100 cost 32.7k against 39.2k.
_MANY_SUCCESSES = 16


def _chunks(count: int) -> Iterator[tuple[int, int]]:
    """``(start, size)`` pieces of ``range(count)``, the sizes from ``CHUNK_SIZES``."""
    start = 0
    for size in _sql.CHUNK_SIZES:
        while count - start >= size:
            yield start, size
            start += size


def execute_in_chunks(
    conn: sqlite3.Connection, statements: dict[int, str], values: list[Any], *first: Any
) -> Iterator[sqlite3.Cursor]:
    """Run ``statements[size]`` over ``values`` (four per row, flattened), cut into
    ``_chunks``; ``first`` is bound before each chunk's rows. A count that is itself a
    chunk size (most transactions write one or two rows) goes without cutting."""
    count = len(values) // 4
    if count in statements:
        yield conn.execute(statements[count], [*first, *values] if first else values)
        return
    for start, size in _chunks(count):
        yield conn.execute(statements[size], [*first, *values[4 * start : 4 * (start + size)]])


@functools.lru_cache(maxsize=64)
def _name_json(name: str) -> str:
    """A worker's name as JSON: one worker claims again and again under one name."""
    return dumps(name, "worker name")


class SQLiteTransaction:
    """One open write transaction on a queue file: its clock, the events it writes,
    and the statements the job lifecycle runs (the ``Transaction`` of ``base.py``).

    Events are collected while the transaction runs and inserted at its end;
    ``delivered`` gives them, with their sequence numbers, once committed (the
    ``Event`` values are built then, outside the write lock).
    """

    def __init__(self, conn: sqlite3.Connection, now: float) -> None:
        self.conn = conn
        self.now = now
        self.events: list[tuple[int, EventType, dict[str, Any], str]] = []
        #: (seq, job_id, type, data) of every event written so far.
        self.written: list[tuple[int, int, EventType, dict[str, Any]]] = []

    def event(
        self,
        job_id: int,
        type: EventType,
        data: dict[str, Any] | None = None,
        encoded: str | None = None,
    ) -> None:
        """Queue an event row; ``encoded`` may carry ``data`` already as JSON."""
        data = data or {}
        if encoded is None:
            encoded = dumps(data, "event data") if data else "{}"
        self.events.append((job_id, type, data, encoded))

    def succeeded(self, job_id: int, attempt: int) -> None:
        """The ``succeeded`` event of an attempt (one per job: its JSON by hand)."""
        self.events.append(
            (job_id, EventType.SUCCEEDED, {"attempt": attempt}, f'{{"attempt":{attempt}}}')
        )

    def started(self, attempts: Iterable[tuple[int, int]], worker: str) -> None:
        """The ``started`` events of claimed ``(job id, attempt)`` pairs (one per job:
        their JSON by hand)."""
        encoded = _name_json(worker)
        self.events.extend(
            (
                job_id,
                EventType.STARTED,
                {"attempt": attempt, "worker": worker},
                f'{{"attempt":{attempt},"worker":{encoded}}}',
            )
            for job_id, attempt in attempts
        )

    def flush(self) -> None:
        """Insert the collected event rows, noting their sequence numbers.

        Inside one write transaction nobody else inserts, so the rows get
        consecutive rowids ending at the last statement's ``lastrowid``.
        """
        events = self.events
        if not events:
            return
        now = self.now
        # One row, as most transactions write (an enqueue), without the general path's
        # lists and chunks: 220.7k -> 212.0k instructions a one-job enqueue.
        if len(events) == 1:
            ((job_id, type_, data, encoded),) = events
            row = (job_id, type_._value_, now, encoded)
            seq = self.conn.execute(_sql.INSERT_EVENTS[1], row).lastrowid
            assert seq is not None
            self.written.append((seq, job_id, type_, data))
            events.clear()
            return
        # The type's plain string: sqlite3 binds an enum member (a str subclass) only
        # after looking for adapters, which costs more than the rest of the row.
        values = [
            v for job_id, type_, _, encoded in events for v in (job_id, type_._value_, now, encoded)
        ]
        last = None
        for cursor in execute_in_chunks(self.conn, _sql.INSERT_EVENTS, values):
            last = cursor.lastrowid
        assert last is not None
        first = last - len(events) + 1
        self.written.extend(
            (first + i, job_id, type_, data) for i, (job_id, type_, data, _) in enumerate(events)
        )
        events.clear()

    @property
    def delivered(self) -> Written:
        """The events written, as values built when read (call after the commit)."""
        return Written(self.written, self.now)

    # -- the lifecycle's statements (see ``Transaction``) ------------------------------

    def job(self, job_id: int) -> Job:
        row = self.conn.execute(_sql.GET_JOB, (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        return _rows.job(row)

    def succeed_plain(self, outcomes: Sequence[Outcome]) -> bool:
        """The common case, by plain ``UPDATE``s by id, without the ``RETURNING`` (which
        makes SQLite build a temporary table) and the reading back that ``succeed``
        needs to settle the other cases."""
        if not all(o.attempt and o.parent_id is None for o in outcomes):
            return False
        conn, now = self.conn, self.now
        if len(outcomes) == 1:
            (o,) = outcomes
            values = (o.result, o.handler_version, now, now, o.job_id, o.run_id, now)
            if not conn.execute(_sql.SUCCEED_PLAIN, values).rowcount:
                return False
        else:
            conn.execute(_sql.SAVE_PLAIN)
            if len(outcomes) < _MANY_SUCCESSES:
                rows = [(o.result, o.handler_version, now, now, o.job_id, o.run_id, now)
                        for o in outcomes]  # fmt: skip
                done = conn.executemany(_sql.SUCCEED_PLAIN, rows).rowcount
            else:
                flat = [
                    v for o in outcomes for v in (o.job_id, o.run_id, o.result, o.handler_version)
                ]
                chunks = execute_in_chunks(conn, _sql.SUCCEED_PLAIN_MANY, flat, now)
                done = sum(cursor.rowcount for cursor in chunks)
            if done != len(outcomes):
                conn.execute(_sql.UNDO_PLAIN)
                conn.execute(_sql.KEEP_PLAIN)
                return False
            conn.execute(_sql.KEEP_PLAIN)
        for outcome in outcomes:
            self.succeeded(outcome.job_id, outcome.attempt)
        return True

    def succeed(self, outcomes: Sequence[Outcome]) -> list[SuccessEnd]:
        """A chunk of successes per statement."""
        values = [v for o in outcomes for v in (o.job_id, o.run_id, o.result, o.handler_version)]
        return [
            row
            for cursor in execute_in_chunks(self.conn, _sql.SUCCEED, values, self.now)
            for row in cursor.fetchall()
        ]

    def end_attempt(self, outcome: Outcome, *, expired: bool) -> AttemptEnd | None:
        now = self.now
        fence: tuple[Any, ...] = (
            (outcome.job_id, outcome.run_id) if expired else (outcome.job_id, outcome.run_id, now)
        )
        error = None if outcome.error is None else dumps(outcome.error.to_dict(), "error")
        if outcome.status == "released":
            statement, values = _sql.RELEASE[expired], (error, now, now, *fence)
        elif outcome.status == "failed":
            retry_at = outcome.retry_at
            statement = _sql.FAIL[expired]
            values = (
                retry_at,
                error,
                outcome.handler_version,
                retry_at,
                retry_at,
                now,
                now,
                *fence,
            )
        else:
            statement, values = _sql.CANCEL_ATTEMPT[expired], (error, now, now, *fence)
        row: AttemptEnd | None = self.conn.execute(statement, values).fetchone()
        return row

    def expired_attempts(self) -> list[tuple[int, int, int, int]]:
        return self.conn.execute(_sql.EXPIRED, (self.now,)).fetchall()

    def child_ended(self, parent_id: int) -> ChildEnd | None:
        row: ChildEnd | None = self.conn.execute(_sql.CHILD_ENDED, (self.now, parent_id)).fetchone()
        return row

    def unsuccessful_children(self, parent_id: int) -> int:
        (count,) = self.conn.execute(_sql.UNSUCCESSFUL_CHILDREN, (parent_id,)).fetchone()
        return int(count)

    def end_parent(self, parent_id: int, status: str, error: ErrorInfo | None) -> int | None:
        encoded = None if error is None else dumps(error.to_dict(), "error")
        (grandparent,) = self.conn.execute(
            _sql.END_PARENT, (status, encoded, self.now, self.now, parent_id)
        ).fetchone()
        return grandparent  # type: ignore[no-any-return]

    def active_children(self, job_id: int) -> list[int]:
        return [row[0] for row in self.conn.execute(_sql.ACTIVE_CHILDREN, (job_id,))]

    def cancel_job(self, job_id: int, error: ErrorInfo | None = None) -> tuple[bool, int | None]:
        encoded = None if error is None else dumps(error.to_dict(), "error")
        row = self.conn.execute(_sql.CANCEL_JOB, (encoded, self.now, self.now, job_id)).fetchone()
        return (False, None) if row is None else (True, row[0])

    def statuses(self, job_ids: Sequence[int]) -> dict[int, str]:
        rows = self.conn.execute(_sql.STATUSES, (encode_json(list(job_ids)),))
        return dict(rows.fetchall())

    def add_dependencies(self, job_id: int, depends_on: Sequence[int], left: int) -> None:
        listed = encode_json(list(depends_on))
        self.conn.execute(_sql.ADD_DEPENDENCIES, (listed, job_id))
        self.conn.execute(_sql.MARK_DEPENDED_ON, (listed,))
        self.conn.execute(_sql.SET_DEPENDENCIES, (listed, left, job_id))

    def release_dependants(self, job_id: int) -> None:
        self.conn.execute(_sql.RELEASE_DEPENDANTS, (self.now, job_id))

    def dependants(self, job_id: int) -> list[int]:
        return [row[0] for row in self.conn.execute(_sql.QUEUED_DEPENDANTS, (job_id,))]

    def due_schedules(self, queues: Sequence[str], now: float) -> list[DueSchedule]:
        rows = self.conn.execute(_sql.due_schedules(len(queues)), (*queues, now))
        return [DueSchedule(*row) for row in rows.fetchall()]

    def advance_schedule(self, name: str, next_slot: float, last_slot: float | None) -> None:
        self.conn.execute(_sql.ADVANCE_SCHEDULE, (next_slot, last_slot, name))

    def set_blockers(self, job_id: int, left: int) -> None:
        self.conn.execute(_sql.SET_BLOCKERS, (left, job_id))

    def requeue(self, job_id: int) -> None:
        self.conn.execute(_sql.REQUEUE, (self.now, self.now, job_id))

    def children_to_retry(self, job_id: int) -> list[tuple[int, str]]:
        return self.conn.execute(_sql.CHILDREN_TO_RETRY, (job_id,)).fetchall()

    def count_kept_children(self, job_id: int) -> None:
        self.conn.execute(_sql.COUNT_KEPT_CHILDREN, (job_id,))

    def waits_for_children(self, job_id: int) -> bool:
        (waits,) = self.conn.execute(_sql.WAITS_FOR_CHILDREN, (job_id,)).fetchone()
        return bool(waits)

    def reopen(self, job_id: int) -> None:
        self.conn.execute(_sql.REOPEN, (self.now, job_id))

    def status_and_parent(self, job_id: int) -> tuple[str, int | None] | None:
        row: tuple[str, int | None] | None = self.conn.execute(
            _sql.STATUS_AND_PARENT, (job_id,)
        ).fetchone()
        return row

    def recount(self, parent_id: int) -> Recount | None:
        row: Recount | None = self.conn.execute(_sql.RECOUNT, (self.now, parent_id)).fetchone()
        return row

    def subtree(self, job_id: int) -> list[int]:
        return [row[0] for row in self.conn.execute(_sql.SUBTREE, (job_id,))]

    def first_running(self, job_ids: list[int]) -> int | None:
        row = self.conn.execute(_sql.FIRST_RUNNING, (encode_json(job_ids),)).fetchone()
        return None if row is None else int(row[0])

    def remove_jobs(self, job_ids: list[int]) -> list[Job]:
        return _rows.jobs_by_id(self.remove_rows(encode_json(job_ids), returning=True))

    def remove_rows(self, listed: str, *, returning: bool) -> list[Any]:
        """Delete the jobs whose ids are in the JSON list ``listed``, and their tags;
        returns their rows as they were (none unless ``returning``: reading them back
        costs time under the write lock)."""
        self.conn.execute(_sql.DELETE_TAGS, (listed,))
        self.conn.execute(_sql.DELETE_DEPENDENCIES, (listed,))
        if not returning:
            self.conn.execute(_sql.DELETE_JOBS, (listed,))
            return []
        return self.conn.execute(_sql.DELETE_JOBS_RETURNING, (listed,)).fetchall()

    def remove_events(self, job_ids: list[int]) -> None:
        # The new events first: their numbers mark where the old ones end.
        self.flush()
        first_new = self.written[0][0] if self.written else INT64_MAX
        self.conn.execute(_sql.DELETE_JOB_EVENTS, (encode_json(job_ids), first_new))
