"""The PostgreSQL engine's write transaction: the events it writes, the queues it
wakes, and the statements the job lifecycle (``engines/lifecycle.py``) runs through
it, one call each."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.rows import scalar_row

from ..._records import Outcome, Written, dumps, encode_json
from ...errors import JobNotFound
from ...models import ErrorInfo, EventType, Job
from ..base import AttemptEnd, ChildEnd, Recount, SuccessEnd
from ..scheduling import DueSchedule
from . import _rows, _sql

__all__ = ["SKEW_IGNORED", "PostgresTransaction"]

#: Seconds by which this machine's clock may differ from the server's before times it
#: computes are moved onto the server's.
SKEW_IGNORED = 1.0


class PostgresTransaction:
    """One open write transaction: its clock (the server's), the events it writes,
    and the statements the job lifecycle runs (the ``Transaction`` of ``base.py``).

    Events are collected while the transaction runs and inserted by ``flush`` as its
    last statement, under the event lock (``_sql.EVENT_LOCK``) held to the commit;
    ``delivered`` gives them, with their sequence numbers (``committed``), once
    committed.
    """

    def __init__(self, conn: psycopg.Connection[Any], now: float) -> None:
        self.conn = conn
        self.now = now
        #: How far the server's clock is ahead of this machine's, measured just after
        #: the server read its clock for this transaction; under ``SKEW_IGNORED`` the
        #: measure is mostly the round trip, and times pass unchanged.
        skew = now - time.time()
        self.skew = skew if abs(skew) >= SKEW_IGNORED else 0.0
        self.events: list[tuple[int, EventType, dict[str, Any], str]] = []
        #: (seq, job_id, type, data) of every event written.
        self.written: list[tuple[int, int, EventType, dict[str, Any]]] = []
        #: The events' inserts sent by ``flush``, whose answers come with the commit's.
        self._inserted: list[
            tuple[psycopg.Cursor[Any], list[tuple[int, EventType, dict[str, Any], str]]]
        ] = []
        #: Queues whose idle workers this transaction wakes at its commit; "" when it
        #: made a change that is not tied to one queue (an ended attempt frees a slot).
        self.wakes: set[str] = set()
        #: Jobs whose success this transaction recorded and that no job depends on (as
        #: ``SUCCEED`` read them): they release no dependants, with no statement.
        self.undepended: set[int] = set()

    def server_time(self, local: float) -> float:
        """A time this machine computed (``delay`` seconds from its clock: a delayed
        job's ``run_at``, a retry's) on the server's clock, so that machines with
        skewed clocks agree on when it comes."""
        return local + self.skew

    def run(self, sql: Any, params: Any = None) -> psycopg.Cursor[Any]:
        return self.conn.execute(sql, params)

    def one(self, sql: Any, params: Any = None) -> Any:
        return self.conn.execute(sql, params).fetchone()

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
        self.events.append(
            (job_id, EventType.SUCCEEDED, {"attempt": attempt}, f'{{"attempt":{attempt}}}')
        )

    def started(self, attempts: Iterable[tuple[int, int]], worker: str) -> None:
        """The ``started`` events of claimed ``(job id, attempt)`` pairs."""
        encoded = dumps(worker, "worker name")
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
        """Send the event lock and the collected events' insert, in order, without
        waiting for their answer: in the pipeline they travel with the notifications
        and the commit, so the lock is held for the server's time alone, not for
        round trips. ``committed`` reads their sequence numbers."""
        events, self.events = self.events, []
        if events:
            self.conn.execute(_sql.EVENT_LOCK)
            inserted = self.conn.cursor(row_factory=scalar_row).execute(
                _sql.INSERT_EVENTS,
                (
                    self.now,
                    [e[0] for e in events],
                    [e[1]._value_ for e in events],
                    [e[3] for e in events],
                ),
            )
            self._inserted.append((inserted, events))

    def committed(self) -> None:
        """Note the sequence numbers of the events ``flush`` sent (once committed)."""
        for inserted, events in self._inserted:
            seqs = sorted(inserted.fetchall())
            self.written.extend(
                (seq, job_id, type_, data)
                for seq, (job_id, type_, data, _) in zip(seqs, events, strict=True)
            )
        self._inserted.clear()

    @property
    def delivered(self) -> Written:
        """The events written, as values built when read (call after the commit)."""
        return Written(self.written, self.now)

    # -- the lifecycle's statements (see ``Transaction``) ------------------------------

    def job(self, job_id: int) -> Job:
        row = self.one(_sql.GET_JOB, (job_id,))
        if row is None:
            raise JobNotFound(job_id)
        return _rows.job(row)

    def succeed_plain(self, outcomes: Sequence[Outcome]) -> bool:
        """Never taken: one ``SUCCEED`` statement records any number of successes."""
        return False

    def succeed(self, outcomes: Sequence[Outcome]) -> list[SuccessEnd]:
        rows = self.run(
            _sql.SUCCEED,
            {
                "now": self.now,
                "ids": [o.job_id for o in outcomes],
                "runs": [o.run_id for o in outcomes],
                "results": [o.result for o in outcomes],
                "versions": [o.handler_version for o in outcomes],
            },
        ).fetchall()
        self.wakes.add("")
        self.undepended.update(r["id"] for r in rows if not r["has_dependants"])
        return [
            (r["id"], r["run_id"], r["status"], r["parent_id"], r["attempt"], r["children_done"])
            for r in rows
        ]

    def end_attempt(self, outcome: Outcome, *, expired: bool) -> AttemptEnd | None:
        error = None if outcome.error is None else dumps(outcome.error.to_dict(), "error")
        params: dict[str, Any] = {
            "id": outcome.job_id,
            "run_id": outcome.run_id,
            "now": self.now,
            "error": error,
        }
        if outcome.status == "released":
            statement = _sql.RELEASE[expired]
        elif outcome.status == "failed":
            statement = _sql.FAIL[expired]
            retry_at = outcome.retry_at
            if retry_at is not None and not expired:  # an expiry's is the server's now
                retry_at = self.server_time(retry_at)
            params["retry_at"] = retry_at
            params["version"] = outcome.handler_version
        else:
            statement = _sql.CANCEL_ATTEMPT[expired]
        row = self.one(statement, params)
        if row is None:
            return None
        self.wakes.add("")
        return row["status"], row["parent_id"], row["attempt"]

    def expired_attempts(self) -> list[tuple[int, int, int, int]]:
        return [
            (r["id"], r["attempt"], r["max_attempts"], r["run_id"])
            for r in self.run(_sql.EXPIRED, (self.now,))
        ]

    def child_ended(self, parent_id: int) -> ChildEnd | None:
        row = self.one(_sql.CHILD_ENDED, (self.now, parent_id))
        if row is None:
            return None
        return (
            row["status"],
            row["lease_until"],
            row["children"],
            row["children_finished"],
            row["progress"],
            row["progress_message"],
        )

    def unsuccessful_children(self, parent_id: int) -> int:
        return int(self.one(_sql.UNSUCCESSFUL_CHILDREN, (parent_id,))["n"])

    def end_parent(self, parent_id: int, status: str, error: ErrorInfo | None) -> int | None:
        encoded = None if error is None else dumps(error.to_dict(), "error")
        row = self.one(_sql.END_PARENT, (status, encoded, self.now, self.now, parent_id))
        if row is None:
            return None
        grandparent: int | None = row["parent_id"]
        return grandparent

    def active_children(self, job_id: int) -> list[int]:
        return [row["id"] for row in self.run(_sql.ACTIVE_CHILDREN, (job_id,))]

    def cancel_job(self, job_id: int, error: ErrorInfo | None = None) -> tuple[bool, int | None]:
        encoded = None if error is None else dumps(error.to_dict(), "error")
        row = self.one(_sql.CANCEL_JOB, (encoded, self.now, self.now, job_id))
        if row is None:
            return False, None
        self.wakes.add("")
        return True, row["parent_id"]

    def statuses(self, job_ids: Sequence[int]) -> dict[int, str]:
        rows = self.run(_sql.STATUSES, (list(job_ids),)).fetchall()
        return {row["id"]: row["status"] for row in rows}

    def add_dependencies(self, job_id: int, depends_on: Sequence[int], left: int) -> None:
        ids = list(depends_on)
        self.run(_sql.ADD_DEPENDENCIES, (job_id, ids))
        self.run(_sql.MARK_DEPENDED_ON, (ids,))
        self.run(_sql.SET_DEPENDENCIES, (encode_json(ids), left, job_id))

    def release_dependants(self, job_id: int) -> None:
        if job_id not in self.undepended:
            self.run(_sql.RELEASE_DEPENDANTS, (self.now, job_id))
            self.wakes.add("")

    def dependants(self, job_id: int) -> list[int]:
        return [row["job_id"] for row in self.run(_sql.QUEUED_DEPENDANTS, (job_id,))]

    def set_blockers(self, job_id: int, left: int) -> None:
        self.run(_sql.SET_BLOCKERS, (left, job_id))

    def due_schedules(self, queues: Sequence[str], now: float) -> list[DueSchedule]:
        rows = self.run(_sql.DUE_SCHEDULES, (list(queues), now)).fetchall()
        return [
            DueSchedule(
                row["name"], row["kind"], row["cron"], row["payload"], row["timezone"],
                row["queue"], row["catch_up"], row["next_slot"],
            )
            for row in rows
        ]  # fmt: skip

    def advance_schedule(self, name: str, next_slot: float, last_slot: float | None) -> None:
        self.run(_sql.ADVANCE_SCHEDULE, (next_slot, last_slot, name))

    def requeue(self, job_id: int) -> None:
        self.run(_sql.REQUEUE, (self.now, self.now, job_id))
        self.wakes.add("")

    def children_to_retry(self, job_id: int) -> list[tuple[int, str]]:
        return [(r["id"], r["status"]) for r in self.run(_sql.CHILDREN_TO_RETRY, (job_id,))]

    def count_kept_children(self, job_id: int) -> None:
        self.run(_sql.COUNT_KEPT_CHILDREN, (job_id,))

    def waits_for_children(self, job_id: int) -> bool:
        row = self.one(_sql.WAITS_FOR_CHILDREN, (job_id,))
        return bool(row and row["waits"])

    def reopen(self, job_id: int) -> None:
        self.run(_sql.REOPEN, (self.now, job_id))

    def status_and_parent(self, job_id: int) -> tuple[str, int | None] | None:
        row = self.one(_sql.STATUS_AND_PARENT, (job_id,))
        return None if row is None else (row["status"], row["parent_id"])

    def recount(self, parent_id: int) -> Recount | None:
        row = self.one(_sql.RECOUNT, {"now": self.now, "id": parent_id})
        if row is None:
            return None
        return row["children"], row["children_finished"], row["waiting"]

    def subtree(self, job_id: int) -> list[int]:
        return [row["id"] for row in self.run(_sql.SUBTREE, (job_id,))]

    def first_running(self, job_ids: list[int]) -> int | None:
        row = self.one(_sql.FIRST_RUNNING, (job_ids,))
        return None if row is None else int(row["id"])

    def remove_jobs(self, job_ids: list[int]) -> list[Job]:
        return _rows.jobs_by_id(self.remove_rows(job_ids, returning=True))

    def remove_rows(self, job_ids: list[int], *, returning: bool) -> list[Any]:
        """Delete these jobs and their tags; returns their rows as they were (none
        unless ``returning``)."""
        self.run(_sql.DELETE_TAGS, (job_ids,))
        self.run(_sql.DELETE_DEPENDENCIES, {"ids": job_ids})
        if not returning:
            self.run(_sql.DELETE_JOBS, (job_ids,))
            return []
        return self.run(_sql.DELETE_JOBS_RETURNING, (job_ids,)).fetchall()

    def remove_events(self, job_ids: list[int]) -> None:
        # This transaction's own events are inserted at its end (``flush``): they stay.
        self.run(_sql.DELETE_JOB_EVENTS, (job_ids,))
