"""What a claim of a queue with per-key limits reads: a key at its limit with a long
backlog in front must not make every claim read that backlog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import litequeue
from litequeue._records import Claim

#: The claim function's call, as a worker's claim with nothing to report makes it.
_PG_CLAIM = (
    "SELECT * FROM litequeue_claim('here', %s, NULL, %s, 30, '{}'::bigint[],"
    " '{}'::bigint[], '{}'::text[], '{}'::text[], %s, 'unheard')"
)
#: Rows of the jobs table read so far in a PostgreSQL transaction, through an index
#: or a scan.
_PG_READ = (
    "SELECT idx_tup_fetch + seq_tup_read FROM pg_stat_xact_user_tables"
    " WHERE relname = 'litequeue_jobs'"
)


def _held_backlog(queue: litequeue.Queue, name: str, backlog: int) -> None:
    """A queue whose key "hot" is at its limit (one running) with ``backlog`` jobs
    queued behind it, then two other keys' jobs and one without a key."""
    queue.set_queue(name, per_key_limit=1)
    queue.enqueue_many(
        {"kind": "k", "payload": n, "limit_key": "hot", "queue": name} for n in range(backlog + 1)
    )
    queue.enqueue_many(
        [
            {"kind": "k", "payload": "a", "limit_key": "a", "queue": name},
            {"kind": "k", "payload": "b", "limit_key": "b", "queue": name},
            {"kind": "k", "payload": "free", "queue": name},
        ]
    )
    [running], _, _ = queue.store.claim(Claim(worker="other", queues=(name,), limit=1, lease=600))
    assert running.job.limit_key == "hot"


def _claim_and_measure(
    queue: litequeue.Queue, db_path: Path | str, name: str
) -> tuple[list[Any], int]:
    """A three-job claim of queue ``name``: the payloads it took, and what it read
    (SQLite, a file: virtual-machine instructions in tens; PostgreSQL, a URL: rows of
    the jobs table, the claim function run in a transaction of its own, rolled back)."""
    if isinstance(db_path, Path):
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0

        conn = queue.store._conn  # type: ignore[attr-defined]
        conn.set_progress_handler(count, 10)
        try:
            claimed, _, _ = queue.store.claim(
                Claim(worker="here", queues=(name,), limit=3, lease=600)
            )
        finally:
            conn.set_progress_handler(None, 0)
        return [job.payload for job in claimed], steps
    import psycopg

    version = queue.schema_version()
    with psycopg.connect(db_path, autocommit=True) as conn:
        conn.execute("ANALYZE litequeue_jobs")
        with conn.transaction(force_rollback=True):
            rows = conn.execute(_PG_CLAIM, ([name], 3, version)).fetchall()
            read = conn.execute(_PG_READ).fetchone()
    assert read is not None
    return [None if row[9] is None else json.loads(row[9]) for row in rows], int(read[0])


def test_a_claim_beside_a_held_keys_backlog_reads_as_much_for_a_long_one(
    queue: litequeue.Queue, db_path: Path | str, engine: str
) -> None:
    """The jobs a claim can start sit behind 3,000 of a key at its limit: it takes
    the two other keys' first jobs and the unkeyed one, in claim order, and reads no
    more than with 300 in front (the claim used to read and refuse every one)."""
    read = {}
    for backlog in (300, 3000):
        name = f"q{backlog}"
        _held_backlog(queue, name, backlog)
        payloads, read[backlog] = _claim_and_measure(queue, db_path, name)
        assert payloads == ["a", "b", "free"]
    assert read[3000] <= read[300] * 1.2 + 50, read
    if engine == "postgres":
        assert read[3000] < 100, read


@pytest.mark.parametrize("backlog", [3000])
def test_a_claim_that_finds_only_a_held_keys_backlog_reads_little(
    queue: litequeue.Queue, db_path: Path | str, engine: str, backlog: int
) -> None:
    """Nothing can start: the claim says so without reading the backlog."""
    queue.set_queue("held", per_key_limit=1)
    queue.enqueue_many(
        {"kind": "k", "payload": n, "limit_key": "hot", "queue": "held"} for n in range(backlog)
    )
    queue.store.claim(Claim(worker="other", queues=("held",), limit=1, lease=600))
    payloads, read = _claim_and_measure(queue, db_path, "held")
    assert payloads in ([], [None])
    assert read < (300 if engine == "sqlite" else 100), read


def test_a_claim_past_a_held_keys_backlog_keeps_each_keys_turn_and_the_kinds(
    queue: litequeue.Queue,
) -> None:
    """Behind a held key's backlog longer than a claim looks at in claim order, each
    other key still goes by its first due job: past a delayed one and one waiting for
    another job, and not at all when that job is of a kind the worker does not ask
    for; a job without a key goes in claim order beside them."""
    queue.set_queue("default", per_key_limit=1)
    queue.enqueue_many({"kind": "k", "payload": n, "limit_key": "hot"} for n in range(41))
    queue.store.claim(Claim(worker="other", queues=("default",), limit=1, lease=600))
    elsewhere = queue.enqueue("k", "first", queue="elsewhere")
    queue.enqueue("k", "late-1", limit_key="late", delay=3600)
    queue.enqueue("k", "late-2", limit_key="late")
    queue.enqueue("k", "dep-1", limit_key="dep", depends_on=[elsewhere.id])
    queue.enqueue("k", "dep-2", limit_key="dep")
    queue.enqueue("odd", "odd-1", limit_key="odd")
    queue.enqueue("k", "odd-2", limit_key="odd")
    queue.enqueue("k", "free")
    claim = Claim(worker="here", queues=("default",), limit=5, lease=600, kinds=("k",))
    claimed, _, _ = queue.store.claim(claim)
    assert [job.payload for job in claimed] == ["late-2", "dep-2", "free"]
    assert queue.store.claim(claim)[0] == []
