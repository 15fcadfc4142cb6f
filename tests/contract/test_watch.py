"""litequeue watch: the live dashboard over the durable event log."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import litequeue
from litequeue._watch import Dashboard
from litequeue.cli import main
from litequeue.testing import drain


def test_once_shows_counts_running_progress_and_failures(
    queue: litequeue.Queue, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    halfway, release = threading.Event(), threading.Event()

    @queue.handler("convert")
    def convert(ctx: litequeue.Context, payload: Any) -> Any:
        ctx.progress(40, "halfway there")
        halfway.set()
        release.wait(10)

    queue.handler("broken")(lambda ctx, p: 1 / 0)
    queue.set_queue("media", limit=2)
    queue.enqueue("broken", None, max_attempts=1, tags=["project:1"])
    drain(queue)
    queue.enqueue("convert", None, queue="media", tags=["project:1"])
    queue.enqueue("other", None, tags=["project:2"])
    worker = litequeue.Worker(queue, queues=["media"])
    thread = threading.Thread(target=worker.run, kwargs={"until_empty": True})
    thread.start()
    try:
        assert halfway.wait(5)
        assert main(["--db", str(db_path), "watch", "--once"]) == 0
        screen = capsys.readouterr().out
        assert main(["--db", str(db_path), "watch", "--once", "--tag", "project:1"]) == 0
        tagged = capsys.readouterr().out
    finally:
        release.set()
        thread.join(10)
    assert "media" in screen
    assert "halfway there" in screen
    assert "40%" in screen
    assert "ZeroDivisionError" in screen
    default_row = next(line for line in screen.splitlines() if "│ default" in line)
    cells = [cell.strip() for cell in default_row.split("│")[2:9]]
    # queue, queued, running, succeeded, failed, cancelled, limit
    assert cells == ["default", "1", "0", "0", "1", "0", "-"]
    assert "job 3 enqueued" in screen  # the "other" job
    assert "job 3 " not in tagged  # project:2 is filtered out
    assert "halfway there" in tagged


def test_the_dashboard_follows_commits_from_another_connection(
    queue: litequeue.Queue, db_path: Path
) -> None:
    dashboard = Dashboard(queue)
    dashboard.poll()
    assert dashboard.stats == {}
    with litequeue.Queue(db_path) as other:
        other.enqueue("k", 1, queue="elsewhere")
    assert dashboard.poll()
    assert dashboard.stats["elsewhere"]["queued"] == 1
    assert [e.type.value for e in dashboard.events] == ["enqueued"]
    assert not dashboard.poll()  # nothing new, nothing to redraw (within the resync time)


def test_a_busy_database_is_shown_and_retried(
    queue: litequeue.Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    dashboard = Dashboard(queue)

    def busy(*args: Any, **kwargs: Any) -> Any:
        raise litequeue.DatabaseBusy("queue.db: the database stayed locked")

    monkeypatch.setattr(queue, "events", busy)
    assert dashboard.poll()
    assert "stayed locked" in dashboard.problem
    monkeypatch.undo()
    queue.enqueue("k", None)
    assert dashboard.poll()
    assert dashboard.problem == ""
    assert dashboard.stats["default"]["queued"] == 1


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_watch_quits_cleanly(db_path: Path, stop: signal.Signals) -> None:
    litequeue.Queue(db_path).close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "litequeue", "--db", str(db_path), "watch", "--refresh", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    proc.send_signal(stop)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "queues" in out


def test_watch_refuses_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "nope.db"), "watch", "--once"]) == 1
    assert "nope.db" in capsys.readouterr().err
