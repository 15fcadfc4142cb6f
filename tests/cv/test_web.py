"""The CV web page's API, in process: uploads, live events, steering, safety."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import litequeue
from litequeue.web import create_app as dashboard
from litequeue_cv.plugin import KIND, QUEUE, UPLOADS_MARKER
from litequeue_cv.plugin.web import LIST_LIMIT, MAX_FILES, MAX_UPLOAD, create_app
from litequeue_cv.plugin.web._files import export_csv, export_jsonl
from litequeue_cv.samples import Sample

SAME_ORIGIN = {"x-litequeue": "1"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(tmp_path / "q.db", data_dir=tmp_path / "data", run_worker=False, poll=0.05)
    with TestClient(app) as test_client:
        yield test_client


def upload(
    client: TestClient, *paths: Path, project: str = "p1", headers: dict[str, str] | None = None
) -> Any:
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    return client.post(
        "/api/upload", files=files, data={"project": project}, headers=headers or SAME_ORIGIN
    )


def drain(client: TestClient) -> None:
    queue: litequeue.Queue = client.app.state.queue  # type: ignore[attr-defined]
    litequeue.Worker(queue, queues=[QUEUE], concurrency=2).run(until_empty=True)


def read_events(client: TestClient, count: int, **headers: str) -> list[dict[str, Any]]:
    """The first ``count`` job events of the stream, with their ids."""
    return read_events_at(client, "/api/events", count, **headers)


def read_events_at(
    client: TestClient, path: str, count: int, **headers: str
) -> list[dict[str, Any]]:
    """The first ``count`` job events of the stream at ``path``, with their ids."""
    seen: list[dict[str, Any]] = []
    with client.stream("GET", path, headers=headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
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


def test_uploads_are_saved_under_server_names_and_queued_before_the_response(
    client: TestClient, samples: list[Sample], tmp_path: Path
) -> None:
    response = upload(client, samples[0].path, samples[2].path)
    assert response.status_code == 201
    jobs = response.json()
    assert [j["name"] for j in jobs] == [samples[0].path.name, samples[2].path.name]
    assert {j["status"] for j in jobs} == {"queued"}
    assert {j["project"] for j in jobs} == {"p1"}
    with litequeue.Queue(tmp_path / "q.db") as q:  # committed: another connection sees them
        stored = [q.get(j["id"]) for j in jobs]
    assert all(s.kind == KIND and s.tags == ["project:p1"] for s in stored)
    saved = [Path(s.payload["path"]) for s in stored]
    assert all(p.parent == tmp_path / "data" / "uploads" for p in saved)
    assert all(p.name != samples[0].path.name for p in saved)


def test_a_queued_cv_says_why_it_waits(client: TestClient, samples: list[Sample]) -> None:
    queue: litequeue.Queue = client.app.state.queue  # type: ignore[attr-defined]
    queue.set_queue(QUEUE, paused=True, rate="10/m")
    (job,) = upload(client, samples[0].path).json()
    detail = client.get(f"/api/jobs/{job['id']}").json()
    assert detail["waiting"] == [f"queue {QUEUE} is paused"]
    queue.set_queue(QUEUE, paused=False)
    detail = client.get(f"/api/jobs/{job['id']}").json()
    assert detail["waiting"] == ["due; its queue's limits decide when: rate 10/m"]


def test_a_project_name_with_line_breaks_or_tabs_is_kept_on_one_line(
    client: TestClient, samples: list[Sample]
) -> None:
    """A tag may not hold control characters: the upload must not fail on them."""
    response = upload(client, samples[0].path, project="team\tA\r\nnorth")
    assert response.status_code == 201
    assert response.json()[0]["project"] == "team A north"


def test_jobs_move_to_succeeded_with_the_cv_readable(
    client: TestClient, samples: list[Sample]
) -> None:
    jobs = upload(client, samples[0].path, samples[2].path).json()
    assert client.get("/api/state").json()["unhandled"] == 2  # no worker runs yet
    drain(client)
    assert client.get("/api/state").json()["unhandled"] == 0
    state = client.get("/api/state", params={"project": "p1"}).json()
    assert {j["status"] for j in state["jobs"]} == {"succeeded"}
    assert state["stats"]["succeeded"] == 2
    assert state["projects"] == ["p1"]
    detail = client.get(f"/api/jobs/{jobs[0]['id']}").json()
    assert detail["result"]["contact"]["name"] == samples[0].truth["contact"]["name"]
    assert detail["person"] == samples[0].truth["contact"]["name"]


def test_the_event_stream_resumes_from_last_event_id_without_a_gap(
    client: TestClient, samples: list[Sample]
) -> None:
    upload(client, samples[0].path, samples[1].path)
    drain(client)
    everything = read_events(client, 8)  # 2 x (enqueued, started, progress x2, succeeded) - 2
    seqs = [e["id"] for e in everything]
    assert seqs == sorted(seqs)
    cut = seqs[2]
    resumed = read_events(client, 5, **{"last-event-id": str(cut)})
    assert [e["id"] for e in resumed] == seqs[3:8]
    assert everything[-1]["job"]["name"] in {samples[0].path.name, samples[1].path.name}


def test_failed_jobs_show_their_error_and_can_be_retried_or_cancelled(
    client: TestClient, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    (job,) = upload(client, broken).json()
    drain(client)
    failed = client.get(f"/api/jobs/{job['id']}").json()
    assert failed["status"] == "failed"
    assert "broken.pdf" in failed["error"]
    retried = client.post(f"/api/jobs/{job['id']}/retry", headers=SAME_ORIGIN)
    assert retried.json()["status"] == "queued"
    cancelled = client.post(f"/api/jobs/{job['id']}/cancel", headers=SAME_ORIGIN)
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/jobs/{job['id']}/cancel", headers=SAME_ORIGIN)
    assert again.status_code == 409


def test_uploads_are_limited_in_type_and_size(client: TestClient, tmp_path: Path) -> None:
    script = tmp_path / "evil.html"
    script.write_text("<script>alert(1)</script>")
    response = upload(client, script)
    assert response.status_code == 415
    assert "evil.html" in response.json()["error"]
    sneaky = tmp_path / "x.pdf"
    sneaky.write_bytes(b"%PDF-1.4\n")
    files = [("files", ("../../../etc/passwd.pdf", sneaky.read_bytes()))]
    saved = client.post("/api/upload", files=files, headers=SAME_ORIGIN).json()
    assert saved[0]["name"] == "passwd.pdf"  # the name is data, never a path
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF" + b"0" * (11 * 2**20))
    assert upload(client, big).status_code == 413
    assert not list((tmp_path / "data" / "uploads").glob("*big*"))


def test_state_changes_from_other_origins_or_plain_forms_are_refused(
    client: TestClient, samples: list[Sample]
) -> None:
    path = samples[0].path
    files = [("files", (path.name, path.read_bytes()))]
    foreign = client.post(
        "/api/upload", files=files, headers={**SAME_ORIGIN, "origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    plain_form = client.post("/api/upload", files=files)  # no custom header
    assert plain_form.status_code == 403
    assert client.get("/api/state").json()["jobs"] == []
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_a_token_can_be_required(tmp_path: Path, samples: list[Sample]) -> None:
    app = create_app(tmp_path / "q.db", data_dir=tmp_path / "d", token="s3cret", run_worker=False)
    with TestClient(app) as client:
        assert client.get("/api/state").status_code == 401
        assert client.get("/api/state", params={"token": "wrong"}).status_code == 401
        assert client.get("/api/state", params={"token": "s3cret"}).status_code == 200
        ok = upload(
            client, samples[0].path, headers={**SAME_ORIGIN, "authorization": "Bearer s3cret"}
        )
        assert ok.status_code == 201
        assert client.get("/").status_code == 200  # the page itself loads; the API asks


def uploaded_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "data" / "uploads").iterdir() if p.name != UPLOADS_MARKER]


@pytest.mark.parametrize(
    ("second", "status"),
    [(("b.exe", b"MZ"), 415), (("big.txt", b"a" * (MAX_UPLOAD + 1)), 413)],
)
def test_a_refused_upload_keeps_none_of_its_files(
    client: TestClient, tmp_path: Path, second: tuple[str, bytes], status: int
) -> None:
    files = [("files", ("a.txt", b"Jane Doe")), ("files", second)]
    response = client.post("/api/upload", files=files, headers=SAME_ORIGIN)
    assert response.status_code == status
    assert second[0] in response.json()["error"]
    assert uploaded_files(tmp_path) == []
    assert client.get("/api/state").json()["jobs"] == []


def test_too_many_files_in_one_upload_are_refused(client: TestClient, tmp_path: Path) -> None:
    files = [("files", (f"{i}.txt", b"x")) for i in range(MAX_FILES + 1)]
    response = client.post("/api/upload", files=files, headers=SAME_ORIGIN)
    assert response.status_code == 413
    assert f"at most {MAX_FILES} files" in response.json()["error"]
    assert uploaded_files(tmp_path) == []


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (litequeue.DatabaseBusy("q.db: the database stayed locked"), 503, "busy"),
        (litequeue.DiskFull("q.db: database or disk is full"), 500, "cannot be used"),
    ],
)
def test_a_queue_file_that_cannot_take_the_jobs_gives_json_and_keeps_no_file(
    client: TestClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: litequeue.StoreError,
    status: int,
    words: str,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(client.app.state.queue, "enqueue_many", refuse)  # type: ignore[attr-defined]
    files = [("files", ("a.txt", b"Jane Doe"))]
    response = client.post("/api/upload", files=files, headers=SAME_ORIGIN)
    assert response.status_code == status
    assert words in response.json()["error"]
    assert uploaded_files(tmp_path) == []


@pytest.mark.parametrize("token", ["sécret", "ab+cd&e%f#g"], ids=["non-ASCII", "URL-special"])
def test_any_token_works_and_any_wrong_one_is_refused(tmp_path: Path, token: str) -> None:
    app = create_app(tmp_path / "q.db", data_dir=tmp_path / "d", token=token, run_worker=False)
    with TestClient(app) as client:
        assert client.get("/api/state", params={"token": token}).status_code == 200
        bearer = {"authorization": f"Bearer {token}".encode()}  # UTF-8 on the wire
        assert client.get("/api/state", headers=bearer).status_code == 200
        for wrong in ("é", "wrong", token[:-1]):
            assert client.get("/api/state", params={"token": wrong}).status_code == 401
        assert (
            client.get("/api/state", headers={"authorization": b"Bearer \xe9"}).status_code == 401
        )


@pytest.mark.parametrize(
    "where",
    [
        {"params": {"after": "²"}},
        {"headers": {"last-event-id": b"\xb2"}},
        {"params": {"after": str(2**63)}},
        {"params": {"after": "9" * 5000}},
        {"headers": {"last-event-id": "9" * 5000}},
    ],
    ids=[
        "after-superscript",
        "last-event-id-superscript",
        "past-sqlite",
        "after-5000-digits",
        "last-event-id-5000-digits",
    ],
)
def test_an_event_stream_start_that_is_not_a_sequence_number_is_refused(
    client: TestClient, where: dict[str, Any]
) -> None:
    response = client.get("/api/events", **where)
    assert response.status_code == 400
    assert "Last-Event-ID" in response.json()["error"]


def test_job_ids_past_any_integer_name_no_job(client: TestClient) -> None:
    huge = "9" * 5000
    assert client.get(f"/api/jobs/{huge}").status_code == 404
    for action in ("retry", "cancel", "delete"):
        response = client.post(f"/api/jobs/{huge}/{action}", headers=SAME_ORIGIN)
        assert response.status_code == 404
        assert len(response.json()["error"]) < 200
    assert client.get("/api/jobs", params={"before": huge}).status_code == 400


@pytest.fixture
def local(tmp_path: Path) -> Iterator[TestClient]:
    """A page served on 127.0.0.1:8765, as the command line serves it."""
    app = create_app(tmp_path / "q.db", data_dir=tmp_path / "data", run_worker=False)
    with TestClient(app, base_url="http://127.0.0.1:8765") as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:8765", 200),
        ("localhost:8765", 200),
        ("[::1]:8765", 200),
        ("LOCALHOST:8765", 200),
        ("evil.test:8765", 421),  # a name that resolves to 127.0.0.1: DNS rebinding
        ("localhost:9999", 421),  # another port: another server
        ("localhost.evil.test:8765", 421),
        ("", 421),
    ],
)
def test_the_page_answers_only_to_its_own_address_and_loopback_names(
    local: TestClient, host: str, status: int
) -> None:
    for path in ("/", "/api/state", "/api/jobs/1", "/favicon.ico"):
        response = local.get(path, headers={"host": host})
        assert response.status_code == (404 if status == 200 and "jobs" in path else status)
    refused = local.post("/api/upload", headers={"host": host, **SAME_ORIGIN})
    assert refused.status_code == (400 if status == 200 else 421)  # 400: no files sent


def test_allowed_hosts_are_answered_too(tmp_path: Path) -> None:
    app = create_app(
        tmp_path / "q.db", data_dir=tmp_path / "d", allowed_hosts=["CVs.example"], run_worker=False
    )
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        assert client.get("/api/state", headers={"host": "cvs.example"}).status_code == 200
        assert client.get("/api/state", headers={"host": "cvs.example:443"}).status_code == 200
        assert client.get("/api/state", headers={"host": "evil.test"}).status_code == 421


def test_the_links_token_becomes_a_cookie_that_opens_the_api(tmp_path: Path) -> None:
    app = create_app(tmp_path / "q.db", data_dir=tmp_path / "d", token="s3cret", run_worker=False)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        assert client.get("/api/state").status_code == 401
        opened = client.get("/", params={"token": "s3cret"}, follow_redirects=False)
        assert opened.status_code == 303
        assert opened.headers["location"] == "/"  # the token leaves the address bar
        cookie = opened.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert "s3cret" not in cookie
        assert client.get("/api/state").status_code == 200  # the cookie is sent back
        client.cookies.clear()
        assert client.get("/api/state").status_code == 401
        assert client.get("/", params={"token": "wrong"}).status_code == 401


def test_the_favicon_is_served(client: TestClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"


def test_a_file_name_with_quotes_is_shown_and_kept_as_the_user_chose_it(
    client: TestClient,
) -> None:
    # Browsers send '"' in a multipart file name as %22 (the HTML standard's rule).
    boundary = "BB"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files";'
        ' filename="Jane %22JD%22 Doe.txt"\r\n\r\n'
        f"Jane Doe\njane@example.com\r\n--{boundary}--\r\n"
    ).encode()
    headers = {**SAME_ORIGIN, "content-type": f"multipart/form-data; boundary={boundary}"}
    (job,) = client.post("/api/upload", content=body, headers=headers).json()
    assert job["name"] == 'Jane "JD" Doe.txt'
    drain(client)
    detail = client.get(f"/api/jobs/{job['id']}").json()
    assert detail["name"] == 'Jane "JD" Doe.txt'
    assert detail["result"]["file_name"] == 'Jane "JD" Doe.txt'  # the JSON view's name


def test_the_list_pages_through_every_job(client: TestClient, tmp_path: Path) -> None:
    queue: litequeue.Queue = client.app.state.queue  # type: ignore[attr-defined]
    count = LIST_LIMIT + 5
    made = queue.enqueue_many(
        [(KIND, {"path": f"/nowhere/{i}.txt"}) for i in range(count)], queue=QUEUE
    )
    first = client.get("/api/state").json()
    assert (len(first["jobs"]), first["more"], first["total"]) == (LIST_LIMIT, True, count)
    rest = client.get("/api/jobs", params={"before": first["jobs"][-1]["id"]}).json()
    assert rest["more"] is False
    shown = [j["id"] for j in first["jobs"] + rest["jobs"]]
    assert shown == sorted((job.id for job in made), reverse=True)


def test_deleting_a_job_removes_its_uploaded_file_and_tells_the_page(
    client: TestClient, tmp_path: Path
) -> None:
    files = [("files", ("a.txt", b"Jane Doe")), ("files", ("b.txt", b"John Roe"))]
    a, b = client.post("/api/upload", files=files, headers=SAME_ORIGIN).json()
    saved = {p.name for p in uploaded_files(tmp_path)}
    assert len(saved) == 2
    deleted = client.post(f"/api/jobs/{a['id']}/delete", headers=SAME_ORIGIN)
    assert deleted.json() == {"deleted": [a["id"]]}
    assert len(uploaded_files(tmp_path)) == 1
    assert client.get(f"/api/jobs/{a['id']}").status_code == 404
    enqueued_b, gone = read_events(client, 2)  # a's own events went with it
    assert enqueued_b["job"]["id"] == b["id"]
    assert (gone["type"], gone["id"]) == ("deleted", a["id"])
    queue: litequeue.Queue = client.app.state.queue  # type: ignore[attr-defined]
    drain(client)
    queue.enqueue("other", None)  # the newest job stays through a prune
    queue.prune(older_than=0)
    assert uploaded_files(tmp_path) == []
    assert b["id"] not in [j["id"] for j in client.get("/api/state").json()["jobs"]]


def test_a_file_given_by_path_is_never_removed_with_its_job(tmp_path: Path) -> None:
    server_like = tmp_path / "0123456789abcdef0123456789abcdef.txt"  # not in an upload folder
    marked = tmp_path / "marked"
    marked.mkdir()
    (marked / UPLOADS_MARKER).write_text("")
    own_name = marked / "jane.txt"  # in an upload folder, under a name no server makes
    with litequeue.Queue(tmp_path / "q.db", plugins=["litequeue_cv.plugin"]) as queue:
        for path in (server_like, own_name):
            path.write_text("Jane Doe")
            job = queue.enqueue(KIND, {"path": str(path)}, queue=QUEUE)
            queue.cancel(job.id)
            queue.delete(job.id)
    assert server_like.exists()
    assert own_name.exists()


def test_live_events_go_on_after_the_queue_file_was_busy(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue: litequeue.Queue = client.app.state.queue  # type: ignore[attr-defined]
    events, failures = queue.events, [litequeue.DatabaseBusy("q.db: locked by another process")]

    def busy_once(*args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return events(*args, **kwargs)

    monkeypatch.setattr(queue, "events", busy_once)
    with client.stream("GET", "/api/events") as stream:
        lines = stream.iter_lines()
        assert next(lines) == "retry: 1000"
        queue.enqueue(KIND, {"path": "/nowhere/a.txt"}, queue=QUEUE)
        assert any(line.startswith("data: ") for line in lines)
    assert not failures


def test_litequeue_delete_removes_the_upload_through_the_autoloaded_plugin(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litequeue.cli import main

    (job,) = client.post(
        "/api/upload", files=[("files", ("a.txt", b"Jane Doe"))], headers=SAME_ORIGIN
    ).json()
    assert len(uploaded_files(tmp_path)) == 1
    monkeypatch.delenv("LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD")  # as a user runs it
    assert main(["--db", str(tmp_path / "q.db"), "cancel", str(job["id"])]) == 0
    assert main(["--db", str(tmp_path / "q.db"), "delete", str(job["id"])]) == 0
    assert uploaded_files(tmp_path) == []


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_files_are_looked_up_before_upload_and_a_file_read_before_is_skipped_unless_forced(
    client: TestClient, samples: list[Sample], tmp_path: Path
) -> None:
    first, other = samples[0].path, samples[1].path
    (job,) = upload(client, first).json()
    drain(client)
    asked = {"sha256": [sha256_of(other), sha256_of(first)]}
    known = client.post("/api/preview", json=asked, headers=SAME_ORIGIN).json()
    assert known == {
        "states": ["new", "already processed"],
        "summary": "1 new, 1 already processed",
    }
    again = upload(client, first, other).json()
    assert again[0] == {**again[0], "id": job["id"], "skipped": "already processed"}
    assert "skipped" not in again[1]
    saved = sorted(p.name for p in (tmp_path / "data" / "uploads").iterdir())
    assert len(saved) == 3  # the marker, and one file each: the skipped copy is gone
    forced = client.post(
        "/api/upload",
        files=[("files", (first.name, first.read_bytes()))],
        data={"project": "p1", "force": "1"},
        headers=SAME_ORIGIN,
    ).json()
    assert "skipped" not in forced[0]
    assert forced[0]["id"] not in (job["id"], again[1]["id"])
    bad = client.post("/api/preview", json={"sha256": ["../etc"]}, headers=SAME_ORIGIN)
    assert bad.status_code == 400


def test_exports_hold_every_extracted_cv_and_a_formula_stays_text(db_path: Path) -> None:
    with litequeue.Queue(db_path) as queue:
        queue.handler(KIND)(lambda ctx, p: {"contact": {"name": p["name"]}, "skills": ["Go"]})
        for name in ("=HYPERLINK(1)", "Jane Doe"):
            queue.enqueue(KIND, {"name": name}, queue=QUEUE, tags=["project:a"])
        litequeue.Worker(queue, queues=[QUEUE]).run(until_empty=True)
        rows = list(csv.DictReader(io.StringIO(export_csv(queue, "project:a"))))
        assert [(r["name"], r["skills"]) for r in rows] == [
            ("Jane Doe", "Go"),
            ("'=HYPERLINK(1)", "Go"),
        ]
        lines = [json.loads(line) for line in export_jsonl(queue, None).splitlines()]
        assert [line["contact"]["name"] for line in lines] == ["Jane Doe", "=HYPERLINK(1)"]


def test_the_cv_page_is_a_view_of_the_dashboard(db_path: Path) -> None:
    from litequeue_cv import plugin

    with litequeue.Queue(db_path, plugins=[plugin]) as queue:
        with TestClient(dashboard(queue, read_only=True)) as client:
            assert {"name": "cv", "title": "CVs"} in client.get("/api/state").json()["views"]
            assert client.get("/views/cv/api/state").json()["read_only"] is True
            refused = client.post(
                "/views/cv/api/upload", files=[("files", ("a.txt", b"x"))], headers=SAME_ORIGIN
            )
            assert refused.status_code == 403
        assert not (db_path.parent / "cv-data").exists()  # read-only: no folder made
        with TestClient(dashboard(queue)) as client:
            assert not (db_path.parent / "cv-data").exists()  # made at the first upload
            made = client.post(
                "/views/cv/api/upload",
                files=[("files", ("a.txt", b"Jane Doe"))],
                headers=SAME_ORIGIN,
            )
            assert made.status_code == 201
            (message,) = read_events_at(client, "/views/cv/api/events", 1)
            assert message["job"]["name"] == "a.txt"
