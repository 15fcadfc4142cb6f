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
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from litequeue_cv.cli import main
from litequeue_cv.plugin.web import MAX_UPLOAD

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
    client.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
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
        b"POST /api/upload HTTP/1.1\r\nHost: x\r\nx-litequeue: 1\r\n"
        b"Content-Type: multipart/form-data; boundary=BB\r\nTransfer-Encoding: chunked\r\n\r\n"
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
    assert list(server.uploads.iterdir()) == []
    check = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    check.request("GET", "/api/state")
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
                page.wait_for_function("document.querySelectorAll('tr.job.queued').length === 1")
            finally:
                browser.close()
    finally:
        server.stop()
