"""How an idle SQLite worker looks for other processes' commits: ``data_version``
asks SQLite only when the write-ahead log moved (or lately did), and every other
look is a ``stat`` of the log; whatever the log says, a commit is never missed."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import litequeue
from litequeue.engines.sqlite import _quietlog

#: Enqueues one job whose payload is the time just before its enqueue.
ENQUEUE = (
    "import litequeue, sys, time\n"
    "with litequeue.Queue(sys.argv[1]) as q: q.enqueue('k', time.time())\n"
)


def enqueue_elsewhere(db_path: Path) -> None:
    """One enqueue by another process, which has exited when this returns."""
    subprocess.run([sys.executable, "-c", ENQUEUE, str(db_path)], check=True, timeout=60)


def statements_of(queue: litequeue.Queue, looks: int) -> list[str]:
    """The statements ``looks`` calls of ``data_version`` run."""
    statements: list[str] = []
    queue.store._conn.set_trace_callback(statements.append)
    try:
        for _ in range(looks):
            queue.store.data_version()
    finally:
        queue.store._conn.set_trace_callback(None)
    return statements


def test_looks_at_a_log_left_alone_run_no_statement(queue: litequeue.Queue) -> None:
    queue.enqueue("k", 1)
    time.sleep(1.1)  # the log left alone for over a second: what is measured here
    queue.store.data_version()  # read from SQLite, with the log quiet
    assert statements_of(queue, 20) == []


def test_a_read_while_the_log_was_just_written_is_asked_again(
    queue: litequeue.Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A commit may have written the log and not shown itself yet: a read taken then
    # does not stand. (An hour of quiet asked for: "just" however slow this machine.)
    monkeypatch.setattr(_quietlog, "QUIET", 3600.0)
    queue.enqueue("k", 1)
    assert statements_of(queue, 3) == ["PRAGMA data_version"] * 3


def test_a_commit_by_another_process_is_seen_at_once(
    queue: litequeue.Queue, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reads stand for an hour here: only the log's change can tell of the commit.
    monkeypatch.setattr(_quietlog, "QUIET", 0.0)
    monkeypatch.setattr(_quietlog, "TRUSTED", 3600.0)
    queue.enqueue("k", 1)
    before = queue.store.data_version()
    assert statements_of(queue, 5) == []  # standing
    enqueue_elsewhere(db_path)
    assert queue.store.data_version() != before
    assert queue.stats()["default"]["queued"] == 2


def test_a_commit_is_seen_through_a_symlinked_path(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite puts the log beside the file the link points to; the look follows it.
    monkeypatch.setattr(_quietlog, "QUIET", 0.0)
    monkeypatch.setattr(_quietlog, "TRUSTED", 3600.0)
    litequeue.Queue(db_path).close()
    link = tmp_path / "link.db"
    link.symlink_to(db_path)
    with litequeue.Queue(link) as queue:
        queue.enqueue("k", 1)
        before = queue.store.data_version()
        assert statements_of(queue, 5) == []
        enqueue_elsewhere(db_path)
        assert queue.store.data_version() != before


def test_without_a_log_to_look_at_every_look_asks_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_quietlog, "QUIET", 0.0)
    monkeypatch.setattr(_quietlog, "TRUSTED", 3600.0)
    with litequeue.Queue(":memory:") as queue:
        queue.enqueue("k", 1)
        assert statements_of(queue, 3) == ["PRAGMA data_version"] * 3


def test_a_stale_read_is_asked_again_after_a_while(
    queue: litequeue.Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_quietlog, "QUIET", 0.0)
    monkeypatch.setattr(_quietlog, "TRUSTED", 0.0)
    queue.enqueue("k", 1)
    assert statements_of(queue, 2) == ["PRAGMA data_version"] * 2


def idle_at_once(worker: litequeue.Worker, long: bool) -> None:
    """Make ``worker`` idle from its start: looking every ``IDLE_POLL`` s, or every
    ``LONG_IDLE_POLL`` s with ``long``."""
    worker.IDLE_AFTER = 0.0
    if long:
        worker.LONG_IDLE_AFTER = 0.0


@pytest.mark.parametrize("long", [False, True], ids=["idle", "long-idle"])
def test_an_idle_worker_takes_another_processes_jobs(
    db_path: Path, long: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker past its idle time (looking every ``IDLE_POLL`` s, most looks a
    ``stat``) takes each job another process enqueues. Reads of ``data_version``
    taken while the log was quiet stand for an hour here: only the log's change can
    wake it. (With no quiet asked for, a look between the other process's write of
    the log and its commit showing would stand, and miss that commit.)"""
    monkeypatch.setattr(_quietlog, "TRUSTED", 3600.0)
    waits: list[float] = []
    got = threading.Event()
    with litequeue.Queue(db_path) as queue:

        @queue.handler("k")
        def record(ctx: litequeue.Context, sent: float) -> None:
            waits.append(time.time() - sent)
            got.set()

        worker = litequeue.Worker(queue)
        idle_at_once(worker, long)
        thread = threading.Thread(target=worker.run)
        thread.start()
        try:
            for _ in range(3):
                got.clear()
                enqueue_elsewhere(db_path)
                assert got.wait(10)
        finally:
            worker.stop()
            thread.join(10)
    assert len(waits) == 3
    assert max(waits) < 5  # taken when it came, however loaded the machine


@pytest.mark.parametrize("long", [False, True], ids=["idle", "long-idle"])
def test_an_idle_worker_wakes_at_once_for_a_job_of_its_process(
    queue: litequeue.Queue, long: bool
) -> None:
    done = threading.Event()
    queue.handler("k")(lambda ctx, p: done.set())
    worker = litequeue.Worker(queue, poll_interval=5)  # only the local wake-up can help
    idle_at_once(worker, long)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        time.sleep(0.1)  # waiting in its idle loop
        queue.enqueue("k", None)
        assert done.wait(2)
    finally:
        worker.stop()
        thread.join(5)
