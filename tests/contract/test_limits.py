"""Rate limits and per-key concurrency, across real worker processes: never exceeded,
per-key order kept, and a worker held back sleeps rather than spins."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import litequeue
from litequeue import ConfigurationError, EventType, JobStatus
from litequeue._records import Claim

pytestmark = pytest.mark.slow

PROCS = Path(__file__).parent.parent / "procs.py"


def _workers(db: Path, record: Path, count: int, *args: str) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen([sys.executable, str(PROCS), "worker", str(db), str(record), *args])
        for _ in range(count)
    ]


def _finish(workers: list[subprocess.Popen[bytes]], timeout: float = 60.0) -> None:
    try:
        for worker in workers:
            assert worker.wait(timeout) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def _starts(q: litequeue.Queue) -> dict[int, float]:
    """When each job's attempt was claimed, by job id (what a rate counts)."""
    return {e.job_id: e.at.timestamp() for e in q.events() if e.type is EventType.STARTED}


def _most_in_a_window(times: list[float], period: float) -> int:
    """The most of ``times`` that fall in any window ``(t - period, t]``."""
    times = sorted(times)
    return max(sum(1 for other in times if t - period < other <= t) for t in times)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_rates_read_back_as_set_and_bad_ones_are_refused_by_name(
    queue: litequeue.Queue,
) -> None:
    info = queue.set_queue("api", rate="100/m", per_key_rate="3/10s", per_key_limit=2)
    assert (info.rate, info.per_key_rate, info.per_key_limit) == ("100/m", "3/10s", 2)
    assert queue.queues()[0] == info
    cleared = queue.set_queue("api", rate=None, per_key_rate=None, per_key_limit=None)
    assert (cleared.rate, cleared.per_key_rate, cleared.per_key_limit) == (None, None, None)
    with pytest.raises(ConfigurationError, match="rate must look like"):
        queue.set_queue("api", rate="fast")
    with pytest.raises(ConfigurationError, match="per_key_limit"):
        queue.set_queue("api", per_key_limit=0)


def test_a_rate_is_never_exceeded_by_four_racing_worker_processes(
    tmp_path: Path, db_path: Path
) -> None:
    with litequeue.Queue(db_path) as q:
        q.set_queue("default", rate="4/0.5s")
        q.enqueue_many([("record", {}) for _ in range(24)])
    workers = _workers(db_path, tmp_path / "record", 4, "--concurrency", "2", "--until-empty")
    _finish(workers)
    with litequeue.Queue(db_path) as q:
        assert q.stats()["default"]["succeeded"] == 24
        times = list(_starts(q).values())
    assert _most_in_a_window(times, 0.5) == 4
    assert max(times) - min(times) >= 2.5  # 24 starts, 4 per half second


def test_a_per_key_rate_holds_per_key_and_not_for_jobs_without_one(
    tmp_path: Path, db_path: Path
) -> None:
    with litequeue.Queue(db_path) as q:
        q.set_queue("default", per_key_rate="2/0.5s")
        keyed = q.enqueue_many([{"kind": "record", "limit_key": f"k{n % 2}"} for n in range(12)])
        free = q.enqueue_many([("record", {}) for _ in range(8)])
    workers = _workers(db_path, tmp_path / "record", 4, "--concurrency", "2", "--until-empty")
    _finish(workers)
    with litequeue.Queue(db_path) as q:
        starts = _starts(q)
    for key in ("k0", "k1"):
        times = [starts[j.id] for j in keyed if j.limit_key == key]
        assert _most_in_a_window(times, 0.5) == 2
    unlimited = [starts[j.id] for j in free]
    assert max(unlimited) - min(unlimited) < 0.5  # none of them waited for a window


@pytest.mark.parametrize("limit", [1, 2])
def test_a_per_key_limit_is_never_exceeded_and_one_keeps_each_keys_order(
    tmp_path: Path, db_path: Path, limit: int
) -> None:
    record = tmp_path / "record"
    with litequeue.Queue(db_path) as q:
        q.set_queue("default", per_key_limit=limit)
        jobs = q.enqueue_many(
            [
                {"kind": "record", "payload": {"sleep": 0.05}, "limit_key": f"k{n % 3}"}
                for n in range(36)
            ]
        )
    workers = _workers(db_path, record, 4, "--concurrency", "3", "--until-empty")
    _finish(workers)
    key_of = {job.id: job.limit_key for job in jobs}
    running: collections.Counter[str | None] = collections.Counter()
    most: collections.Counter[str | None] = collections.Counter()
    order: dict[str | None, list[int]] = collections.defaultdict(list)
    # The handler notes each start and end as it happens: replayed in time order,
    # no key ever has more running than its limit.
    rows = [line.split() for line in record.read_text().splitlines()]
    for what, job_id, *_ in sorted(rows, key=lambda row: (float(row[4]), row[0] == "start")):
        key = key_of[int(job_id)]
        if what == "start":
            running[key] += 1
            most[key] = max(most[key], running[key])
            order[key].append(int(job_id))
        else:
            running[key] -= 1
    # Never exceeded (that a claim leaves no allowed job behind, and so reaches the
    # limit when it can, is the state machine's check: timing decides it here).
    assert max(most.values()) <= limit
    if limit == 1:
        assert all(ids == sorted(ids) for ids in order.values())


def test_draining_workers_end_when_a_keys_first_job_is_of_a_kind_none_of_them_runs(
    tmp_path: Path, db_path: Path
) -> None:
    """With ``per_key_limit=1`` a key's jobs start in claim order: behind a job of a kind
    the workers do not handle, the key's other jobs wait for it, not for a limit, and
    ``run(until_empty=True)`` does not wait for them."""
    with litequeue.Queue(db_path) as q:
        q.set_queue("default", per_key_limit=1)
        stuck = q.enqueue("unhandled", None, limit_key="k0")
        behind = q.enqueue_many([{"kind": "record", "limit_key": "k0"} for _ in range(3)])
        free = q.enqueue_many(
            [{"kind": "record", "limit_key": "k1"} for _ in range(3)]
            + [("record", {}) for _ in range(3)]
        )
    workers = _workers(db_path, tmp_path / "record", 2, "--until-empty")
    _finish(workers, timeout=30)
    with litequeue.Queue(db_path) as q:
        assert q.get(stuck.id).status is JobStatus.QUEUED
        assert {q.get(job.id).status for job in behind} == {JobStatus.QUEUED}
        assert {q.get(job.id).status for job in free} == {JobStatus.SUCCEEDED}


def test_a_worker_held_back_by_a_rate_sleeps_and_still_wakes_at_once_for_other_queues(
    tmp_path: Path, db_path: Path
) -> None:
    record = tmp_path / "record"
    with litequeue.Queue(db_path) as q:
        q.set_queue("slow", rate="1/h")
        q.enqueue_many([("record", {}) for _ in range(2)], queue="slow")
    (worker,) = _workers(db_path, record, 1, "--queue", "slow", "--queue", "fast")
    try:
        deadline = time.monotonic() + 20
        while "end" not in (record.read_text() if record.exists() else ""):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.5)  # settled into waiting for the window
        before, started = _cpu_seconds(worker.pid), time.monotonic()
        time.sleep(2.0)
        share = (_cpu_seconds(worker.pid) - before) / (time.monotonic() - started)
        assert share < 0.05
        with litequeue.Queue(db_path) as q:
            fast = q.enqueue("record", queue="fast")
            sent = time.monotonic()
            while q.get(fast.id).status is not JobStatus.SUCCEEDED:
                assert time.monotonic() - sent < 1.0
                time.sleep(0.01)
            assert q.stats()["slow"]["queued"] == 1  # still held back
    finally:
        worker.terminate()
        worker.wait(30)


def test_a_worker_whose_queue_is_paused_does_not_spin(tmp_path: Path, db_path: Path) -> None:
    with litequeue.Queue(db_path) as q:
        q.enqueue_many([("record", {}) for _ in range(3)])
        q.pause("default")
    ready = tmp_path / "ready"
    (worker,) = _workers(db_path, tmp_path / "record", 1, "--ready", str(ready))
    try:
        deadline = time.monotonic() + 20
        while not ready.exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.5)  # started, found nothing to claim, settled into waiting
        before, started = _cpu_seconds(worker.pid), time.monotonic()
        time.sleep(2.0)
        share = (_cpu_seconds(worker.pid) - before) / (time.monotonic() - started)
        assert share < 0.05
    finally:
        worker.terminate()
        worker.wait(30)


def test_why_a_job_waits_is_told_in_words(queue: litequeue.Queue) -> None:
    first = queue.enqueue("a")
    second = queue.enqueue("a", depends_on=[first.id], delay=3600)
    assert queue.why_waiting(second.id)[0] == (
        f"waits for 1 of the jobs it depends on to succeed ({first.id})"
    )
    assert queue.why_waiting(second.id)[1].startswith("delayed until ")
    queue.set_queue("default", rate="5/s", per_key_limit=1)
    keyed = queue.enqueue("a", limit_key="customer:7")
    assert queue.why_waiting(keyed.id) == [
        "due; its queue's limits decide when (limit key customer:7): rate 5/s, 1 at once per key"
    ]
    queue.pause("default")
    assert queue.why_waiting(keyed.id) == ["queue default is paused"]
    queue.cancel(keyed.id)
    assert queue.why_waiting(keyed.id) == []


def test_limit_keys_do_not_hold_jobs_back_in_a_queue_without_per_key_limits(
    queue: litequeue.Queue,
) -> None:
    queue.set_queue("default", rate="10/h")
    queue.enqueue_many([{"kind": "a", "limit_key": "same"} for _ in range(3)])
    claim = Claim(worker="w", queues=("default",), limit=3, lease=60.0)
    claimed, _, _ = queue.store.claim(claim)
    assert len(claimed) == 3


@pytest.mark.parametrize("held_by", ["rate", "per_key_limit", "dependency", "pause"])
def test_a_held_back_job_writes_no_events_while_it_waits(
    queue: litequeue.Queue, held_by: str
) -> None:
    """Held back by a rate, by its key's running job, by a dependency or by a paused
    queue, a job writes nothing while a worker waits for it: the log does not fill up."""
    queue.handler("a")(lambda ctx, payload: None)
    if held_by == "rate":
        queue.set_queue("default", rate="1/h")
    elif held_by == "per_key_limit":
        queue.set_queue("default", per_key_limit=1)
    first = queue.enqueue("a", 1, limit_key="k")
    second = queue.enqueue(
        "a", 2, limit_key="k", depends_on=[first.id] if held_by == "dependency" else ()
    )
    # Another worker runs the first job (its lease long): it takes the window's one
    # start, the key's one running slot, or holds the second job's dependency.
    elsewhere = Claim(worker="elsewhere", queues=("default",), limit=1, lease=600.0)
    claimed, _, _ = queue.store.claim(elsewhere)
    assert [running.job.id for running in claimed] == [first.id]
    if held_by == "pause":
        queue.pause("default")
    worker = litequeue.Worker(queue, poll_interval=0.001)
    stopper = threading.Timer(1.5, worker.stop)
    stopper.start()
    worker.run()  # wakes and looks again and again while the second job is held
    stopper.join()
    assert [(e.job_id, e.type) for e in queue.events()] == [
        (first.id, EventType.ENQUEUED),
        (second.id, EventType.ENQUEUED),
        (first.id, EventType.STARTED),
    ]
    assert queue.get(second.id).status is JobStatus.QUEUED
