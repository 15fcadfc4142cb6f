"""The starts a SQLite queue's rate counts: a claim that its rate cannot refuse leaves
the old ones for later (deleted in batches), and a claim it could refuse forgets them
first, so the count it reads is exact where it decides."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import litequeue
from litequeue._records import Claim, Outcome
from litequeue.engines.sqlite import _store

CLAIM = Claim(worker="w", queues=("default",), limit=1, lease=30.0, kinds=None)


def claim_one_by_one(queue: litequeue.Queue, count: int) -> list[str]:
    """Claim ``count`` jobs one at a time, each claim recording the last one's
    success (as a worker with concurrency 1 does); returns the statements run."""
    statements: list[str] = []
    queue.store._conn.set_trace_callback(statements.append)
    outcomes: list[Outcome] = []
    try:
        for _ in range(count):
            (running,), _, _ = queue.store.claim(CLAIM, outcomes)
            outcomes = [
                Outcome(job_id=running.job_id, run_id=running.run_id, status="succeeded",
                        result="null", attempt=running.attempt)
            ]  # fmt: skip
    finally:
        queue.store._conn.set_trace_callback(None)
    return statements


def starts_kept(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT count(*) FROM starts").fetchone()[0])


def test_a_rate_that_does_not_bind_deletes_its_old_starts_in_batches(
    queue: litequeue.Queue, db_path: Path
) -> None:
    queue.set_queue("default", rate="100000/0.001s")  # every start is old at the next claim
    queue.enqueue_many([("k", i) for i in range(300)])
    statements = claim_one_by_one(queue, 300)
    deletes = [s for s in statements if s.startswith("DELETE FROM starts")]
    assert 1 <= len(deletes) <= 300 // _store._FORGET_EVERY
    assert starts_kept(db_path) <= _store._FORGET_EVERY


def test_a_rate_that_could_refuse_a_claim_counts_only_its_window(
    queue: litequeue.Queue, db_path: Path
) -> None:
    queue.set_queue("default", rate="3/0.2s")
    queue.enqueue_many([("k", i) for i in range(6)])
    claim_one_by_one(queue, 3)
    assert queue.store.claim(CLAIM)[0] == []  # the window is full
    time.sleep(0.25)  # and then empty: what is measured
    claim_one_by_one(queue, 3)  # the three old starts are not counted
    assert starts_kept(db_path) == 3
