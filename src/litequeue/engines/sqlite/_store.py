"""The SQLite engine's store: every read and write of one queue file.

The queue and the worker reach it through the ``Store`` interface
(``engines/base.py``); its statements are named in ``_sql``, and its rows become
values in ``_rows``. Every write runs in one ``BEGIN IMMEDIATE`` transaction that
also inserts the matching event rows, and returns the events so the caller can
deliver them after the commit. Times are POSIX seconds (``time.time()``) in the
file and aware UTC datetimes outside it.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..._checks import INT64_MAX
from ..._records import (
    Claim,
    JobRun,
    NewJob,
    Outcome,
    Running,
    Written,
    dumps,
    encode_json,
)
from ...errors import InvalidTransition, JobNotFound
from ...models import ErrorInfo, Event, EventType, Job, JobStatus, KeyState, QueueInfo
from . import _rows, _schema, _sql

__all__ = ["SQLiteStore"]

T = TypeVar("T")

_ACTIVE = ("queued", "running")
#: Rows ``prune`` deletes per transaction.
_PRUNE_CHUNK = 10_000


def _chunks(count: int) -> Iterator[tuple[int, int]]:
    """``(start, size)`` pieces of ``range(count)``, the sizes from ``CHUNK_SIZES``."""
    start = 0
    for size in _sql.CHUNK_SIZES:
        while count - start >= size:
            yield start, size
            start += size


def _execute_in_chunks(
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


class _Tx:
    """One open write transaction: its clock, and the events it writes.

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
        """Insert the collected event rows, noting their sequence numbers.

        Inside one write transaction nobody else inserts, so the rows get
        consecutive rowids ending at the last statement's ``lastrowid``.
        """
        events = self.events
        if not events:
            return
        now = self.now
        # The type's plain string: sqlite3 binds an enum member (a str subclass) only
        # after looking for adapters, which costs more than the rest of the row.
        values = [
            v for job_id, type_, _, encoded in events for v in (job_id, type_._value_, now, encoded)
        ]
        last = None
        for cursor in _execute_in_chunks(self.conn, _sql.INSERT_EVENTS, values):
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


class SQLiteStore:
    """All reads and writes of one SQLite queue file, safe to share between threads."""

    def __init__(
        self,
        path: str | Path,
        *,
        durability: str = "full",
        busy_timeout: float = 10.0,
        migrate: bool = True,
    ) -> None:
        self.path = str(path)
        self._conn = _schema.connect(
            self.path, durability=durability, busy_timeout=busy_timeout, current=not migrate
        )
        self._busy_timeout = busy_timeout
        self._lock = threading.RLock()
        try:
            if migrate:
                _schema.migrate(self._conn, self.path, busy_timeout=busy_timeout)
            # From here on, waiting for a busy file is _schema.retry_busy's job.
            self._conn.execute(_sql.NO_BUSY_WAIT)
        except BaseException:
            self._conn.close()
            raise
        self._closed = False

    # -- plumbing ---------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def _write(self) -> _WriteTx:
        return _WriteTx(self)

    def _reading(self, read: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``read`` on the connection, waiting out a busy file (WAL readers are
        rarely blocked: only while another connection recovers the log)."""
        with self._lock, _schema.translate_errors(self.path):
            return _schema.retry_busy(lambda: read(self._conn), self._busy_timeout)

    def _read(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        return self._reading(lambda conn: conn.execute(sql, params).fetchall())

    def data_version(self) -> int:
        """Changes whenever another connection commits to the file."""
        return int(self._read(_sql.DATA_VERSION)[0][0])

    def wait_for_change(self, timeout: float, poll: float) -> bool:
        """Block until another connection commits, or ``timeout`` passes; True when a
        change was seen. Reads ``PRAGMA data_version`` every ``poll`` seconds (a
        shared-memory read, no disk I/O)."""
        deadline = time.monotonic() + timeout
        start = self.data_version()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(poll, remaining))
            if self.data_version() != start:
                return True

    def schema_version(self) -> int:
        return self._reading(_schema.schema_version)

    # -- enqueue ------------------------------------------------------------------

    def enqueue(self, news: Sequence[NewJob | JobRun]) -> tuple[list[Job], Written]:
        """Insert jobs in one transaction, in order. A ``unique_key`` already held by an
        active job returns that job instead, unless ``force``."""
        jobs: list[Job] = []
        with self._write() as tx:
            for new in news:
                if isinstance(new, JobRun):
                    jobs.extend(self._insert_run(tx, new))
                else:
                    jobs.append(self._insert(tx, new))
        return jobs, tx.delivered

    def _insert_run(self, tx: _Tx, run: JobRun) -> list[Job]:
        """Insert jobs that differ only in their payloads, with one statement.

        The payloads travel as one JSON array that SQLite unpacks (``json_each``),
        which costs a third of an ``executemany`` per row. Inside the write
        transaction nobody else inserts, so the jobs get consecutive ids ending at
        ``last_insert_rowid()``.
        """
        conn, now, template = tx.conn, tx.now, run.template
        conn.execute(
            _sql.INSERT_RUN[run.boxed],
            (
                template.kind,
                template.queue,
                template.priority,
                now if template.run_at is None else template.run_at,
                template.max_attempts,
                template.timeout,
                encode_json(template.tags) if template.tags else "[]",
                now,
                run.payloads,
            ),
        )
        (last,) = conn.execute(_sql.LAST_ROWID).fetchone()
        ids = range(last - len(run.values) + 1, last + 1)
        if template.tags:
            conn.executemany(
                _sql.INSERT_TAG, [(tag, job_id) for job_id in ids for tag in template.tags]
            )
        # Their "enqueued" events, written by SQLite from the rows just inserted.
        tx.flush()  # events written earlier in this transaction keep the lower numbers
        kind, queue = template.kind, template.queue
        data = {"kind": kind, "queue": queue}  # one for all: Written copies it into each Event
        conn.execute(_sql.INSERT_RUN_EVENTS, (now, encode_json(data), ids[0], last))
        (last_seq,) = conn.execute(_sql.LAST_ROWID).fetchone()
        tx.written.extend(
            zip(
                range(last_seq - len(run.values) + 1, last_seq + 1),
                ids,
                itertools.repeat(EventType.ENQUEUED),
                itertools.repeat(data),
            )
        )
        at = _rows.dt(now)
        model = Job(
            id=ids[0],
            kind=kind,
            queue=queue,
            status=JobStatus.QUEUED,
            payload=None,
            priority=template.priority,
            run_at=at if template.run_at is None else _rows.dt(template.run_at),
            max_attempts=template.max_attempts,
            timeout=template.timeout,
            tags=list(template.tags),
            created_at=at,
            updated_at=at,
        )
        return _rows.copies(model, ids, run.values)

    def _holder(self, conn: sqlite3.Connection, new: NewJob) -> Job | None:
        """The active job that holds ``new``'s unique key, which ``new`` then is."""
        if new.unique_key is None or new.force:
            return None
        row = conn.execute(_sql.KEY_HOLDER, (new.unique_key,)).fetchone()
        return None if row is None else _rows.job(row)

    def _insert(self, tx: _Tx, new: NewJob) -> Job:
        conn, now = tx.conn, tx.now
        holder = self._holder(conn, new)
        if holder is not None:
            return holder
        if new.parent_id is not None:
            # A parent that has finished takes no new children.
            parent = conn.execute(_sql.ADD_CHILD, (now, new.parent_id)).fetchone()
            if parent is None:
                self._require(conn, new.parent_id)
                raise InvalidTransition(
                    f"job {new.parent_id} has finished and cannot take new children"
                )
        tags = encode_json(new.tags) if new.tags else "[]"
        run_at = now if new.run_at is None else new.run_at
        values = (
            new.kind,
            new.queue,
            new.payload,
            new.priority,
            run_at,
            new.max_attempts,
            tags,
            now,
        )
        if new.timeout is None and new.plain:
            cursor = conn.execute(_sql.INSERT_JOB_PLAIN, values)
        else:
            cursor = conn.execute(
                _sql.INSERT_JOB, (*values, new.timeout, new.parent_id, new.unique_key)
            )
        job_id = cursor.lastrowid
        assert job_id is not None
        if new.tags:
            conn.executemany(_sql.INSERT_TAG, [(tag, job_id) for tag in new.tags])
        tx.event(job_id, EventType.ENQUEUED, {"kind": new.kind, "queue": new.queue})
        created_at = _rows.dt(now)
        return Job(
            id=job_id,
            kind=new.kind,
            queue=new.queue,
            status=JobStatus.QUEUED,
            payload=new.value,
            priority=new.priority,
            run_at=created_at if new.run_at is None else _rows.dt(new.run_at),
            max_attempts=new.max_attempts,
            timeout=new.timeout,
            parent_id=new.parent_id,
            unique_key=new.unique_key,
            tags=list(new.tags),
            created_at=created_at,
            updated_at=created_at,
        )

    def create_batch(
        self, parent: NewJob, children: Sequence[NewJob]
    ) -> tuple[Job, list[Job], Written]:
        """Insert a parent that runs no handler of its own and waits for ``children``.

        A batch whose unique key an active batch holds is that batch, which takes the
        children not already held by active jobs; a key held by a job that is not a
        batch is refused (``InvalidTransition``).
        """
        with self._write() as tx:
            conn, now = tx.conn, tx.now
            parent_job = self._holder(conn, parent)
            if parent_job is None:
                parent_job = self._insert(tx, parent)
                conn.execute(_sql.START_BATCH, (now, now, parent_job.id))
                tx.event(parent_job.id, EventType.WAITING, {"children": len(children)})
            elif not self._is_batch(conn, parent_job.id):
                raise InvalidTransition(
                    f"unique key {parent.unique_key!r} is held by job {parent_job.id}"
                    f" ({parent_job.kind}, {parent_job.status.value}), which is not a batch"
                )
            kids = [self._insert(tx, c._replace(parent_id=parent_job.id)) for c in children]
            # A child whose unique key an active job holds is that job, which stays in
            # its own batch: this one waits for its own children, and with none
            # unfinished (none made here, say) it is over at once.
            self._recount(tx, parent_job.id)
            parent_job = self._get(conn, parent_job.id)
        return parent_job, kids, tx.delivered

    @staticmethod
    def _is_batch(conn: sqlite3.Connection, job_id: int) -> bool:
        return bool(conn.execute(_sql.IS_BATCH, (job_id,)).fetchone()[0])

    # -- claim and finish -----------------------------------------------------------

    def claim(
        self, claim: Claim, outcomes: Sequence[Outcome] = ()
    ) -> tuple[list[Running], list[Outcome], Written]:
        """Record ``outcomes`` and claim up to ``claim.limit`` jobs, in one transaction.

        Returns the claimed attempts, the outcomes that were accepted (a late answer
        from an attempt that lost its job is dropped), and the events written.
        """
        with self._write() as tx:
            accepted = self._finish_all(tx, outcomes)
            lease_until = tx.now + claim.lease
            rows = self._claim(tx, claim, lease_until) if claim.limit > 0 else []
        claimed = _rows.running(rows, tx.now, lease_until)
        return claimed, accepted, tx.delivered

    def finish(self, outcomes: Sequence[Outcome]) -> tuple[list[Outcome], Written]:
        """Record outcomes without claiming anything."""
        with self._write() as tx:
            accepted = self._finish_all(tx, outcomes)
        return accepted, tx.delivered

    def _finish_all(self, tx: _Tx, outcomes: Sequence[Outcome]) -> list[Outcome]:
        successes = [o for o in outcomes if o.status == "succeeded"]
        accepted = self._succeed_many(tx, successes) if successes else []
        accepted.extend(o for o in outcomes if o.status != "succeeded" and self._finish(tx, o))
        return accepted

    def _succeed_many(self, tx: _Tx, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """Record successes, a chunk per statement, fenced by run id like ``_finish``.

        A job with unfinished children keeps running, without a lease, until they end.
        """
        if self._succeed_plain(tx, outcomes):
            return list(outcomes)
        now = tx.now
        values = [v for o in outcomes for v in (o.job_id, o.run_id, o.result, o.handler_version)]
        rows = [
            row
            for cursor in _execute_in_chunks(tx.conn, _sql.SUCCEED, values, now)
            for row in cursor.fetchall()
        ]
        done = set()  # by attempt: a late answer of the same job is not accepted with it
        for job_id, run_id, status, parent_id, attempt, children_done in rows:
            done.add(run_id)
            if status == "running":
                if children_done:  # they all ended before it did
                    self._finish_parent(tx, job_id, attempt=attempt)
                else:
                    tx.event(job_id, EventType.WAITING, {"attempt": attempt})
                continue
            tx.succeeded(job_id, attempt)
            if parent_id is not None:
                self._child_finished(tx, parent_id, succeeded=True)
        return [o for o in outcomes if o.run_id in done]

    def _succeed_plain(self, tx: _Tx, outcomes: Sequence[Outcome]) -> bool:
        """The common case: successes of jobs with no parent and no children, whose
        attempt numbers the worker sent, each still held by its attempt. Plain
        ``UPDATE``s by id, without the ``RETURNING`` (which makes SQLite build a
        temporary table) and the reading back that ``_succeed_many`` needs to settle
        the other cases; when any of them does not apply, nothing is changed and
        False returned."""
        if not all(o.attempt and o.parent_id is None for o in outcomes):
            return False
        conn, now = tx.conn, tx.now
        rows = [(o.result, o.handler_version, now, now, o.job_id, o.run_id, now) for o in outcomes]
        if len(rows) == 1:
            if not conn.execute(_sql.SUCCEED_PLAIN, rows[0]).rowcount:
                return False
        else:
            conn.execute(_sql.SAVE_PLAIN)
            if conn.executemany(_sql.SUCCEED_PLAIN, rows).rowcount != len(rows):
                conn.execute(_sql.UNDO_PLAIN)
                conn.execute(_sql.KEEP_PLAIN)
                return False
            conn.execute(_sql.KEEP_PLAIN)
        for outcome in outcomes:
            tx.succeeded(outcome.job_id, outcome.attempt)
        return True

    def _claim(self, tx: _Tx, claim: Claim, lease_until: float) -> list[Any]:
        """Claim in ``tx``, leased until ``lease_until``; returns the rows read back
        (the ``Job`` values are built after the commit, so the write lock is held no
        longer)."""
        conn, now = tx.conn, tx.now
        self._take_back_expired(tx)
        claimed: list[Any] = []
        for queue in claim.queues:
            wanted = claim.limit - len(claimed)
            if wanted <= 0:
                break
            rows = conn.execute(
                _sql.CLAIM_ONE if wanted == 1 else _sql.CLAIM_MANY,
                (queue, now, wanted, claim.worker, lease_until),
            ).fetchall()
            if not rows:
                continue
            rows.sort(key=_rows.claim_order)
            claimed += rows
            tx.started(map(_rows.claimed_attempt, rows), claim.worker)
        return claimed

    def _take_back_expired(self, tx: _Tx) -> None:
        """Return jobs whose lease ran out to the queue, or fail them when out of attempts."""
        rows = tx.conn.execute(_sql.EXPIRED, (tx.now,)).fetchall()
        for job_id, attempt, max_attempts, run_id in rows:
            error = ErrorInfo(
                type="LeaseExpired",
                message=f"the worker running attempt {attempt} stopped renewing its lease",
            )
            retry_at = tx.now if attempt < max_attempts else None
            self._finish(
                tx,
                Outcome(
                    job_id=job_id, run_id=run_id, status="failed", error=error, retry_at=retry_at
                ),
                expired=True,
            )

    def _finish(self, tx: _Tx, outcome: Outcome, *, expired: bool = False) -> bool:
        """Record a failure, cancellation or hand-back (successes go through
        ``_succeed_many``); False when the attempt no longer holds its job."""
        conn, now = tx.conn, tx.now
        fence: tuple[Any, ...] = (
            (outcome.job_id, outcome.run_id) if expired else (outcome.job_id, outcome.run_id, now)
        )
        error = None if outcome.error is None else dumps(outcome.error.to_dict(), "error")
        if outcome.status == "released":
            row = conn.execute(_sql.RELEASE[expired], (error, now, now, *fence)).fetchone()
        elif outcome.status == "failed":
            row = conn.execute(
                _sql.FAIL[expired],
                (
                    outcome.retry_at,
                    error,
                    outcome.handler_version,
                    outcome.retry_at,
                    outcome.retry_at,
                    now,
                    now,
                    *fence,
                ),
            ).fetchone()
        elif outcome.status == "cancelled":
            row = conn.execute(_sql.CANCEL_ATTEMPT[expired], (error, now, now, *fence)).fetchone()
        else:
            raise ValueError(f"unknown outcome status {outcome.status!r}")
        if row is None:
            return False
        status, parent_id, attempt = row
        data: dict[str, Any] = {"attempt": attempt}
        if outcome.error is not None:
            data["error"] = str(outcome.error)
        if status == "queued":
            if expired:
                tx.event(outcome.job_id, EventType.LEASE_EXPIRED, data)
            elif outcome.status == "released":
                tx.event(outcome.job_id, EventType.RELEASED, data)
            else:
                data["run_at"] = outcome.retry_at
                tx.event(outcome.job_id, EventType.RETRYING, data)
            return True
        tx.event(outcome.job_id, EventType(status), data)
        if parent_id is not None:
            self._child_finished(tx, parent_id, succeeded=False)
        return True

    def _child_finished(self, tx: _Tx, parent_id: int, *, succeeded: bool) -> None:
        """Move a parent's progress on; finish it when its last child has finished."""
        row = tx.conn.execute(_sql.CHILD_ENDED, (tx.now, parent_id)).fetchone()
        if row is None:
            return  # the parent was cancelled or finished before this child
        status, lease_until, children, done, progress, message = row
        tx.event(parent_id, EventType.PROGRESS, {"progress": progress, "message": message})
        if status == "running" and lease_until is None and done >= children:
            self._finish_parent(tx, parent_id)

    def _finish_parent(self, tx: _Tx, parent_id: int, *, attempt: int | None = None) -> None:
        """End a job that waited for its children: ``succeeded`` if they all did, else
        ``failed``; ``attempt`` is that of its own handler when it has just returned."""
        (unsuccessful,) = tx.conn.execute(_sql.UNSUCCESSFUL_CHILDREN, (parent_id,)).fetchone()
        data: dict[str, Any] = {} if attempt is None else {"attempt": attempt}
        if unsuccessful:
            error = ErrorInfo(
                type="ChildFailed", message=f"{unsuccessful} child job(s) did not succeed"
            )
            status, err_json = "failed", dumps(error.to_dict(), "error")
            data["error"] = str(error)
        else:
            status, err_json = "succeeded", None
        row = tx.conn.execute(
            _sql.END_PARENT, (status, err_json, tx.now, tx.now, parent_id)
        ).fetchone()
        tx.event(parent_id, EventType(status), data)
        if row[0] is not None:
            self._child_finished(tx, row[0], succeeded=status == "succeeded")

    def next_due(self, queues: Sequence[str]) -> float:
        """When the next delayed job of ``queues`` becomes due, or a lease runs out
        (POSIX seconds; infinity when neither will happen)."""
        (due,) = self._read(_sql.next_run_at(len(queues)), tuple(queues))[0]
        (lease,) = self._read(_sql.NEXT_LEASE_END)[0]
        times = [t for t in (due, lease) if t is not None]
        return min(times) if times else float("inf")

    def heartbeat(self, attempts: Sequence[tuple[int, int]], lease: float) -> dict[int, int]:
        """Extend the leases of these ``(job_id, run_id)`` attempts; returns
        ``{job_id: run_id}`` of those still holding their jobs.

        By attempt, not by worker name: two workers given the same name must not
        keep each other's jobs leased (a dead one's would never be taken back)."""
        with self._write() as tx:
            rows = tx.conn.execute(
                _sql.HEARTBEAT, (tx.now + lease, encode_json([list(pair) for pair in attempts]))
            ).fetchall()
        return dict(rows)

    def progress(
        self, job_id: int, run_id: int, progress: float | None, message: str | None
    ) -> Written:
        """Record progress for a running attempt; ``False``-y result means the attempt lost."""
        with self._write() as tx:
            row = tx.conn.execute(
                _sql.PROGRESS, (progress, message, tx.now, job_id, run_id, tx.now)
            ).fetchone()
            if row is None:
                return Written([], tx.now)
            tx.event(job_id, EventType.PROGRESS, {"progress": row[0], "message": row[1]})
        return tx.delivered

    def log(self, job_id: int, run_id: int, message: str) -> Written:
        """Add a log line to a running attempt's events."""
        with self._write() as tx:
            held = tx.conn.execute(_sql.ATTEMPT_HOLDS, (job_id, run_id)).fetchone()
            if held is None:
                return Written([], tx.now)
            tx.event(job_id, EventType.LOG, {"message": message})
        return tx.delivered

    # -- changes by hand ------------------------------------------------------------------

    def cancel(self, job_id: int) -> tuple[Job, Written]:
        """Cancel a queued or running job and its active children."""
        with self._write() as tx:
            job = self._get(tx.conn, job_id)
            if job.status.finished:
                raise InvalidTransition(
                    f"job {job_id} has already finished ({job.status.value}); "
                    "only queued or running jobs can be cancelled"
                )
            self._cancel_tree(tx, job_id)
            job = self._get(tx.conn, job_id)
        return job, tx.delivered

    def _cancel_tree(self, tx: _Tx, job_id: int) -> None:
        children = [r[0] for r in tx.conn.execute(_sql.ACTIVE_CHILDREN, (job_id,))]
        row = tx.conn.execute(_sql.CANCEL_JOB, (tx.now, tx.now, job_id)).fetchone()
        if row is None:
            return
        tx.event(job_id, EventType.CANCELLED, {"by": "request"})
        for child in children:
            self._cancel_tree(tx, child)
        if row[0] is not None:
            self._child_finished(tx, row[0], succeeded=False)

    def retry(self, job_id: int) -> tuple[Job, Written]:
        """Put a failed or cancelled job back with a fresh attempt budget.

        A batch parent goes back to waiting, and its failed and cancelled children
        back to the queue. A child's failed parent waits again for it.
        """
        with self._write() as tx:
            job = self._get(tx.conn, job_id)
            if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
                raise InvalidTransition(
                    f"job {job_id} is {job.status.value}; "
                    "only failed or cancelled jobs can be retried"
                )
            self._requeue(tx, job.id, job.status)
            if job.parent_id is not None:
                self._child_back(tx, job.parent_id)
            job = self._get(tx.conn, job_id)
        return job, tx.delivered

    def _requeue(self, tx: _Tx, job_id: int, previous: JobStatus) -> None:
        """Put a finished job back, with its failed and cancelled children: to run its
        handler again, or, for a job whose work is its children's (a batch parent, or
        a job whose handler returned and waited for the children it made), to wait
        for them again."""
        conn, now = tx.conn, tx.now
        tx.event(job_id, EventType.REQUEUED, {"previous": previous.value})
        waits = self._waits_for_children(conn, job_id)
        if waits:
            self._reopen(tx, job_id)
        else:
            conn.execute(_sql.REQUEUE, (now, now, job_id))
        again = conn.execute(_sql.CHILDREN_TO_RETRY, (job_id,)).fetchall()
        # Counted from the rows before they go back: a child put back may end at once
        # (one that only waits for children that have ended), and counts on from here.
        conn.execute(_sql.COUNT_KEPT_CHILDREN, (job_id,))
        for child_id, status in again:
            self._requeue(tx, child_id, JobStatus(status))
        if waits:
            self._recount(tx, job_id)

    @staticmethod
    def _waits_for_children(conn: sqlite3.Connection, job_id: int) -> bool:
        """Whether what is left of the job is waiting for its children: a batch
        parent's, or a job's whose handler returned (its result is kept)."""
        (waits,) = conn.execute(_sql.WAITS_FOR_CHILDREN, (job_id,)).fetchone()
        return bool(waits)

    def _reopen(self, tx: _Tx, parent_id: int) -> None:
        """A finished parent waits for its children again."""
        tx.conn.execute(_sql.REOPEN, (tx.now, parent_id))

    def _child_back(self, tx: _Tx, parent_id: int) -> None:
        """A finished child of ``parent_id`` runs again: a failed parent waits again
        (and so on up), a waiting one counts again; a cancelled one stays cancelled."""
        row = tx.conn.execute(_sql.STATUS_AND_PARENT, (parent_id,)).fetchone()
        if row is None:
            return  # the parent is gone (pruned): nothing waits for this child
        status, grandparent = row
        if status == JobStatus.FAILED.value and self._waits_for_children(tx.conn, parent_id):
            tx.event(parent_id, EventType.REQUEUED, {"previous": status})
            self._reopen(tx, parent_id)
            if grandparent is not None:
                self._child_back(tx, grandparent)
        elif status not in _ACTIVE:
            return
        self._recount(tx, parent_id)

    def _recount(self, tx: _Tx, parent_id: int) -> None:
        """Count a waiting parent's finished children from their rows (a cancelled
        batch's children were not counted as they ended): its progress follows, and
        with none left to wait for, it finishes. A child whose row is gone (pruned)
        had finished."""
        row = tx.conn.execute(_sql.RECOUNT, (tx.now, parent_id)).fetchone()
        if row is None:
            return  # it ended meanwhile (a child put back ended at once, and with it)
        children, done, waiting = row
        if not waiting:
            return  # its own handler has yet to run or return
        if done >= children:
            self._finish_parent(tx, parent_id)

    # -- queue settings -------------------------------------------------------------------

    def set_queue(self, name: str, changes: dict[str, Any]) -> QueueInfo:
        """Create or change a queue's settings (``limit``, ``paused``)."""
        with self._write() as tx:
            tx.conn.execute(_sql.ADD_QUEUE, (name,))
            if "limit" in changes:
                tx.conn.execute(_sql.SET_LIMIT, (changes["limit"], name))
            if "paused" in changes:
                tx.conn.execute(_sql.SET_PAUSED, (int(changes["paused"]), name))
            row = tx.conn.execute(_sql.QUEUE_SETTINGS, (name,)).fetchone()
        return QueueInfo(name=row[0], limit=row[1], paused=bool(row[2]))

    def queues(self) -> list[QueueInfo]:
        """Every queue that has settings or jobs."""
        rows = self._read(_sql.QUEUES)
        return [QueueInfo(name=n, limit=lim, paused=bool(p)) for n, lim, p in rows]

    # -- reads ------------------------------------------------------------------------------

    def get(self, job_id: int) -> Job:
        return self._reading(lambda conn: self._get(conn, job_id))

    def _get(self, conn: sqlite3.Connection, job_id: int) -> Job:
        row = conn.execute(_sql.GET_JOB, (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        return _rows.job(row)

    def _require(self, conn: sqlite3.Connection, job_id: int) -> None:
        if conn.execute(_sql.JOB_EXISTS, (job_id,)).fetchone() is None:
            raise JobNotFound(job_id)

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
        where: list[str] = []
        args: list[Any] = []
        statuses = list(status)
        if statuses:
            where.append(_sql.status_filter(len(statuses)))
            args.extend(statuses)
        for name, value in (
            ("queue", queue),
            ("kind", kind),
            ("parent_id", parent_id),
            ("unique_key", unique_key),
            ("tag", tag),
            ("before_id", before_id),
        ):
            if value is not None:
                where.append(_sql.LISTING_FILTERS[name])
                args.append(value)
        rows = self._read(_sql.job_listing(where), (*args, limit))
        return [_rows.job(r) for r in rows]

    def stats(self, *, tag: str | None = None) -> dict[str, dict[str, int]]:
        """``{queue: {status: count}}`` over all jobs (or those with ``tag``)."""
        rows = self._read(_sql.STATS) if tag is None else self._read(_sql.STATS_BY_TAG, (tag,))
        counts: dict[str, dict[str, int]] = {}
        for queue, status, count in rows:
            counts.setdefault(queue, {})[status] = count
        return counts

    def key_states(
        self, keys: Sequence[str], kind: str | None, version: str | None
    ) -> dict[str, KeyState]:
        """What the jobs of each unique key say about it (see ``KeyState``): an active
        job of any kind holds the key (an enqueue with it would return that job, unique
        keys being shared by all kinds), else the newest finished job of ``kind``."""
        states = dict.fromkeys(keys, KeyState.NEW)

        def read(conn: sqlite3.Connection) -> None:
            for key in keys:
                row = conn.execute(_sql.KEY_STATE, (key, kind)).fetchone()
                if row is not None:
                    states[key] = _key_state(row[0], row[1], version)

        self._reading(read)
        return states

    def events(
        self, after: int, limit: int, job_id: int | None = None, *, until: int | None = None
    ) -> list[Event]:
        """Committed events with ``after < seq <= until``, oldest first."""
        end = INT64_MAX if until is None else until  # the largest rowid
        if job_id is None:
            rows = self._read(_sql.EVENTS, (after, end, limit))
        else:
            rows = self._read(_sql.JOB_EVENTS, (job_id, after, end, limit))
        return [_rows.event(r) for r in rows]

    def last_seq(self) -> int:
        """The newest event's sequence number (0 when there is none)."""
        return int(self._read(_sql.LAST_SEQ)[0][0])

    def prune(self, jobs_before: float | None, events_before: float | None) -> tuple[int, int]:
        """Delete jobs that finished before ``jobs_before`` and events older than
        ``events_before`` (``None``: keep them all). Returns how many of each went.

        Rows go ``_PRUNE_CHUNK`` at a time, each chunk in its own transaction, so the
        first prune of a busy file does not hold the write lock for seconds while
        producers and workers wait.
        """
        jobs = events = 0
        if jobs_before is not None:
            while True:
                with self._write() as tx:
                    ids = [
                        row[0]
                        for row in tx.conn.execute(_sql.OLD_JOBS, (jobs_before, _PRUNE_CHUNK))
                    ]
                    if ids:
                        listed = encode_json(ids)
                        tx.conn.execute(_sql.DELETE_TAGS, (listed,))
                        tx.conn.execute(_sql.DELETE_JOBS, (listed,))
                jobs += len(ids)
                if not ids:  # (children go in the round after their parent)
                    break
        if events_before is not None:
            ((end,),) = self._read(_sql.OLD_EVENTS_END, (events_before,))
            while True:
                with self._write() as tx:
                    deleted = tx.conn.execute(_sql.DELETE_EVENTS, (end, _PRUNE_CHUNK)).rowcount
                events += deleted
                if not deleted:
                    break
        return jobs, events


def _key_state(status: str, handler_version: str | None, version: str | None) -> KeyState:
    if status in _ACTIVE:
        return KeyState.ACTIVE
    if status != "succeeded":
        return KeyState.FAILED
    if version is not None and handler_version != version:
        return KeyState.OUTDATED
    return KeyState.DONE


class _WriteTx:
    """``with store._write() as tx``: lock, ``BEGIN IMMEDIATE``, commit or roll back,
    then read back the events the transaction wrote (``tx.delivered``).

    Written out rather than built on ``translate_errors``: every job passes through
    here, and a generator context manager costs more than the rest of this class.
    """

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    def __enter__(self) -> _Tx:
        store = self.store
        store._lock.acquire()
        try:
            _schema.begin_immediate(store._conn, store._busy_timeout)
        except BaseException as exc:
            store._lock.release()
            if isinstance(exc, sqlite3.Error):
                raise _schema.translate(exc, store.path) from exc
            raise
        self.tx = _Tx(store._conn, time.time())
        return self.tx

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        store = self.store
        conn = store._conn
        try:
            if exc_type is None:
                self.tx.flush()
                conn.execute(_sql.COMMIT)
            else:
                _schema.rollback(conn)
        except BaseException as inner:
            _schema.rollback(conn)
            if isinstance(inner, sqlite3.Error):
                raise _schema.translate(inner, store.path) from inner
            raise
        finally:
            store._lock.release()
        if isinstance(exc, sqlite3.Error):
            raise _schema.translate(exc, store.path) from exc
