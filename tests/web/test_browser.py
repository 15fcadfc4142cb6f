"""The dashboard end to end in real headless Chromium (Debian's, driven by Playwright).

Every page is watched for console errors and for requests that leave its origin.
Tests that take ``db_path`` run on each engine (see conftest.py), the one over
100,000 jobs too. ``LITEQUEUE_SCREENSHOTS=docs/img`` saves the pictures
docs/dashboard.md shows.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api

import litequeue
from browser import CHROMIUM, FLAGS, serving
from litequeue.testing import drain
from litequeue.web import create_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]
TOKEN = "browser-test-token"
BIG = 100_000
KINDS = ("email.send", "report.build", "image.resize", "cli.add")
# Every SSE message the page receives, in order, recorded before its own script runs.
FIRST_ROW = "document.querySelector('#jobs tbody tr').dataset.id"
RECORD_EVENTS = """
const Original = window.EventSource;
window.seenSeqs = [];
window.EventSource = function (url) {
  const source = new Original(url);
  source.addEventListener("job", (m) => window.seenSeqs.push(Number(m.lastEventId)));
  return source;
};
"""


def screenshot(page: sync_api.Page, name: str) -> None:
    folder = os.environ.get("LITEQUEUE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"dashboard-{name}.png"), full_page=True)


class Watched:
    """A Chromium page of one origin that notes console errors and off-origin requests."""

    def __init__(self, context: sync_api.BrowserContext, origin: str) -> None:
        self.page = context.new_page()
        self.errors: list[str] = []
        self.elsewhere: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", self._request)
        self.origin = origin

    def _console(self, message: sync_api.ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _request(self, request: sync_api.Request) -> None:
        if not request.url.startswith(self.origin + "/"):
            self.elsewhere.append(request.url)

    def open(self, path: str = "/") -> sync_api.Page:
        self.page.goto(f"{self.origin}/?token={TOKEN}")  # the printed link: token to cookie
        self.page.goto(f"{self.origin}{path}")
        self.page.wait_for_function("document.getElementById('live').textContent === 'live'")
        return self.page

    def check(self) -> None:
        assert self.errors == []
        assert self.elsewhere == []


@contextlib.contextmanager
def chromium() -> Iterator[sync_api.BrowserContext]:
    """A headless Chromium context of a laptop's size; the page's CSP forbids eval and
    Playwright's waits evaluate expressions, so the CSP is bypassed for them."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser.new_context(
                bypass_csp=True,
                viewport={"width": 1280, "height": 800},
            )
        finally:
            browser.close()


@pytest.fixture
def big(db_path: Path | str, tmp_path: Path) -> Iterator[tuple[str, Path | str]]:
    """A dashboard over 100,000 jobs: four kinds, two queues, every tenth tagged, three
    priorities. For PostgreSQL they are made in a file and copied (``Queue.copy_to``,
    with COPY): enqueueing them there one transaction of 20,000 at a time takes 40 s."""
    made = db_path if isinstance(db_path, Path) else tmp_path / "big.db"
    with litequeue.Queue(made, durability="normal") as queue:
        for start in range(0, BIG, 20_000):
            queue.enqueue_many(
                [
                    {
                        "kind": KINDS[n % 4],
                        "payload": {"n": n, "to": f"user{n}@example.org"},
                        "queue": "bulk" if n % 2 else "default",
                        "tags": ["customer:acme"] if n % 10 == 0 else [],
                        "priority": n % 3,
                    }
                    for n in range(start, start + 20_000)
                ]
            )
        if made != db_path:
            queue.copy_to(db_path)
    with litequeue.Queue(db_path) as queue, serving(create_app(queue, token=TOKEN)) as base:
        yield base, db_path


def row_ids(page: sync_api.Page) -> list[int]:
    return [int(i) for i in page.locator("#jobs tbody tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.id)"
    )]  # fmt: skip


def test_views_filters_sorting_paging_and_keyboard_on_100000_jobs(
    big: tuple[str, Path | str],
) -> None:
    base, _ = big
    with chromium() as context:
        watched = Watched(context, base)
        page = watched.open("/#/queues")
        page.wait_for_selector("#queues tr[data-queue='bulk']")
        assert page.locator("#queues tr[data-queue='bulk'] td.queued").text_content() == "50000"
        assert page.locator("#queues tr[data-queue='default'] td.queued").text_content() == "50000"
        screenshot(page, "queues")

        page.click("nav a[data-view='jobs']")
        page.wait_for_function("document.querySelectorAll('#jobs tbody tr').length === 50")
        assert row_ids(page) == list(range(BIG, BIG - 50, -1))
        # No worker runs: every queued job is flagged.
        assert page.locator("#jobs tbody tr.unrunnable").count() == 50
        page.click("#next-page")
        page.wait_for_function(
            f"document.querySelector('#jobs tbody tr').dataset.id === '{BIG - 50}'"
        )
        assert row_ids(page) == list(range(BIG - 50, BIG - 100, -1))
        page.click("#prev-page")
        page.wait_for_function(f"{FIRST_ROW} === '{BIG}'")

        # Filters, through the form: kind, queue and tag, oldest first.
        page.fill("#filters input[name='kind']", "email.send")
        page.fill("#filters input[name='tag']", "customer:acme")
        page.select_option("#filters select[name='order']", "asc")
        page.click("#filters button[type='submit']")
        page.wait_for_function(f"{FIRST_ROW} === '1'")
        first = row_ids(page)
        assert first == [1 + 20 * i for i in range(50)]  # n % 20 == 0: kind 0, tagged
        page.click("#next-page")
        page.wait_for_function(f"{FIRST_ROW} === '1001'")
        assert "kind=email.send" in page.url
        assert "tag=customer%3Aacme" in page.url
        page.fill("#filters input[name='text']", "user12340@")
        page.click("#filters button[type='submit']")
        page.wait_for_function("document.querySelectorAll('#jobs tbody tr').length === 1")
        assert row_ids(page) == [12341]
        screenshot(page, "jobs")

        # Keyboard: arrows move through the rows, Enter opens the job.
        page.goto(f"{base}/#/jobs?status=queued")
        page.wait_for_function("document.querySelectorAll('#jobs tbody tr').length === 50")
        page.focus("#jobs tbody tr:first-child")
        for key in ("ArrowDown", "ArrowDown", "ArrowDown", "ArrowUp"):
            page.keyboard.press(key)
        assert page.evaluate("document.activeElement.dataset.id") == str(BIG - 2)
        page.keyboard.press("End")
        assert page.evaluate("document.activeElement.dataset.id") == str(BIG - 49)
        page.keyboard.press("Enter")
        page.wait_for_function(f"location.hash === '#/job/{BIG - 49}'")
        page.wait_for_function("document.getElementById('job-payload').textContent !== ''")
        assert f'"n": {BIG - 50}' in page.locator("#job-payload").text_content()
        assert page.locator("#job-events li").count() == 1
        assert "no live worker" in page.locator("#job-fields").text_content()
        assert page.locator("#job-waiting li").all_text_contents() == [
            "due: the next free worker that handles its kind takes it"
        ]

        # Sorted by priority, highest first (n % 3 == 2), ties newest first, page by page.
        page.goto(f"{base}/#/jobs?sort=priority")
        page.wait_for_function(f"{FIRST_ROW} === '{BIG - 1}'")
        assert page.locator("#filters select[name='sort']").input_value() == "priority"
        assert row_ids(page) == [BIG - 1 - 3 * i for i in range(50)]
        page.click("#next-page")
        page.wait_for_function(f"{FIRST_ROW} === '{BIG - 1 - 150}'")
        page.select_option("#filters select[name='sort']", "run_at")
        page.select_option("#filters select[name='order']", "asc")
        page.click("#filters button[type='submit']")
        page.wait_for_function(f"{FIRST_ROW} === '1'")  # enqueued first, due first
        assert "sort=run_at" in page.url

        page.click("nav a[data-view='workers']")
        page.wait_for_selector("#no-workers:not([hidden])")
        watched.check()


@pytest.fixture
def small(db_path: Path | str) -> Iterator[tuple[str, litequeue.Queue]]:
    """A dashboard over an empty queue, on each engine."""
    with (
        litequeue.Queue(db_path, plugins=["plugins.cli_handlers"]) as queue,
        serving(create_app(queue, token=TOKEN, poll=0.05)) as base,
    ):
        yield base, queue


def start_worker(path: Path | str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "litequeue", "--db", str(path), "--plugin"]
    command += ["plugins.cli_handlers", "worker", "--queue", "default", "--concurrency", "2"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


def test_live_updates_from_a_worker_in_another_process_and_a_resumed_stream(
    small: tuple[str, litequeue.Queue],
) -> None:
    base, queue = small
    with chromium() as context:
        context.add_init_script(RECORD_EVENTS)
        watched = Watched(context, base)
        page = watched.open("/#/jobs")
        jobs = queue.enqueue_many([("cli.add", {"numbers": [n, 1]}) for n in range(6)])
        page.wait_for_function("document.querySelectorAll('#jobs tbody tr').length === 6")
        assert page.locator("#jobs tbody tr.unrunnable").count() == 6
        worker = start_worker(queue.path)
        try:
            page.wait_for_function(
                "document.querySelectorAll('#jobs tbody td.succeeded').length === 6",
                timeout=60_000,
            )
            page.click("nav a[data-view='workers']")
            page.wait_for_function(
                f"document.getElementById('workers').textContent.includes(':{worker.pid}:')"
            )
            cells = page.locator("#workers tbody tr td").all_text_contents()
            assert cells[5] in ("0", "1", "2")  # jobs held, at most its concurrency
            assert cells[6] != ""  # its last heartbeat
            screenshot(page, "workers")

            # The stream drops; work goes on; the page reconnects from where it was.
            page.click("nav a[data-view='jobs']")
            page.wait_for_function("document.querySelectorAll('#jobs tbody tr').length === 6")
            page.evaluate("state.source.close()")
            more = queue.enqueue_many([("cli.add", {"numbers": [n]}) for n in range(4)])
            drained = queue.last_event_seq() + 4 * 2  # each: started, succeeded
            while queue.last_event_seq() < drained:
                queue.wait_for_change(1.0)
            page.evaluate("connect()")
            page.wait_for_function(
                "document.querySelectorAll('#jobs tbody td.succeeded').length === 10"
            )
            page.wait_for_function(f"state.lastSeq === {queue.last_event_seq()}")
        finally:
            worker.terminate()
            worker.wait(30)
        seen = page.evaluate("window.seenSeqs")
        assert seen == list(range(1, queue.last_event_seq() + 1))  # no gap, none twice
        for job in [*jobs, *more]:
            assert queue.get(job.id).status is litequeue.JobStatus.SUCCEEDED
        page.goto(f"{base}/#/job/{jobs[0].id}")
        page.wait_for_function("document.querySelectorAll('#job-attempts tbody tr').length === 1")
        assert "succeeded" in page.locator("#job-attempts").text_content()
        assert '"sum": 1' in page.locator("#job-result").text_content()
        screenshot(page, "job")
        watched.check()


def test_bulk_actions_queue_settings_and_one_jobs_buttons(
    small: tuple[str, litequeue.Queue],
) -> None:
    base, queue = small
    queue.enqueue_many([("cli.explode", {"n": n}) for n in range(5)])
    queue.enqueue_many([("cli.add", {"numbers": [n]}) for n in range(3)])
    drain(queue)
    with chromium() as context:
        watched = Watched(context, base)
        page = watched.open("/#/jobs?status=failed")
        page.wait_for_function("document.querySelectorAll('#jobs tbody tr').length === 5")
        page.click("#bulk button[data-bulk='retry']")
        page.wait_for_selector("#bulk-confirm:not([hidden])")
        assert page.locator("#bulk-question").text_content() == "retry 5 jobs matching this filter?"
        page.click("#bulk-no")  # kept: nothing happens
        assert queue.stats()["default"]["failed"] == 5
        page.click("#bulk button[data-bulk='retry']")
        page.click("#bulk-yes")
        page.wait_for_function(
            "document.getElementById('bulk-status').textContent === 'retry: 5 done'"
        )
        assert queue.stats()["default"]["queued"] == 5
        page.wait_for_function("document.querySelectorAll('#jobs tbody tr').length === 0")

        page.goto(f"{base}/#/jobs?kind=cli.add")
        page.wait_for_function("document.querySelectorAll('#jobs tbody tr').length === 3")
        page.click("#bulk button[data-bulk='delete']")
        page.click("#bulk-yes")
        page.wait_for_function("document.querySelectorAll('#jobs tbody tr').length === 0")
        assert queue.jobs(kind="cli.add") == []

        # One job: cancel it from its page.
        target = queue.jobs(status="queued", limit=1)[0]
        page.goto(f"{base}/#/job/{target.id}")
        page.wait_for_function("document.getElementById('job-payload').textContent !== ''")
        page.click("#job-actions button[data-action='cancel']")
        page.wait_for_function(
            "document.querySelector('#job-fields dd.status').textContent === 'cancelled'"
        )
        assert queue.get(target.id).status is litequeue.JobStatus.CANCELLED

        # Queues: pause, resume, a limit.
        page.click("nav a[data-view='queues']")
        page.click("#queues tr[data-queue='default'] button:text('pause')")
        page.wait_for_selector("#queues tr[data-queue='default'] button:text('resume')")
        assert queue.queues()[0].paused
        page.fill("#queues tr[data-queue='default'] input[type='number']", "2")
        page.dispatch_event("#queues tr[data-queue='default'] input[type='number']", "change")
        page.wait_for_function("document.querySelector('#queues input').value === '2'")
        deadline = 100
        while queue.queues()[0].limit != 2 and deadline:
            page.wait_for_timeout(50)
            deadline -= 1
        assert queue.queues()[0] == litequeue.QueueInfo(name="default", limit=2, paused=True)
        watched.check()


def test_read_only_shows_no_buttons(db_path: Path | str) -> None:
    with litequeue.Queue(db_path) as queue:
        job = queue.enqueue("k", {"n": 1})
        with serving(create_app(queue, token=TOKEN, read_only=True)) as base, chromium() as context:
            watched = Watched(context, base)
            page = watched.open(f"/#/job/{job.id}")
            page.wait_for_function("document.getElementById('job-payload').textContent !== ''")
            assert not page.locator("#job-actions button[data-action='delete']").is_visible()
            assert page.locator("#mode").is_visible()
            page.click("nav a[data-view='queues']")
            page.wait_for_selector("#queues tr[data-queue='default']")
            assert page.locator("#queues button").count() == 0
            assert page.locator("#queues input").is_disabled()
            watched.check()


def test_the_cv_view_from_its_plugin_in_the_dashboard(tmp_path: Path) -> None:
    from litequeue_cv import plugin

    with litequeue.Queue(tmp_path / "q.db", plugins=[plugin]) as queue:
        queue.enqueue(plugin.KIND, {"path": "/nowhere.pdf", "name": "jane.pdf"}, queue=plugin.QUEUE)
        app = create_app(queue, token=TOKEN, read_only=True, poll=0.05)
        with serving(app) as base, chromium() as context:
            watched = Watched(context, base)
            page = watched.open("/#/queues")
            page.click("nav a[data-plugin='cv']")
            page.wait_for_url(f"{base}/views/cv/")
            page.wait_for_function("document.getElementById('live').textContent === 'live'")
            page.wait_for_function("document.querySelectorAll('tr.job.queued').length === 1")
            assert page.locator("tr.job td:first-child").text_content() == "jane.pdf"
            assert not page.locator("#drop").is_visible()  # read-only: nothing to drop
            assert not page.locator("tr.job button.change").first.is_visible()
            assert page.locator("tr.job button:text('view')").count() == 0  # not read yet
            page.click("tr.job button:text('why?')")
            page.wait_for_function(
                "document.querySelector('tr.job td:nth-child(4)').textContent.startsWith('due')"
            )
            watched.check()
