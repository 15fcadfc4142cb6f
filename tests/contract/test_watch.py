"""litequeue watch: the live dashboard over the durable event log."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from importlib import metadata
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
    default_row = next(line for line in screen.splitlines() if line.startswith("default "))
    cells = default_row.split()
    # queue, queued, running, succeeded, failed, cancelled, limit
    assert cells == ["default", "1", "0", "0", "1", "0", "-"]
    assert "job 3 enqueued" in screen  # the "other" job
    # No worker has its handler (the one running serves "media" only):
    assert "no live worker handles: 1 'other' in default" in screen
    assert "job 3 " not in tagged  # project:2 is filtered out
    assert "halfway there" in tagged


def test_once_fits_an_80_by_24_terminal_with_the_newest_events(
    queue: litequeue.Queue,
    db_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The screen once took 41 lines for this: its events fell off the bottom, its
    headers read "succee…" and a progress message wrapped onto a second line."""
    started, release = threading.Event(), threading.Event()

    @queue.handler("convert")
    def convert(ctx: litequeue.Context, payload: Any) -> Any:
        ctx.progress(40, "reading page 2 of 5 of a rather long document, slowly " * 3)
        started.set()
        release.wait(10)

    queue.handler("broken")(lambda ctx, p: 1 / 0)
    for _ in range(4):
        queue.enqueue("broken", None, max_attempts=1)
    drain(queue)
    queue.enqueue("convert", None, queue="media")
    for number in range(20):
        queue.enqueue(f"other{number}", None, queue="q" * 60)
    newest = queue.last_event_seq()
    worker = litequeue.Worker(queue, queues=["media"])
    thread = threading.Thread(target=worker.run, kwargs={"until_empty": True})
    thread.start()
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    try:
        assert started.wait(5)
        assert main(["--db", str(db_path), "watch", "--once"]) == 0
        screen = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    finally:
        release.set()
        thread.join(10)
    assert len(screen) <= 24
    assert max(len(line) for line in screen) <= 80
    header = next(line for line in screen if line.startswith("queue "))
    assert header.split()[1:8] == [*(s.value for s in litequeue.JobStatus), "limit", "state"]
    running = next(line for line in screen if " convert " in line)
    assert "40%" in running
    assert running.endswith("s")  # on one line, the "for" column too
    assert "… 3 more" in screen  # of the four failures
    events = screen[screen.index("events") + 1 :]
    assert len(events) >= 8
    assert [line.split()[0] for line in events] == [
        str(seq) for seq in range(newest + 2, newest + 2 - len(events), -1)
    ]  # the newest first (started and progress came after the last enqueue), none lost


def test_once_shows_why_queued_jobs_wait(
    queue: litequeue.Queue,
    db_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each queued job that waits for something says what: the jobs it depends on, its
    schedule's slot, its queue's limits; one that waits only for a worker is left out."""
    first = queue.enqueue("fetch", None)
    after = queue.enqueue("parse", None, depends_on=[first.id])
    queue.schedule("nightly", "report", cron="0 2 * * *")
    (slot,) = queue.run_schedules(now=datetime.now(UTC) + timedelta(days=2))
    queue.set_queue("api", per_key_limit=1)
    keyed = queue.enqueue("call", None, queue="api", limit_key="customer:7")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("LINES", "40")
    assert main(["--db", str(db_path), "watch", "--once"]) == 0
    screen = [line.strip() for line in capsys.readouterr().out.splitlines()]
    table = screen[screen.index("waiting") + 2 : screen.index("recent failures")]
    why = {int(line.split()[0]): line for line in table}
    assert set(why) == {after.id, slot.id, keyed.id}
    assert f"waits for 1 of the jobs it depends on to succeed ({first.id})" in why[after.id]
    assert f"the slot of schedule:nightly at {slot.run_at:%Y-%m-%d %H:%M}" in why[slot.id]
    assert "(limit key customer:7): 1 at once per key" in why[keyed.id]


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


def wait_until_it_catches(proc: subprocess.Popen[str], signum: int, timeout: float = 60) -> None:
    """Until ``proc`` has a handler for ``signum`` (its ``SigCgt`` mask)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        status = Path(f"/proc/{proc.pid}/status").read_text()
        caught = int(status.split("SigCgt:")[1].split()[0], 16)
        if caught >> (signum - 1) & 1:
            return
        time.sleep(0.01)
    proc.kill()
    _, err = proc.communicate()
    raise AssertionError(f"it never caught signal {signum} (exit status {proc.returncode}): {err}")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_watch_quits_cleanly(db_path: Path, stop: signal.Signals) -> None:
    litequeue.Queue(db_path).close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "litequeue", "--db", str(db_path), "watch", "--refresh", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Signalled only once it is up: before that, SIGTERM ends any Python process
    # abruptly and Ctrl-C is an interrupted start (status 130).
    wait_until_it_catches(proc, signal.SIGTERM)
    proc.send_signal(stop)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "queues" in out


def test_watch_refuses_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "nope.db"), "watch", "--once"]) == 1
    assert "nope.db" in capsys.readouterr().err


def test_watch_without_rich_names_the_install_command_of_this_checkout(db_path: Path) -> None:
    direct_url = metadata.distribution("litequeue-jobs").read_text("direct_url.json") or "{}"
    if not json.loads(direct_url).get("dir_info", {}).get("editable"):
        pytest.skip("installed from a package, not a checkout")
    litequeue.Queue(db_path).close()
    code = (
        "import sys; sys.modules['rich'] = None\n"  # the watch extra is not installed
        "from litequeue.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "--db", str(db_path), "watch", "--once"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 1
    assert "litequeue watch draws with rich: pip install -e '.[watch]'" in done.stderr
