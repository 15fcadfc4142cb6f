"""The worker's claim function on PostgreSQL (``litequeue_claim``): a database
upgraded while a job runs under the old function finishes it under the new one, and
a claim reads the jobs table through its indexes, however its statements were
planned."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

import litequeue
from litequeue import EventType, JobStatus
from litequeue._records import Claim, Outcome
from litequeue.engines.postgres import _schema

MIGRATIONS = _schema.load_migrations()
NEWEST = len(MIGRATIONS)
#: The last version whose claim function read the claimed rows back at the end.
BEFORE = next(m.version for m in MIGRATIONS if m.name == "claim_rows_in_hand") - 1

CLAIM = (
    "SELECT * FROM litequeue_claim(%s, '{default}', NULL, %s, 30, %s::bigint[],"
    " %s::bigint[], %s::text[], %s::text[], %s, 'unheard')"
)


@pytest.fixture
def url(postgres_url: str) -> str:
    return postgres_url


def _claim(conn: psycopg.Connection[Any], schema: int, wanted: int, done: Any = ()) -> Any:
    ids = [row[0] for row in done]
    runs = [row[1] for row in done]
    nulls = ["null"] * len(ids)
    args = ("old", wanted, ids, runs, nulls, [None] * len(ids), schema)
    return conn.execute(CLAIM, args).fetchall()


def test_a_job_claimed_before_the_upgrade_is_finished_after_it(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        _schema.migrate(conn, _schema.parse_target(url), upto=BEFORE)
        conn.execute(
            "INSERT INTO litequeue_jobs (kind, queue, status, payload, run_at, max_attempts,"
            " created_at, updated_at) VALUES ('k', 'default', 'queued', '1', 0, 3, 0, 0)"
        )
        (row,) = _claim(conn, BEFORE, 1)
        job_id, run_id = row[5], row[28]
    with litequeue.Queue(url) as queue:
        assert queue.schema_version() == NEWEST
        second = queue.enqueue("k", 2)
        claim = Claim(worker="new", queues=("default",), limit=5, lease=30.0)
        done = Outcome(job_id, run_id, "succeeded", "7", attempt=1)
        (running,), accepted, _ = queue.store.claim(claim, [done])
        assert accepted == [done]
        assert queue.get(job_id).status is JobStatus.SUCCEEDED
        assert queue.get(job_id).result == 7
        assert (running.job_id, running.job.status) == (second.id, JobStatus.RUNNING)
        events = list(queue.events(after=0))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert [(e.job_id, e.type) for e in events[-2:]] == [
            (job_id, EventType.SUCCEEDED),
            (second.id, EventType.STARTED),
        ]


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
