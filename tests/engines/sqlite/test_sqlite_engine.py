"""The SQLite engine's own machinery, which another engine does the other way: the
statements it runs (one ``UPDATE ... RETURNING`` per claim, no transaction while idle),
SQLite's length limit, prune's chunks between which other connections write."""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import litequeue
from litequeue import JobStatus, _records
from litequeue._records import JobFilter
from litequeue.engines.listing import Order
from litequeue.engines.sqlite import _store
from litequeue.testing import drain


def test_prune_deletes_a_few_rows_per_transaction_and_all_of_them(
    queue: litequeue.Queue, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Between its transactions another connection can write: a big prune does not
    # hold the file for its whole length.
    monkeypatch.setattr(_store, "_PRUNE_CHUNK", 3)
    queue.handler("k")(lambda ctx, p: p)
    finished = queue.enqueue_many([("k", i) for i in range(10)])
    drain(queue)
    keep = queue.enqueue("k", "later", delay=3600)
    last = queue.last_event_seq()
    commits: list[int] = []
    with litequeue.Queue(db_path) as other:
        original = queue._store._write

        def write() -> Any:
            commits.append(other.enqueue("k", "meanwhile", delay=3600).id)
            return original()

        monkeypatch.setattr(queue._store, "_write", write)
        jobs, events = queue.prune(older_than=0)
    assert jobs == 10
    assert events == last  # all older than the cutoff; newer ones (below) remain
    assert len(commits) >= 4 + 10  # ceil(10 / 3) job chunks, ceil(31 / 3) event chunks
    assert [e.job_id for e in queue.events()] == commits
    for job in finished:
        with pytest.raises(litequeue.JobNotFound):
            queue.get(job.id)
    assert queue.get(keep.id).status is JobStatus.QUEUED
    assert all(queue.get(job_id).status is JobStatus.QUEUED for job_id in commits)


def test_an_idle_worker_opens_no_transactions(queue: litequeue.Queue) -> None:
    """An idle worker only watches the file: it must not take the write lock, or other
    processes' enqueues would queue up behind it."""
    queue.handler("k")(lambda ctx, p: p)
    queue.enqueue("k", 1)
    statements: list[str] = []
    worker = litequeue.Worker(queue)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while queue.stats()["default"]["succeeded"] != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        queue.store._conn.set_trace_callback(statements.append)
        time.sleep(0.3)
        queue.store._conn.set_trace_callback(None)
    finally:
        worker.stop()
        thread.join(5)
    assert not [s for s in statements if s.startswith("BEGIN")]
    assert any("data_version" in s for s in statements)  # it was watching


@pytest.mark.parametrize("slots", [1, 3])
def test_each_claim_is_one_update_returning_statement(queue: litequeue.Queue, slots: int) -> None:
    """DESIGN.md guarantee 2: the jobs a worker takes are marked running by one
    ``UPDATE ... RETURNING`` inside the write transaction, whatever the batch size."""
    queue.handler("noop")(lambda ctx, payload: None)
    queue.enqueue_many([("noop", i) for i in range(slots)])
    statements: list[str] = []
    queue.store._conn.set_trace_callback(statements.append)
    try:
        assert litequeue.Worker(queue, concurrency=slots).run_once() == slots
    finally:
        queue.store._conn.set_trace_callback(None)
    begin = statements.index("BEGIN IMMEDIATE")
    commit = statements.index("COMMIT", begin)
    writes = [s for s in statements[begin:commit] if s.startswith("UPDATE jobs")]
    assert len(writes) == 1
    assert "SET status = 'running'" in writes[0]
    assert "RETURNING" in writes[0]


def _vm_steps(queue: litequeue.Queue, call: Any) -> int:
    """SQLite virtual-machine instructions (in tens) that ``call`` makes the store's
    connection run: a cost that the machine's load does not move."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    queue.store._conn.set_progress_handler(count, 10)
    try:
        call()
    finally:
        queue.store._conn.set_progress_handler(None, 0)
    return steps


def test_claims_and_next_due_do_not_read_every_running_job(tmp_path: Path) -> None:
    """Every claim looks for leases run out, and a worker asks when the next one runs
    out after each claim that found less than it wanted: both read along the leases,
    so 2,000 jobs running elsewhere cost them no more than 20 do."""
    costs = {}
    for running in (20, 2000):
        with litequeue.Queue(tmp_path / f"{running}.db", durability="normal") as queue:
            queue.enqueue_many([("k", i) for i in range(running + 1)])
            store = queue.store
            taken = _records.Claim(worker="other", queues=("default",), limit=running, lease=3600)
            store.claim(taken)
            claim = _records.Claim(worker="here", queues=("default",), limit=5, lease=3600)
            costs[running] = (
                _vm_steps(queue, lambda: store.claim(claim)),  # noqa: B023
                _vm_steps(queue, lambda: store.next_due(("default",))),  # noqa: B023
            )
    (claim_few, due_few), (claim_many, due_many) = costs[20], costs[2000]
    assert claim_many <= claim_few * 1.5
    assert due_many <= due_few * 1.5 + 1


def test_next_due_does_not_read_every_delayed_job(tmp_path: Path) -> None:
    """A worker asks when the next delayed job is due after each claim that found less
    than it wanted: it finds the earliest along the due times, so 2,000 jobs delayed
    cost the question no more than 20 (nor do 2,000 due in another queue)."""
    costs = {}
    for delayed in (20, 2000):
        with litequeue.Queue(tmp_path / f"{delayed}.db", durability="normal") as queue:
            queue.enqueue_many([("k", i) for i in range(delayed)], delay=3600)
            queue.enqueue_many([("k", i) for i in range(delayed)], queue="other")
            store = queue.store
            costs[delayed] = _vm_steps(queue, lambda: store.next_due(("default",)))  # noqa: B023
            due = store.next_due(("default",))
            assert time.time() + 3500 < due < time.time() + 3700
    assert costs[2000] <= costs[20] * 1.5 + 1


def test_an_enqueue_of_priority_0_writes_no_priority_index_entry(tmp_path: Path) -> None:
    """Most jobs have priority 0: the priority index leaves them out (the listing reads
    them along the ids), so their enqueue writes six B-trees, not seven: about six
    pages of the write-ahead log a commit."""
    with litequeue.Queue(tmp_path / "q.db", durability="normal") as queue:
        queue.enqueue("k", 0)
        conn = queue.store._conn
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # every frame stays in the log
        for i in range(100):  # under the log's bound (5 MiB), past which it starts over
            queue.enqueue("k", i)
        frames = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        assert frames / 100 < 6.7  # seven B-trees made 7.3
        queue.enqueue("k", "urgent", priority=5)
        held = conn.execute("SELECT id FROM jobs INDEXED BY jobs_by_priority WHERE priority <> 0")
        assert [row[0] for row in held] == [102]


def test_a_page_by_priority_past_0_reads_the_index_not_the_jobs_of_priority_0(
    tmp_path: Path,
) -> None:
    """Jobs of priority 0 are in no index of the priority: a page (or a bounded scan's
    window) past them reads the index of the others, not the table, so 2,000 jobs of
    priority 0 cost it no more than 20 do."""
    costs = {}
    for zeros in (20, 2000):
        with litequeue.Queue(tmp_path / f"{zeros}.db", durability="normal") as queue:
            queue.enqueue_many([{"kind": "k", "payload": n, "priority": 1} for n in range(60)])
            queue.enqueue_many([("k", n) for n in range(zeros)])
            queue.enqueue_many([{"kind": "k", "payload": n, "priority": -1} for n in range(60)])
            store = queue.store
            past_zeros = (0, 10**9)  # ascending: the 1s are all that is left
            ascending = Order("priority", descending=False)
            costs[zeros] = [
                _vm_steps(
                    queue,
                    functools.partial(
                        store.list_jobs,
                        where,
                        order=ascending,
                        after=past_zeros,
                        limit=100,
                        scan=scan,
                    ),
                )
                for where, scan in ((JobFilter(), None), (JobFilter(kind="k"), 1000))
            ]
    for few, many in zip(costs[20], costs[2000], strict=True):
        assert many <= few * 1.5 + 1


def test_enqueue_many_keeps_each_statement_under_sqlites_length_limit(
    queue: litequeue.Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The payloads of a run travel as one JSON text, which SQLite caps (a billion bytes
    # by default). Scaled down: a 2,000-byte cap, 4,000 bytes of payloads.
    queue.store._conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 2_000)
    monkeypatch.setattr(_records, "RUN_CHARS", 1_000)
    payloads = [{"i": i, "pad": "x" * 70} for i in range(50)]
    jobs = queue.enqueue_many([("k", p) for p in payloads])
    assert [job.id for job in jobs] == list(range(jobs[0].id, jobs[0].id + 50))
    assert [queue.get(job.id).payload for job in jobs] == payloads
    monkeypatch.setattr(_records, "RUN_ROWS", 3)  # and by count, in order
    more = queue.enqueue_many([("k", i) for i in range(10)])
    assert [queue.get(job.id).payload for job in more] == list(range(10))
