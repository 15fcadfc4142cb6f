"""Real processes against one real SQLite file: exactly once, crashes, limits, signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import litequeue
from litequeue import EventType, JobStatus
from procs import PROCS, alive, ends, max_overlap, read_record, start_worker, wait_for

pytestmark = pytest.mark.slow

MODES = pytest.mark.parametrize("mode", [[], ["--process"]], ids=["thread", "process"])


def test_worker_processes_drain_one_file_running_every_job_exactly_once(
    tmp_path: Path, db_path: Path
) -> None:
    record = tmp_path / "record.txt"
    litequeue.Queue(db_path).close()
    readies = [tmp_path / f"ready-{n}" for n in range(3)]
    workers = [
        start_worker(db_path, record, "--concurrency", "4", "--ready", str(ready))
        for ready in readies
    ]
    try:
        wait_for(lambda: all(r.exists() for r in readies))
        with litequeue.Queue(db_path) as q:
            ids = [
                j.id
                for _chunk in range(6)
                for j in q.enqueue_many([("record", {"sleep": 0.002}) for _ in range(100)])
            ]
            wait_for(lambda: q.stats()["default"]["succeeded"] == 600, timeout=120)
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
    for proc in workers:
        assert proc.wait(60) == 0
    counts = ends(record)
    assert sorted(counts) == ids
    assert set(counts.values()) == {1}
    pids = {r[3] for r in read_record(record)}
    assert len(pids) == 3  # the work really was shared
    with litequeue.Queue(db_path) as q:
        assert q.stats()["default"]["succeeded"] == 600
        started = [e for e in q.events() if e.type is EventType.STARTED]
        assert len(started) == 600


@MODES
def test_kill_9_mid_job_is_recovered_through_the_lease_with_the_attempt_counted(
    tmp_path: Path, db_path: Path, mode: list[str]
) -> None:
    """In process mode the killed worker's child ends itself too: the job must not
    run on there while the rescuer runs it again."""
    record = tmp_path / "record.txt"
    with litequeue.Queue(db_path) as q:
        job = q.enqueue("record", {"sleep_first": 60})
        other = q.enqueue("record", {})
    victim = start_worker(db_path, record, "--lease", "1", *mode)
    wait_for(lambda: any(r[0] == "start" and r[1] == job.id for r in read_record(record)))
    runner = read_record(record)[0][3]  # the worker, or its child process
    assert runner == victim.pid or mode
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    wait_for(lambda: not alive(runner), timeout=5)
    with litequeue.Queue(db_path) as q:
        held = q.get(job.id)
        assert held.status is JobStatus.RUNNING  # nobody has taken it back yet
        time.sleep(1.2)  # let the lease run out; no restart or reset is needed
    rescuer = start_worker(db_path, record, "--until-empty")
    assert rescuer.wait(60) == 0
    with litequeue.Queue(db_path) as q:
        done = q.get(job.id)
        assert done.status is JobStatus.SUCCEEDED
        assert done.attempt == 2
        types = [e.type for e in q.events(job_id=job.id)]
        assert EventType.LEASE_EXPIRED in types
        assert q.get(other.id).status is JobStatus.SUCCEEDED
    attempts = [(r[0], r[2], r[3]) for r in read_record(record) if r[1] == job.id]
    assert attempts[0] == ("start", 1, runner)
    assert [a[:2] for a in attempts[1:]] == [("start", 2), ("end", 2)]


@pytest.mark.parametrize("name", [[], ["--name", "shared"]], ids=["default-names", "same-name"])
def test_a_busy_worker_takes_back_the_job_of_a_killed_one_whatever_their_names(
    tmp_path: Path, db_path: Path, name: list[str]
) -> None:
    """A live worker's heartbeats extend its own attempts' leases only, even when
    both workers carry one name: the killed worker's job is taken back while the
    live one is still busy with another."""
    record = tmp_path / "record.txt"
    with litequeue.Queue(db_path) as q:
        lost = q.enqueue("record", {"sleep_first": 60})
    victim = start_worker(db_path, record, "--lease", "1", *name)
    wait_for(lambda: bool(read_record(record)))
    with litequeue.Queue(db_path) as q:
        busy = q.enqueue("record", {"sleep": 8})
    survivor = start_worker(db_path, record, "--lease", "1", "--concurrency", "2", *name)
    try:
        wait_for(lambda: any(r[1] == busy.id for r in read_record(record)))
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        wait_for(lambda: any(r[1:3] == (lost.id, 2) for r in read_record(record)), timeout=7)
        assert ("end", busy.id) not in [r[:2] for r in read_record(record)]  # still busy
    finally:
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(30) == 0
    runs = [(r[0], r[2], r[3]) for r in read_record(record) if r[1] == lost.id]
    assert runs == [("start", 1, victim.pid), ("start", 2, survivor.pid), ("end", 2, survivor.pid)]


def test_a_restarted_worker_does_not_steal_jobs_a_live_worker_holds(
    tmp_path: Path, db_path: Path
) -> None:
    record = tmp_path / "record.txt"
    with litequeue.Queue(db_path) as q:
        job = q.enqueue("record", {"sleep": 1.5})
    holder = start_worker(db_path, record, "--lease", "0.6", "--until-empty")
    wait_for(lambda: bool(read_record(record)))
    # A second worker starting while the first heartbeats its lease finds nothing.
    second = start_worker(db_path, record, "--until-empty")
    assert second.wait(30) == 0
    assert holder.wait(30) == 0
    assert [r[:3] for r in read_record(record)] == [("start", job.id, 1), ("end", job.id, 1)]


def test_a_concurrency_limit_holds_across_processes(tmp_path: Path, db_path: Path) -> None:
    record = tmp_path / "record.txt"
    with litequeue.Queue(db_path) as q:
        q.set_queue("default", limit=2)
        q.enqueue_many([("record", {"sleep": 0.15}) for _ in range(12)])
    workers = [
        start_worker(db_path, record, "--concurrency", "3", "--until-empty") for _ in range(3)
    ]
    for proc in workers:
        assert proc.wait(120) == 0
    assert len(ends(record)) == 12
    assert max_overlap(record) <= 2


def test_jobs_waiting_behind_a_limit_1_queue_do_not_time_out(tmp_path: Path, db_path: Path) -> None:
    record = tmp_path / "record.txt"
    with litequeue.Queue(db_path) as q:
        q.set_queue("cv", limit=1)
        jobs = q.enqueue_many([("record", {"sleep": 0.4}) for _ in range(5)], queue="cv", timeout=1)
    started = time.monotonic()
    workers = [
        start_worker(db_path, record, "--queue", "cv", "--concurrency", "2", "--until-empty")
        for _ in range(2)
    ]
    for proc in workers:
        assert proc.wait(120) == 0
    assert time.monotonic() - started > 2.0  # far longer than any job's timeout
    assert max_overlap(record) == 1
    with litequeue.Queue(db_path) as q:
        assert [q.get(j.id).status for j in jobs] == [JobStatus.SUCCEEDED] * 5
        assert [q.get(j.id).attempt for j in jobs] == [1] * 5


def test_events_arrive_in_order_in_another_process(tmp_path: Path, db_path: Path) -> None:
    record = tmp_path / "record.txt"
    ready = tmp_path / "ready"
    with litequeue.Queue(db_path) as q:
        q.enqueue("record", {})  # creates the file before the follower opens it
    expected_events = 1 + 3 * 40  # one enqueued, then 40 jobs x (enqueued, started, succeeded)
    follower = subprocess.Popen(
        [sys.executable, str(PROCS), "follow", str(db_path), "--count", str(expected_events + 2),
         "--ready", str(ready)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    wait_for(ready.exists)
    worker = start_worker(db_path, record, "--concurrency", "2")
    with litequeue.Queue(db_path) as q:
        for i in range(40):
            q.enqueue("record", {"i": i})
        wait_for(lambda: q.stats()["default"]["succeeded"] == 41)
        logged = [(e.seq, e.job_id, e.type.value) for e in q.events()]
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    out, _ = follower.communicate(timeout=60)
    seen = [tuple(line.split()) for line in out.splitlines()]
    seen_typed = [(int(s), int(j), t) for s, j, t in seen]
    assert seen_typed == logged[: len(seen_typed)]
    assert len(seen_typed) == expected_events + 2
    assert [s for s, _, _ in seen_typed] == sorted({s for s, _, _ in seen_typed})


def test_graceful_sigterm_finishes_running_jobs_and_loses_nothing(
    tmp_path: Path, db_path: Path
) -> None:
    record = tmp_path / "record.txt"
    with litequeue.Queue(db_path) as q:
        ids = [j.id for j in q.enqueue_many([("record", {"sleep": 0.3}) for _ in range(10)])]
    worker = start_worker(db_path, record, "--concurrency", "2", "--grace", "10")
    wait_for(lambda: len(read_record(record)) >= 1)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    first = read_record(record)
    started = {r[1] for r in first if r[0] == "start"}
    assert started == {r[1] for r in first if r[0] == "end"}  # every running job finished
    assert len(started) < 10  # it stopped claiming
    rest = start_worker(db_path, record, "--concurrency", "2", "--until-empty")
    assert rest.wait(60) == 0
    counts = ends(record)
    assert sorted(counts) == ids
    assert set(counts.values()) == {1}


@MODES
def test_sigterm_past_the_grace_period_hands_jobs_back_counted(
    tmp_path: Path, db_path: Path, mode: list[str]
) -> None:
    record = tmp_path / "record.txt"
    with litequeue.Queue(db_path) as q:
        job = q.enqueue("record", {"sleep_first": 30})
    worker = start_worker(db_path, record, "--grace", "0.2", *mode)
    wait_for(lambda: bool(read_record(record)))
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    # A job handed back does not run on anywhere (a child process is killed with it).
    assert not alive(read_record(record)[0][3])
    with litequeue.Queue(db_path) as q:
        handed_back = q.get(job.id)
        assert handed_back.status is JobStatus.QUEUED
        assert handed_back.attempt == 1
    rest = start_worker(db_path, record, "--until-empty")
    assert rest.wait(60) == 0
    with litequeue.Queue(db_path) as q:
        assert q.get(job.id).status is JobStatus.SUCCEEDED
        assert q.get(job.id).attempt == 2


def test_sigterm_to_the_whole_process_group_still_gives_child_jobs_their_grace(
    tmp_path: Path, db_path: Path
) -> None:
    """systemd (KillMode=control-group) and ``kill -- -PGID`` signal the worker's
    children too: the job in a child process must still finish within the grace."""
    record = tmp_path / "record.txt"
    with litequeue.Queue(db_path) as q:
        job = q.enqueue("record", {"sleep": 1})
    worker = subprocess.Popen(
        [sys.executable, str(PROCS), "worker", str(db_path), str(record), "--process"],
        start_new_session=True,
    )
    wait_for(lambda: bool(read_record(record)))
    os.killpg(worker.pid, signal.SIGTERM)
    assert worker.wait(30) == 0
    with litequeue.Queue(db_path) as q:
        done = q.get(job.id)
        assert (done.status, done.attempt) == (JobStatus.SUCCEEDED, 1)
    assert [r[0] for r in read_record(record)] == ["start", "end"]


def test_an_idle_worker_in_another_process_wakes_soon_after_an_enqueue(
    tmp_path: Path, db_path: Path
) -> None:
    record = tmp_path / "record.txt"
    ready = tmp_path / "ready"
    litequeue.Queue(db_path).close()
    worker = start_worker(db_path, record, "--ready", str(ready))
    try:
        wait_for(ready.exists)
        time.sleep(0.3)  # let it go idle
        with litequeue.Queue(db_path) as q:
            for _ in range(5):
                enqueued = time.time()
                job = q.enqueue("record", {})
                wait_for(lambda j=job: j.id in ends(record), timeout=10)
                start = next(r[4] for r in read_record(record) if r[1] == job.id)
                # Generous: the benchmark measures latency; this only shows the
                # worker is woken, not left to a long sleep.
                assert start - enqueued < 1.0
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)


def test_enqueue_is_durable_when_the_process_is_killed_right_after(
    tmp_path: Path, db_path: Path
) -> None:
    litequeue.Queue(db_path).close()
    script = (
        "import sys, litequeue\n"
        f"q = litequeue.Queue({str(db_path)!r})\n"
        "for i in range(100000):\n"
        "    job = q.enqueue('k', {'i': i})\n"
        "    print(job.id, flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acknowledged = [int(proc.stdout.readline()) for _ in range(200)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    with litequeue.Queue(db_path) as q:
        for job_id in acknowledged:
            assert q.get(job_id).status is JobStatus.QUEUED


OPEN_AT_ONCE = """
import os, sys, litequeue
path, go = sys.argv[1], sys.argv[2]
open(f"{go}.{os.getpid()}", "w").close()  # ready
os.close(os.open(go, os.O_RDONLY))  # a named pipe: blocks until the test opens it
with litequeue.Queue(path, autoload_plugins=False) as q:
    q.enqueue("k", os.getpid())
"""


def test_processes_creating_one_queue_file_at_once_all_succeed(tmp_path: Path) -> None:
    """Switching a new file to WAL gets "busy" at once, without SQLite's busy wait,
    while another process does the same: opening waits as for any other write."""
    for trial in range(4):
        path, go = tmp_path / f"new-{trial}.db", tmp_path / f"go-{trial}"
        os.mkfifo(go)
        openers = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_AT_ONCE, str(path), str(go)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        wait_for(lambda: len(list(tmp_path.glob(f"go-{trial}.*"))) == 6)  # noqa: B023
        release = os.open(go, os.O_RDWR)  # lets them all through together
        time.sleep(0.5)
        os.close(release)
        for opener in openers:
            _, err = opener.communicate(timeout=60)
            assert opener.returncode == 0, err
        with litequeue.Queue(path) as q:
            assert len(q.jobs()) == 6
