"""A worker whose every queue is held (its rate window used up, or paused) sleeps until
the window opens, yet starts a free queue's job at once and notices another process's
change of the settings; a per-key hold never puts it to sleep."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import litequeue
from litequeue import EventType, JobStatus
from litequeue._records import Claim
from procs import read_record, start_worker, wait_for

pytestmark = pytest.mark.slow


def _wakeups(pid: int) -> int:
    """Voluntary context switches of all the process's threads: each time one slept."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
    return total


def _wakeups_a_second(pid: int, seconds: float) -> float:
    before, started = _wakeups(pid), time.monotonic()
    time.sleep(seconds)
    return (_wakeups(pid) - before) / (time.monotonic() - started)


@contextlib.contextmanager
def _worker(db: Path | str, record: Path, *queues: str) -> Iterator[subprocess.Popen[bytes]]:
    args = [arg for queue in queues for arg in ("--queue", queue)]
    worker = start_worker(db, record, *args)
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(30)


def _started(record: Path) -> list[int]:
    return [job_id for what, job_id, *_ in read_record(record) if what == "start"]


def test_a_held_worker_sleeps_until_the_window_opens_and_then_starts_the_job(
    tmp_path: Path, db_path: Path
) -> None:
    record = tmp_path / "record"
    with litequeue.Queue(db_path) as q:
        q.set_queue("default", rate="1/4s")
        first, second = q.enqueue_many([("record", {}) for _ in range(2)])
    with _worker(db_path, record) as worker:
        wait_for(lambda: _started(record) == [first.id], timeout=30)
        # Held: it looks at nothing but its heartbeat, schedules and settings, where a
        # worker looking for other processes' commits wakes 50 to 500 times a second.
        assert _wakeups_a_second(worker.pid, 2.0) < 15
        wait_for(lambda: _started(record) == [first.id, second.id], timeout=30)
    with litequeue.Queue(db_path) as q:
        starts = {e.job_id: e.at.timestamp() for e in q.events() if e.type is EventType.STARTED}
        # The window lets the second start out four seconds after the first; a loaded
        # machine may wake the worker late, never early.
        assert 4.0 - 0.05 <= starts[second.id] - starts[first.id] < 4.0 + 3.0
        assert [e.type for e in q.events(job_id=second.id)] == [
            EventType.ENQUEUED,
            EventType.STARTED,
            EventType.SUCCEEDED,
        ]


def test_a_free_queues_job_from_another_process_starts_at_once_beside_a_held_queue(
    tmp_path: Path, db_path: Path
) -> None:
    record = tmp_path / "record"
    with litequeue.Queue(db_path) as q:
        q.set_queue("held", rate="1/h")
        q.enqueue_many([("record", {}) for _ in range(2)], queue="held")
    with _worker(db_path, record, "held", "free"), litequeue.Queue(db_path) as q:
        wait_for(lambda: len(_started(record)) == 1, timeout=30)
        for _ in range(3):
            time.sleep(1.5)  # past its quick looks after a claim
            job = q.enqueue("record", queue="free")
            sent = time.monotonic()
            wait_for(lambda job=job: q.get(job.id).status is JobStatus.SUCCEEDED, timeout=30)
            assert time.monotonic() - sent < 1.0
        assert q.stats()["held"]["queued"] == 1


@pytest.mark.parametrize("change", ["rate removed", "rate raised", "resumed"])
def test_another_process_changing_the_settings_releases_a_held_worker(
    tmp_path: Path, db_path: Path, change: str
) -> None:
    record = tmp_path / "record"
    with litequeue.Queue(db_path) as q:
        if change == "resumed":
            q.pause("default")
        else:
            q.set_queue("default", rate="1/h")
        jobs = q.enqueue_many([("record", {}) for _ in range(2)])
    with _worker(db_path, record) as worker, litequeue.Queue(db_path) as q:
        if change != "resumed":
            wait_for(lambda: _started(record) == [jobs[0].id], timeout=30)
        time.sleep(1.5)  # settled into its sleep
        assert _wakeups_a_second(worker.pid, 1.0) < 15
        if change == "rate removed":
            q.set_queue("default", rate=None)
        elif change == "rate raised":
            q.set_queue("default", rate="10/h")
        else:
            q.resume("default")
        changed = time.monotonic()
        wait_for(lambda: q.stats()["default"].get("succeeded", 0) == 2, timeout=30)
        # It reads whether its queues are still held once a second.
        assert time.monotonic() - changed < 1.0 + 3.0


def test_a_held_key_does_not_put_the_worker_to_sleep(tmp_path: Path, db_path: Path) -> None:
    """A per-key rate holds one key, never the queue: another key's job enqueued by
    another process starts at once."""
    record = tmp_path / "record"
    with litequeue.Queue(db_path) as q:
        q.set_queue("default", per_key_rate="1/h")
        q.enqueue_many([{"kind": "record", "limit_key": "a"} for _ in range(2)])
    with _worker(db_path, record), litequeue.Queue(db_path) as q:
        wait_for(lambda: len(_started(record)) == 1, timeout=30)
        time.sleep(1.5)  # past its quick looks after a claim
        other = q.enqueue("record", limit_key="b")
        sent = time.monotonic()
        wait_for(lambda: q.get(other.id).status is JobStatus.SUCCEEDED, timeout=30)
        assert time.monotonic() - sent < 1.0
        assert q.stats()["default"]["queued"] == 1


def test_a_held_worker_keeps_its_running_jobs_leased(tmp_path: Path, db_path: Path) -> None:
    """Its sleep ends for each heartbeat: a job longer than its lease keeps it."""
    record = tmp_path / "record"
    with litequeue.Queue(db_path) as q:
        q.set_queue("default", rate="1/h")
        long, held = q.enqueue_many([("record", {"sleep": 4.0}), ("record", {})])
    worker = start_worker(db_path, record, "--concurrency", "2", "--lease", "1.5")
    try:
        with litequeue.Queue(db_path) as q:
            wait_for(lambda: q.get(long.id).status is JobStatus.SUCCEEDED, timeout=30)
            assert q.get(long.id).attempt == 1
            assert q.get(held.id).status is JobStatus.QUEUED
            assert [e.type for e in q.events(job_id=long.id)] == [
                EventType.ENQUEUED,
                EventType.STARTED,
                EventType.SUCCEEDED,
            ]
    finally:
        worker.terminate()
        worker.wait(30)


def test_the_store_says_a_queue_is_held_only_when_nothing_of_it_can_start(
    queue: litequeue.Queue,
) -> None:
    store = queue.store
    claim = Claim(worker="w", queues=("a", "b"), limit=1, lease=60.0)
    assert not store.queues_held(["a"])  # no settings
    queue.set_queue("a", rate="1/h")
    assert not store.queues_held(["a"])  # a start left in the window
    queue.enqueue("x", queue="a")
    store.claim(claim)
    assert store.queues_held(["a"])
    assert store.queues_held(["a", "a"])
    assert not store.queues_held(["a", "b"])  # b is free
    queue.pause("b")
    assert store.queues_held(["a", "b"])
    queue.set_queue("a", rate="2/h")
    assert not store.queues_held(["a", "b"])
    queue.resume("b")
    queue.set_queue("c", per_key_rate="1/h", per_key_limit=1)
    queue.enqueue("x", queue="c", limit_key="k")
    store.claim(Claim(worker="w", queues=("c",), limit=1, lease=60.0))
    assert not store.queues_held(["c"])  # another key's job could start
