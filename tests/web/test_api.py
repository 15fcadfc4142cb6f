"""The dashboard's API in process: the job table's filters, order and keyset pages,
counts and bulk actions, queue settings, a job's page, the event stream, plugin views,
read-only mode and mounting in another app."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

import litequeue
from browser import serving
from litequeue._records import Claim
from litequeue.testing import drain
from litequeue.web import create_app

SAME_ORIGIN = {"x-litequeue": "1"}


def fails(ctx: litequeue.Context, payload: Any) -> None:
    raise ValueError(f"bad input {payload['n']}")


@pytest.fixture
def queue(db_path: Path) -> Iterator[litequeue.Queue]:
    q = litequeue.Queue(db_path, durability="normal")
    q.handler("ok")(lambda ctx, payload: {"done": payload["n"]})
    q.handler("bad", max_attempts=1)(fails)
    yield q
    q.close()


@pytest.fixture
def client(queue: litequeue.Queue) -> Iterator[TestClient]:
    with TestClient(create_app(queue, poll=0.02)) as test_client:
        yield test_client


def every_page(client: TestClient, query: str, limit: int = 7) -> list[dict[str, Any]]:
    """Every row of the table, page after page."""
    rows: list[dict[str, Any]] = []
    after = ""
    while True:
        answer = client.get(f"/api/jobs?{query}&limit={limit}{after}").json()
        rows.extend(answer["jobs"])
        if answer["next"] is None:
            return rows
        after = f"&after={answer['next']}"


def test_pages_hold_every_matching_job_once_in_each_order(
    client: TestClient, queue: litequeue.Queue
) -> None:
    queue.enqueue_many([{"kind": "ok", "payload": {"n": n}} for n in range(30)], tags=["t:1"])
    queue.enqueue_many([{"kind": "bad", "payload": {"n": n}} for n in range(12)], queue="other")
    drain(queue, queues=["default", "other"])
    queue.enqueue_many([{"kind": "ok", "payload": {"n": n}} for n in range(9)])
    everything = [j.id for j in queue.jobs(limit=1000)]
    assert [r["id"] for r in every_page(client, "")] == everything
    assert [r["id"] for r in every_page(client, "order=asc")] == everything[::-1]
    failed = every_page(client, "status=failed&order=asc")
    assert len(failed) == 12
    assert {r["status"] for r in failed} == {"failed"}
    assert len(every_page(client, "status=queued&status=failed")) == 21
    assert len(every_page(client, "tag=t:1&status=succeeded")) == 30
    assert len(every_page(client, "queue=other&kind=bad")) == 12


def test_a_page_starts_after_the_last_row_shown_even_when_jobs_change_meanwhile(
    client: TestClient, queue: litequeue.Queue
) -> None:
    jobs = queue.enqueue_many([{"kind": "ok", "payload": {"n": n}} for n in range(10)])
    first = client.get("/api/jobs?limit=4").json()
    queue.enqueue("ok", {"n": 99})  # newer: belongs before the first page
    queue.delete(jobs[9 - 4].id)  # the first row of the next page goes
    second = client.get(f"/api/jobs?limit=4&after={first['next']}").json()
    assert [r["id"] for r in second["jobs"]] == [j.id for j in jobs[4::-1][:4]]


def test_text_is_found_in_payloads_and_errors_literally(
    client: TestClient, queue: litequeue.Queue
) -> None:
    queue.enqueue("ok", {"n": 1, "note": "100% sure_thing"})
    queue.enqueue("ok", {"n": 2, "note": "1000 sure things"})
    queue.enqueue("bad", {"n": 777})
    drain(queue)
    assert [r["preview"] for r in every_page(client, "text=0%25%20sure_")] == [
        '{"n": 1, "note": "100% sure_thing"}'
    ]
    (row,) = every_page(client, "text=BAD%20INPUT%20777")
    assert row["error"] == "ValueError: bad input 777"
    assert client.get("/api/jobs/count?text=sure").json() == {"count": 2}


def test_a_bulk_action_touches_what_the_filter_matches_once_its_count_is_confirmed(
    client: TestClient, queue: litequeue.Queue
) -> None:
    queue.enqueue_many([{"kind": "bad", "payload": {"n": n}} for n in range(5)])
    queue.enqueue_many([{"kind": "ok", "payload": {"n": n}} for n in range(3)])
    drain(queue)
    count = client.get("/api/jobs/count?status=failed").json()["count"]
    assert count == 5
    stale = client.post("/api/jobs/bulk/retry?status=failed&expected=4", headers=SAME_ORIGIN)
    assert stale.status_code == 409
    assert "now matches 5 jobs, not 4" in stale.json()["error"]
    assert queue.stats()["default"]["failed"] == 5  # nothing was done
    done = client.post("/api/jobs/bulk/retry?status=failed&expected=5", headers=SAME_ORIGIN)
    assert done.json() == {"action": "retry", "done": 5, "skipped": 0}
    assert queue.stats()["default"]["queued"] == 5
    gone = client.post("/api/jobs/bulk/delete?kind=ok&expected=3", headers=SAME_ORIGIN)
    assert gone.json()["done"] == 3
    assert queue.jobs(kind="ok") == []


class HearsRemovals:
    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    @litequeue.hookimpl
    def litequeue_jobs_removed(self, jobs: list[litequeue.Job], queue: litequeue.Queue) -> None:
        self.calls.append([job.id for job in jobs])


def test_a_bulk_action_commits_its_jobs_in_chunks_with_the_events_of_single_actions(
    client: TestClient, queue: litequeue.Queue
) -> None:
    jobs = queue.enqueue_many([{"kind": "ok", "payload": {"n": n}} for n in range(1200)])
    after = queue.last_event_seq()
    done = client.post("/api/jobs/bulk/cancel?status=queued&expected=1200", headers=SAME_ORIGIN)
    assert done.json() == {"action": "cancel", "done": 1200, "skipped": 0}
    events = list(queue.events(after=after))
    assert sorted(e.job_id for e in events if e.type.value == "cancelled") == [j.id for j in jobs]
    assert len({e.at for e in events}) == 3, "1,200 jobs in three transactions of 500"
    heard = HearsRemovals()
    queue.plugin_manager.register(heard)
    gone = client.post("/api/jobs/bulk/delete?status=cancelled&expected=1200", headers=SAME_ORIGIN)
    assert gone.json()["done"] == 1200
    assert [len(ids) for ids in heard.calls] == [500, 500, 200]
    assert sorted(i for ids in heard.calls for i in ids) == [j.id for j in jobs]


def test_the_table_sorts_by_priority_and_pages_on_from_each_pages_last_row(
    client: TestClient, queue: litequeue.Queue
) -> None:
    jobs = queue.enqueue_many(
        [{"kind": "ok", "payload": {"n": n}, "priority": n % 4} for n in range(30)]
    )
    rows = every_page(client, "sort=priority&order=desc", limit=4)
    expected = sorted(jobs, key=lambda j: (j.priority, j.id), reverse=True)
    assert [r["id"] for r in rows] == [j.id for j in expected]
    first = client.get("/api/jobs?sort=priority&limit=4").json()
    assert first["next"] == f"3:{expected[3].id}"
    bad = client.get("/api/jobs?sort=payload")
    assert bad.status_code == 400
    assert "?sort= takes one of id, priority, run_at, updated_at, attempt" in bad.json()["error"]
    assert client.get("/api/jobs?sort=run_at&after=nan:3").status_code == 400
    assert len(client.get("/api/jobs?sort=attempt").json()["jobs"]) == 30  # few: sorted
    queue.enqueue_many([{"kind": "ok", "payload": {"n": n}} for n in range(20_000)])
    wide = client.get("/api/jobs?sort=attempt")
    assert wide.status_code == 400
    assert "sorting by attempt sorts every matching job" in wide.json()["error"]
    assert client.get("/api/jobs?sort=attempt&status=failed").json()["jobs"] == []


def test_a_queued_jobs_page_says_why_it_waits(client: TestClient, queue: litequeue.Queue) -> None:
    first = queue.enqueue("ok", {"n": 1}, delay=3600)
    second = queue.enqueue("ok", {"n": 2}, depends_on=[first.id])
    waiting = client.get(f"/api/jobs/{second.id}").json()["waiting"]
    assert waiting == [f"waits for 1 of the jobs it depends on to succeed ({first.id})"]
    assert client.get(f"/api/jobs/{first.id}").json()["waiting"][0].startswith("delayed until ")


def test_workers_show_the_jobs_they_hold_and_their_last_heartbeat(
    client: TestClient, queue: litequeue.Queue
) -> None:
    queue.enqueue_many([{"kind": "ok", "payload": {"n": n}} for n in range(3)])
    store = queue.store  # what a worker does: keep itself known, claim two jobs
    store.worker_alive("box:42:abc", ["default"], None, time.time() + 60)
    store.worker_alive("idle", ["default"], ["ok"], time.time() + 60)
    store.claim(Claim(worker="box:42:abc", queues=("default",), limit=2, lease=60))
    before = time.time()
    store.worker_alive("box:42:abc", ["default"], None, time.time() + 60)  # a heartbeat
    busy, idle = client.get("/api/state").json()["workers"]
    assert (busy["name"], busy["host"], busy["pid"], busy["holding"]) == (
        "box:42:abc",
        "box",
        42,
        2,
    )
    assert datetime.fromisoformat(busy["last_heartbeat"]).timestamp() >= before - 0.001
    assert busy["last_heartbeat"] > busy["started_at"]
    assert (idle["name"], idle["holding"], idle["kinds"]) == ("idle", 0, ["ok"])


def test_queues_show_counts_settings_the_last_hour_and_the_oldest_due_job(
    client: TestClient, queue: litequeue.Queue
) -> None:
    queue.enqueue_many([{"kind": "ok", "payload": {"n": n}} for n in range(4)])
    queue.enqueue_many([{"kind": "bad", "payload": {"n": n}} for n in range(2)])
    drain(queue)
    waiting = queue.enqueue("ok", {"n": 9})
    queue.enqueue("ok", {"n": 10}, delay=3600)  # not due: not the oldest waiting
    paused = client.post(
        "/api/queues/default", json={"paused": True, "limit": 3}, headers=SAME_ORIGIN
    )
    assert paused.json() == {"name": "default", "limit": 3, "paused": True}
    (shown,) = client.get("/api/state").json()["queues"]
    assert shown["counts"] == {
        "queued": 2, "running": 0, "succeeded": 4, "failed": 2, "cancelled": 0
    }  # fmt: skip
    assert (shown["limit"], shown["paused"]) == (3, True)
    assert shown["oldest"]["id"] == waiting.id
    assert sum(shown["per_minute"]["succeeded"]) == 4
    assert sum(shown["per_minute"]["failed"]) == 2
    assert len(shown["per_minute"]["succeeded"]) == 60
    assert queue.queues() == [litequeue.QueueInfo(name="default", limit=3, paused=True)]
    bad = client.post("/api/queues/default", json={"limit": -1}, headers=SAME_ORIGIN)
    assert bad.status_code == 400


def test_a_jobs_page_has_its_error_events_attempts_and_children(
    client: TestClient, queue: litequeue.Queue
) -> None:
    job = queue.enqueue("bad", {"n": 5})
    drain(queue)
    batch, children = queue.batch([("ok", {"n": 1}), ("ok", {"n": 2})])
    shown = client.get(f"/api/jobs/{job.id}").json()
    assert shown["error"]["type"] == "ValueError"
    assert "Traceback" in shown["error"]["traceback"]
    assert [e["type"] for e in shown["events"]] == ["enqueued", "started", "failed"]
    assert shown["payload"] == {"n": 5}
    parent = client.get(f"/api/jobs/{batch.id}").json()
    assert [c["id"] for c in parent["children"]] == sorted(c.id for c in children)[::-1]
    assert client.get("/api/jobs/999").status_code == 404
    retried = client.post(f"/api/jobs/{job.id}/retry", headers=SAME_ORIGIN)
    assert retried.json()["status"] == "queued"


def read_stream(client: TestClient, path: str, count: int, **headers: str) -> list[dict[str, Any]]:
    """The first ``count`` messages of an event stream, each with its SSE id."""
    seen: list[dict[str, Any]] = []
    with client.stream("GET", path, headers=headers) as response:
        current: dict[str, Any] = {}
        for line in response.iter_lines():
            if line.startswith("id: "):
                current["id"] = int(line[4:])
            elif line.startswith("data: "):
                current.update(json.loads(line[6:]))
            elif line == "" and "id" in current:
                seen.append(current)
                current = {}
                if len(seen) == count:
                    break
    return seen


def test_the_event_stream_resumes_after_the_last_event_id_without_a_gap(
    client: TestClient, queue: litequeue.Queue
) -> None:
    queue.enqueue_many([{"kind": "ok", "payload": {"n": n}} for n in range(3)])
    drain(queue)  # 3 enqueued, 3 started, 3 succeeded
    first = read_stream(client, "/api/events", 4)
    assert [m["id"] for m in first] == [1, 2, 3, 4]
    rest = read_stream(client, "/api/events", 5, **{"last-event-id": "4"})
    assert [m["id"] for m in rest] == [5, 6, 7, 8, 9]
    assert rest[-1]["type"] == "succeeded"
    assert rest[-1]["job"]["status"] == "succeeded"
    assert client.get("/api/events?after=x").status_code == 400


def test_read_only_shows_everything_and_changes_nothing(queue: litequeue.Queue) -> None:
    job = queue.enqueue("ok", {"n": 1})
    with TestClient(create_app(queue, read_only=True)) as client:
        assert client.get("/api/state").json()["read_only"] is True
        assert client.get(f"/api/jobs/{job.id}").status_code == 200
        for path, body in (
            (f"/api/jobs/{job.id}/cancel", None),
            ("/api/jobs/bulk/delete?expected=1", None),
            ("/api/queues/default", {"paused": True}),
        ):
            refused = client.post(path, json=body, headers=SAME_ORIGIN)
            assert refused.status_code == 403
            assert "read-only" in refused.json()["error"]
    assert queue.get(job.id).status is litequeue.JobStatus.QUEUED
    assert queue.queues() == [litequeue.QueueInfo(name="default")]


def test_a_plugin_adds_a_view_with_its_own_event_stream(db_path: Path) -> None:
    with (
        litequeue.Queue(db_path, plugins=["plugins.web_view"]) as queue,
        TestClient(create_app(queue, poll=0.02)) as client,
    ):
        views = client.get("/api/state").json()["views"]
        assert views == [{"name": "hello", "title": "Hello"}]
        assert client.get("/views/hello/").json() == {"hello": "from a plugin"}
        job = queue.enqueue("k", {})
        queue.cancel(job.id)
        (message,) = read_stream(client, "/views/hello/api/events", 1)
        assert message == {"id": job.id, "seq": 1, "said": "enqueued"}


def test_the_token_guards_the_api_and_becomes_a_cookie_under_a_mount(
    queue: litequeue.Queue,
) -> None:
    host = Starlette(routes=[Mount("/ops/queue", app=create_app(queue, token="s3cret"))])
    with TestClient(host, follow_redirects=False) as client:
        assert client.get("/ops/queue/api/state").status_code == 401
        opened = client.get("/ops/queue/?token=s3cret")
        assert opened.status_code == 303
        assert opened.headers["location"] == "/ops/queue/"
        assert client.get("/ops/queue/api/state").status_code == 200
        page = client.get("/ops/queue/")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert 'src="static/app.js"' in page.text  # relative: it works under the mount


def test_a_foreign_host_name_is_refused(client: TestClient) -> None:
    refused = client.get("/api/state", headers={"host": "evil.example:80"})
    assert refused.status_code == 421


def test_one_reader_of_the_log_serves_every_open_event_stream(queue: litequeue.Queue) -> None:
    """Thirty open pages, idle: the log is read once per poll, not once per page."""
    poll, pages = 0.1, 30
    reads = 0
    events = queue.events

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        return events(*args, **kwargs)

    queue.events = counted  # type: ignore[method-assign]
    with serving(create_app(queue, poll=poll)) as base:
        port = int(base.rsplit(":", 1)[1])
        streams = []
        for _ in range(pages):
            stream = socket.create_connection(("127.0.0.1", port), 10)
            stream.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            streams.append(stream)
        for stream in streams:
            received = b""
            while b"retry: 1000" not in received:
                received += stream.recv(4096)
        reads, started = 0, time.monotonic()
        time.sleep(10 * poll)  # the subject: how often the log is read while idle
        polls = (time.monotonic() - started) / poll
        for stream in streams:
            stream.close()
    assert reads <= polls + 2, f"{reads} reads of the log in {polls:.0f} polls"
