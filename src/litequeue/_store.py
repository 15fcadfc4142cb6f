"""The store: every SQL statement litequeue runs against a queue file.

Nothing else in litequeue speaks SQL. The interface is narrow (enqueue, claim,
finish, heartbeat, read, settings, events) so that another engine, such as
PostgreSQL with ``FOR UPDATE SKIP LOCKED``, can implement the same methods.

Every write runs in one ``BEGIN IMMEDIATE`` transaction that also inserts the
matching event rows, and returns the events so the caller can deliver them after
the commit. Times are POSIX seconds (``time.time()``) in the file and aware UTC
datetimes outside it.
"""

from __future__ import annotations

import functools
import itertools
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from . import _schema
from ._checks import INT64_MAX
from ._records import (
    Claim,
    JobRun,
    NewJob,
    Outcome,
    Running,
    Written,
    decode_json,
    decode_stored,
    dumps,
    encode_json,
)
from .errors import InvalidTransition, JobNotFound, NotADatabase, SchemaTooNew
from .models import (
    ErrorInfo,
    Event,
    EventType,
    Job,
    JobStatus,
    KeyState,
    QueueInfo,
    WorkerInfo,
)

__all__ = ["SQLiteStore"]

T = TypeVar("T")

_JOB_COLUMNS = (
    "id, kind, queue, status, payload, result, error, priority, run_at, attempt, max_attempts,"
    " timeout, progress, progress_message, parent_id, unique_key, tags, handler_version,"
    " created_at, updated_at, started_at, finished_at, lease_until, run_id"
)
#: What a claim reads back: the columns it does not set itself (see ``_claimed_row``).
_CLAIMED_COLUMNS = (
    "id, kind, queue, payload, result, error, priority, run_at, attempt, max_attempts,"
    " timeout, parent_id, unique_key, tags, handler_version, created_at, run_id"
)
_ACTIVE = ("queued", "running")
#: A batch parent: it started (``create_batch``) without ever being claimed, and a job
#: gets a ``started_at`` nowhere else than from a claim, which also sets ``run_id``.
_BATCH_PARENT = "(run_id IS NULL AND started_at IS NOT NULL)"
#: A job waiting for its children: running, with no attempt of its own out.
_WAITING = "(status = 'running' AND lease_until IS NULL)"
#: Rows ``prune`` deletes per transaction.
_PRUNE_CHUNK = 10_000
#: A job's id and the ids of all its descendants.
_SUBTREE = (
    "WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL"
    " SELECT jobs.id FROM jobs JOIN tree ON jobs.parent_id = tree.id) SELECT id FROM tree"
)
#: Rows written per statement when many are: several rows per statement cost much less
#: than one each, and a few fixed sizes keep the statements few and prepared once (a
#: statement for every count would be compiled again and again).
_CHUNK_SIZES = (64, 16, 4, 2, 1)


#: One statement claims the best due jobs of a queue, of the kinds asked for (?6, a
#: JSON list; NULL for any), as many as wanted (?3) and as its settings allow (none
#: when paused; within its limit of running jobs across every worker). A lone job is
#: picked with `=` rather than `IN`, which spares SQLite a temporary table. A new run
#: starts clean: an earlier run's error and progress stay in the event log only.
_CLAIM = (
    "UPDATE jobs SET status = 'running', attempt = attempt + 1, run_id = random(),"
    " worker = ?4, lease_until = ?5, started_at = ?2, updated_at = ?2,"
    " progress = 0, progress_message = NULL, error = NULL"
    " WHERE id {pick} (SELECT id FROM jobs WHERE status = 'queued'"
    " AND queue = ?1 AND run_at <= ?2"
    " AND (?6 IS NULL OR kind IN (SELECT value FROM json_each(?6)))"
    " ORDER BY priority DESC, run_at, id"
    " LIMIT (SELECT CASE WHEN q.paused THEN 0"
    " WHEN q.concurrency_limit IS NULL THEN ?3"
    " ELSE max(0, min(?3, q.concurrency_limit - (SELECT count(*) FROM jobs"
    " WHERE status = 'running' AND queue = ?1 AND lease_until IS NOT NULL))) END"
    " FROM (SELECT ?1 AS name) LEFT JOIN queues AS q USING (name)))"
    f" RETURNING {_CLAIMED_COLUMNS}"
)
_INSERT_JOB_PLAIN = (
    "INSERT INTO jobs (kind, queue, status, payload, priority, run_at, max_attempts, tags,"
    " created_at, updated_at) VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
)
_INSERT_JOB = (
    "INSERT INTO jobs (kind, queue, status, payload, priority, run_at, max_attempts, tags,"
    " created_at, updated_at, timeout, parent_id, unique_key)"
    " VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11)"
)
_CLAIM_ONE = _CLAIM.format(pick="=")
_CLAIM_MANY = _CLAIM.format(pick="IN")


def _chunks(count: int) -> Iterator[tuple[int, int]]:
    """``(start, size)`` pieces of ``range(count)``, the sizes from ``_CHUNK_SIZES``."""
    start = 0
    for size in _CHUNK_SIZES:
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


_INSERT_EVENTS = {
    size: "INSERT INTO events (job_id, type, at, data) VALUES " + ", ".join(["(?, ?, ?, ?)"] * size)
    for size in _CHUNK_SIZES
}


def _share_finished(done: str, children: str) -> tuple[str, str]:
    """SQL of a parent's progress while it waits: the share of its children finished,
    as a percentage and as a message such as "2/5 done"."""
    return (
        f"100.0 * ({done}) / max({children}, 1)",
        f"({done}) || '/' || ({children}) || ' done'",
    )


_FINISHED_SHARE, _FINISHED_MESSAGE = _share_finished("children_finished", "children")
_ADDED_SHARE, _ADDED_MESSAGE = _share_finished("children_finished", "children + 1")
_ENDED_SHARE, _ENDED_MESSAGE = _share_finished("children_finished + 1", "children")
_LEFT_SHARE, _LEFT_MESSAGE = _share_finished("jobs.children - k.left", "jobs.children")

#: Successes, fenced by run id. A job that took children keeps running, without a
#: lease, and its children decide how it ends (``_finish_parent``).
_SUCCEED = {
    size: "UPDATE jobs SET status = CASE WHEN children > 0 THEN 'running' ELSE 'succeeded' END,"
    " result = o.column3, handler_version = o.column4,"
    " error = NULL, lease_until = NULL, worker = NULL,"
    f" progress = CASE WHEN children > 0 THEN {_FINISHED_SHARE} ELSE 100 END,"
    f" progress_message = CASE WHEN children > 0 THEN {_FINISHED_MESSAGE}"
    " ELSE progress_message END,"
    " finished_at = CASE WHEN children > 0 THEN NULL ELSE ?1 END,"
    " updated_at = ?1 FROM (VALUES " + ", ".join(["(?, ?, ?, ?)"] * size) + ") AS o"
    " WHERE jobs.id = o.column1 AND jobs.run_id = o.column2"
    " AND jobs.status = 'running' AND jobs.lease_until >= ?1"
    " RETURNING jobs.id, jobs.run_id, jobs.status, jobs.parent_id, jobs.attempt,"
    " jobs.children_finished >= jobs.children"
    for size in _CHUNK_SIZES
}


def _result(text: str | None, job_id: int) -> Any:
    return None if text is None else decode_stored(text, "result of job", job_id)


_STATUSES = {status.value: status for status in JobStatus}
_EVENT_TYPES = {type_.value: type_ for type_ in EventType}


def _running(rows: Sequence[Sequence[Any]], now: float, lease_until: float) -> list[Running]:
    """The claimed attempts from their rows (``_CLAIMED_COLUMNS``); the ``Job`` of each
    is built when first asked for, sharing the decoded payload."""
    build = functools.partial(_claimed_job, now, lease_until)
    return [
        Running(
            row[16],
            row[0],
            row[1],
            row[8],
            row[9],
            row[10],
            row[11],
            decode_stored(row[3], "payload of job", row[0]),
            row,
            build,
        )
        for row in rows
    ]


def _claimed_job(now: float, lease_until: float, row: Sequence[Any], payload: Any) -> Job:
    return _job(_claimed_row(row, now, lease_until), payload)


def _claimed_row(row: Sequence[Any], now: float, lease_until: float) -> tuple[Any, ...]:
    """The ``_JOB_COLUMNS`` row of a job as its claim left it: the claim read back only
    what it did not set (a claimed job was queued, so it had no ``finished_at``)."""
    # fmt: off
    (
        job_id, kind, queue, payload, result, error, priority, run_at, attempt, max_attempts,
        timeout, parent_id, unique_key, tags, handler_version, created_at, run_id,
    ) = row
    return (
        job_id, kind, queue, "running", payload, result, error, priority, run_at, attempt,
        max_attempts, timeout, 0.0, None, parent_id, unique_key, tags, handler_version,
        created_at, now, now, None, lease_until, run_id,
    )
    # fmt: on


_UNDECODED: Any = object()


def _jobs_by_id(rows: Iterable[Any]) -> list[Job]:
    """Jobs from their rows, by id."""
    return sorted(map(_job, rows), key=lambda job: job.id)


def _job(row: Sequence[Any], payload: Any = _UNDECODED) -> Job:
    created, updated = row[18], row[19]
    created_at = _dt(created)
    # Timestamps of a row often repeat one another (run_at is the enqueue time, a
    # claim sets started_at and updated_at together): convert each value once.
    updated_at = created_at if updated == created else _dt(updated)
    run_at, started, finished, error = row[8], row[20], row[21], row[6]
    return Job(
        id=row[0],
        kind=row[1],
        queue=row[2],
        status=_STATUSES[row[3]],
        payload=decode_stored(row[4], "payload of job", row[0])
        if payload is _UNDECODED
        else payload,
        result=_result(row[5], row[0]),
        error=None if error is None else _error(error, row[0]),
        priority=row[7],
        run_at=created_at if run_at == created else _dt(run_at),
        attempt=row[9],
        max_attempts=row[10],
        timeout=row[11],
        progress=row[12],
        progress_message=row[13],
        parent_id=row[14],
        unique_key=row[15],
        tags=[] if row[16] == "[]" else decode_json(row[16]),
        handler_version=row[17],
        created_at=created_at,
        updated_at=updated_at,
        started_at=None if started is None else updated_at if started == updated else _dt(started),
        finished_at=(
            None if finished is None else updated_at if finished == updated else _dt(finished)
        ),
        lease_until=None if row[22] is None else _dt(row[22]),
    )


def _error(text: str, job_id: int) -> ErrorInfo:
    """A job's stored error; one that cannot be read says so in its place."""
    data = decode_stored(text, "error of job", job_id)
    if isinstance(data, dict):
        return ErrorInfo.from_dict(data)
    return ErrorInfo(type="Undecodable", message=str(data))


def _copies(model: Job, ids: Iterable[int], payloads: Iterable[Any]) -> list[Job]:
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
        job = new(Job)
        set_dict(job, "__dict__", values)
        jobs.append(job)
    return jobs


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


#: A success of a job with no parent and no children (see ``_succeed_plain``).
_SUCCEED_PLAIN = (
    "UPDATE jobs SET status = 'succeeded', result = ?, handler_version = ?,"
    " error = NULL, lease_until = NULL, worker = NULL, progress = 100,"
    " finished_at = ?, updated_at = ? WHERE id = ? AND run_id = ?"
    " AND status = 'running' AND lease_until >= ? AND children = 0"
    " AND parent_id IS NULL"
)

#: One more child for an active parent; one that waits shows the share of its children
#: finished.
_ADD_CHILD = (
    "UPDATE jobs SET children = children + 1, updated_at = ?,"
    f" progress = CASE WHEN {_WAITING} THEN {_ADDED_SHARE} ELSE progress END,"
    f" progress_message = CASE WHEN {_WAITING} THEN {_ADDED_MESSAGE} ELSE progress_message END"
    " WHERE id = ? AND status IN (?, ?) RETURNING id"
)


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
        for cursor in _execute_in_chunks(self.conn, _INSERT_EVENTS, values):
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
        adopt: bool = False,
    ) -> None:
        self.path = str(path)
        self._conn = _schema.connect(
            self.path,
            durability=durability,
            busy_timeout=busy_timeout,
            current=not migrate,
            adopt=adopt,
        )
        self._busy_timeout = busy_timeout
        self._wal = _schema.WalBound(self._conn, self.path)
        self._lock = threading.RLock()
        try:
            if migrate:
                _schema.migrate(self._conn, self.path, busy_timeout=busy_timeout)
            # From here on, waiting for a busy file is _schema.retry_busy's job.
            self._conn.execute("PRAGMA busy_timeout = 0")
            # The schema this process's statements were written for: a newer
            # litequeue that upgrades the file meanwhile stops this one's writes.
            self.version = _schema.schema_version(self._conn)
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

    def check_integrity(self) -> None:
        """``NotADatabase`` naming the first problems ``PRAGMA quick_check`` finds
        (a damaged page or index); it reads the whole file."""
        problems = [row[0] for row in self._read("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            raise NotADatabase(f"{self.path}: the database is corrupt: {'; '.join(problems)}")

    def data_version(self) -> int:
        """Changes whenever another connection commits to the file."""
        return int(self._read("PRAGMA data_version")[0][0])

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
            "INSERT INTO jobs (kind, queue, status, payload, priority, run_at, max_attempts,"
            " timeout, tags, created_at, updated_at) SELECT ?1, ?2, 'queued',"
            + (" substr(value, 2, length(value) - 2)," if run.boxed else " value,")
            + " ?3, ?4, ?5, ?6, ?7, ?8, ?8 FROM json_each(?9) ORDER BY key",
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
        (last,) = conn.execute("SELECT last_insert_rowid()").fetchone()
        ids = range(last - len(run.values) + 1, last + 1)
        if template.tags:
            conn.executemany(
                "INSERT OR IGNORE INTO job_tags (tag, job_id) VALUES (?, ?)",
                [(tag, job_id) for job_id in ids for tag in template.tags],
            )
        # Their "enqueued" events, written by SQLite from the rows just inserted.
        tx.flush()  # events written earlier in this transaction keep the lower numbers
        kind, queue = template.kind, template.queue
        data = {"kind": kind, "queue": queue}  # one for all: Written copies it into each Event
        conn.execute(
            "INSERT INTO events (job_id, type, at, data) SELECT id, 'enqueued', ?, ?"
            " FROM jobs WHERE id BETWEEN ? AND ? ORDER BY id",
            (now, encode_json(data), ids[0], last),
        )
        (last_seq,) = conn.execute("SELECT last_insert_rowid()").fetchone()
        tx.written.extend(
            zip(
                range(last_seq - len(run.values) + 1, last_seq + 1),
                ids,
                itertools.repeat(EventType.ENQUEUED),
                itertools.repeat(data),
            )
        )
        at = _dt(now)
        model = Job(
            id=ids[0],
            kind=kind,
            queue=queue,
            status=JobStatus.QUEUED,
            payload=None,
            priority=template.priority,
            run_at=at if template.run_at is None else _dt(template.run_at),
            max_attempts=template.max_attempts,
            timeout=template.timeout,
            tags=list(template.tags),
            created_at=at,
            updated_at=at,
        )
        return _copies(model, ids, run.values)

    def _holder(self, conn: sqlite3.Connection, new: NewJob) -> Job | None:
        """The active job that holds ``new``'s unique key, which ``new`` then is."""
        if new.unique_key is None or new.force:
            return None
        row = conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE unique_key = ? AND status IN (?, ?)"
            " ORDER BY id DESC LIMIT 1",
            (new.unique_key, *_ACTIVE),
        ).fetchone()
        return None if row is None else _job(row)

    def _insert(self, tx: _Tx, new: NewJob) -> Job:
        conn, now = tx.conn, tx.now
        holder = self._holder(conn, new)
        if holder is not None:
            return holder
        if new.parent_id is not None:
            # A parent that has finished takes no new children.
            parent = conn.execute(_ADD_CHILD, (now, new.parent_id, *_ACTIVE)).fetchone()
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
            # Most jobs: their NULLs left to the column defaults (sqlite3 binds None
            # only after looking for an adapter, which costs more than the column).
            cursor = conn.execute(_INSERT_JOB_PLAIN, values)
        else:
            cursor = conn.execute(
                _INSERT_JOB, (*values, new.timeout, new.parent_id, new.unique_key)
            )
        job_id = cursor.lastrowid
        assert job_id is not None
        if new.tags:
            conn.executemany(
                "INSERT OR IGNORE INTO job_tags (tag, job_id) VALUES (?, ?)",
                [(tag, job_id) for tag in new.tags],
            )
        tx.event(job_id, EventType.ENQUEUED, {"kind": new.kind, "queue": new.queue})
        created_at = _dt(now)
        return Job(
            id=job_id,
            kind=new.kind,
            queue=new.queue,
            status=JobStatus.QUEUED,
            payload=new.value,
            priority=new.priority,
            run_at=created_at if new.run_at is None else _dt(new.run_at),
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
                conn.execute(
                    "UPDATE jobs SET status = 'running', started_at = ?, updated_at = ?"
                    " WHERE id = ?",
                    (now, now, parent_job.id),
                )
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
        query = f"SELECT {_BATCH_PARENT} FROM jobs WHERE id = ?"
        return bool(conn.execute(query, (job_id,)).fetchone()[0])

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
        claimed = _running(rows, tx.now, lease_until)
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
            for cursor in _execute_in_chunks(tx.conn, _SUCCEED, values, now)
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
            if not conn.execute(_SUCCEED_PLAIN, rows[0]).rowcount:
                return False
        else:
            conn.execute("SAVEPOINT plain_successes")
            if conn.executemany(_SUCCEED_PLAIN, rows).rowcount != len(rows):
                conn.execute("ROLLBACK TO plain_successes")
                conn.execute("RELEASE plain_successes")
                return False
            conn.execute("RELEASE plain_successes")
        for outcome in outcomes:
            tx.succeeded(outcome.job_id, outcome.attempt)
        return True

    def _claim(self, tx: _Tx, claim: Claim, lease_until: float) -> list[Any]:
        """Claim in ``tx``, leased until ``lease_until``; returns the rows read back
        (the ``Job`` values are built after the commit, so the write lock is held no
        longer)."""
        conn, now = tx.conn, tx.now
        self._take_back_expired(tx)
        kinds = None if claim.kinds is None else json.dumps(claim.kinds)
        claimed: list[Any] = []
        for queue in claim.queues:
            wanted = claim.limit - len(claimed)
            if wanted <= 0:
                break
            rows = conn.execute(
                _CLAIM_ONE if wanted == 1 else _CLAIM_MANY,
                (queue, now, wanted, claim.worker, lease_until, kinds),
            ).fetchall()
            if not rows:
                continue
            rows.sort(key=lambda r: (-r[6], r[7], r[0]))  # RETURNING has no order
            claimed += rows
            tx.started(((row[0], row[8]) for row in rows), claim.worker)
        return claimed

    def _take_back_expired(self, tx: _Tx) -> None:
        """Return jobs whose lease ran out to the queue, or fail them when out of attempts."""
        rows = tx.conn.execute(
            "SELECT id, attempt, max_attempts, run_id FROM jobs"
            " WHERE status = 'running' AND lease_until < ?",
            (tx.now,),
        ).fetchall()
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
        fence = "id = ? AND run_id = ? AND status = 'running' AND lease_until IS NOT NULL"
        fence_args: tuple[Any, ...] = (outcome.job_id, outcome.run_id)
        if not expired:
            fence += " AND lease_until >= ?"
            fence_args += (now,)
        error = None if outcome.error is None else dumps(outcome.error.to_dict(), "error")
        if outcome.status == "released":
            # A stopping worker's hand-back is not the job's failure: it goes back to the
            # queue even from its last attempt (the attempt stays counted).
            row = conn.execute(
                "UPDATE jobs SET status = 'queued', error = ?, lease_until = NULL,"
                f" worker = NULL, run_at = ?, updated_at = ? WHERE {fence}"
                " RETURNING status, parent_id, attempt",
                (error, now, now, *fence_args),
            ).fetchone()
        elif outcome.status == "failed":
            row = conn.execute(
                "UPDATE jobs SET status = CASE WHEN ? IS NOT NULL AND attempt < max_attempts"
                " THEN 'queued' ELSE 'failed' END, error = ?, lease_until = NULL, worker = NULL,"
                " handler_version = coalesce(?, handler_version),"
                " run_at = coalesce(?, run_at),"
                " finished_at = CASE WHEN ? IS NOT NULL AND attempt < max_attempts"
                " THEN NULL ELSE ? END,"
                f" updated_at = ? WHERE {fence} RETURNING status, parent_id, attempt",
                (
                    outcome.retry_at,
                    error,
                    outcome.handler_version,
                    outcome.retry_at,
                    outcome.retry_at,
                    now,
                    now,
                    *fence_args,
                ),
            ).fetchone()
        elif outcome.status == "cancelled":
            row = conn.execute(
                "UPDATE jobs SET status = 'cancelled', error = ?, lease_until = NULL,"
                f" worker = NULL, finished_at = ?, updated_at = ? WHERE {fence}"
                " RETURNING status, parent_id, attempt",
                (error, now, now, *fence_args),
            ).fetchone()
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
                # Back in the queue after a failure only with a retry time; written as
                # Job.to_dict() writes times, not as a bare number.
                data["run_at"] = _dt(cast(float, outcome.retry_at)).isoformat()
                tx.event(outcome.job_id, EventType.RETRYING, data)
            return True
        tx.event(outcome.job_id, EventType(status), data)
        if parent_id is not None:
            self._child_finished(tx, parent_id, succeeded=False)
        return True

    def _child_finished(self, tx: _Tx, parent_id: int, *, succeeded: bool) -> None:
        """Move a parent's progress on; finish it when its last child has finished."""
        row = tx.conn.execute(
            "UPDATE jobs SET children_finished = children_finished + 1,"
            f" progress = {_ENDED_SHARE}, progress_message = {_ENDED_MESSAGE},"
            " updated_at = ? WHERE id = ? AND status IN (?, ?)"
            " RETURNING status, lease_until, children, children_finished, progress,"
            " progress_message",
            (tx.now, parent_id, *_ACTIVE),
        ).fetchone()
        if row is None:
            return  # the parent was cancelled or finished before this child
        status, lease_until, children, done, progress, message = row
        tx.event(parent_id, EventType.PROGRESS, {"progress": progress, "message": message})
        if status == "running" and lease_until is None and done >= children:
            self._finish_parent(tx, parent_id)

    def _finish_parent(self, tx: _Tx, parent_id: int, *, attempt: int | None = None) -> None:
        """End a job that waited for its children: ``succeeded`` if they all did, else
        ``failed``; ``attempt`` is that of its own handler when it has just returned."""
        (unsuccessful,) = tx.conn.execute(
            "SELECT count(*) FROM jobs WHERE parent_id = ? AND status != 'succeeded'",
            (parent_id,),
        ).fetchone()
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
            "UPDATE jobs SET status = ?, error = coalesce(?, error), progress = 100,"
            " finished_at = ?, updated_at = ? WHERE id = ? RETURNING parent_id",
            (status, err_json, tx.now, tx.now, parent_id),
        ).fetchone()
        tx.event(parent_id, EventType(status), data)
        if row[0] is not None:
            self._child_finished(tx, row[0], succeeded=status == "succeeded")

    def next_due(self, queues: Sequence[str], kinds: Sequence[str] | None = None) -> float:
        """When the next delayed job of ``queues`` (and ``kinds``, unless ``None``)
        becomes due, or a lease runs out (POSIX seconds; infinity when neither will
        happen)."""
        marks = ", ".join("?" * len(queues))
        (due,) = self._read(
            f"SELECT min(run_at) FROM jobs WHERE status = 'queued' AND queue IN ({marks})"
            " AND (? IS NULL OR kind IN (SELECT value FROM json_each(?)))",
            (*queues, *[None if kinds is None else json.dumps(list(kinds))] * 2),
        )[0]
        (lease,) = self._read(
            "SELECT min(lease_until) FROM jobs WHERE status = 'running' AND lease_until IS NOT NULL"
        )[0]
        times = [t for t in (due, lease) if t is not None]
        return min(times) if times else float("inf")

    def heartbeat(self, attempts: Sequence[tuple[int, int]], lease: float) -> dict[int, int]:
        """Extend the leases of these ``(job_id, run_id)`` attempts; returns
        ``{job_id: run_id}`` of those still holding their jobs.

        By attempt, not by worker name: two workers given the same name must not
        keep each other's jobs leased (a dead one's would never be taken back)."""
        with self._write() as tx:
            rows = tx.conn.execute(
                "UPDATE jobs SET lease_until = ? WHERE status = 'running'"
                " AND lease_until IS NOT NULL AND (id, run_id) IN (SELECT"
                " json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))"
                " RETURNING id, run_id",
                (tx.now + lease, encode_json([list(pair) for pair in attempts])),
            ).fetchall()
        return dict(rows)

    def progress(
        self, job_id: int, run_id: int, progress: float | None, message: str | None
    ) -> Written:
        """Record progress for a running attempt; ``False``-y result means the attempt lost."""
        with self._write() as tx:
            row = tx.conn.execute(
                "UPDATE jobs SET progress = coalesce(?, progress),"
                " progress_message = coalesce(?, progress_message), updated_at = ?"
                " WHERE id = ? AND run_id = ? AND status = 'running' AND lease_until >= ?"
                " RETURNING progress, progress_message",
                (progress, message, tx.now, job_id, run_id, tx.now),
            ).fetchone()
            if row is None:
                return Written([], tx.now)
            tx.event(job_id, EventType.PROGRESS, {"progress": row[0], "message": row[1]})
        return tx.delivered

    def log(self, job_id: int, run_id: int, message: str) -> Written:
        """Add a log line to a running attempt's events."""
        with self._write() as tx:
            held = tx.conn.execute(
                "SELECT 1 FROM jobs WHERE id = ? AND run_id = ? AND status = 'running'",
                (job_id, run_id),
            ).fetchone()
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
        children = [
            r[0]
            for r in tx.conn.execute(
                "SELECT id FROM jobs WHERE parent_id = ? AND status IN (?, ?)",
                (job_id, *_ACTIVE),
            )
        ]
        # An earlier attempt's error is not why the job ended: it stays in the event log.
        row = tx.conn.execute(
            "UPDATE jobs SET status = 'cancelled', error = NULL, lease_until = NULL,"
            " worker = NULL, finished_at = ?, updated_at = ? WHERE id = ? AND status IN (?, ?)"
            " RETURNING parent_id",
            (tx.now, tx.now, job_id, *_ACTIVE),
        ).fetchone()
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
            # As if never run: the earlier runs are in the event log.
            conn.execute(
                "UPDATE jobs SET status = 'queued', attempt = 0, run_at = ?, error = NULL,"
                " started_at = NULL, finished_at = NULL, updated_at = ?, progress = 0,"
                " progress_message = NULL WHERE id = ?",
                (now, now, job_id),
            )
        again = conn.execute(
            "SELECT id, status FROM jobs WHERE parent_id = ? AND status IN (?, ?)",
            (job_id, JobStatus.FAILED.value, JobStatus.CANCELLED.value),
        ).fetchall()
        # Counted from the rows before they go back: a child put back may end at once
        # (one that only waits for children that have ended), and counts on from here.
        conn.execute(
            "UPDATE jobs SET children_finished = children - (SELECT count(*) FROM jobs AS child"
            " WHERE child.parent_id = jobs.id AND child.status IN (?, ?, ?, ?)) WHERE id = ?",
            (*_ACTIVE, JobStatus.FAILED.value, JobStatus.CANCELLED.value, job_id),
        )
        for child_id, status in again:
            self._requeue(tx, child_id, JobStatus(status))
        if waits:
            self._recount(tx, job_id)

    @staticmethod
    def _waits_for_children(conn: sqlite3.Connection, job_id: int) -> bool:
        """Whether what is left of the job is waiting for its children: a batch
        parent's, or a job's whose handler returned (its result is kept)."""
        (waits,) = conn.execute(
            f"SELECT children > 0 AND ({_BATCH_PARENT} OR result IS NOT NULL) FROM jobs"
            " WHERE id = ?",
            (job_id,),
        ).fetchone()
        return bool(waits)

    def _reopen(self, tx: _Tx, parent_id: int) -> None:
        """A finished parent waits for its children again."""
        tx.conn.execute(
            "UPDATE jobs SET status = 'running', error = NULL, lease_until = NULL,"
            " finished_at = NULL, updated_at = ? WHERE id = ?",
            (tx.now, parent_id),
        )

    def _child_back(self, tx: _Tx, parent_id: int) -> None:
        """A finished child of ``parent_id`` runs again: a failed parent waits again
        (and so on up), a waiting one counts again; a cancelled one stays cancelled."""
        row = tx.conn.execute(
            "SELECT status, parent_id FROM jobs WHERE id = ?", (parent_id,)
        ).fetchone()
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
        row = tx.conn.execute(
            "UPDATE jobs SET children_finished = jobs.children - k.left,"
            f" progress = {_LEFT_SHARE}, progress_message = {_LEFT_MESSAGE},"
            " updated_at = ?1"
            " FROM (SELECT count(*) AS left FROM jobs WHERE parent_id = ?2"
            " AND status IN ('queued', 'running')) AS k"
            " WHERE jobs.id = ?2 AND jobs.status IN ('queued', 'running')"
            " RETURNING jobs.children, jobs.children_finished, jobs.status = 'running'"
            " AND jobs.lease_until IS NULL",
            (tx.now, parent_id),
        ).fetchone()
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
            tx.conn.execute("INSERT OR IGNORE INTO queues (name) VALUES (?)", (name,))
            if "limit" in changes:
                tx.conn.execute(
                    "UPDATE queues SET concurrency_limit = ? WHERE name = ?",
                    (changes["limit"], name),
                )
            if "paused" in changes:
                tx.conn.execute(
                    "UPDATE queues SET paused = ? WHERE name = ?", (int(changes["paused"]), name)
                )
            row = tx.conn.execute(
                "SELECT name, concurrency_limit, paused FROM queues WHERE name = ?", (name,)
            ).fetchone()
        return QueueInfo(name=row[0], limit=row[1], paused=bool(row[2]))

    def queues(self) -> list[QueueInfo]:
        """Every queue that has settings or jobs."""
        rows = self._read(
            "SELECT name, concurrency_limit, paused FROM queues UNION"
            " SELECT DISTINCT queue, NULL, 0 FROM jobs WHERE queue NOT IN (SELECT name FROM queues)"
            " ORDER BY 1"
        )
        return [QueueInfo(name=n, limit=lim, paused=bool(p)) for n, lim, p in rows]

    # -- workers -----------------------------------------------------------------------------

    def worker_alive(
        self, name: str, queues: Sequence[str], kinds: Sequence[str] | None, until: float
    ) -> None:
        """Record (or renew) a running worker, live until ``until`` (POSIX seconds)
        unless it renews again; what it serves may change between calls."""
        kinds_json = None if kinds is None else json.dumps(list(kinds))
        with self._write() as tx:
            tx.conn.execute(
                "INSERT INTO workers (name, queues, kinds, started_at, expires_at)"
                " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE"
                " SET queues = ?2, kinds = ?3, expires_at = ?5",
                (name, json.dumps(list(queues)), kinds_json, tx.now, until),
            )

    def worker_gone(self, name: str) -> None:
        """Forget a worker that stopped (and any whose record ran out long ago)."""
        with self._write() as tx:
            tx.conn.execute(
                "DELETE FROM workers WHERE name = ? OR expires_at < ?",
                (name, tx.now - 86400.0),
            )

    def workers(self) -> list[WorkerInfo]:
        """The workers whose records have not run out, by name."""
        rows = self._read(
            "SELECT name, queues, kinds, started_at FROM workers"
            " WHERE expires_at >= ? ORDER BY name",
            (time.time(),),
        )
        return [
            WorkerInfo(
                name=name,
                queues=tuple(json.loads(queues)),
                kinds=None if kinds is None else tuple(json.loads(kinds)),
                started_at=_dt(started_at),
            )
            for name, queues, kinds, started_at in rows
        ]

    def queued_by_kind(self) -> dict[tuple[str, str], int]:
        """``{(queue, kind): count}`` of the queued jobs."""
        rows = self._read(
            "SELECT queue, kind, count(*) FROM jobs WHERE status = 'queued' GROUP BY queue, kind"
        )
        return {(queue, kind): count for queue, kind, count in rows}

    # -- reads ------------------------------------------------------------------------------

    def get(self, job_id: int) -> Job:
        return self._reading(lambda conn: self._get(conn, job_id))

    def _get(self, conn: sqlite3.Connection, job_id: int) -> Job:
        row = conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        return _job(row)

    def _require(self, conn: sqlite3.Connection, job_id: int) -> None:
        if conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone() is None:
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
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            args.extend(statuses)
        for column, value in (
            ("queue", queue),
            ("kind", kind),
            ("parent_id", parent_id),
            ("unique_key", unique_key),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if tag is not None:
            where.append("id IN (SELECT job_id FROM job_tags WHERE tag = ?)")
            args.append(tag)
        if before_id is not None:
            where.append("id < ?")
            args.append(before_id)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._read(
            f"SELECT {_JOB_COLUMNS} FROM jobs{clause} ORDER BY id DESC LIMIT ?", (*args, limit)
        )
        return [_job(r) for r in rows]

    def stats(self, *, tag: str | None = None) -> dict[str, dict[str, int]]:
        """``{queue: {status: count}}`` over all jobs (or those with ``tag``)."""
        if tag is None:
            rows = self._read("SELECT queue, status, count(*) FROM jobs GROUP BY queue, status")
        else:
            rows = self._read(
                "SELECT queue, status, count(*) FROM jobs WHERE id IN"
                " (SELECT job_id FROM job_tags WHERE tag = ?) GROUP BY queue, status",
                (tag,),
            )
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
        sql = (
            "SELECT status, handler_version FROM jobs WHERE unique_key = ?1"
            " AND (status IN ('queued', 'running') OR ?2 IS NULL OR kind = ?2)"
            " ORDER BY status IN ('queued', 'running') DESC, id DESC LIMIT 1"
        )

        def read(conn: sqlite3.Connection) -> None:
            for key in keys:
                row = conn.execute(sql, (key, kind)).fetchone()
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
            rows = self._read(
                "SELECT seq, job_id, type, at, data FROM events WHERE seq > ? AND seq <= ?"
                " ORDER BY seq LIMIT ?",
                (after, end, limit),
            )
        else:
            rows = self._read(
                "SELECT seq, job_id, type, at, data FROM events WHERE job_id = ? AND seq > ?"
                " AND seq <= ? ORDER BY seq LIMIT ?",
                (job_id, after, end, limit),
            )
        return [_event(r) for r in rows]

    def last_seq(self) -> int:
        """The newest event's sequence number (0 when there is none)."""
        return int(self._read("SELECT coalesce(max(seq), 0) FROM events")[0][0])

    def delete(self, job_id: int) -> tuple[list[Job], Written]:
        """Delete a job that is not running, with its descendants, their tags and
        their events, and write a ``deleted`` event for each. Returns the removed
        jobs. A child of a batch that is not done is refused: its parent's outcome
        depends on it."""
        with self._write() as tx:
            job = self._get(tx.conn, job_id)
            ids = [row[0] for row in tx.conn.execute(_SUBTREE, (job_id,))]
            listed = encode_json(ids)
            running = tx.conn.execute(
                "SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(?))"
                " AND status = 'running' ORDER BY id LIMIT 1",
                (listed,),
            ).fetchone()
            if running is not None:
                which = "it is" if running[0] == job_id else f"its child job {running[0]} is"
                raise InvalidTransition(
                    f"job {job_id} cannot be deleted: {which} running (cancel it first)"
                )
            parent = tx.conn.execute(
                "SELECT status FROM jobs WHERE id = ?", (job.parent_id,)
            ).fetchone()
            if parent is not None and parent[0] != JobStatus.SUCCEEDED.value:
                raise InvalidTransition(
                    f"job {job_id} cannot be deleted: its parent job {job.parent_id} is"
                    f" {parent[0]} and depends on it (delete job {job.parent_id} instead)"
                )
            removed = _jobs_by_id(self._remove_jobs(tx.conn, listed))
            for gone in removed:
                tx.event(gone.id, EventType.DELETED)
            # The new events first: deleting the log's newest rows first would hand
            # their sequence numbers out again.
            tx.flush()
            tx.conn.execute(
                "DELETE FROM events WHERE job_id IN (SELECT value FROM json_each(?)) AND seq < ?",
                (listed, tx.written[0][0]),
            )
        return removed, tx.delivered

    @staticmethod
    def _remove_jobs(conn: sqlite3.Connection, listed: str, *, returning: bool = True) -> list[Any]:
        """Delete the jobs whose ids are in the JSON list ``listed``, and their tags;
        returns their rows as they were (none unless ``returning``: reading them back
        costs time under the write lock)."""
        conn.execute(
            "DELETE FROM job_tags WHERE job_id IN (SELECT value FROM json_each(?))", (listed,)
        )
        delete = "DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?))"
        if not returning:
            conn.execute(delete, (listed,))
            return []
        return conn.execute(f"{delete} RETURNING {_JOB_COLUMNS}", (listed,)).fetchall()

    def prune(
        self,
        jobs_before: float | None,
        events_before: float | None,
        removed: Callable[[list[Job]], None] | None = None,
    ) -> tuple[int, int]:
        """Delete jobs that finished before ``jobs_before`` and events older than
        ``events_before`` (``None``: keep them all). Returns how many of each went;
        ``removed`` (if given) hears each chunk's jobs once it has committed.

        Rows go ``_PRUNE_CHUNK`` at a time, each chunk in its own transaction, so the
        first prune of a busy file does not hold the write lock for seconds while
        producers and workers wait.
        """
        jobs = events = 0
        if jobs_before is not None:
            # A batch decides its outcome from all its children: their rows stay while
            # it runs, and while it can be retried (failed or cancelled), which puts
            # its failed children back. The newest job stays too: ids are rowids, and
            # a new job would get the id of a deleted newest one, which the event log
            # and the callers that kept it still name.
            old = (
                "SELECT id FROM jobs WHERE finished_at < ? AND id < (SELECT max(id) FROM jobs)"
                " AND NOT EXISTS (SELECT 1 FROM jobs AS parent WHERE parent.id = jobs.parent_id"
                " AND parent.status != 'succeeded') LIMIT ?"
            )
            while True:
                gone: list[Any] = []
                with self._write() as tx:
                    ids = [row[0] for row in tx.conn.execute(old, (jobs_before, _PRUNE_CHUNK))]
                    if ids:
                        listed = encode_json(ids)
                        gone = self._remove_jobs(tx.conn, listed, returning=removed is not None)
                jobs += len(ids)
                if gone and removed is not None:
                    removed(_jobs_by_id(gone))  # built after the commit, outside the lock
                if not ids:  # (children go in the round after their parent)
                    break
        if events_before is not None:
            # Events are written in time order, so the old ones are a prefix of the log,
            # below the first event at or after the cutoff. The newest event always
            # stays: seq is a rowid, and an empty table would hand out old numbers again
            # to followers already past them.
            ((end,),) = self._read(
                "SELECT coalesce((SELECT seq FROM events WHERE at >= ? ORDER BY seq LIMIT 1),"
                " (SELECT max(seq) FROM events), 0)",
                (events_before,),
            )
            while True:
                with self._write() as tx:
                    deleted = tx.conn.execute(
                        "DELETE FROM events WHERE seq < min(?, (SELECT min(seq) FROM events) + ?)",
                        (end, _PRUNE_CHUNK),
                    ).rowcount
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


def _event(row: Sequence[Any]) -> Event:
    return Event(
        seq=row[0],
        job_id=row[1],
        type=_EVENT_TYPES[row[2]],
        at=_dt(row[3]),
        data=_event_data(row[4], row[0]),
    )


def _event_data(text: str, seq: int) -> dict[str, Any]:
    data = decode_stored(text, "data of event", seq)
    return data if isinstance(data, dict) else {"undecodable": str(data)}


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
            version = store._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > store.version:
                _schema.rollback(store._conn)
                raise SchemaTooNew(
                    f"{store.path}: a newer litequeue upgraded the database to schema"
                    f" version {version} while this process had it open (at version"
                    f" {store.version}); this process writes no more: stop it and upgrade"
                    " litequeue"
                )
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
                conn.execute("COMMIT")
                store._wal.after_commit()
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
