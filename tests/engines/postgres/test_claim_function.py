"""The worker's claim function on PostgreSQL (``litequeue_claim``): a claim reads
the jobs table through its indexes, however its statements were planned."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

import litequeue
from litequeue import JobStatus
from litequeue._records import Claim, Outcome
from litequeue.engines.postgres import _schema, _sql
from litequeue.testing import drain

from .upgrades import UNSPLIT_CLAIMABLE, finished_jobs, ids_by_status

MIGRATIONS = _schema.load_migrations()
NEWEST = len(MIGRATIONS)
#: The migration that pins the claim's statements to the order of an index.
PINNED = next(m.version for m in MIGRATIONS if m.name == "claim_in_index_order")
#: The migration that made the function, the one that made it find successes by a
#: binary search, and the one that walks keys.
FIRST = next(m for m in MIGRATIONS if m.name == "claim_function")
SEARCHED = next(m.version for m in MIGRATIONS if m.name == "claim_successes_by_binary_search")
BY_KEY = next(m.version for m in MIGRATIONS if m.name == "claim_by_key")

CLAIM = (
    "SELECT * FROM litequeue_claim(%s, '{default}', %s, %s, 30, %s::bigint[],"
    " %s::bigint[], %s::text[], %s::text[], %s, 'unheard')"
)


@pytest.fixture
def url(postgres_url: str) -> str:
    return postgres_url


def _claim(
    conn: psycopg.Connection[Any],
    schema: int,
    wanted: int,
    done: Any = (),
    kinds: list[str] | None = None,
) -> Any:
    ids = [row[0] for row in done]
    runs = [row[1] for row in done]
    nulls = ["null"] * len(ids)
    args = ("old", kinds, wanted, ids, runs, nulls, [None] * len(ids), schema)
    return conn.execute(CLAIM, args).fetchall()


def test_a_claim_reads_the_jobs_table_through_its_indexes(url: str) -> None:
    """Planned once per connection, the claim's statements must not scan the table:
    a plan made while the table was small would scan it at every claim after."""
    with litequeue.Queue(url) as queue:
        queue.enqueue_many([("k", n) for n in range(500)])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE litequeue_jobs")
        done: Any = ()
        for _ in range(3):
            with conn.transaction():
                rows = _claim(conn, NEWEST, 2, done)
                done = [(row[5], row[28]) for row in rows]
                scans = conn.execute(
                    "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'litequeue_jobs'"
                ).fetchall()
            assert len(done) == 2
            assert scans == [(0,)]


def _rows_read_by_index(conn: psycopg.Connection[Any]) -> int:
    """Rows of the jobs table read through its indexes so far in this transaction."""
    row = conn.execute(
        "SELECT idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relname = 'litequeue_jobs'"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_claim_reads_few_jobs_when_the_statistics_show_no_backlog(url: str) -> None:
    """A table analysed while its jobs were finished, then given a backlog: planned
    from those statistics, a claim must still read the jobs in the order it hands
    them out, not read and sort every queued job at every claim."""
    with litequeue.Queue(url) as queue:
        queue.handler("k")(lambda ctx, payload: None)
        queue.enqueue_many([("k", n) for n in range(1000)])
        drain(queue, concurrency=100)
    with psycopg.connect(url, autocommit=True) as conn:
        # A longer history: the finished jobs again, with ids of their own.
        columns = ", ".join(
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'litequeue_jobs' AND column_name <> 'id'"
                " AND table_schema = current_schema()"
            )
        )
        conn.execute(
            f"INSERT INTO litequeue_jobs (id, {columns}) SELECT id + 1000, {columns}"
            " FROM litequeue_jobs"
        )
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('litequeue_jobs', 'id'),"
            " (SELECT max(id) FROM litequeue_jobs))"
        )
        conn.execute("VACUUM ANALYZE litequeue_jobs")  # as autovacuum does
    with litequeue.Queue(url) as queue:
        queue.enqueue_many([("k", n) for n in range(400)])
    with psycopg.connect(url, autocommit=True) as conn:
        done: Any = ()
        for _ in range(3):
            with conn.transaction():
                rows = _claim(conn, NEWEST, 1, done, kinds=["k"])  # as a worker asks
                read = _rows_read_by_index(conn)
            done = [(row[5], row[28]) for row in rows]
            assert len(done) == 1
            assert read < 20, f"a one-job claim read {read} jobs"


def test_a_database_of_the_version_before_upgrades_its_claim_function(url: str) -> None:
    """From the version before the claim's plans were pinned, with jobs of every
    status: the upgrade keeps them, and a job claimed before it finishes after it."""
    with litequeue.Queue(url) as queue:
        finished_jobs(queue)
        queue.enqueue("ok", {}, queue="later")
        held = queue.enqueue("ok", {}, queue="hold")
        [running] = queue.store.claim(Claim(worker="w", queues=("hold",), limit=1, lease=600))[0]
        expected = ids_by_status(queue)
    assert all(expected.values())
    # the version before it is made by undoing it and the migrations after it
    assert (PINNED, SEARCHED, BY_KEY) == (NEWEST - 3, NEWEST - 1, NEWEST)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(UNSPLIT_CLAIMABLE)
        conn.execute(FIRST.sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
        conn.execute("DROP TRIGGER litequeue_version_changed ON litequeue_schema_version")
        conn.execute("DROP FUNCTION litequeue_version_changed, litequeue_current_version")
        conn.execute("ALTER FUNCTION litequeue_claim RESET enable_sort")
        conn.execute("ALTER FUNCTION litequeue_claim RESET jit")
        conn.execute("UPDATE litequeue_schema_version SET version = %s", (PINNED - 1,))
    with litequeue.Queue(url) as queue:
        queue.handler("ok")(lambda ctx, payload: None)
        assert queue.schema_version() == NEWEST
        assert ids_by_status(queue) == expected
        success = Outcome(held.id, running.run_id, "succeeded", "null", attempt=1)
        assert queue.store.finish([success])[0] == [success]
        assert queue.get(held.id).status is JobStatus.SUCCEEDED
        assert drain(queue, queues=("later",)) == 1
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT proconfig FROM pg_proc WHERE proname = 'litequeue_claim'")
        assert {"enable_sort=off", "jit=off"} <= set(row.fetchall()[0][0])


def test_the_general_limited_claim_does_not_read_a_held_keys_backlog(url: str) -> None:
    """The claim a store runs when the function cannot (``_sql.CLAIM_LIMITED``, then
    ``_sql.CLAIM_BY_KEY``): behind 3,000 queued jobs of a key at its limit, it takes
    the other keys' first jobs and the unkeyed one, reading a few dozen rows, also
    planned from statistics taken while every job was finished."""
    with litequeue.Queue(url) as queue:
        queue.handler("k")(lambda ctx, payload: None)
        queue.enqueue_many([("k", n) for n in range(2000)])
        drain(queue, concurrency=100)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE litequeue_jobs")
    with litequeue.Queue(url) as queue:
        queue.set_queue("default", per_key_limit=1)
        queue.enqueue_many({"kind": "k", "payload": n, "limit_key": "hot"} for n in range(3001))
        queue.enqueue_many(
            [
                {"kind": "k", "payload": 1, "limit_key": "a"},
                {"kind": "k", "payload": 2},
                {"kind": "k", "payload": 3, "limit_key": "b"},
            ]
        )
        queue.store.claim(Claim(worker="other", queues=("default",), limit=1, lease=600))
    params = {
        "queue": "default",
        "wanted": 3,
        "window": 3 * 2 + 16,
        "kinds": None,
        "worker": "here",
        "key_limit": 1,
        "key_count": None,
        "key_period": None,
    }
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction(force_rollback=True):
        (now,) = conn.execute("SELECT extract(epoch FROM now())::float8").fetchone() or ()
        params.update(now=now, lease_until=now + 600)
        first = conn.execute(_sql.CLAIM_LIMITED, params).fetchall()
        further = conn.execute(_sql.CLAIM_BY_KEY, params).fetchall()
        read = _rows_read_by_index(conn)
    assert first == []
    assert [row[4] for row in sorted(further)] == ["1", "2", "3"]  # the payloads, by id
    assert read < 100, f"the claim read {read} jobs"


def test_a_limited_claim_reads_few_jobs_when_the_statistics_show_no_backlog(url: str) -> None:
    """Analysed while every job was finished, then given a held key's backlog of
    3,000 and a few other jobs: the per-key claim still walks indexes (its picked
    jobs were once found by walking every queued job, and picked again for each)."""
    with litequeue.Queue(url) as queue:
        queue.handler("k")(lambda ctx, payload: None)
        queue.enqueue_many([("k", n) for n in range(2000)])
        drain(queue, concurrency=100)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE litequeue_jobs")  # as autovacuum does
    with litequeue.Queue(url) as queue:
        queue.set_queue("default", per_key_limit=1)
        queue.enqueue_many({"kind": "k", "payload": n, "limit_key": "hot"} for n in range(3001))
        queue.enqueue_many([{"kind": "k", "payload": "a", "limit_key": "a"}, ("k", "free")])
        queue.store.claim(Claim(worker="other", queues=("default",), limit=1, lease=600))
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(2):  # planned, then again from the plan kept
            with conn.transaction(force_rollback=True):
                before = _rows_read_by_index(conn)  # counts not yet sent on stay
                rows = _claim(conn, NEWEST, 3, kinds=["k"])
                read = _rows_read_by_index(conn) - before
            assert [row[9] for row in rows] == ['"a"', '"free"']
            assert read < 100, f"a three-job claim read {read} jobs"


def _finish(conn: psycopg.Connection[Any], done: list[tuple[int, int, str]]) -> Any:
    """The function's first row after recording ``done`` (job id, run id, result) as
    successes in the order given, claiming nothing."""
    ids, runs, results = (list(column) for column in zip(*done, strict=True))
    args = ("w", None, 0, ids, runs, results, [None] * len(ids), NEWEST)
    return conn.execute(CLAIM, args).fetchall()[0]


def test_successes_reported_in_any_order_each_record_their_own_result(url: str) -> None:
    """A worker's answers arrive in the order its handlers end: each success is
    recorded with its own result, whatever that order."""
    with litequeue.Queue(url) as queue:
        queue.enqueue_many([("k", {"n": n}) for n in range(40)])
        claim = Claim(worker="w", queues=("default",), limit=40, lease=600)
        got = queue.store.claim(claim)[0]
        answers = [
            Outcome(r.job_id, r.run_id, "succeeded", f'"{r.job_id}"', attempt=1)
            for r in reversed(got)
        ]
        accepted = queue.store.finish(answers)[0]
        assert sorted(o.job_id for o in accepted) == sorted(r.job_id for r in got)
        for job in queue.jobs(status=[JobStatus.SUCCEEDED], limit=100):
            assert job.result == str(job.id)
        succeeded = [e for e in queue.events() if e.type.value == "succeeded"]
        assert sorted(e.job_id for e in succeeded) == sorted(r.job_id for r in got)


def test_successes_out_of_order_are_not_recorded_on_another_job(url: str) -> None:
    """Given out of order, the function's binary search may not find a success: it
    then leaves the job running, never records one job's result on another."""
    with litequeue.Queue(url) as queue:
        queue.enqueue_many([("k", {"n": n}) for n in range(5)])
        got = queue.store.claim(Claim(worker="w", queues=("default",), limit=5, lease=600))[0]
    done = [(r.job_id, r.run_id, f'"{r.job_id}"') for r in reversed(got)]
    with psycopg.connect(url, autocommit=True) as conn:
        first = _finish(conn, done)
        recorded = dict(
            conn.execute(
                "SELECT id, result FROM litequeue_jobs WHERE status = 'succeeded'"
            ).fetchall()
        )
    assert len(first[2]) == len(recorded) < len(done)
    assert all(result == f'"{job_id}"' for job_id, result in recorded.items())


def test_a_database_before_the_binary_search_upgrades_and_its_attempts_finish(url: str) -> None:
    """From the version before the successes' binary search, with jobs of every
    status: the upgrade keeps them, and attempts claimed before it finish after it,
    answered out of order, each with its own result."""
    with litequeue.Queue(url) as queue:
        finished_jobs(queue)
        queue.enqueue("ok", {}, queue="later")
        queue.enqueue_many([("ok", {"n": n}) for n in range(4)], queue="hold")
        claim = Claim(worker="w", queues=("hold",), limit=4, lease=600)
        running = queue.store.claim(claim)[0]
        expected = ids_by_status(queue)
    assert all(expected.values())
    with psycopg.connect(url, autocommit=True) as conn:  # the function as 0008 and 0011 left it
        conn.execute(UNSPLIT_CLAIMABLE)  # and the index as it was before the key walk
        conn.execute(FIRST.sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
        conn.execute("ALTER FUNCTION litequeue_claim SET enable_sort = off")
        conn.execute("ALTER FUNCTION litequeue_claim SET jit = off")
        conn.execute("UPDATE litequeue_schema_version SET version = %s", (SEARCHED - 1,))
    with litequeue.Queue(url) as queue:
        queue.handler("ok")(lambda ctx, payload: None)
        assert queue.schema_version() == NEWEST
        assert ids_by_status(queue) == expected
        answers = [
            Outcome(r.job_id, r.run_id, "succeeded", f'"{r.job_id}"', attempt=1)
            for r in reversed(running)
        ]
        assert len(queue.store.finish(answers)[0]) == len(answers)
        for attempt in running:
            job = queue.get(attempt.job_id)
            assert (job.status, job.result) == (JobStatus.SUCCEEDED, str(job.id))
        assert drain(queue, queues=("later",)) == 1
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT proconfig FROM pg_proc WHERE proname = 'litequeue_claim'")
        assert {"enable_sort=off", "jit=off"} <= set(row.fetchall()[0][0])


def test_a_batch_claim_hands_its_jobs_out_in_claim_order(url: str) -> None:
    """Best priority first, then the earliest due, then the oldest: the rows of a
    claim of many come back in that order, the order their started events take."""
    with litequeue.Queue(url) as queue:
        made = queue.enqueue_many(
            [{"kind": "k", "payload": n, "priority": (n * 7) % 5} for n in range(60)]
        )
        claim = Claim(worker="w", queues=("default",), limit=60, lease=600)
        got, _, written = queue.store.claim(claim)
        best_first = sorted(made, key=lambda job: (-job.priority, job.run_at, job.id))
        assert [r.job_id for r in got] == [job.id for job in best_first]
        started = [event for event in written if event.type.value == "started"]
        assert [event.job_id for event in started] == [job.id for job in best_first]
        assert [event.seq for event in started] == sorted(event.seq for event in started)
