"""The worker's claim function on PostgreSQL (``litequeue_claim``): a claim reads
the jobs table through its indexes, however its statements were planned."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

import litequeue
from litequeue.engines.postgres import _schema

MIGRATIONS = _schema.load_migrations()
NEWEST = len(MIGRATIONS)

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
