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
from collections.abc import Callable, Generator, Iterable, Sequence
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
    encode_json,
    enqueued_json,
)
from ...errors import InvalidTransition, JobNotFound, NotADatabase, SchemaTooNew
from ...models import (
    Event,
    EventType,
    Job,
    JobStatus,
    KeyState,
    QueueInfo,
    Schedule,
    WorkerInfo,
)
from .. import bulk, lifecycle, listing, scheduling
from ..copy import CHUNK, COPIED, TableRows, refuse_unless_empty
from . import _quietlog, _rows, _schema, _sql
from ._transaction import SQLiteTransaction
from ._turns import WriterTurns

__all__ = ["SQLiteStore"]

T = TypeVar("T")

_ACTIVE = ("queued", "running")
#: The ``QUEUE_LIMITS`` of a queue with none set: its claim is the plain one.
_NO_LIMITS = (None, None, None, None, None, None)
#: Starts a store records for a queue between two deletions of those its windows no
#: longer count (see ``_claim_limited``).
_FORGET_EVERY = 64
#: Where a claimed row holds its limit key.
_LIMIT_KEY = _sql.CLAIMED_COLUMNS.index("limit_key")
#: Kinds, queues and settings whose model ``Job`` a store keeps (see ``_inserted``).
_MODELS_KEPT = 256
_new_object, _set_fields = object.__new__, object.__setattr__  # Job's own __setattr__ refuses
#: Rows ``prune`` deletes per transaction.
_PRUNE_CHUNK = 10_000


#: How many jobs of a status make a page sorted by priority or due time read along
#: that column's index (checking each row's status: with 5,000 in a million, a page of
#: 50 reads some 10,000 rows) rather than sort every job of the status.
_DENSE_STATUS = 5_000


class SQLiteStore(listing.JobListing):
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
        self._turns = WriterTurns(self.path)
        # Starts recorded here by queue since this store last forgot that queue's old ones.
        self._unforgotten: dict[str, int] = {}
        self._log = _quietlog.QuietLog(self.path)
        self._models: dict[tuple[Any, ...], dict[str, Any]] = {}
        # The last data_version read, the log's mark it was read under, and until
        # when (monotonic) that read stands without asking SQLite (see data_version).
        self._seen_version: tuple[tuple[int, int, int, int] | None, int, float] = (None, 0, 0.0)
        try:
            if migrate:
                _schema.migrate(self._conn, self.path, busy_timeout=busy_timeout)
            # From here on, waiting for a busy file is _schema.retry_busy's job.
            self._conn.execute(_sql.NO_BUSY_WAIT)
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
                self._turns.close()

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
        problems = [row[0] for row in self._read(_sql.QUICK_CHECK)]
        if problems != ["ok"]:
            raise NotADatabase(f"{self.path}: the database is corrupt: {'; '.join(problems)}")

    def data_version(self, queues: Sequence[str] | None = None) -> int:
        """Changes whenever another connection commits to the file (to any queue: the
        file does not say which, and reading this costs no I/O).

        An idle worker looks 20 to 50 times a second. SQLite is asked only when the
        log was written to since the last answer, or within ``QUIET`` s before it, or
        that answer is ``TRUSTED`` s old (see ``QuietLog``); otherwise the look is one
        ``stat`` of the log. The log is looked at before SQLite is asked, so a commit
        in between makes the next look ask again."""
        with self._lock:
            now, mark = time.time(), self._log.mark()
            seen, version, until = self._seen_version
            if mark is not None and mark == seen and time.monotonic() < until:
                return version
            version = int(self._read(_sql.DATA_VERSION)[0][0])
            until = 0.0
            if mark is not None and self._log.quiet_since(mark, now):
                until = time.monotonic() + _quietlog.TRUSTED
            self._seen_version = (mark, version, until)
            return version

    def watch(self, queues: Sequence[str], waker: Callable[[], None]) -> None:
        """None: the file tells no one of a commit; a worker looks at ``data_version``."""
        return None

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
        if len(news) == 1:
            (new,) = news
            if type(new) is NewJob and new.plain:
                return self._enqueue_one(new)
        jobs: list[Job] = []
        refs: dict[str, int] = {}  # what later jobs' depends_on may name
        with self._write() as tx:
            for new in news:
                if isinstance(new, JobRun):
                    jobs.extend(self._insert_run(tx, new))
                else:
                    jobs.append(self._insert(tx, new, refs))
        return jobs, tx.delivered

    def _insert_run(self, tx: SQLiteTransaction, run: JobRun) -> list[Job]:
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

    def _insert(
        self, tx: SQLiteTransaction, new: NewJob, refs: dict[str, int] | None = None
    ) -> Job:
        """Insert one job (or return the active job holding its unique key); ``refs``
        maps the refs of jobs inserted before it in the same call to their ids (its
        ``depends_on`` may name them), and gets its own."""
        job = self._holder(tx.conn, new)
        if job is None:
            job = self._insert_row(tx, new)
            if new.depends_on:
                named = refs or {}
                resolved = [d if isinstance(d, int) else named[d] for d in new.depends_on]
                lifecycle.add_dependencies(tx, job.id, list(dict.fromkeys(resolved)))
                job = tx.job(job.id)
        if new.ref is not None and refs is not None:
            refs[new.ref] = job.id
        return job

    def _enqueue_one(self, new: NewJob) -> tuple[list[Job], Written]:
        """``enqueue`` of one job with nothing to look up or resolve first (no unique
        key, parent, dependencies or ref): most enqueues. The ``Job`` returned is a
        copy of a model of its kind and settings (see ``_inserted``)."""
        with self._write() as tx:
            job_id, run_at = self._job_row(tx, new)
            self._enqueued_event(tx, job_id, new)
        return [self._inserted(new, job_id, tx.now, run_at)], tx.delivered

    def _inserted(self, new: NewJob, job_id: int, now: float, run_at: float) -> Job:
        """``new.inserted(job_id, now, run_at)`` for a plain job, as a copy of a model
        kept for its kind, queue and settings (half the cost of building it)."""
        key = (new.kind, new.queue, new.priority, new.max_attempts, new.timeout, new.tags)
        model = self._models.get(key)
        if model is None:
            if len(self._models) >= _MODELS_KEPT:
                self._models.clear()
            model = self._models[key] = new.inserted(0, now, now).__dict__
        created_at = _rows.dt(now)
        fields = model.copy()
        fields["id"] = job_id
        fields["payload"] = new.value
        fields["created_at"] = fields["updated_at"] = created_at
        fields["run_at"] = created_at if run_at == now else _rows.dt(run_at)
        fields["tags"] = list(new.tags)  # each job its own lists, as one read back has
        fields["depends_on"] = []
        job = _new_object(Job)
        _set_fields(job, "__dict__", fields)
        return job

    def _job_row(self, tx: SQLiteTransaction, new: NewJob) -> tuple[int, float]:
        """Insert ``new``'s row (and tags): its id, and when it is due."""
        conn, now = tx.conn, tx.now
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
                _sql.INSERT_JOB,
                (*values, new.timeout, new.parent_id, new.unique_key, new.limit_key),
            )
        job_id = cursor.lastrowid
        assert job_id is not None
        if new.tags:
            conn.executemany(_sql.INSERT_TAG, [(tag, job_id) for tag in new.tags])
        return job_id, run_at

    def _insert_row(self, tx: SQLiteTransaction, new: NewJob) -> Job:
        job_id, run_at = self._job_row(tx, new)
        self._enqueued_event(tx, job_id, new)
        return new.inserted(job_id, tx.now, run_at)

    @staticmethod
    def _enqueued_event(tx: SQLiteTransaction, job_id: int, new: NewJob) -> None:
        """The ``enqueued`` event of ``new``'s row, written with the transaction's."""
        kind, queue = new.kind, new.queue
        tx.event(
            job_id, EventType.ENQUEUED, {"kind": kind, "queue": queue}, enqueued_json(kind, queue)
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
            lifecycle.recount(tx, parent_job.id)
            parent_job = tx.job(parent_job.id)
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
        if not outcomes and claim.limit > 0 and not self._worth_claiming(claim):
            return [], [], Written([], time.time())
        with self._write() as tx:
            accepted = lifecycle.record_outcomes(tx, outcomes)
            lease_until = tx.now + claim.lease
            rows = self._claim(tx, claim, lease_until) if claim.limit > 0 else []
        claimed = _rows.running(rows, tx.now, lease_until)
        return claimed, accepted, tx.delivered

    def _worth_claiming(self, claim: Claim) -> bool:
        """Whether a claim with nothing to record needs a write transaction: a worker
        woken by another process's commit (a claim, a success) often finds nothing
        for it. The read costs a tenth of the empty write (its turn, ``BEGIN
        IMMEDIATE``, the commit): with one producer and two workers, a third of the
        claims found nothing."""
        kinds = None if claim.kinds is None else encode_json(list(claim.kinds))
        sql = _sql.worth_claiming(len(claim.queues))
        found = self._read(sql, (*claim.queues, kinds, time.time(), self.version))
        return bool(found[0][0])

    def finish(self, outcomes: Sequence[Outcome]) -> tuple[list[Outcome], Written]:
        """Record outcomes without claiming anything."""
        with self._write() as tx:
            accepted = lifecycle.record_outcomes(tx, outcomes)
        return accepted, tx.delivered

    def _claim(self, tx: SQLiteTransaction, claim: Claim, lease_until: float) -> list[Any]:
        """Claim in ``tx``, leased until ``lease_until``; returns the rows read back
        (the ``Job`` values are built after the commit, so the write lock is held no
        longer)."""
        conn, now = tx.conn, tx.now
        lifecycle.take_back_expired(tx)
        kinds: tuple[str, ...] = () if claim.kinds is None else claim.kinds
        count = None if claim.kinds is None else min(len(kinds), _sql.KINDS_LISTED + 1)
        if len(kinds) > _sql.KINDS_LISTED:
            kinds = (encode_json(list(kinds)),)
        claimed: list[Any] = []
        for queue in claim.queues:
            wanted = claim.limit - len(claimed)
            if wanted <= 0:
                break
            limits = conn.execute(_sql.QUEUE_LIMITS, (queue,)).fetchone()
            if limits is None or limits == _NO_LIMITS:
                rows = conn.execute(
                    _sql.CLAIM[wanted == 1, count],
                    (queue, now, wanted, claim.worker, lease_until, *kinds),
                ).fetchall()
            else:
                rows = self._claim_limited(tx, claim, queue, wanted, lease_until, limits)
            if not rows:
                continue
            rows.sort(key=_rows.claim_order)
            claimed += rows
            tx.started(map(_rows.claimed_attempt, rows), claim.worker)
        return claimed

    def _claim_limited(
        self,
        tx: SQLiteTransaction,
        claim: Claim,
        queue: str,
        wanted: int,
        lease_until: float,
        limits: tuple[Any, ...],
    ) -> list[Any]:
        """Claim from a queue with a rate or per-key limits, recording the starts its
        rates count. Each statement takes at most one job per key, so it runs again
        while it takes some and more are wanted.

        Starts older than a window are deleted every ``_FORGET_EVERY`` starts, or
        before the queue's rate could refuse this claim: until then ``rate_used``
        counts some of them too, which only ever says there is less room than there
        is, and never where it matters. The claim of a rate that does not bind then
        writes its start and the count, not a deletion and a second count (two pages
        of the log fewer a commit)."""
        conn, now = tx.conn, tx.now
        kinds = None if claim.kinds is None else encode_json(list(claim.kinds))
        rate_count, rate_period, key_count, key_period, per_key_limit, rate_used = limits
        keyed = key_count is not None or per_key_limit is not None
        kept = self._unforgotten.get(queue, 0)
        if kept >= _FORGET_EVERY or (rate_count is not None and rate_used + wanted > rate_count):
            kept = 0
            if rate_count is not None:
                gone = conn.execute(_sql.FORGET_STARTS, (queue, now - rate_period)).rowcount
                if gone:
                    conn.execute(_sql.ADD_RATE_USED, (-gone, queue))
            if key_count is not None:
                conn.execute(_sql.FORGET_KEY_STARTS, (queue, now - key_period))
        rows: list[Any] = []
        while wanted > len(rows):
            taken = conn.execute(
                _sql.CLAIM_LIMITED[wanted - len(rows) == 1],
                (queue, now, wanted - len(rows), claim.worker, lease_until, kinds,
                 per_key_limit, key_count, key_period),
            ).fetchall()  # fmt: skip
            # Recorded before the next statement counts them.
            if rate_count is not None and taken:
                conn.executemany(_sql.RECORD_START, [(queue, now)] * len(taken))
                conn.execute(_sql.ADD_RATE_USED, (len(taken), queue))
            if key_count is not None:
                conn.executemany(
                    _sql.RECORD_KEY_START,
                    [(queue, row[_LIMIT_KEY], now) for row in taken if row[_LIMIT_KEY]],
                )
            rows += taken
            if not taken or not keyed:
                break
        self._unforgotten[queue] = kept + len(rows)
        return rows

    def next_due(self, queues: Sequence[str], kinds: Sequence[str] | None = None) -> float:
        """When the next delayed job of ``queues`` (and ``kinds``, unless ``None``)
        becomes due, a rate window of theirs lets a start out, or a lease runs out
        (POSIX seconds; infinity when none will happen)."""
        listed = None if kinds is None else encode_json(list(kinds))
        now = time.time()

        def read(conn: sqlite3.Connection) -> list[float | None]:
            # One read for the three (a worker asks after each claim that found less
            # than it wanted).
            return [
                conn.execute(_sql.next_run_at(len(queues)), (*queues, listed, now)).fetchone()[0],
                conn.execute(_sql.next_window(len(queues)), (*queues, now)).fetchone()[0],
                conn.execute(_sql.NEXT_LEASE_END).fetchone()[0],
            ]

        times = [t for t in self._reading(read) if t is not None]
        return min(times) if times else float("inf")

    def queues_held(self, queues: Sequence[str]) -> bool:
        """Whether each of ``queues`` is paused or has used up its rate's window (see
        ``_sql.queues_held``)."""
        distinct = list(dict.fromkeys(queues))
        sql = _sql.queues_held(len(distinct))
        return int(self._read(sql, (*distinct, time.time()))[0][0]) == len(distinct)

    def queues_capped(self, queues: Sequence[str]) -> bool:
        """Whether any of ``queues`` has a concurrency or per-key limit."""
        return bool(self._read(_sql.queues_capped(len(queues)), tuple(queues))[0][0])

    def held_back(self, queues: Sequence[str], kinds: Sequence[str] | None = None) -> bool:
        """Whether due jobs of ``queues`` (and ``kinds``) wait only for a rate or
        per-key limit of their queue (see ``_sql.held_back``)."""
        listed = None if kinds is None else encode_json(list(kinds))
        sql = _sql.held_back(len(queues))
        return bool(self._read(sql, (*queues, listed, time.time()))[0][0])

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
            job = lifecycle.cancel(tx, job_id)
        return job, tx.delivered

    def retry(self, job_id: int) -> tuple[Job, Written]:
        """Put a failed or cancelled job back with a fresh attempt budget (see
        ``lifecycle.retry``)."""
        with self._write() as tx:
            job = lifecycle.retry(tx, job_id)
        return job, tx.delivered

    # -- queue settings -------------------------------------------------------------------

    def set_queue(self, name: str, changes: dict[str, Any]) -> QueueInfo:
        """Create or change a queue's settings (``limit``, ``paused``, ``rate`` and
        ``per_key_rate`` as ``Rate`` values, ``per_key_limit``; ``None`` removes one)."""
        with self._write() as tx:
            conn = tx.conn
            conn.execute(_sql.ADD_QUEUE, (name,))
            if "limit" in changes:
                conn.execute(_sql.SET_LIMIT, (changes["limit"], name))
            if "paused" in changes:
                conn.execute(_sql.SET_PAUSED, (int(changes["paused"]), name))
            for key, statement in (("rate", _sql.SET_RATE), ("per_key_rate", _sql.SET_KEY_RATE)):
                if key in changes:
                    rate = changes[key]
                    conn.execute(statement, (*(rate or (None, None)), name))
            if "per_key_limit" in changes:
                conn.execute(_sql.SET_PER_KEY_LIMIT, (changes["per_key_limit"], name))
            row = conn.execute(_sql.QUEUE_SETTINGS, (name,)).fetchone()
            if row[3] is None:
                conn.execute(_sql.CLEAR_STARTS, (name,))  # no window counts them now
            if row[5] is None:
                conn.execute(_sql.CLEAR_KEY_STARTS, (name,))
            conn.execute(_sql.RECOUNT_RATE_USED, (name,))
        return _rows.queue_info(row)

    def queues(self) -> list[QueueInfo]:
        """Every queue that has settings or jobs."""
        return [_rows.queue_info(row) for row in self._read(_sql.QUEUES)]

    # -- workers -----------------------------------------------------------------------------

    def worker_alive(
        self, name: str, queues: Sequence[str], kinds: Sequence[str] | None, until: float
    ) -> None:
        """Record (or renew) a running worker, live until ``until`` (POSIX seconds)
        unless it renews again; what it serves may change between calls."""
        kinds_json = None if kinds is None else encode_json(list(kinds))
        with self._write() as tx:
            tx.conn.execute(
                _sql.WORKER_ALIVE, (name, encode_json(list(queues)), kinds_json, tx.now, until)
            )

    def worker_gone(self, name: str) -> None:
        """Forget a worker that stopped (and any whose record ran out long ago)."""
        with self._write() as tx:
            tx.conn.execute(_sql.WORKER_GONE, (name, tx.now - 86400.0))

    def workers(self) -> list[WorkerInfo]:
        """The workers whose records have not run out, by name."""
        return [_rows.worker(row) for row in self._read(_sql.WORKERS, (time.time(),))]

    def queued_by_kind(self) -> dict[tuple[str, str], int]:
        """``{(queue, kind): count}`` of the queued jobs."""
        rows = self._read(_sql.QUEUED_BY_KIND)
        return {(queue, kind): count for queue, kind, count in rows}

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

    def _listing_sql(self) -> listing.ListingSql:
        return _sql.LISTING

    def _listing_statuses(
        self, statuses: Sequence[str], order: listing.Order
    ) -> tuple[list[str], list[Any]]:
        """One status is read through the index that holds it; sorted by priority or
        due time, a status that many jobs hold is checked along that column's index
        instead (SQLite would sort every job of the status)."""
        sql = _sql.LISTING
        if len(statuses) != 1:
            return ([sql.statuses_are(statuses)], []) if statuses else ([], [])
        if order.by in listing.INDEXED_SORTS[1:]:
            held = self._read(_sql.STATUS_HOLDS, (statuses[0], _DENSE_STATUS))[0][0]
            if held >= _DENSE_STATUS:
                return ["+" + sql.statuses_are(statuses)], []
        return [sql.status_read(statuses[0])], []

    def _listing_rows(self, sql: str, args: Sequence[Any]) -> list[tuple[Job, float]]:
        return [(_rows.job(row[:-1]), row[-1]) for row in self._read(sql, args)]

    def _listing_row(self, sql: str, args: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(self._read(sql, args)[0])

    def _listing_rows_raw(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._read(sql, args)]

    def finished_per_minute(self, since: float) -> list[tuple[str, str, float, int]]:
        """``(queue, status, minute, count)`` of the jobs that succeeded or failed
        since ``since`` (POSIX seconds; ``minute`` is the minute's start)."""
        rows = self._read(_sql.FINISHED_PER_MINUTE, (since,))
        return [(q, status, float(minute), n) for q, status, minute, n in rows]

    def oldest_queued(self, queues: Sequence[str], now: float) -> dict[str, tuple[int, float]]:
        """``{queue: (job id, due since)}`` of the first queued job of each of
        ``queues`` that is due (a queue with none is left out)."""

        def read(conn: sqlite3.Connection) -> dict[str, tuple[int, float]]:
            found = {}
            for name in queues:
                row = conn.execute(_sql.OLDEST_QUEUED, (name, now)).fetchone()
                if row is not None:
                    found[name] = (row[0], row[1])
            return found

        return self._reading(read)

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

    # -- schedules ---------------------------------------------------------------------

    def save_schedule(self, schedule: Schedule, payload: str) -> Schedule:
        """Store a schedule, or change the one of its name (see ``SAVE_SCHEDULE``)."""
        s = schedule
        with self._write() as tx:
            tx.conn.execute(
                _sql.SAVE_SCHEDULE,
                (s.name, s.kind, s.cron, payload, s.timezone, s.queue, s.catch_up, tx.now,
                 s.next_slot.timestamp()),
            )  # fmt: skip
            row = tx.conn.execute(_sql.SCHEDULE, (s.name,)).fetchone()
        return _rows.schedule(row)

    def schedules(self, name: str | None = None) -> list[Schedule]:
        rows = self._read(_sql.SCHEDULES) if name is None else self._read(_sql.SCHEDULE, (name,))
        return [_rows.schedule(row) for row in rows]

    def pause_schedule(self, name: str, paused: bool, next_slot: float | None) -> bool:
        with self._write() as tx:
            found = tx.conn.execute(
                _sql.SET_SCHEDULE_PAUSED, (int(paused), next_slot, name)
            ).fetchone()
        return found is not None

    def remove_schedule(self, name: str) -> bool:
        with self._write() as tx:
            found = tx.conn.execute(_sql.REMOVE_SCHEDULE, (name,)).fetchone()
        return found is not None

    def next_slot(self, queues: Sequence[str]) -> float:
        (slot,) = self._read(_sql.next_slot(len(queues)), tuple(queues))[0]
        return float("inf") if slot is None else float(slot)

    def fire_schedules(self, queues: Sequence[str], now: float) -> tuple[list[Job], Written]:
        """Enqueue the due slots of the schedules of ``queues`` in one transaction."""
        with self._write() as tx:
            made = scheduling.fire(tx, queues, now, lambda new: self._insert(tx, new))
        return made, tx.delivered

    def delete(self, job_id: int) -> tuple[list[Job], Written]:
        """Delete a job that is not running, with its descendants and their events
        (see ``lifecycle.delete``)."""
        with self._write() as tx:
            removed = lifecycle.delete(tx, job_id)
        return removed, tx.delivered

    def steer(self, action: str, job_ids: Sequence[int]) -> tuple[bulk.Steered, Written]:
        with self._write() as tx:
            steered = bulk.steer(tx, action, job_ids)
        return steered, tx.delivered

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
            while True:
                gone: list[Any] = []
                with self._write() as tx:
                    ids = [
                        row[0]
                        for row in tx.conn.execute(_sql.OLD_JOBS, (jobs_before, _PRUNE_CHUNK))
                    ]
                    if ids:
                        listed = encode_json(ids)
                        gone = tx.remove_rows(listed, returning=removed is not None)
                jobs += len(ids)
                if gone and removed is not None:
                    removed(_rows.jobs_by_id(gone))  # built after the commit, outside the lock
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

    # -- copying a queue (``engines/copy.py``) -------------------------------------------

    def export_rows(self) -> Generator[TableRows, None, None]:
        """Every copied table's rows, from one read transaction: the file's snapshot
        when the first row is read (others may write meanwhile, unseen)."""
        with self._lock, _schema.translate_errors(self.path):
            _schema.retry_busy(lambda: self._conn.execute(_sql.BEGIN_READ), self._busy_timeout)
            try:
                for table in COPIED:
                    cursor = self._conn.execute(_sql.EXPORT[table])
                    while rows := cursor.fetchmany(CHUNK):
                        yield TableRows(table, rows)
            finally:
                _schema.rollback(self._conn)  # it wrote nothing: ends the snapshot

    def import_rows(self, chunks: Iterable[TableRows]) -> dict[str, int]:
        """Write exported rows into this empty file in one write transaction."""
        counts = dict.fromkeys(COPIED, 0)
        with self._write() as tx:
            refuse_unless_empty(self.path, dict(tx.conn.execute(_sql.HELD_ROWS).fetchall()))
            for chunk in chunks:
                tx.conn.executemany(_sql.IMPORT[chunk.table], chunk.rows)
                counts[chunk.table] += len(chunk.rows)
        return counts


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

    def __enter__(self) -> SQLiteTransaction:
        store = self.store
        store._turns.take()  # before the store's lock, which readers share
        store._lock.acquire()
        try:
            _schema.begin_immediate(store._conn, store._busy_timeout)
            version = _schema.schema_version(store._conn)
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
            store._turns.give_back()
            if isinstance(exc, sqlite3.Error):
                raise _schema.translate(exc, store.path) from exc
            raise
        self.tx = SQLiteTransaction(store._conn, time.time())
        return self.tx

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        store = self.store
        conn = store._conn
        try:
            if exc_type is None:
                self.tx.flush()
                conn.execute(_sql.COMMIT)
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
            store._turns.give_back()
        if isinstance(exc, sqlite3.Error):
            raise _schema.translate(exc, store.path) from exc
