"""``litequeue web`` as a process: the printed link, its token, read-only, a stop by
signal, and a port in use."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import litequeue

pytestmark = pytest.mark.slow


def start(db: Path, *options: str) -> tuple[subprocess.Popen[str], str]:
    """The command running on a free port, and the link it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "litequeue", "--db", str(db), "web", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("dashboard"), line + (process.stderr.read() if process.stderr else "")
    return process, line.split(" on ", 1)[1].split(";", 1)[0]


def get(port: int, path: str, cookie: str = "") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"cookie": cookie} if cookie else {})
    return connection.getresponse()


def test_the_link_opens_a_read_only_dashboard_and_a_signal_stops_it(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    with litequeue.Queue(db) as queue:
        queue.enqueue("k", {"n": 1})
    process, link = start(db, "--read-only")
    try:
        port = int(link.split(":")[2].split("/")[0])
        assert get(port, "/api/state").status == 401
        opened = get(port, "/" + link.split("/", 3)[3])
        assert opened.status == 303
        cookie = opened.getheader("set-cookie", "").split(";", 1)[0]
        state = json.loads(get(port, "/api/state", cookie).read())
        assert state["read_only"] is True
        assert state["queues"][0]["counts"]["queued"] == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_a_port_in_use_is_one_error_line(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    litequeue.Queue(db).close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "litequeue", "--db", str(db), "web", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("litequeue: error: cannot listen:")
    assert len(done.stderr.splitlines()) == 1
