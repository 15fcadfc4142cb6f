"""The CV page end to end in real headless Chromium (Debian's, driven by Playwright).

Runs where Chromium and Playwright are installed (``.ci/run`` installs both).
``LITEQUEUE_SCREENSHOT=docs/img/web.png`` saves the page as docs/web.md shows it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright import sync_api

import litequeue
from browser import CHROMIUM, FLAGS, serving
from litequeue_cv.plugin import KIND, QUEUE, content_key_of
from litequeue_cv.plugin.web import LIST_LIMIT, create_app
from litequeue_cv.samples import Sample

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    app = create_app(tmp_path / "q.db", data_dir=tmp_path / "data", workers=2, poll=0.05)
    with serving(app) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[sync_api.Page]:
    """A page in headless Chromium (the page's CSP forbids eval; Playwright's waits
    evaluate expressions, so the CSP is bypassed)."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium.new_context(bypass_csp=True).new_page()
        finally:
            chromium.close()


def post_file(base: str, path: Path, project: str) -> None:
    """Upload through the API, as another client would."""
    boundary = "litequeue-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="project"\r\n\r\n{project}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="files";'
            f' filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{base}/api/upload",
        data=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}", "x-litequeue": "1"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201


def choose(page: sync_api.Page, paths: list[Path], summary: str, *, force: bool = False) -> None:
    """Choose files on the page, see what it says of them, and upload them."""
    page.set_input_files("#picker", [str(p) for p in paths])
    page.wait_for_function(f"$('preview-summary').textContent === {json.dumps(summary)}")
    if force:
        page.check("#force")
    page.click("#send")


def succeeded(base: str, project: str) -> int:
    with urllib.request.urlopen(f"{base}/api/state?project={project}", timeout=10) as response:
        return int(json.load(response)["stats"].get("succeeded", 0))


def test_upload_two_cvs_and_watch_them_succeed_then_miss_nothing_across_a_reconnect(
    server: str, samples: list[Sample], tmp_path: Path
) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            # The page's CSP forbids eval; Playwright's waits evaluate expressions.
            viewport = {"width": 1100, "height": 480}
            context = browser.new_context(bypass_csp=True, viewport=viewport)  # type: ignore[arg-type]
            page = context.new_page()
            page.goto(server + "/")
            page.fill("#project", "e2e")
            page.dispatch_event("#project", "change")
            page.wait_for_function("document.getElementById('live').textContent === 'live'")
            choose(page, [samples[0].path, samples[2].path], "2 new")
            page.wait_for_function(
                "document.querySelectorAll('tr.job.succeeded').length === 2", timeout=60_000
            )
            names = page.locator("tr.job td:first-child").all_text_contents()
            assert sorted(names) == sorted([samples[0].path.name, samples[2].path.name])
            people = page.locator("tr.job td:nth-child(4)").all_text_contents()
            assert samples[0].truth["contact"]["name"] in people

            # Drop the stream; work happens meanwhile; reconnect: nothing is missed.
            page.evaluate("source.close()")
            seen_before = page.evaluate("lastSeq")
            post_file(server, samples[1].path, "e2e")
            deadline = time.monotonic() + 60
            while succeeded(server, "e2e") < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert page.locator("tr.job").count() == 2  # the page has not heard yet
            page.evaluate("follow()")
            page.wait_for_function(
                "document.querySelectorAll('tr.job.succeeded').length === 3", timeout=30_000
            )
            assert page.evaluate("lastSeq") > seen_before
            shot = os.environ.get("LITEQUEUE_SCREENSHOT") or str(tmp_path / "web.png")
            page.screenshot(path=shot)
        finally:
            browser.close()


def test_a_late_answer_never_draws_over_what_the_event_stream_showed(
    tmp_path: Path, browser: sync_api.Page
) -> None:
    """The answers to an upload and to a retry are held until the event stream has
    shown the job failing; then they arrive, saying 'queued'. The row stays failed."""
    app = create_app(tmp_path / "q.db", data_dir=tmp_path / "data", run_worker=False, poll=0.05)
    queue: litequeue.Queue = app.state.queue
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    page = browser
    held: list[sync_api.Route] = []

    def late(action: Callable[[], None]) -> None:
        """Do ``action``; let its request reach the server, the job fail, the page
        hear of it; only then deliver the answer, and give the page time to draw it."""
        action()
        while not held:
            page.wait_for_timeout(10)
        route = held.pop()
        answer = route.fetch()
        litequeue.Worker(queue, queues=[QUEUE]).run(until_empty=True)
        page.wait_for_function(f"lastSeq >= {queue.last_event_seq()}")
        assert page.locator("tr.job").get_attribute("class") == "job failed"
        with page.expect_response(route.request.url):
            route.fulfill(response=answer)
        page.evaluate("() => new Promise((done) => setTimeout(done, 100))")

    with serving(app) as base:
        page.route("**/api/upload", lambda route: held.append(route))
        page.route("**/api/jobs/*/retry", lambda route: held.append(route))
        page.goto(base + "/")
        page.wait_for_function("document.getElementById('live').textContent === 'live'")
        late(lambda: choose(page, [broken], "1 new"))
        assert page.locator("tr.job").get_attribute("class") == "job failed"
        assert page.locator("#upload-status").text_content() == "1 file(s) queued"
        late(lambda: page.click("tr.job button:text('retry')"))
        assert page.locator("tr.job").get_attribute("class") == "job failed"
        assert page.locator("tr.job button:text('cancel')").count() == 0
        # The status line clears itself.
        page.wait_for_function("document.getElementById('upload-status').textContent === ''")
        page.click("tr.job button:text('delete')")
        page.wait_for_function("document.querySelectorAll('tr.job').length === 0")


def test_older_jobs_are_a_click_away(tmp_path: Path, browser: sync_api.Page) -> None:
    app = create_app(tmp_path / "q.db", data_dir=tmp_path / "data", run_worker=False)
    queue: litequeue.Queue = app.state.queue
    count = LIST_LIMIT + 3
    queue.enqueue_many([(KIND, {"path": f"/nowhere/{i}.txt"}) for i in range(count)], queue=QUEUE)
    with serving(app) as base:
        browser.goto(base + "/")
        browser.wait_for_function(f"document.querySelectorAll('tr.job').length === {LIST_LIMIT}")
        assert browser.locator("#more").text_content() == (
            f"showing the newest {LIST_LIMIT} of {count} jobs"
        )
        browser.click("#older")
        browser.wait_for_function(f"document.querySelectorAll('tr.job').length === {count}")
        names = browser.locator("tr.job td:first-child").all_text_contents()
        assert names == [f"{i}.txt" for i in reversed(range(count))]
        assert browser.locator("#older").is_hidden()


def test_dropped_files_are_looked_up_first_and_results_export_and_show_beside_the_file(
    tmp_path: Path, browser: sync_api.Page, samples: list[Sample]
) -> None:
    """A file read before is skipped unless forced; one read by an older version of
    the reader is read again; the exports hold every CV; a CV shows as a profile."""
    db = tmp_path / "q.db"
    old, known, new = samples[3].path, samples[4].path, samples[5].path
    with litequeue.Queue(db) as queue:  # a file read by version 1 of the reader
        queue.handler(KIND, version="1")(lambda ctx, payload: {"contact": {"name": "Old"}})
        digest = hashlib.sha256(old.read_bytes()).hexdigest()
        queue.enqueue(KIND, {"path": str(old)}, queue=QUEUE, unique_key=content_key_of(digest))
        litequeue.Worker(queue, queues=[QUEUE]).run(until_empty=True)
    app = create_app(db, data_dir=tmp_path / "data", workers=2, poll=0.05)
    page = browser
    with serving(app) as base:
        page.goto(base + "/")
        page.wait_for_function("$('live').textContent === 'live'")
        choose(page, [known], "1 new")
        page.wait_for_function(
            "document.querySelectorAll('tr.job.succeeded').length === 2", timeout=60_000
        )

        page.set_input_files("#picker", [str(p) for p in (new, known, old)])
        summary = "1 new, 1 already processed, 1 needs re-run"
        page.wait_for_function(f"$('preview-summary').textContent === {json.dumps(summary)}")
        states = page.locator("#preview-files tbody td:last-child").all_text_contents()
        assert states == ["new", "already processed", "needs re-run"]
        page.click("#send")
        page.wait_for_function(
            "$('upload-status').textContent === '2 file(s) queued, 1 already processed'"
        )
        page.wait_for_function(
            "document.querySelectorAll('tr.job.succeeded').length === 4", timeout=60_000
        )
        choose(page, [known], "1 already processed", force=True)
        page.wait_for_function(
            "document.querySelectorAll('tr.job.succeeded').length === 5", timeout=60_000
        )

        with page.expect_download() as jsonl:
            page.click("#export-jsonl")
        lines = [json.loads(line) for line in Path(jsonl.value.path()).read_text().splitlines()]
        with page.expect_download() as csv_file:
            page.click("#export-csv")
        with Path(csv_file.value.path()).open(newline="") as exported:
            rows = list(csv.DictReader(exported))
        assert len(lines) == len(rows) == 5
        assert [r["name"] for r in rows] == [line["contact"]["name"] for line in lines]
        truth = {s.path.name: s.truth["contact"]["name"] for s in samples}
        assert {r["file_name"]: r["name"] for r in rows if r["file_name"] == new.name} == {
            new.name: truth[new.name]
        }

        with page.expect_response("**/api/jobs/*/file") as original:
            page.click(f"tr.job:has-text('{new.name}') button:text('view')")
        assert original.value.status == 200
        assert original.value.headers["content-type"] == "application/pdf"
        page.wait_for_function("$('profile-work').children.length > 0")
        assert truth[new.name] in page.locator("#detail-fields").text_content()
