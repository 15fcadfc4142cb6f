"""The PostgreSQL engine's own machinery: its schema table and migrations under an
advisory lock, the typed errors for a server it cannot reach or that refuses the
login, notifications (one per queue per transaction) and the poll-only mode, the
durability setting of its connections, and a worker that carries on when its
connections are cut."""

from __future__ import annotations

import functools
import multiprocessing
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

import litequeue
from litequeue import JobStatus
from litequeue._records import Claim, JobFilter, Outcome
from litequeue.engines.listing import Order
from litequeue.engines.postgres import _schema
from litequeue.testing import drain

from .upgrades import UNSPLIT_CLAIMABLE, finished_jobs, ids_by_status

MIGRATIONS = _schema.load_migrations()
NEWEST = len(MIGRATIONS)
#: The migration of the partial indexes of statuses.
STATUS_INDEXES = next(m.version for m in MIGRATIONS if m.name == "status_indexes")
VERSION_CONSTANT = next(m.version for m in MIGRATIONS if m.name == "version_constant")


@pytest.fixture
def url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def queue(url: str) -> Iterator[litequeue.Queue]:
    with litequeue.Queue(url) as q:
        yield q


def _sql(url: str, statement: str, params: Any = None) -> list[Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _with(url: str, **changes: str) -> str:
    return urlunsplit(urlsplit(url)._replace(**changes))


def test_the_schema_version_is_the_one_row_of_its_own_table(queue: litequeue.Queue, url: str):
    assert _sql(url, "SELECT version FROM litequeue_schema_version") == [(NEWEST,)]
    assert queue.schema_version() == NEWEST


def test_a_database_of_a_newer_litequeue_is_refused(url: str) -> None:
    litequeue.Queue(url).close()
    _sql(url, "UPDATE litequeue_schema_version SET version = version + 1")
    with pytest.raises(litequeue.SchemaTooNew, match=f"version {NEWEST + 1}"):
        litequeue.Queue(url)


def test_a_newer_litequeue_upgrading_meanwhile_stops_this_ones_writes(
    queue: litequeue.Queue, url: str
) -> None:
    queue.enqueue("k", 1)
    _sql(url, "UPDATE litequeue_schema_version SET version = version + 1")
    with pytest.raises(litequeue.SchemaTooNew, match="while this process had it open"):
        queue.enqueue("k", 2)


def test_a_newer_litequeue_that_replaced_the_enqueue_function_stops_this_ones_writes(
    queue: litequeue.Queue, url: str
) -> None:
    queue.enqueue("k", 1)
    _sql(url, "DROP FUNCTION litequeue_enqueue")
    _sql(url, "UPDATE litequeue_schema_version SET version = version + 1")
    with pytest.raises(litequeue.SchemaTooNew, match=f"schema version {NEWEST + 1} while"):
        queue.enqueue("k", 2)


def test_a_newer_litequeue_upgrading_meanwhile_stops_this_ones_claims(
    queue: litequeue.Queue, url: str
) -> None:
    job = queue.enqueue("k", 1)
    queue.enqueue("k", 2)
    claim = Claim(worker="w", queues=("default",), limit=1, lease=30.0)
    (running,), _, _ = queue.store.claim(claim)
    done = Outcome(running.job_id, running.run_id, "succeeded", "null", attempt=1)
    _sql(url, "UPDATE litequeue_schema_version SET version = version + 1")
    with pytest.raises(litequeue.SchemaTooNew, match="while this process had it open"):
        queue.store.claim(claim, [done])
    # nothing of the refused call stays: the success is not recorded, no job claimed
    assert _sql(url, "SELECT id, status FROM litequeue_jobs ORDER BY id") == [
        (job.id, "running"),
        (job.id + 1, "queued"),
    ]


def test_a_database_without_the_schema_is_refused_when_migrating_is_off(url: str) -> None:
    with pytest.raises(litequeue.SchemaTooOld):
        litequeue.Queue(url, migrate=False)


def _open(url: str, start: Any, results: Any) -> None:
    start.wait()
    try:
        with litequeue.Queue(url) as q:
            results.put(q.schema_version())
    except Exception as exc:  # reported to the test, which fails on it
        results.put(repr(exc))


def test_two_processes_migrating_one_database_at_once_both_succeed(url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=_open, args=(url, start, results)) for _ in range(3)]
    for process in processes:
        process.start()
    start.set()
    got = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(30)
    assert got == [NEWEST] * 3
    assert _sql(url, "SELECT count(*) FROM litequeue_schema_version") == [(1,)]


def test_a_server_that_does_not_answer_is_named_by_host_port_and_database(url: str) -> None:
    with socket_free_port() as port:
        dead = _with(url, netloc=f"{urlsplit(url).username}@127.0.0.1:{port}")
        with pytest.raises(litequeue.DatabaseUnreachable) as raised:
            litequeue.Queue(dead, busy_timeout=2)
    name = urlsplit(url).path.lstrip("/")
    assert f"host 127.0.0.1, port {port}, database {name}" in str(raised.value)
    assert not isinstance(raised.value, litequeue.LoginRefused)


def test_a_refused_login_is_its_own_error_naming_the_server(url: str) -> None:
    parts = urlsplit(url)
    stranger = _with(url, netloc=f"no_such_role_litequeue@{parts.hostname}:{parts.port}")
    with pytest.raises(litequeue.LoginRefused) as raised:
        litequeue.Queue(stranger)
    assert f"port {parts.port}" in str(raised.value)


def test_a_missing_database_is_named(url: str) -> None:
    missing = _with(url, path="/litequeue_no_such_database")
    with pytest.raises(litequeue.DatabaseUnreachable, match="database litequeue_no_such_"):
        litequeue.Queue(missing)


class socket_free_port:
    """A TCP port on which nothing listens (bound, then closed)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        return port

    def __exit__(self, *exc: object) -> None:
        return None


def test_one_transaction_sends_one_notification_per_queue(queue: litequeue.Queue, url: str) -> None:
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute('LISTEN "litequeue.public"')
        queue.enqueue_many([("k", i) for i in range(50)] + [{"kind": "k", "payload": 1}])
        queue.enqueue_many([("k", i) for i in range(20)], queue="other")
        got = [(n.channel, n.payload) for n in listener.notifies(timeout=0.5)]
    assert got == [("litequeue.public", "default"), ("litequeue.public", "other")]


def test_notifications_from_the_process_own_connections_wake_nothing(url: str) -> None:
    # Its event bus wakes its workers at each of its commits; the echo through the
    # server woke each worker again after each of its own claims, for a claim in vain.
    with litequeue.Queue(url) as mine, litequeue.Queue(url) as other:
        store = mine.store
        store.data_version()  # listening from here on
        mine.enqueue("k", 1)
        other.enqueue("k", 2, queue="other")  # its notification comes after mine's
        deadline = time.monotonic() + 30
        while (heard := store.data_version(["other"]) - store.data_version(["default"])) == 0:
            assert time.monotonic() < deadline, "the other connection's commit was never heard"
            store.wait_for_change(0.05, 0.01)
    # "other" heard once, "default" (only this process's commit) never
    assert heard == 1


@pytest.mark.parametrize(
    ("poll_interval", "idle"),
    # A worker looking every 2 ms, and one that would look once a minute, idle for
    # longer than a fallback period: the listening thread wakes either.
    [(0.002, 0.2), (60, 1.5)],
    ids=["looking", "never-looking"],
)
def test_an_idle_worker_wakes_on_a_notification_from_another_process(
    url: str, poll_interval: float, idle: float
) -> None:
    with litequeue.Queue(url) as queue, litequeue.Queue(url) as other:
        started = threading.Event()
        queue.handler("k")(lambda ctx, p: started.set())
        worker = litequeue.Worker(queue, poll_interval=poll_interval)
        thread = threading.Thread(target=worker.run)
        thread.start()
        try:
            time.sleep(idle)  # idle: waiting for a notification
            enqueued = time.monotonic()
            other.enqueue("k", 1)
            assert started.wait(5)
            waited = time.monotonic() - enqueued
        finally:
            worker.stop()
            thread.join(10)
    # Well under the fallback poll (a second): the notification woke it.
    assert waited < 0.5


def test_in_poll_only_mode_workers_still_find_work(url: str) -> None:
    polling = f"{url}?litequeue_notify=off"
    with litequeue.Queue(polling) as queue, litequeue.Queue(url) as other:
        done = threading.Event()
        queue.handler("k")(lambda ctx, p: done.set())
        worker = litequeue.Worker(queue)
        thread = threading.Thread(target=worker.run)
        thread.start()
        try:
            time.sleep(0.2)
            other.enqueue("k", 1)
            assert done.wait(5)
        finally:
            worker.stop()
            thread.join(10)


def _prepared_statements(queue: litequeue.Queue) -> list[str]:
    """The names of the statements prepared on the one connection the store keeps."""
    (conn,) = queue.store._pool._idle  # type: ignore[attr-defined]
    return [row["name"] for row in conn.execute("SELECT name FROM pg_prepared_statements")]


def test_in_poll_only_mode_an_enqueue_prepares_nothing(url: str) -> None:
    with litequeue.Queue(f"{url}?litequeue_notify=off") as queue:
        first = queue.enqueue("k", 1)
        second = queue.enqueue("k", 2, tags=["t"], unique_key="u")
        assert _prepared_statements(queue) == []
        assert [queue.get(job.id).payload for job in (first, second)] == [1, 2]
        assert [job.id for job in queue.jobs(tag="t")] == [second.id]


def test_an_enqueue_prepares_its_call_again_once_the_connection_dropped_it(
    queue: litequeue.Queue,
) -> None:
    """psycopg deallocates every prepared statement of a connection after a rollback
    on it (a pooler's DISCARD ALL does too); the next enqueue must still go through."""
    queue.enqueue("k", 0)
    assert "litequeue_enqueue_plain" in _prepared_statements(queue)
    (conn,) = queue.store._pool._idle  # type: ignore[attr-defined]
    conn.execute("DEALLOCATE ALL")
    job = queue.enqueue("k", 1)
    assert queue.get(job.id).payload == 1
    assert "litequeue_enqueue_plain" in _prepared_statements(queue)


def test_a_bad_notify_option_is_a_configuration_error(url: str) -> None:
    with pytest.raises(litequeue.ConfigurationError, match="litequeue_notify"):
        litequeue.Queue(f"{url}?litequeue_notify=maybe")


@pytest.mark.parametrize(("durability", "setting"), [("full", "on"), ("normal", "off")])
def test_durability_sets_synchronous_commit_on_litequeues_connections(
    url: str, durability: str, setting: str
) -> None:
    with litequeue.Queue(url, durability=durability) as queue:
        store: Any = queue.store
        with store._pool.connection() as conn:
            assert conn.execute("SHOW synchronous_commit").fetchone()["synchronous_commit"] == (
                setting
            )


def _cut_connections(url: str) -> int:
    """Terminate every other connection to the test's database (as a server restart
    does to them); returns how many."""
    name = urlsplit(url).path.lstrip("/")
    rows = _sql(
        url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    )
    return len(rows)


def test_a_cut_connection_is_a_typed_error_and_the_next_call_reconnects(
    queue: litequeue.Queue, url: str
) -> None:
    job = queue.enqueue("k", 1)
    assert _cut_connections(url) >= 1
    try:
        assert queue.get(job.id).id == job.id  # a read tries again on a new connection
    except litequeue.ConnectionLost:
        pytest.fail("a read after the connection was cut did not reconnect")
    assert queue.enqueue("k", 2).id > job.id


def test_a_worker_whose_connections_are_cut_mid_run_carries_on(url: str) -> None:
    with litequeue.Queue(url) as queue:
        cut = threading.Event()

        def handler(ctx: Any, payload: int) -> int:
            if payload == 5 and not cut.is_set():
                cut.set()
                _cut_connections(url)
            return payload

        queue.handler("k")(handler)
        jobs = queue.enqueue_many([("k", i) for i in range(20)])
        litequeue.Worker(queue).run(until_empty=True)
        assert cut.is_set()
        assert [queue.get(j.id).status for j in jobs] == [JobStatus.SUCCEEDED] * 20
        assert [queue.get(j.id).result for j in jobs] == list(range(20))


def _race(url: str, count: int, action: Any) -> list[Any]:
    """``action(queue)`` run by ``count`` threads at once, each on a queue (and so
    connections) of its own; returns what each returned."""
    queues = [litequeue.Queue(url) for _ in range(count)]
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = action(queues[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        for q in queues:
            q.close()
    return results


def test_a_concurrency_limit_holds_when_claims_race_on_separate_connections(
    queue: litequeue.Queue, url: str
) -> None:
    from litequeue._records import Claim, Outcome

    queue.set_queue("one", limit=1)
    queue.enqueue_many([("k", i) for i in range(10)], queue="one")
    claim = Claim(worker="racer", queues=("one",), limit=2, lease=60.0)
    for _ in range(5):
        claimed = [r for got in _race(url, 6, lambda q: q.store.claim(claim)[0]) for r in got]
        assert len(claimed) == 1
        assert queue.stats()["one"]["running"] == 1
        done = Outcome(job_id=claimed[0].job_id, run_id=claimed[0].run_id, status="succeeded")
        queue.store.finish([done._replace(result="null")])


def _enqueue_key(queue: litequeue.Queue, key: str) -> litequeue.Job:
    return queue.enqueue("k", None, unique_key=key)


def test_a_unique_key_enqueued_by_racing_connections_makes_one_job(
    queue: litequeue.Queue, url: str
) -> None:
    for round_ in range(5):
        key = f"report-{round_}"
        jobs = _race(url, 6, functools.partial(_enqueue_key, key=key))
        assert len({job.id for job in jobs}) == 1
        assert len(queue.jobs(unique_key=key)) == 1


def test_a_child_whose_key_another_connection_takes_meanwhile_is_no_child_to_wait_for(
    queue: litequeue.Queue, url: str
) -> None:
    """An enqueue of a child that loses its unique key to another machine's enqueue at
    the same instant is that machine's job, which is not the parent's: the parent ends
    with its own children, rather than waiting for one that never was."""
    queue.handler("k")(lambda ctx, payload: None)
    parent, _ = queue.batch([("k", "first")])
    got: list[litequeue.Job] = []
    with psycopg.connect(url) as rival:  # has inserted the key, not yet committed
        rival.execute(
            "INSERT INTO litequeue_jobs (kind, queue, status, payload, run_at, max_attempts,"
            " created_at, updated_at, unique_key)"
            " VALUES ('k', 'default', 'queued', 'null', 0, 1, 0, 0, 'shared')"
        )
        child = threading.Thread(
            target=lambda: got.append(
                queue.enqueue("k", "second", unique_key="shared", parent_id=parent.id)
            )
        )
        child.start()
        deadline = time.monotonic() + 30
        waiting = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        while not _sql(url, waiting)[0][0]:  # the enqueue waits for the rival's insert
            assert time.monotonic() < deadline
            time.sleep(0.01)
        rival.commit()
    child.join(30)
    (job,) = got
    assert (job.payload, job.parent_id) == (None, None)  # the rival's job
    drain(queue)
    assert queue.get(parent.id).status is JobStatus.SUCCEEDED


def test_delays_and_retries_count_on_the_servers_clock_when_this_machines_is_off(
    queue: litequeue.Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600.0)  # an hour ahead
    job = queue.enqueue("k", 1, delay=10)
    assert 9 <= (job.run_at - job.created_at).total_seconds() <= 11
    stored = queue.get(job.id)
    assert 9 <= (stored.run_at - stored.created_at).total_seconds() <= 11

    def fail(ctx: Any, payload: int) -> None:
        raise litequeue.Retry(delay=30)

    queue.handler("k")(fail)
    now = queue.enqueue("k", 2)
    litequeue.Worker(queue).run_once()
    retried = queue.get(now.id)
    assert retried.status is JobStatus.QUEUED
    assert retried.finished_at is None
    assert retried.started_at is not None
    assert 29 <= (retried.run_at - retried.started_at).total_seconds() <= 32


def test_an_idle_worker_tries_an_unreachable_server_once_per_fallback_period(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An idle worker looks every few milliseconds; each look must not wait for a
    # connection to a server that is down.
    from litequeue.engines.postgres import _wakeups

    attempts = []
    connect = _schema.connect

    def counted(*args: Any, **kwargs: Any) -> Any:
        attempts.append(time.monotonic())
        return connect(*args, **kwargs)

    monkeypatch.setattr(_schema, "connect", counted)
    with socket_free_port() as port:
        target = _schema.parse_target(f"postgresql://nobody@127.0.0.1:{port}/none")
    wakeups = _wakeups.Wakeups(target, "litequeue.public", timeout=1, ours=lambda pid: False)
    started = time.monotonic()
    versions = {wakeups.version() for _ in range(200)}
    elapsed = time.monotonic() - started
    assert len(attempts) <= 1 + elapsed / _wakeups.FALLBACK
    assert len(versions) >= 1
    wakeups.close()


def test_prune_deletes_in_bounded_batches_and_all_of_them(
    queue: litequeue.Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litequeue.engines.postgres import _store

    monkeypatch.setattr(_store, "_PRUNE_CHUNK", 3)
    queue.handler("k")(lambda ctx, p: p)
    finished = queue.enqueue_many([("k", i) for i in range(10)])
    litequeue.Worker(queue).run(until_empty=True)
    keep = queue.enqueue("k", "later", delay=3600)
    store: Any = queue.store
    transactions = []
    original = store._transact

    def counted(body: Any) -> Any:
        transactions.append(body)
        return original(body)

    monkeypatch.setattr(store, "_transact", counted)
    jobs, events = queue.prune(older_than=0)
    assert jobs == 10
    assert events > 3
    # Ten jobs three at a time (four batches, then one that finds none); the events
    # likewise, a batch of three each.
    assert len(transactions) >= 5 + events // 3
    assert [j.id for j in queue.jobs()] == [keep.id]
    assert all(j.id < keep.id for j in finished)


def test_no_index_but_the_primary_key_holds_every_job(queue: litequeue.Queue, url: str) -> None:
    """No update of a job's status is HOT (status is in partial indexes' predicates),
    so an index without a predicate would take an entry at every claim and finish."""
    whole = _sql(
        url,
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = 'litequeue_jobs'::regclass AND i.indpred IS NULL"
        " AND NOT i.indisprimary",
    )
    assert whole == []


def test_a_database_of_the_previous_version_upgrades_and_lists_each_status(url: str) -> None:
    with litequeue.Queue(url) as queue:
        finished_jobs(queue, each=4)
        queue.enqueue("waits", {}, queue="later", priority=2)
        queue.enqueue("held", {}, queue="hold")
        queue.store.claim(Claim(worker="w", queues=("hold",), limit=1, lease=600))
        expected = ids_by_status(queue)
    assert all(expected.values())
    # The version before the status indexes: their migration and those after it (the
    # claim function's settings, the version constant, the claim function's binary
    # search, the key walk's indexes) undone.
    assert [m.name for m in MIGRATIONS[STATUS_INDEXES:]] == [
        "claim_in_index_order",
        "version_constant",
        "claim_successes_by_binary_search",
        "claim_by_key",
    ]
    claim_function = next(m for m in MIGRATIONS if m.name == "claim_function")
    _sql(url, claim_function.sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    _sql(
        url,
        f"{UNSPLIT_CLAIMABLE};"
        " DROP TRIGGER litequeue_version_changed ON litequeue_schema_version;"
        " DROP FUNCTION litequeue_version_changed, litequeue_current_version;"
        " DROP INDEX litequeue_jobs_queued, litequeue_jobs_queued_by_priority,"
        " litequeue_jobs_queued_by_run_at, litequeue_jobs_failed_or_cancelled;"
        " CREATE INDEX litequeue_jobs_status ON litequeue_jobs (status, id);"
        " CREATE INDEX litequeue_jobs_by_priority ON litequeue_jobs (priority, id);"
        " CREATE INDEX litequeue_jobs_by_run_at ON litequeue_jobs (run_at, id);"
        " ALTER FUNCTION litequeue_claim RESET enable_sort;"
        " ALTER FUNCTION litequeue_claim RESET jit;"
        f" UPDATE litequeue_schema_version SET version = {STATUS_INDEXES - 1}",
    )
    with litequeue.Queue(url) as queue:
        assert queue.schema_version() == NEWEST
        for status, ids in expected.items():
            where = JobFilter(statuses=(status.value,))
            assert [j.id for j in queue.store.list_jobs(where)[0]] == ids, status
            assert queue.store.count_jobs(where) == len(ids)
            by_priority = queue.store.list_jobs(where, order=Order("priority"))[0]
            assert sorted(j.id for j in by_priority) == sorted(ids)


def test_a_database_before_the_version_constant_upgrades_and_the_constant_follows_the_row(
    url: str,
) -> None:
    """Migration 12: the enqueue function holds the schema version as a constant
    (``litequeue_current_version()``), which a trigger writes again whenever the
    version's row changes."""
    before = VERSION_CONSTANT - 1
    target = _schema.parse_target(url)
    conn = _schema.connect(target, timeout=10)
    try:
        assert _schema.migrate(conn, target, upto=before) == before
    finally:
        conn.close()
    _sql(  # a job of the previous version's enqueue function
        url,
        f"SELECT new_id FROM litequeue_enqueue({before}, 'c', 0, 'k', 'default', '1', 0,"
        " NULL, 3, NULL, NULL, '{}')",
    )
    with litequeue.Queue(url) as queue:
        assert queue.schema_version() == NEWEST
        queue.enqueue("k", 2, tags=["t"])
        queue.enqueue("k", 3)
        assert sorted(job.payload for job in queue.jobs()) == [1, 2, 3]
        assert _sql(url, "SELECT litequeue_current_version()") == [(NEWEST,)]
        _sql(url, "UPDATE litequeue_schema_version SET version = version + 1")
        assert _sql(url, "SELECT litequeue_current_version()") == [(NEWEST + 1,)]
        with pytest.raises(litequeue.SchemaTooNew, match=f"version {NEWEST + 1}"):
            queue.enqueue("k", 4)
