"""The frontends on a PostgreSQL queue, given its URL as ``--db``: the terminal dashboard
and the CV web page, as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

import litequeue
from litequeue.cli import main
from procs import wait_for

pytestmark = pytest.mark.slow


def test_watch_shows_a_postgresql_queue_and_its_running_job(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    halfway, release = threading.Event(), threading.Event()
    with litequeue.Queue(postgres_url) as queue:

        @queue.handler("convert")
        def convert(ctx: litequeue.Context, payload: Any) -> Any:
            ctx.progress(40, "halfway there")
            halfway.set()
            release.wait(10)

        queue.set_queue("media", limit=2)
        queue.enqueue("convert", None, queue="media")
        queue.enqueue("other", None)
        worker = litequeue.Worker(queue, queues=["media"])
        thread = threading.Thread(target=worker.run, kwargs={"until_empty": True})
        thread.start()
        try:
            assert halfway.wait(10)
            assert main(["--db", postgres_url, "watch", "--once"]) == 0
            screen = capsys.readouterr().out
        finally:
            release.set()
            thread.join(10)
    assert "halfway there" in screen
    assert "40%" in screen
    media_row = next(line for line in screen.splitlines() if line.startswith("media "))
    assert media_row.split() == ["media", "0", "1", "0", "0", "0", "2"]  # limit 2
    assert "job 2 enqueued" in screen
    assert "no live worker handles: 1 'other' in default" in screen


def test_the_look_only_commands_take_a_url(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", postgres_url, "enqueue", "k", '{"n": 1}']) == 0
    capsys.readouterr()
    assert main(["--db", postgres_url, "--json", "jobs"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["kind"], listed["payload"]) == ("k", {"n": 1})


def test_the_cv_web_page_runs_on_a_postgresql_queue(tmp_path: Path, postgres_url: str) -> None:
    data = tmp_path / "data"
    server = subprocess.Popen(
        [sys.executable, "-m", "litequeue_cv", "web", "--db", postgres_url, "--data", str(data),
         "--port", "0", "--no-token"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("CV page on http://127.0.0.1:"), line + server.stderr.read()
        base = line.split(" on ", 1)[1].split(" (uploads", 1)[0].rstrip("/")
        with httpx2.Client(base_url=base, timeout=20) as client:
            cv = b"Jane Doe\njane@example.com\n\nExperience\nEngineer at Acme, 2019 - 2023\n"
            uploaded = client.post(
                "/api/upload",
                files=[("files", ("jane.txt", cv))],
                data={"project": "p1"},
                headers={"x-litequeue": "1"},
            )
            assert uploaded.status_code == 201, uploaded.text
            (job,) = uploaded.json()

            def succeeded() -> bool:
                state = client.get("/api/state").json()
                return bool(state["stats"].get("succeeded") == 1)

            wait_for(succeeded, timeout=60)  # the page's own worker read it
            shown = client.get(f"/api/jobs/{job['id']}").json()
            assert "Jane Doe" in str(shown)
            with client.stream("GET", "/api/events?after=0") as stream:
                seen = ""
                deadline = time.monotonic() + 20
                for chunk in stream.iter_text():
                    seen += chunk
                    if "succeeded" in seen or time.monotonic() > deadline:
                        break
            assert "succeeded" in seen
    finally:
        server.kill()
        server.communicate()
    with litequeue.Queue(postgres_url) as queue:
        (done,) = queue.jobs()
        assert done.status is litequeue.JobStatus.SUCCEEDED
        assert done.tags == ["project:p1"]
