"""JSON nested past what readers can decode is refused on the way in, and a row
that another tool (or an older version) wrote that way breaks no reader."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import litequeue

MAX_DEPTH = 100


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def deep_text(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_payload_nested_past_the_limit_is_refused_naming_it(queue: litequeue.Queue) -> None:
    queue.enqueue("k", nested(MAX_DEPTH))  # at the limit: fine
    for depth in (MAX_DEPTH + 1, 700):
        with pytest.raises(litequeue.PayloadError, match=f"at most {MAX_DEPTH} levels"):
            queue.enqueue("k", {"deep": nested(depth)})
        with pytest.raises(litequeue.PayloadError, match=f"at most {MAX_DEPTH} levels"):
            queue.enqueue_many([("k", {"a": 1}), ("k", nested(depth))])
    assert len(queue.jobs()) == 1


def test_brackets_inside_strings_do_not_count_as_nesting(queue: litequeue.Queue) -> None:
    job = queue.enqueue("k", {"text": "[" * 500 + "{" * 500})
    assert queue.get(job.id).payload == job.payload


def test_a_result_nested_past_the_limit_fails_its_job_at_once(queue: litequeue.Queue) -> None:
    @queue.handler("deep")
    def deep(ctx: litequeue.Context, payload: Any) -> Any:
        return nested(700)

    job = queue.enqueue("deep", None, max_attempts=3)
    litequeue.Worker(queue).run(until_empty=True)
    done = queue.get(job.id)
    assert done.status == "failed"
    assert done.attempt == 1  # not retried: it would return the same
    assert done.error is not None
    assert done.error.type == "PayloadError"
    assert f"at most {MAX_DEPTH} levels" in done.error.message


def write_deep_row(path: Path, column: str = "payload") -> int:
    """A job row whose ``column`` holds JSON nested 1,000 levels, as a tool other than
    litequeue could write it."""
    job = litequeue.Queue(path)
    try:
        job_id = job.enqueue("k", {"fine": True}).id
    finally:
        job.close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE jobs SET {column} = ? WHERE id = ?", (deep_text(1000), job_id))
    conn.close()
    return job_id


def test_a_job_whose_payload_cannot_be_decoded_is_still_listed(db_path: Path) -> None:
    job_id = write_deep_row(db_path)
    with litequeue.Queue(db_path) as q:
        other = q.enqueue("k", {"fine": True})
        job = q.get(job_id)
        assert isinstance(job.payload, getattr(litequeue, "Undecodable", type(None)))
        assert f"payload of job {job_id}" in job.payload.reason
        assert "nested too deep" in job.payload.reason
        as_dict = job.to_dict()
        assert as_dict["payload"] == {"undecodable": job.payload.reason}
        json.dumps(as_dict)
        assert {j.id for j in q.jobs()} == {job_id, other.id}


def test_a_result_that_cannot_be_decoded_is_marked_not_fatal(db_path: Path) -> None:
    job_id = write_deep_row(db_path, "result")
    with litequeue.Queue(db_path) as q:
        result = q.get(job_id).result
        assert isinstance(result, getattr(litequeue, "Undecodable", type(None)))
        assert f"result of job {job_id}" in result.reason


def test_the_cli_lists_and_shows_a_row_it_cannot_decode(db_path: Path) -> None:
    job_id = write_deep_row(db_path)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "litequeue", "--db", str(db_path), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    listed = cli("jobs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["payload"]["undecodable"]
    shown = cli("show", str(job_id))
    assert shown.returncode == 0, shown.stderr
    assert "undecodable" in shown.stdout
    as_json = cli("show", str(job_id), "--json")
    assert as_json.returncode == 0, as_json.stderr


@pytest.mark.parametrize("concurrency", [1, 2])
def test_a_worker_fails_a_job_it_cannot_decode_and_goes_on(db_path: Path, concurrency: int) -> None:
    job_id = write_deep_row(db_path)
    with litequeue.Queue(db_path) as q:
        ran = []

        @q.handler("k")
        def handle(ctx: litequeue.Context, payload: Any) -> Any:
            ran.append(payload)
            return "ok"

        good = q.enqueue("k", {"fine": 2})
        litequeue.Worker(q, concurrency=concurrency).run(until_empty=True)
        bad = q.get(job_id)
        assert bad.status == "failed"
        assert bad.attempt == 1
        assert bad.error is not None
        assert bad.error.type == "PayloadError"
        assert "cannot be decoded" in bad.error.message
        assert q.get(good.id).status == "succeeded"
        assert ran == [{"fine": 2}]


def test_event_data_that_cannot_be_decoded_is_marked(db_path: Path) -> None:
    job_id = write_deep_row(db_path, "tags")  # any row: the event is what matters
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE jobs SET tags = '[]'")
        conn.execute("UPDATE events SET data = ? WHERE job_id = ?", (deep_text(1000), job_id))
    conn.close()
    with litequeue.Queue(db_path) as q:
        (event,) = [e for e in q.events(after=0) if e.job_id == job_id]
        assert "undecodable" in event.data
        json.dumps(event.to_dict())
