"""The PostgreSQL engine's store: every read and write of one queue in a PostgreSQL
database, for any number of machines at once.

The queue and the worker reach it through the ``Store`` interface
(``engines/base.py``); its statements are named in ``_sql``, and its rows become
values in ``_rows``. Every write is one transaction at READ COMMITTED, stamped with
the server's clock, that also writes the matching events (last, under the event
lock, so their numbers grow in commit order) and wakes idle workers of the queues it
touched (NOTIFY, one per queue at most); it returns the events so the caller can
deliver them after the commit. Connections come from a small pool (``_pool``), so
threads (a worker's claims, its heartbeats, its handlers' progress) do not wait for
one another, and a connection that broke is replaced.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import dict_row, scalar_row, tuple_row

from ..._checks import INT64_MAX
from ..._rates import Rate
from ..._records import Claim, JobRun, NewJob, Outcome, Running, Written, encode_json, enqueued_json
from ...errors import (
    ConfigurationError,
    ConnectionLost,
    DatabaseUnreachable,
    InvalidTransition,
    JobNotFound,
    SchemaTooNew,
    StoreError,
)
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
from . import _rows, _schema, _sql
from ._direct import (
    FLOAT8,
    INT8,
    TEXT,
    Connection,
    Statements,
    float8,
    float8_value,
    int4_value,
    int8,
    int8_value,
)
from ._pool import Pool
from ._transaction import PostgresTransaction
from ._wakeups import Wakeups

__all__ = ["PostgresStore"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_ACTIVE = ("queued", "running")
#: Rows ``prune`` deletes per transaction: a bounded batch, so a first prune of a big
#: table holds no locks for long and leaves autovacuum pieces it can keep up with.
_PRUNE_CHUNK = 5_000
#: Idle connections a store keeps: a worker's claim loop, its heartbeats and its
#: handlers' progress each take one at a time.
_POOL_SIZE = 8
#: Times a write that lost a race (a deadlock, a unique key enqueued by another
#: machine at the same instant) is run again before its error is raised.
_RACE_RETRIES = 5
#: Due jobs past the ones wanted that a limited claim looks at in claim order before
#: it walks the queue's keys instead (``_sql.CLAIM_BY_KEY``; the claim function's
#: limited claim looks as far).
_LOOK_AHEAD = 16
#: SQLSTATEs of a lost race: serialization failure, deadlock, unique violation.
_RACES = {"40001", "40P01", "23505"}
#: SQLSTATE of a call to a function the database does not have.
_UNDEFINED_FUNCTION = "42883"
#: The types of ``_sql.enqueue_one``'s parameters: the clock as sent, kind, queue,
#: payload, priority, due time, attempts, timeout, limit key, the event's data.
_ENQUEUE_TYPES = (FLOAT8, TEXT, TEXT, TEXT, INT8, FLOAT8, INT8, FLOAT8, TEXT, TEXT)
#: The names each connection prepares ``_sql.enqueue_one`` under: a job without tags
#: or a unique key, and one with them (two more parameters: the tags, the key).
_PLAIN, _TAGGED = "litequeue_enqueue_plain", "litequeue_enqueue_tagged"


class PostgresStore(listing.JobListing):
    """All reads and writes of one queue in a PostgreSQL database, safe to share
    between threads."""

    def __init__(
        self,
        url: str,
        *,
        durability: str = "full",
        busy_timeout: float = 10.0,
        migrate: bool = True,
    ) -> None:
        if durability not in ("full", "normal"):
            raise ConfigurationError(
                f"durability must be one of 'full', 'normal', not {durability!r}"
            )
        self._target = target = _schema.parse_target(url)
        self.path = target.shown
        self._timeout = busy_timeout
        first = _schema.connect(target, timeout=busy_timeout)
        try:
            with _schema.translate_errors(target):
                if migrate:
                    _schema.migrate(first, target)
                else:
                    _schema.require_current(first, target)
                self.version = _schema.schema_version(first)
                (schema,) = first.execute(_sql.CURRENT_SCHEMA).fetchone() or ("public",)
        finally:
            first.close()
        self._channel = f"litequeue.{schema}"
        channel = sql.Literal(self._channel).as_string(None)
        asynchronous = durability == "normal"

        plain = _sql.enqueue_one(self.version, channel, tagged_or_keyed=False)
        tagged = _sql.enqueue_one(self.version, channel, tagged_or_keyed=True)
        self._enqueues = Statements(
            {
                _PLAIN: (plain, _ENQUEUE_TYPES),
                _TAGGED: (tagged, (*_ENQUEUE_TYPES, TEXT, TEXT)),
            },
            prepare=target.notify,
        )

        def connect() -> psycopg.Connection[Any]:
            conn = _schema.connect(target, timeout=busy_timeout, kind=_Connection)
            conn.row_factory = dict_row
            # A pooler in transaction mode cannot keep server-side prepared statements
            # across transactions: none in poll-only mode.
            conn.prepare_threshold = 5 if target.notify else None
            if asynchronous:
                conn.execute(_sql.ASYNC_COMMIT)
            return conn

        self._pool = Pool(connect, keep=_POOL_SIZE)
        self._wakeups = Wakeups(target, self._channel, timeout=busy_timeout, ours=self._pool.serves)
        self._closed = False

    # -- plumbing ---------------------------------------------------------------------

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._wakeups.close()
            self._pool.close()

    def _lost(self, exc: psycopg.Error) -> StoreError:
        """The typed error for a failure to use a connection; after a broken one the
        idle ones go too (likely broken by the same restart), and the next call opens
        a new one."""
        error = _schema.translate(exc, self._target)
        if isinstance(error, ConnectionLost | DatabaseUnreachable):
            self._pool.drop_idle()
        return error

    def _transact(self, body: Callable[[PostgresTransaction], T]) -> tuple[T, PostgresTransaction]:
        """Run ``body`` in one write transaction and commit it with its events and
        wake-ups; a lost race (deadlock, a unique key taken at the same instant) runs
        it again."""
        return self._retrying(lambda conn: self._attempt(conn, body))

    def _retrying(self, run: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``run`` on a connection of the pool, again after a lost race."""
        for tries in range(_RACE_RETRIES + 1):
            try:
                with self._pool.connection() as conn:
                    return run(conn)
            except _KeyRace:
                if tries < _RACE_RETRIES:
                    continue
                raise StoreError(f"{self.path}: a unique key kept changing hands") from None
            except psycopg.Error as exc:
                if getattr(exc, "sqlstate", None) in _RACES and tries < _RACE_RETRIES:
                    continue
                raise self._lost(exc) from exc
        raise AssertionError("unreachable")

    def _attempt(
        self, conn: psycopg.Connection[Any], body: Callable[[PostgresTransaction], T]
    ) -> tuple[T, PostgresTransaction]:
        """One run of a write transaction, as a pipeline: only statements whose rows
        are read wait for an answer, the others travel with the next one. ``BEGIN``
        and ``COMMIT`` are statements of their own (the connection is in autocommit)
        rather than psycopg's transaction block, which waits for the server after
        each: an enqueue takes three round trips (clock, insert, then the event lock,
        events, notifications and commit together)."""
        try:
            with conn.pipeline():
                conn.execute(_sql.BEGIN)
                opened = conn.execute(_sql.TX_START).fetchone()
                assert opened is not None
                if opened["version"] > self.version:
                    raise self._too_new(opened["version"])
                tx = PostgresTransaction(conn, opened["now"])
                value = body(tx)
                tx.flush()
                for queue in tx.wakes:
                    conn.execute(_sql.NOTIFY, (self._channel, queue))
                conn.execute(_sql.COMMIT)
        except BaseException:
            _roll_back(conn)
            raise
        tx.committed()
        return value, tx

    def _too_new(self, version: int) -> SchemaTooNew:
        return SchemaTooNew(
            f"{self.path}: a newer litequeue upgraded the database to schema version"
            f" {version} while this process had it open (at version {self.version});"
            " this process writes no more: stop it and upgrade litequeue"
        )

    def _read(self, sql: Any, params: Any = None) -> list[Any]:
        """Rows of one read; tried again once on a new connection when the one it got
        had broken (the server restarted while it sat in the pool)."""
        for tries in range(2):
            try:
                with self._pool.connection() as conn:
                    return conn.execute(sql, params).fetchall()
            except psycopg.OperationalError as exc:
                error = self._lost(exc)
                if tries or not isinstance(error, ConnectionLost):
                    raise error from exc
            except psycopg.Error as exc:
                raise self._lost(exc) from exc
        raise AssertionError("unreachable")

    def check_integrity(self) -> None:
        """PostgreSQL checks its own pages; here, that litequeue's tables are there."""
        rows = self._read(_sql.JOBS_TABLE_EXISTS)
        if not rows[0]["present"]:
            raise StoreError(f"{self.path}: litequeue's jobs table is missing")

    def data_version(self, queues: Sequence[str] | None = None) -> int:
        """Moves when a notification for ``queues`` arrives (for any queue: ``None``),
        or a fallback period passes."""
        return self._wakeups.version(queues)

    def wait_for_change(self, timeout: float, poll: float) -> bool:
        return self._wakeups.wait(timeout, poll)

    def watch(self, queues: Sequence[str], waker: Callable[[], None]) -> Callable[[], None]:
        """Call ``waker()`` from the listening thread when ``data_version(queues)``
        moves (a notification, or a fallback period)."""
        return self._wakeups.watch(queues, waker)

    def schema_version(self) -> int:
        rows = self._read(_sql.SCHEMA_VERSION)
        return int(rows[0]["version"]) if rows else 0

    # -- enqueue ----------------------------------------------------------------------

    def enqueue(self, news: Sequence[NewJob | JobRun]) -> tuple[list[Job], Written]:
        if len(news) == 1:
            new = news[0]
            if isinstance(new, NewJob) and _one_statement(new):
                made = self._enqueue_one(new)
                if made is not None:
                    return made

        def body(tx: PostgresTransaction) -> list[Job]:
            jobs: list[Job] = []
            refs: dict[str, int] = {}  # what later jobs' depends_on may name
            for new in news:
                if isinstance(new, JobRun):
                    jobs.extend(self._insert_run(tx, new))
                else:
                    jobs.append(self._insert(tx, new, refs))
            return jobs

        jobs, tx = self._transact(body)
        return jobs, tx.delivered

    def _enqueue_one(self, new: NewJob) -> tuple[list[Job], Written] | None:
        """One job in one round trip (``_sql.enqueue_one``, in autocommit); ``None``
        when an active job holds its unique key and nothing was written (the general
        path then returns the holder, or inserts if it finished meanwhile)."""
        kind, queue, run_at, timeout, limit_key = (
            new.kind, new.queue, new.run_at, new.timeout, new.limit_key
        )  # fmt: skip
        data = {"kind": kind, "queue": queue}
        params: tuple[bytes | None, ...] = (
            None if run_at is None else float8(time.time()),  # read only with a due time
            kind.encode(),
            queue.encode(),
            new.payload.encode(),
            int8(new.priority),
            None if run_at is None else float8(run_at),
            int8(new.max_attempts),
            None if timeout is None else float8(timeout),
            None if limit_key is None else limit_key.encode(),
            enqueued_json(kind, queue).encode(),
        )
        statement = _PLAIN
        if new.tags or new.unique_key is not None:
            statement = _TAGGED
            key = new.unique_key
            params += (encode_json(new.tags).encode(), None if key is None else key.encode())
        for tries in range(_RACE_RETRIES + 1):
            try:
                conn = self._pool.take()
                try:
                    row = self._enqueues.row(conn, statement, params)
                finally:
                    self._pool.give_back(conn)
                break
            except psycopg.Error as exc:
                state = getattr(exc, "sqlstate", None)
                if state in _RACES and tries < _RACE_RETRIES:
                    continue
                if state == _UNDEFINED_FUNCTION:  # a newer schema may have replaced it
                    version = self.schema_version()
                    if version > self.version:
                        raise self._too_new(version) from exc
                raise self._lost(exc) from exc
        version, now, due_at, job_id, event_seq = row
        if int4_value(version) > self.version:
            raise self._too_new(int4_value(version))
        if job_id is None:
            return None
        now, job_id = float8_value(now), int8_value(job_id)
        written = Written([(int8_value(event_seq), job_id, EventType.ENQUEUED, data)], now)
        return [new.inserted(job_id, now, float8_value(due_at))], written

    def _insert_run(self, tx: PostgresTransaction, run: JobRun) -> list[Job]:
        """Insert jobs that differ only in their payloads, with one statement."""
        template, now = run.template, tx.now
        params = (
            template.kind,
            template.queue,
            template.priority,
            now if template.run_at is None else tx.server_time(template.run_at),
            template.max_attempts,
            template.timeout,
            encode_json(template.tags) if template.tags else "[]",
            now,
            now,
            # Each payload's text, encoded again from the value it reads back as
            # (the same text): PostgreSQL's json type refuses the escaped lone
            # surrogates a file name may hold, which litequeue stores.
            [encode_json(value) for value in run.values],
        )
        # The ids as plain values, not a dict per row.
        inserted = tx.conn.cursor(row_factory=scalar_row).execute(_sql.INSERT_RUN, params)
        ids = sorted(inserted.fetchall())
        if template.tags:
            tx.run(
                _sql.INSERT_TAGS,
                (
                    [tag for _ in ids for tag in template.tags],
                    [job_id for job_id in ids for _ in template.tags],
                ),
            )
        data = {"kind": template.kind, "queue": template.queue}
        encoded = enqueued_json(template.kind, template.queue)
        for job_id in ids:
            tx.event(job_id, EventType.ENQUEUED, data, encoded)
        tx.wakes.add(template.queue)
        at = _rows.dt(now)
        run_at = at if template.run_at is None else _rows.dt(tx.server_time(template.run_at))
        jobs = []
        for job_id, value in zip(ids, run.values, strict=True):
            jobs.append(
                Job(
                    id=job_id,
                    kind=template.kind,
                    queue=template.queue,
                    status=JobStatus.QUEUED,
                    payload=value,
                    priority=template.priority,
                    run_at=run_at,
                    max_attempts=template.max_attempts,
                    timeout=template.timeout,
                    tags=list(template.tags),
                    created_at=at,
                    updated_at=at,
                )
            )
        return jobs

    def _holder(self, tx: PostgresTransaction, new: NewJob) -> Job | None:
        """The active job that holds ``new``'s unique key, which ``new`` then is."""
        if new.unique_key is None or new.force:
            return None
        row = tx.one(_sql.KEY_HOLDER, (new.unique_key,))
        return None if row is None else _rows.job(row)

    def _insert(
        self, tx: PostgresTransaction, new: NewJob, refs: dict[str, int] | None = None
    ) -> Job:
        """Insert one job (or return the active job holding its unique key); ``refs``
        maps the refs of jobs inserted before it in the same call to their ids (its
        ``depends_on`` may name them), and gets its own."""
        job, inserted = self._insert_row(tx, new)
        if inserted and new.depends_on:
            named = refs or {}
            resolved = [d if isinstance(d, int) else named[d] for d in new.depends_on]
            lifecycle.add_dependencies(tx, job.id, list(dict.fromkeys(resolved)))
            job = tx.job(job.id)
        if new.ref is not None and refs is not None:
            refs[new.ref] = job.id
        return job

    def _insert_row(self, tx: PostgresTransaction, new: NewJob) -> tuple[Job, bool]:
        """The job inserted (True), or the active job holding its unique key."""
        now = tx.now
        holder = self._holder(tx, new)
        if holder is not None:
            return holder, False
        if new.unique_key is not None and new.force:
            tx.run(_sql.SUPERSEDE_KEY, (new.unique_key,))
        run_at = now if new.run_at is None else tx.server_time(new.run_at)
        row = tx.one(
            _sql.INSERT_JOB,
            {
                "kind": new.kind,
                "queue": new.queue,
                "payload": new.payload,
                "priority": new.priority,
                "run_at": run_at,
                "max_attempts": new.max_attempts,
                "tags": encode_json(new.tags) if new.tags else "[]",
                "now": now,
                "timeout": new.timeout,
                "parent_id": new.parent_id,
                "unique_key": new.unique_key,
                "limit_key": new.limit_key,
            },
        )
        if row is None:
            # Another machine's enqueue of this key committed meanwhile: that job is
            # this one (read in a new statement, which sees it).
            holder = self._holder(tx, new)
            if holder is None:  # and it finished already: race again, from the top
                raise _KeyRace()
            return holder, False
        # Counted by its parent only once inserted: a job that another machine's
        # enqueue of its key turned into that job is no child to wait for. A parent
        # that has finished takes no new children (the insert goes back with the
        # transaction).
        if new.parent_id is not None and tx.one(_sql.ADD_CHILD, (now, new.parent_id)) is None:
            tx.job(new.parent_id)  # JobNotFound when there is none
            raise InvalidTransition(
                f"job {new.parent_id} has finished and cannot take new children"
            )
        job_id = row["id"]
        if new.tags:
            tx.run(_sql.INSERT_TAGS, (list(new.tags), [job_id] * len(new.tags)))
        tx.event(job_id, EventType.ENQUEUED, {"kind": new.kind, "queue": new.queue})
        tx.wakes.add(new.queue)
        return new.inserted(job_id, now, run_at), True

    def create_batch(
        self, parent: NewJob, children: Sequence[NewJob]
    ) -> tuple[Job, list[Job], Written]:
        """Insert a parent that runs no handler of its own and waits for ``children``
        (see ``SQLiteStore.create_batch``)."""

        def body(tx: PostgresTransaction) -> tuple[Job, list[Job]]:
            parent_job = self._holder(tx, parent)
            if parent_job is None:
                parent_job = self._insert(tx, parent)
                if parent_job.status is JobStatus.QUEUED and parent_job.started_at is None:
                    tx.run(_sql.START_BATCH, (tx.now, tx.now, parent_job.id))
                    tx.event(parent_job.id, EventType.WAITING, {"children": len(children)})
            elif not tx.one(_sql.IS_BATCH, (parent_job.id,))["batch"]:
                raise InvalidTransition(
                    f"unique key {parent.unique_key!r} is held by job {parent_job.id}"
                    f" ({parent_job.kind}, {parent_job.status.value}), which is not a batch"
                )
            kids = [self._insert(tx, c._replace(parent_id=parent_job.id)) for c in children]
            lifecycle.recount(tx, parent_job.id)
            return tx.job(parent_job.id), kids

        (parent_job, kids), tx = self._transact(body)
        return parent_job, kids, tx.delivered

    # -- claim and finish -------------------------------------------------------------

    def claim(
        self, claim: Claim, outcomes: Sequence[Outcome] = ()
    ) -> tuple[list[Running], list[Outcome], Written]:
        """Record ``outcomes`` and claim up to ``claim.limit`` jobs, in one transaction
        that first takes back expired leases."""
        if all(o.status == "succeeded" and o.parent_id is None for o in outcomes):
            at_once = self._claim_at_once(claim, outcomes)
            if at_once is not None:
                return at_once
        kinds = None if claim.kinds is None else list(claim.kinds)

        def body(tx: PostgresTransaction) -> tuple[list[Outcome], list[Any]]:
            accepted = lifecycle.record_outcomes(tx, outcomes)
            rows: list[Any] = []
            if claim.limit > 0:
                lifecycle.take_back_expired(tx)
                lease_until = tx.now + claim.lease
                for queue in claim.queues:
                    wanted = claim.limit - len(rows)
                    if wanted <= 0:
                        break
                    limits = tx.one(_sql.QUEUE_LIMITS, (queue,))
                    params = {
                        "queue": queue,
                        "now": tx.now,
                        "wanted": wanted,
                        "kinds": kinds,
                        "worker": claim.worker,
                        "lease_until": lease_until,
                    }
                    if limits is None or all(v is None for v in limits.values()):
                        tx.run(_sql.LOCK_LIMITED_QUEUE, (queue,))
                        got = tx.run(_sql.CLAIM, params).fetchall()
                    else:
                        got = self._claim_limited(tx, params, limits)
                    if not got:
                        continue
                    got.sort(key=_rows.claim_order)
                    rows += got
                    tx.started(((r["id"], r["attempt"]) for r in got), claim.worker)
            return accepted, rows

        (accepted, rows), tx = self._transact(body)
        return _rows.running(rows), accepted, tx.delivered

    @staticmethod
    def _claim_limited(
        tx: PostgresTransaction, params: dict[str, Any], limits: dict[str, Any]
    ) -> list[Any]:
        """Claim from a queue with a rate or per-key limits, one such claim at a time
        (``LOCK_QUEUE``), recording the starts its rates count; each statement takes
        at most one job per key, so it runs again while it takes some. A statement
        looks at the first due jobs in claim order; when they give fewer than wanted
        (a key at its limit with a backlog in front), the queue's keys are walked
        instead, each key's first due job looked at once (``CLAIM_BY_KEY``)."""
        queue, wanted, now = params["queue"], params["wanted"], tx.now
        tx.run(_sql.LOCK_QUEUE, (queue,))
        keyed = limits["key_rate_count"] is not None or limits["per_key_limit"] is not None
        if limits["rate_count"] is not None:
            before = now - limits["rate_period"]
            tx.run(_sql.FORGET_STARTS, {"queue": queue, "before": before})
        if limits["key_rate_count"] is not None:
            tx.run(_sql.FORGET_KEY_STARTS, (queue, now - limits["key_rate_period"]))
        params = {
            **params,
            "key_limit": limits["per_key_limit"],
            "key_count": limits["key_rate_count"],
            "key_period": limits["key_rate_period"],
        }

        def run(statement: str, asked: int) -> list[Any]:
            got = tx.run(statement, {**params, "wanted": asked}).fetchall()
            # Recorded before the next statement counts them.
            if limits["rate_count"] is not None and got:
                tx.run(_sql.RECORD_STARTS, {"queue": queue, "now": now, "count": len(got)})
            if limits["key_rate_count"] is not None and got:
                tx.run(_sql.RECORD_KEY_STARTS, (queue, now, [row["limit_key"] for row in got]))
            return got

        rows: list[Any] = []
        while wanted > len(rows):
            asked = wanted - len(rows)
            params["window"] = asked * 2 + _LOOK_AHEAD
            got = run(_sql.CLAIM_LIMITED, asked)
            if keyed and len(got) < asked:
                got += run(_sql.CLAIM_BY_KEY, asked - len(got))
            rows += got
            if not got or not keyed:
                break
        return rows

    def _claim_at_once(
        self, claim: Claim, successes: Sequence[Outcome]
    ) -> tuple[list[Running], list[Outcome], Written] | None:
        """``claim`` after recording ``successes``, in one statement (``CLAIM_AT_ONCE``);
        ``None`` when the job lifecycle must decide, and ``claim`` runs its general
        path (nothing of this call stays)."""
        # In ascending job id order: the function finds each by a binary search, so
        # two answers of one job (a late one beside the current one) go the general way.
        successes = sorted(successes, key=_job_id)
        if any(a.job_id == b.job_id for a, b in itertools.pairwise(successes)):
            return None
        params = {
            "worker": claim.worker,
            "queues": list(claim.queues),
            "kinds": None if claim.kinds is None else list(claim.kinds),
            "wanted": max(0, claim.limit),
            "lease": claim.lease,
            "ids": [o.job_id for o in successes],
            "runs": [o.run_id for o in successes],
            "results": [o.result for o in successes],
            "versions": [o.handler_version for o in successes],
            "schema": self.version,
            "channel": self._channel,
        }

        def call(conn: psycopg.Connection[Any]) -> tuple[list[Any], list[str]] | None:
            try:
                # Rows as tuples in the binary format: their numbers and arrays come
                # without being printed as text and parsed back.
                cursor = _claimer(conn).execute(_sql.CLAIM_AT_ONCE, params, binary=True)
                rows = cursor.fetchall()
            except psycopg.Error as exc:
                if exc.sqlstate == _sql.CLAIM_DEFERRED:
                    return None
                raise
            return rows, _column_names(cursor)

        answer = self._retrying(call)
        if answer is None:
            return None
        rows, names = answer
        first = dict(zip(names, rows[0], strict=True))
        if first["out_schema"] > self.version:
            raise self._too_new(first["out_schema"])
        by_run = {o.run_id: o for o in successes}
        accepted = [by_run[run_id] for run_id in first["out_runs"]]
        jobs = _rows.claimed(rows, names) if first["id"] is not None else []
        seqs = first["out_seqs"]
        done = len(accepted)
        written = [
            (seq, o.job_id, EventType.SUCCEEDED, {"attempt": attempt})
            for seq, o, attempt in zip(seqs[:done], accepted, first["out_attempts"], strict=True)
        ]
        worker = claim.worker
        written.extend(
            (seq, job.job_id, EventType.STARTED, {"attempt": job.attempt, "worker": worker})
            for seq, job in zip(seqs[done:], jobs, strict=True)
        )
        return jobs, accepted, Written(written, first["out_now"])

    def finish(self, outcomes: Sequence[Outcome]) -> tuple[list[Outcome], Written]:
        if all(o.status == "succeeded" and o.parent_id is None for o in outcomes):
            at_once = self._claim_at_once(_NO_CLAIM, outcomes)
            if at_once is not None:
                return at_once[1], at_once[2]
        accepted, tx = self._transact(lambda tx: lifecycle.record_outcomes(tx, outcomes))
        return accepted, tx.delivered

    def next_due(self, queues: Sequence[str], kinds: Sequence[str] | None = None) -> float:
        """When the next delayed job of ``queues`` becomes due or a lease runs out, on
        this machine's clock (the server measures how far off each is)."""
        listed = None if kinds is None else list(kinds)
        due = self._read(_sql.NEXT_RUN_AT, (list(queues), listed, listed))[0]["due"]
        window = self._read(_sql.NEXT_WINDOW, {"queues": list(queues)})[0]["due"]
        lease = self._read(_sql.NEXT_LEASE_END)[0]["due"]
        times = [t for t in (due, window, lease) if t is not None]
        return time.time() + min(times) if times else float("inf")

    def queues_held(self, queues: Sequence[str]) -> bool:
        distinct = list(dict.fromkeys(queues))
        rows = self._read(_sql.QUEUES_HELD, {"queues": distinct})
        return int(rows[0]["held"]) == len(distinct)

    def queues_capped(self, queues: Sequence[str]) -> bool:
        return bool(self._read(_sql.QUEUES_CAPPED, {"queues": list(queues)})[0]["capped"])

    def held_back(self, queues: Sequence[str], kinds: Sequence[str] | None = None) -> bool:
        listed = None if kinds is None else list(kinds)
        rows = self._read(_sql.HELD_BACK, {"queues": list(queues), "kinds": listed})
        return bool(rows[0]["held"])

    # -- schedules ---------------------------------------------------------------------

    def save_schedule(self, schedule: Schedule, payload: str) -> Schedule:
        s = schedule

        def body(tx: PostgresTransaction) -> Any:
            tx.run(
                _sql.SAVE_SCHEDULE,
                {
                    "name": s.name, "kind": s.kind, "cron": s.cron, "payload": payload,
                    "timezone": s.timezone, "queue": s.queue, "catch_up": s.catch_up,
                    "now": time.time(), "next_slot": s.next_slot.timestamp(),
                },
            )  # fmt: skip
            tx.wakes.add(s.queue)
            return tx.one(_sql.SCHEDULE, (s.name,))

        return _rows.schedule(self._transact(body)[0])

    def schedules(self, name: str | None = None) -> list[Schedule]:
        rows = self._read(_sql.SCHEDULES) if name is None else self._read(_sql.SCHEDULE, (name,))
        return [_rows.schedule(row) for row in rows]

    def pause_schedule(self, name: str, paused: bool, next_slot: float | None) -> bool:
        def body(tx: PostgresTransaction) -> bool:
            tx.wakes.add("")
            return tx.one(_sql.SET_SCHEDULE_PAUSED, (paused, next_slot, name)) is not None

        return self._transact(body)[0]

    def remove_schedule(self, name: str) -> bool:
        return self._transact(lambda tx: tx.one(_sql.REMOVE_SCHEDULE, (name,)) is not None)[0]

    def next_slot(self, queues: Sequence[str]) -> float:
        slot = self._read(_sql.NEXT_SLOT, (list(queues),))[0]["slot"]
        return float("inf") if slot is None else float(slot)

    def fire_schedules(self, queues: Sequence[str], now: float) -> tuple[list[Job], Written]:
        """Enqueue the due slots of the schedules of ``queues`` in one transaction (the
        schedulers' clock, as ``now`` says: slots are wall-clock times)."""
        made, tx = self._transact(
            lambda tx: scheduling.fire(tx, queues, now, lambda new: self._insert(tx, new))
        )
        return made, tx.delivered

    def heartbeat(self, attempts: Sequence[tuple[int, int]], lease: float) -> dict[int, int]:
        """Extend the leases of these ``(job_id, run_id)`` attempts, by attempt."""

        def body(tx: PostgresTransaction) -> dict[int, int]:
            rows = tx.run(
                _sql.HEARTBEAT,
                (tx.now + lease, [a[0] for a in attempts], [a[1] for a in attempts]),
            ).fetchall()
            return {r["id"]: r["run_id"] for r in rows}

        return self._transact(body)[0]

    def progress(
        self, job_id: int, run_id: int, progress: float | None, message: str | None
    ) -> Written:
        def body(tx: PostgresTransaction) -> None:
            row = tx.one(
                _sql.PROGRESS,
                {
                    "progress": progress,
                    "message": message,
                    "now": tx.now,
                    "id": job_id,
                    "run_id": run_id,
                },
            )
            if row is not None:
                tx.event(
                    job_id,
                    EventType.PROGRESS,
                    {"progress": row["progress"], "message": row["progress_message"]},
                )

        return self._transact(body)[1].delivered

    def log(self, job_id: int, run_id: int, message: str) -> Written:
        def body(tx: PostgresTransaction) -> None:
            if tx.one(_sql.ATTEMPT_HOLDS, (job_id, run_id)) is not None:
                tx.event(job_id, EventType.LOG, {"message": message})

        return self._transact(body)[1].delivered

    # -- changes by hand ----------------------------------------------------------------

    def cancel(self, job_id: int) -> tuple[Job, Written]:
        job, tx = self._transact(lambda tx: lifecycle.cancel(tx, job_id))
        return job, tx.delivered

    def retry(self, job_id: int) -> tuple[Job, Written]:
        job, tx = self._transact(lambda tx: lifecycle.retry(tx, job_id))
        return job, tx.delivered

    def delete(self, job_id: int) -> tuple[list[Job], Written]:
        removed, tx = self._transact(lambda tx: lifecycle.delete(tx, job_id))
        return removed, tx.delivered

    def steer(self, action: str, job_ids: Sequence[int]) -> tuple[bulk.Steered, Written]:
        steered, tx = self._transact(lambda tx: bulk.steer(tx, action, job_ids))
        return steered, tx.delivered

    # -- queue settings -----------------------------------------------------------------

    def set_queue(self, name: str, changes: dict[str, Any]) -> QueueInfo:
        def body(tx: PostgresTransaction) -> Any:
            tx.run(_sql.ADD_QUEUE, (name,))
            if "limit" in changes:
                tx.run(_sql.SET_LIMIT, (changes["limit"], name))
            if "paused" in changes:
                tx.run(_sql.SET_PAUSED, (bool(changes["paused"]), name))
            for key, statement in (("rate", _sql.SET_RATE), ("per_key_rate", _sql.SET_KEY_RATE)):
                if key in changes:
                    rate = changes[key]
                    tx.run(statement, (*(rate or (None, None)), name))
            if "per_key_limit" in changes:
                tx.run(_sql.SET_PER_KEY_LIMIT, (changes["per_key_limit"], name))
            tx.wakes.add(name)
            row = tx.one(_sql.QUEUE_SETTINGS, (name,))
            if row["rate_count"] is None:
                tx.run(_sql.CLEAR_STARTS, (name,))  # no window counts them now
            if row["key_rate_count"] is None:
                tx.run(_sql.CLEAR_KEY_STARTS, (name,))
            tx.run(_sql.RECOUNT_RATE_USED, {"name": name})
            return row

        row = self._transact(body)[0]
        return _queue_info(row)

    def queues(self) -> list[QueueInfo]:
        return [_queue_info(row) for row in self._read(_sql.QUEUES)]

    # -- workers --------------------------------------------------------------------------

    def worker_alive(
        self, name: str, queues: Sequence[str], kinds: Sequence[str] | None, until: float
    ) -> None:
        """Record (or renew) a running worker, live for as long as ``until`` is ahead
        of this machine's clock, by the server's."""
        kinds_json = None if kinds is None else encode_json(list(kinds))
        ahead = until - time.time()
        self._transact(
            lambda tx: tx.run(
                _sql.WORKER_ALIVE,
                {
                    "name": name,
                    "queues": encode_json(list(queues)),
                    "kinds": kinds_json,
                    "now": tx.now,
                    "until": tx.now + ahead,
                },
            )
        )

    def worker_gone(self, name: str) -> None:
        self._transact(lambda tx: tx.run(_sql.WORKER_GONE, (name, tx.now - 86400.0)))

    def workers(self) -> list[WorkerInfo]:
        return [_rows.worker(row) for row in self._read(_sql.WORKERS)]

    def queued_by_kind(self) -> dict[tuple[str, str], int]:
        return {(r["queue"], r["kind"]): r["n"] for r in self._read(_sql.QUEUED_BY_KIND)}

    # -- reads ----------------------------------------------------------------------------

    def get(self, job_id: int) -> Job:
        rows = self._read(_sql.GET_JOB, (job_id,))
        if not rows:
            raise JobNotFound(job_id)
        return _rows.job(rows[0])

    def _listing_sql(self) -> listing.ListingSql:
        return _sql.LISTING

    def _listing_statuses(
        self, statuses: Sequence[str], order: listing.Order
    ) -> tuple[list[str], list[Any]]:
        """Statuses as literals, which the planner proves its partial indexes from (the
        planner's statistics choose among them)."""
        if len(statuses) == 1:
            return [_sql.LISTING.status_read(statuses[0])], []
        return ([_sql.LISTING.statuses_are(statuses)], []) if statuses else ([], [])

    def _listing_rows(self, sql: str, args: Sequence[Any]) -> list[tuple[Job, float]]:
        return [(_rows.job(row), row["sort_key"]) for row in self._read(sql, args)]

    def _listing_row(self, sql: str, args: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(self._read(sql, args)[0].values())

    def _listing_rows_raw(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        return [tuple(row.values()) for row in self._read(sql, args)]

    def finished_per_minute(self, since: float) -> list[tuple[str, str, float, int]]:
        """``(queue, status, minute, count)`` of the jobs that succeeded or failed
        since ``since`` (POSIX seconds; ``minute`` is the minute's start)."""
        rows = self._read(_sql.FINISHED_PER_MINUTE, (since,))
        return [(r["queue"], r["status"], float(r["minute"]), r["n"]) for r in rows]

    def oldest_queued(self, queues: Sequence[str], now: float) -> dict[str, tuple[int, float]]:
        """``{queue: (job id, due since)}`` of the first queued job of each of
        ``queues`` that is due (a queue with none is left out)."""
        found = {}
        for name in queues:
            rows = self._read(_sql.OLDEST_QUEUED, (name, now))
            if rows:
                found[name] = (rows[0]["id"], rows[0]["run_at"])
        return found

    def stats(self, *, tag: str | None = None) -> dict[str, dict[str, int]]:
        rows = self._read(_sql.STATS) if tag is None else self._read(_sql.STATS_BY_TAG, (tag,))
        counts: dict[str, dict[str, int]] = {}
        for row in rows:
            counts.setdefault(row["queue"], {})[row["status"]] = row["n"]
        return counts

    def key_states(
        self, keys: Sequence[str], kind: str | None, version: str | None
    ) -> dict[str, KeyState]:
        states = dict.fromkeys(keys, KeyState.NEW)
        for key in keys:
            rows = self._read(_sql.KEY_STATE, {"key": key, "kind": kind})
            if rows:
                states[key] = _key_state(rows[0]["status"], rows[0]["handler_version"], version)
        return states

    def events(
        self, after: int, limit: int, job_id: int | None = None, *, until: int | None = None
    ) -> list[Event]:
        """Committed events with ``after < seq <= until``, oldest first: numbers are
        handed out in commit order (``_sql.EVENT_LOCK``), so none commits later below
        one already read."""
        end = INT64_MAX if until is None else until
        if job_id is None:
            rows = self._read(_sql.EVENTS, (after, end, limit))
        else:
            rows = self._read(_sql.JOB_EVENTS, (job_id, after, end, limit))
        return [_rows.event(r) for r in rows]

    def last_seq(self) -> int:
        return int(self._read(_sql.LAST_SEQ)[0]["seq"])

    def prune(
        self,
        jobs_before: float | None,
        events_before: float | None,
        removed: Callable[[list[Job]], None] | None = None,
    ) -> tuple[int, int]:
        """Delete jobs that finished before ``jobs_before`` and events older than
        ``events_before``, ``_PRUNE_CHUNK`` rows per transaction."""
        jobs = events = 0
        if jobs_before is not None:
            while True:

                def take(tx: PostgresTransaction) -> tuple[int, list[Any]]:
                    ids = [r["id"] for r in tx.run(_sql.OLD_JOBS, (jobs_before, _PRUNE_CHUNK))]
                    if not ids:
                        return 0, []
                    return len(ids), tx.remove_rows(ids, returning=removed is not None)

                (count, gone), _ = self._transact(take)
                jobs += count
                if gone and removed is not None:
                    removed(_rows.jobs_by_id(gone))
                if not count:
                    break
        if events_before is not None:
            end = self._read(_sql.OLD_EVENTS_END, (events_before,))[0]["seq"]
            while True:
                deleted, _ = self._transact(
                    lambda tx: tx.one(_sql.DELETE_EVENTS, (end, _PRUNE_CHUNK))["n"]
                )
                events += deleted
                if not deleted:
                    break
        return jobs, events

    # -- copying a queue (``engines/copy.py``) -------------------------------------------

    def export_rows(self) -> Generator[TableRows, None, None]:
        """Every copied table's rows, from one read-only snapshot transaction."""
        with (
            _schema.translate_errors(self._target),
            self._pool.connection() as conn,
            conn.transaction(),
        ):
            conn.execute(_sql.EXPORT_SNAPSHOT)
            for table in COPIED:
                with conn.cursor(name=f"litequeue_export_{table}", row_factory=tuple_row) as cur:
                    cur.execute(_sql.EXPORT[table])
                    while rows := cur.fetchmany(CHUNK):
                        yield TableRows(table, rows)

    def import_rows(self, chunks: Iterable[TableRows]) -> dict[str, int]:
        """Write exported rows into this empty database in one transaction, with COPY."""
        counts = dict.fromkeys(COPIED, 0)
        with (
            _schema.translate_errors(self._target),
            self._pool.connection() as conn,
            conn.transaction(),
        ):
            held = {row["name"]: row["count"] for row in conn.execute(_sql.HELD_ROWS)}
            refuse_unless_empty(self.path, held)
            conn.execute(_sql.EVENT_LOCK)  # events written now precede any written later
            conn.execute(_sql.IMPORT_STAGING)
            with conn.cursor() as cur:
                for chunk in chunks:
                    with cur.copy(_sql.IMPORT[chunk.table]) as copy:
                        for row in chunk.rows:
                            copy.write_row(row)
                    counts[chunk.table] += len(chunk.rows)
            conn.execute(_sql.IMPORT_JOBS)
            conn.execute(_sql.IMPORT_NUMBERING)
        return counts


def _one_statement(new: NewJob) -> bool:
    """Whether ``_sql.enqueue_one`` inserts ``new``: no parent to count it, no
    dependencies, no key to take over."""
    return new.parent_id is None and not new.depends_on and not new.force


def _job_id(outcome: Outcome) -> int:
    return outcome.job_id


#: A claim of no job: ``finish`` records successes through ``CLAIM_AT_ONCE`` too.
_NO_CLAIM = Claim(worker="", queues=(), limit=0, lease=0.0)


class _Connection(Connection):
    """A store's connection, which also keeps the cursor of its workers' claims: a
    cursor looks up how to send each argument's type once, and a new cursor per call
    looked them up at every call."""

    claimer: psycopg.Cursor[tuple[Any, ...]] | None = None


def _claimer(conn: psycopg.Connection[Any]) -> psycopg.Cursor[tuple[Any, ...]]:
    """``conn``'s cursor for the claim function, made on first use; rows as tuples."""
    assert isinstance(conn, _Connection)
    if conn.claimer is None:
        conn.claimer = conn.cursor(row_factory=tuple_row)
    return conn.claimer


def _column_names(cursor: psycopg.Cursor[Any]) -> list[str]:
    """The names of the columns of ``cursor``'s result, read at every call (a newer
    schema may have changed them) from the result itself: ``description`` makes an
    object per column, about 100 us for the claim function's 35."""
    result = cursor.pgresult
    assert result is not None
    return [(result.fname(i) or b"").decode() for i in range(result.nfields)]


class _KeyRace(Exception):
    """A unique key's holder finished between the insert that met it and the read:
    the transaction runs again (as a lost race does)."""


def _roll_back(conn: psycopg.Connection[Any]) -> None:
    """End a write transaction that failed part way, so its connection can be used
    again (one that cannot is closed by the pool)."""
    if conn.closed or conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return
    try:
        conn.execute(_sql.ROLLBACK)
    except psycopg.Error:
        conn.close()


def _queue_info(row: Any) -> QueueInfo:
    rate, key_rate = row["rate_count"], row["key_rate_count"]
    return QueueInfo(
        name=row["name"],
        limit=row["concurrency_limit"],
        paused=bool(row["paused"]),
        rate=None if rate is None else str(Rate(rate, row["rate_period"])),
        per_key_rate=None if key_rate is None else str(Rate(key_rate, row["key_rate_period"])),
        per_key_limit=row["per_key_limit"],
    )


def _key_state(status: str, handler_version: str | None, version: str | None) -> KeyState:
    if status in _ACTIVE:
        return KeyState.ACTIVE
    if status != "succeeded":
        return KeyState.FAILED
    if version is not None and handler_version != version:
        return KeyState.OUTDATED
    return KeyState.DONE
