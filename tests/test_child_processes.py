"""Child processes of ``process=True`` handlers: one that may be damaged is never
given another job, and nothing a handler starts outlives its job."""

from __future__ import annotations

from pathlib import Path

import pytest

import litequeue
from litequeue import JobStatus
from plugins import handlers

NO_WAIT = litequeue.Backoff(base=0, jitter=0)


@pytest.mark.parametrize(
    "raised", ["MemoryError", "RecursionError", "SystemExit", "KeyboardInterrupt"]
)
def test_a_child_that_may_be_damaged_is_replaced_before_the_next_job(
    queue: litequeue.Queue, tmp_path: Path, raised: str
) -> None:
    queue.handler("break", process=True, backoff=NO_WAIT)(handlers.break_the_child)
    queue.handler("pid", process=True)(handlers.pid)
    pidfile = tmp_path / "broken.pid"
    broken = queue.enqueue("break", {"pidfile": str(pidfile), "raise": raised}, max_attempts=1)
    innocents = queue.enqueue_many([("pid", None)] * 3)
    litequeue.Worker(queue).run(until_empty=True)
    failed = queue.get(broken.id)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None
    assert failed.error.type == raised
    pids = {queue.get(job.id).result for job in innocents}
    assert int(pidfile.read_text()) not in pids
    assert len(pids) == 1  # the replacement serves the rest


def test_a_child_whose_handler_failed_ordinarily_is_kept(
    queue: litequeue.Queue, tmp_path: Path
) -> None:
    queue.handler("break", process=True, backoff=NO_WAIT)(handlers.break_the_child)
    queue.handler("pid", process=True)(handlers.pid)
    pidfile = tmp_path / "failed.pid"
    queue.enqueue("break", {"pidfile": str(pidfile), "raise": "ValueError"}, max_attempts=1)
    innocent = queue.enqueue("pid", None)
    litequeue.Worker(queue).run(until_empty=True)
    assert queue.get(innocent.id).result == int(pidfile.read_text())


def test_processes_a_handler_leaves_behind_end_with_its_job(
    queue: litequeue.Queue, tmp_path: Path
) -> None:
    queue.handler("leave", process=True)(handlers.leave_processes_behind)
    pidfile = tmp_path / "left.pid"
    job = queue.enqueue("leave", {"pidfile": str(pidfile)})
    litequeue.Worker(queue).run(until_empty=True)
    assert queue.get(job.id).status is JobStatus.SUCCEEDED
    left = [int(pid) for pid in pidfile.read_text().split()]
    assert len(left) == 2
    # Killed before the success was recorded: no waiting here.
    assert not [pid for pid in left if _alive(pid)]


def _alive(pid: int) -> bool:
    """Exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
