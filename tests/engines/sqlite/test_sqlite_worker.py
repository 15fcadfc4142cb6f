"""The worker on what only a SQLite file does: a file another connection keeps
locked."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import litequeue
from contract.test_worker import drain_or_stop
from litequeue import JobStatus
from plugins import handlers


def test_a_child_whose_progress_cannot_be_recorded_does_not_answer_for_the_next_job(
    db_path: Path, tmp_path: Path
) -> None:
    """The worker fails to record a child's progress (the file stays locked): that child
    still waits for its answer, and must not take the next job's request for it and
    finish the old job under the new job's id."""
    queue = litequeue.Queue(db_path, busy_timeout=0.3)
    queue.handler("report", process=True)(handlers.report_when_told)
    go = tmp_path / "go"
    first = queue.enqueue("report", {"go": str(go)}, max_attempts=1)
    second = queue.enqueue("report", {}, max_attempts=1)

    def lock_while_first_reports() -> None:
        while queue.get(first.id).status is not JobStatus.RUNNING:
            time.sleep(0.01)
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        go.touch()
        # Past the child's report and the worker's 0.3 s of trying, on a slow machine too.
        time.sleep(3.0)
        other.execute("COMMIT")
        other.close()

    locker = threading.Thread(target=lock_while_first_reports)
    locker.start()
    drain_or_stop(litequeue.Worker(queue))
    locker.join()
    failed, answered = queue.get(first.id), queue.get(second.id)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None
    assert failed.error.type == "DatabaseBusy"
    assert (answered.status, answered.result) == (JobStatus.SUCCEEDED, {"job": second.id})
    queue.close()
