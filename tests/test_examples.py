"""The example frontends run as their docstrings say."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import litequeue

FOLLOW = Path(__file__).parent.parent / "examples" / "follow_events.py"


def follow(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(FOLLOW), str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_lines(process: subprocess.Popen[str], count: int) -> list[str]:
    assert process.stdout is not None
    return [process.stdout.readline().strip() for _ in range(count)]


def test_follow_events_prints_the_log_ends_on_sigterm_and_resumes(db_path: Path) -> None:
    with litequeue.Queue(db_path) as queue:
        first = queue.enqueue("k", None)
        queue.cancel(first.id)
    reader = follow(db_path)
    assert [line.split()[3] for line in read_lines(reader, 2)] == ["enqueued", "cancelled"]
    reader.send_signal(signal.SIGTERM)
    assert reader.wait(10) == 0
    with litequeue.Queue(db_path) as queue:
        second = queue.enqueue("k", None)
    again = follow(db_path)
    (line,) = read_lines(again, 1)  # only what it had not shown
    assert line.split()[:4] == ["#3", "job", str(second.id), "enqueued"]
    again.send_signal(signal.SIGINT)
    assert again.wait(10) == 0


def test_follow_events_refuses_a_missing_file_rather_than_create_it(tmp_path: Path) -> None:
    typo = tmp_path / "ap.db"
    result = subprocess.run(
        [sys.executable, str(FOLLOW), str(typo)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "no such queue file" in result.stderr
    assert not typo.exists()
