"""``litequeue-cv web`` as a real process: starting, stopping, streamed uploads, the link."""

from __future__ import annotations

import contextlib
import http.client
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

import litequeue
from litequeue_cv.cli import main
from litequeue_cv.plugin import UPLOADS_MARKER
from litequeue_cv.plugin.web import MAX_UPLOAD, create_app

pytestmark = pytest.mark.slow


class Server:
    """A ``litequeue-cv web`` process on a free port, and the link it printed."""

    def __init__(self, tmp_path: Path, *options: str) -> None:
        command = [sys.executable, "-m", "litequeue_cv", "web", "--db", str(tmp_path / "q.db")]
        self.process = subprocess.Popen(
            [*command, "--port", "0", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("CV page on http://127.0.0.1:"), line
        self.link = line.split(" on ", 1)[1].split(" (uploads", 1)[0]
        self.port = int(self.link.split(":")[2].split("/")[0])
        #: What API calls add to their address: the link's ``?token=...``, if any.
        self.query = "?" + self.link.split("?", 1)[1] if "?" in self.link else ""
        self.host = f"127.0.0.1:{self.port}"
        self.uploads = tmp_path / "cv-data" / "uploads"

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    yield running
    running.stop()


def open_event_stream(server: Server) -> socket.socket:
    """A client that has the page's event stream open, as a browser tab does."""
    client = server.connect()
    client.sendall(
        f"GET /api/events{server.query} HTTP/1.1\r\nHost: {server.host}\r\n\r\n".encode()
    )
    received = b""
    while b"retry: 1000" not in received:
        received += client.recv(4096)
    return client


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_one_signal_stops_the_server_while_a_page_is_open(
    server: Server, sig: signal.Signals
) -> None:
    client = open_event_stream(server)
    started = time.monotonic()
    server.process.send_signal(sig)
    _, errors = server.process.communicate(timeout=15)
    assert server.process.returncode == 0
    assert time.monotonic() - started < 5
    assert errors == ""  # no traceback
    rest = b""
    while data := client.recv(4096):
        rest += data
    client.close()
    assert rest.endswith(b"0\r\n\r\n")  # the stream was ended properly, then closed


def test_a_file_over_the_limit_is_refused_while_it_streams_in(server: Server) -> None:
    """A chunked body has no Content-Length to refuse up front."""
    client = server.connect()
    client.sendall(
        f"POST /api/upload{server.query} HTTP/1.1\r\nHost: {server.host}\r\n".encode()
        + b"x-litequeue: 1\r\nContent-Type: multipart/form-data; boundary=BB\r\n"
        + b"Transfer-Encoding: chunked\r\n\r\n"
    )

    def chunk(data: bytes) -> None:
        client.sendall(b"%x\r\n%s\r\n" % (len(data), data))

    chunk(b'--BB\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\n')
    sent, block = 0, b"a" * 2**20
    with contextlib.suppress(ConnectionError):  # refused, closed before reading the rest
        while sent < 10 * MAX_UPLOAD and not select.select([client], [], [], 0)[0]:
            chunk(block)
            sent += len(block)
    assert sent < 10 * MAX_UPLOAD, "no answer: the server is storing the whole body"
    with contextlib.suppress(ConnectionError):
        assert client.recv(4096).startswith(b"HTTP/1.1 413")
    client.close()
    assert [p.name for p in server.uploads.iterdir()] == [UPLOADS_MARKER]
    check = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    check.request("GET", f"/api/state{server.query}")
    assert b'"jobs":[]' in check.getresponse().read()


def test_a_port_in_use_is_one_error_line_and_no_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        assert main(["web", "--db", str(tmp_path / "q.db"), "--port", port, "--no-worker"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("litequeue-cv: error: cannot listen: Address already in use")
    assert err.count("\n") == 1


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_port_out_of_range_is_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    assert main(["web", "--db", str(tmp_path / "q.db"), "--port", port]) == 2
    assert "litequeue-cv: error: argument --port: expected a port number" in capsys.readouterr().err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_printed_link_works_in_a_browser_whatever_the_token(tmp_path: Path) -> None:
    from playwright import sync_api

    server = Server(tmp_path, "--token", "a+b&c%d#é f", "--no-worker")
    try:
        with sync_api.sync_playwright() as playwright:
            flags = ["--headless", "--no-sandbox", "--disable-gpu"]
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
            try:
                # The page's CSP forbids eval; Playwright's waits evaluate expressions.
                page = browser.new_context(bypass_csp=True).new_page()
                page.goto(server.link)
                page.wait_for_function("document.getElementById('live').textContent === 'live'")
                page.set_input_files(
                    "#picker",
                    files=[{"name": "jane.txt", "mimeType": "text/plain", "buffer": b"Jane Doe"}],
                )
                page.wait_for_function("$('preview-summary').textContent === '1 new'")
                page.click("#send")
                page.wait_for_function("document.querySelectorAll('tr.job.queued').length === 1")
            finally:
                browser.close()
    finally:
        server.stop()


def get(server: Server, path: str) -> int:
    """The status of a GET to the running server."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_each_start_makes_a_new_token_that_the_api_requires(tmp_path: Path) -> None:
    (tmp_path / "2").mkdir()
    first, second = Server(tmp_path, "--no-worker"), Server(tmp_path / "2", "--no-worker")
    try:
        assert first.query.startswith("?token=")
        assert first.query != second.query
        assert get(first, "/api/state") == 401
        assert get(first, f"/api/state{second.query}") == 401
        assert get(first, f"/api/state{first.query}") == 200
    finally:
        first.stop()
        second.stop()
    open_to_all = Server(tmp_path, "--no-worker", "--no-token")
    try:
        assert open_to_all.query == ""
        assert get(open_to_all, "/api/state") == 200
    finally:
        open_to_all.stop()


def test_a_queue_file_in_a_missing_folder_is_refused_and_no_folder_is_made(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "missing" / "dir"
    command = [sys.executable, "-m", "litequeue_cv", "web", "--db", str(missing / "x.db")]
    done = subprocess.run(
        [*command, "--port", "0"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("litequeue-cv: error: ")
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "missing").exists()


@contextlib.contextmanager
def serving(app: Any) -> Iterator[int]:
    """``app`` served by uvicorn on a free port of 127.0.0.1, in a thread."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the server did not start"
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(20)


def test_an_upload_that_trickles_in_is_cut_off(tmp_path: Path) -> None:
    app = create_app(
        tmp_path / "q.db", data_dir=tmp_path / "d", run_worker=False, upload_timeout=1.0
    )
    with serving(app) as port, socket.create_connection(("127.0.0.1", port), 10) as client:
        client.sendall(
            f"POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
            + b"x-litequeue: 1\r\n"
            b"Content-Type: multipart/form-data; boundary=BB\r\nContent-Length: 100000\r\n\r\n"
            b'--BB\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\n'
        )
        started = time.monotonic()
        answer = b""
        while not answer:  # a byte every 0.1 s: never done, never silent for long
            if select.select([client], [], [], 0.1)[0]:
                answer = client.recv(4096)
            else:
                client.sendall(b"a")
            assert time.monotonic() - started < 10, "the trickling upload is still held open"
        assert answer.startswith(b"HTTP/1.1 408")
    assert [p.name for p in (tmp_path / "d" / "uploads").iterdir()] == [UPLOADS_MARKER]


def test_one_reader_of_the_log_serves_every_open_event_stream(tmp_path: Path) -> None:
    poll, clients = 0.1, 30
    app = create_app(tmp_path / "q.db", data_dir=tmp_path / "d", run_worker=False, poll=poll)
    queue: litequeue.Queue = app.state.queue
    reads = 0
    events = queue.events

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        return events(*args, **kwargs)

    queue.events = counted  # type: ignore[method-assign]
    with serving(app) as port:
        streams = []
        for _ in range(clients):
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
