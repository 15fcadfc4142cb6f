"""``litequeue-cv web``: a page to drop CVs on and watch them being read, live.

A Starlette app over one ``litequeue.Queue``. Uploads are saved under the data
folder with server-made names and enqueued as ``cv.extract`` jobs tagged with the
current project before the response is sent. The job list moves live through
Server-Sent Events fed from ``Queue.events(after=...)``: a browser that
reconnects sends its Last-Event-ID and misses nothing, and a reload shows the
same state, because everything shown is read from the queue file.

Safe by default: it binds 127.0.0.1, caps upload size, count and type while
the body streams in, never uses a client's file name on disk, refuses
state-changing requests from other origins (and without its custom header),
sends a strict Content-Security-Policy (the page puts every name and CV text in
with ``textContent``), and can require a token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import signal
import socket
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import FrameType
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import litequeue

from .. import KIND, QUEUE
from ._upload import Refused, receive

__all__ = ["ALLOWED_SUFFIXES", "MAX_FILES", "MAX_UPLOAD", "create_app", "serve"]

STATIC = Path(__file__).with_name("static")
#: File types the page takes (others are refused with 415).
ALLOWED_SUFFIXES = frozenset({".pdf", ".docx", ".txt"})
#: Largest file accepted, in bytes.
MAX_UPLOAD = 10 * 2**20
#: Most files in one upload request.
MAX_FILES = 20
_SHUTDOWN_GRACE = 10  # seconds open requests get once the server is told to stop
_LAST_SEQ = 2**63 - 1  # event seqs are SQLite integers
_HEADER = "x-litequeue"  # state-changing requests must carry it: a cross-site form cannot
_SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; object-src 'none';"
    " base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def summary(job: litequeue.Job) -> dict[str, Any]:
    """What the job list shows of a job (never the CV itself)."""
    payload = job.payload if isinstance(job.payload, dict) else {}
    result = job.result if isinstance(job.result, dict) else {}
    stored = Path(str(payload.get("path", ""))).name
    name = str(payload.get("name") or stored)
    # Errors name the file as stored; the user knows it by the name it was dropped with.
    error = job.error.message if job.error else None
    if error and stored:
        error = error.replace(stored, name)
    return {
        "id": job.id,
        "name": name,
        "status": job.status.value,
        "progress": job.progress,
        "message": job.progress_message,
        "error": error,
        "attempt": job.attempt,
        "project": next(
            (t.removeprefix("project:") for t in job.tags if t.startswith("project:")), ""
        ),
        "created_at": job.created_at.isoformat(),
        "person": (result.get("contact") or {}).get("name"),
    }


class _Guard(BaseHTTPMiddleware):
    """Token, same-origin and custom-header checks, and security headers."""

    def __init__(self, app: Any, token: str | None) -> None:
        super().__init__(app)
        # compare_digest takes only ASCII str; as UTF-8 bytes any token works.
        self.token = None if token is None else token.encode()

    def _authorized(self, request: Request) -> bool:
        if self.token is None or not request.url.path.startswith("/api/"):
            return True  # the page itself loads without a token; it reads it from #token=
        return secrets.compare_digest(_given_token(request), self.token)

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if not self._authorized(request):
            return _error(401, "a valid token is needed (?token= or Authorization: Bearer)")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            host = request.headers.get("host", "")
            if origin is not None and origin.split("://", 1)[-1] != host:
                return _error(403, "requests from other origins are refused")
            if request.headers.get(_HEADER) != "1":
                return _error(403, f"state-changing requests need the {_HEADER} header")
        response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def _given_token(request: Request) -> bytes:
    """The request's token as sent: a header's bytes (Starlette decodes headers as
    Latin-1), a query value's UTF-8."""
    header = request.headers.get("authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").encode("latin-1")
    return request.query_params.get("token", "").encode()


def _after(request: Request) -> int | None:
    """Where an event stream starts: ``Last-Event-ID`` or ``?after=``; None if that
    is not a sequence number (``str.isdigit`` also takes digits such as "²")."""
    text = request.headers.get("last-event-id") or request.query_params.get("after", "0")
    if not (text.isascii() and text.isdigit()) or int(text) > _LAST_SEQ:
        return None
    return int(text)


def _read_events(queue: litequeue.Queue, after: int) -> list[litequeue.Event]:
    return list(queue.events(after=after))


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _busy(request: Request, exc: Exception) -> Response:
    response = _error(503, f"the queue file is busy, try again: {exc}")
    response.headers["retry-after"] = "1"
    return response


def _store_failed(request: Request, exc: Exception) -> Response:
    return _error(500, f"the queue file cannot be used: {exc}")


def _never() -> bool:
    return False


def create_app(
    db: str | Path,
    *,
    data_dir: str | Path,
    token: str | None = None,
    run_worker: bool = True,
    workers: int = 2,
    max_upload: int = MAX_UPLOAD,
    poll: float = 0.25,
) -> Starlette:
    """The web app for the queue file ``db``; uploads go under ``data_dir``."""
    from .. import __name__ as plugin_module

    uploads = Path(data_dir) / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    queue = litequeue.Queue(db, plugins=[plugin_module])
    worker = litequeue.Worker(queue, queues=[QUEUE], concurrency=workers)

    async def run(fn: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(lambda: fn(*args))

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def state(request: Request) -> Response:
        project = request.query_params.get("project", "")
        tag = f"project:{project}" if project else None

        def read() -> dict[str, Any]:
            last = queue.last_event_seq()
            jobs = queue.jobs(kind=KIND, tag=tag, limit=200)
            recent = queue.jobs(kind=KIND, limit=500)
            projects = sorted({s["project"] for s in map(summary, recent) if s["project"]})
            return {
                "last_seq": last,
                "jobs": [summary(j) for j in jobs],
                "stats": queue.stats(tag=tag).get(QUEUE, {}),
                # Queued CVs that no live worker (here or elsewhere) would claim.
                "unhandled": queue.unhandled().get((QUEUE, KIND), 0),
                "projects": projects,
            }

        return JSONResponse(await run(read))

    async def job(request: Request) -> Response:
        job_id = int(request.path_params["job_id"])
        try:
            found = await run(queue.get, job_id)
        except litequeue.JobNotFound:
            return _error(404, f"no job {job_id}")
        return JSONResponse({**summary(found), "result": found.result})

    async def change(request: Request) -> Response:
        job_id, action = int(request.path_params["job_id"]), request.path_params["action"]
        if action not in ("retry", "cancel"):
            return _error(404, f"no action {action!r}")
        try:
            changed = await run(getattr(queue, action), job_id)
        except litequeue.JobNotFound:
            return _error(404, f"no job {job_id}")
        except litequeue.InvalidTransition as exc:
            return _error(409, str(exc))
        return JSONResponse(summary(changed))

    # Room for every file at its largest, plus the form's own lines.
    max_request = MAX_FILES * max_upload + 2**20

    async def upload(request: Request) -> Response:
        length = request.headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > max_request:
            return _error(413, f"upload larger than {max_request // 2**20} MB")
        try:
            got = await receive(
                request,
                uploads,
                suffixes=ALLOWED_SUFFIXES,
                max_file=max_upload,
                max_files=MAX_FILES,
                max_request=max_request,
            )
        except Refused as exc:
            return _error(exc.status, str(exc))
        if not got.files:
            return _error(400, "no files in the upload (field 'files')")

        def enqueue() -> list[litequeue.Job]:
            tags = [f"project:{got.project}"] if got.project else []
            return queue.enqueue_many(
                [{"kind": KIND, "payload": {"path": str(t), "name": n}} for n, t in got.files],
                queue=QUEUE,
                tags=tags,
            )

        try:
            jobs = await run(enqueue)  # committed before the response
        except Exception:
            got.discard()  # no job will ever read them
            raise
        return JSONResponse([summary(j) for j in jobs], status_code=201)

    async def events(request: Request) -> Response:
        start = _after(request)
        if start is None:
            return _error(400, f"Last-Event-ID and ?after= take a number 0..{_LAST_SEQ}")
        after = start
        # Set by serve(): uvicorn waits for open responses before it stops the worker.
        stopping: Callable[[], bool] = request.app.state.stopping

        async def stream() -> AsyncIterator[str]:
            nonlocal after
            yield "retry: 1000\n\n"
            idle = 0.0
            while not (stopping() or await request.is_disconnected()):
                batch = await run(_read_events, queue, after)
                for event in batch:
                    after = event.seq
                    try:
                        current = await run(queue.get, event.job_id)
                    except litequeue.JobNotFound:
                        continue
                    if current.kind != KIND:
                        continue
                    body = {"seq": event.seq, "type": event.type.value, "job": summary(current)}
                    yield f"id: {event.seq}\nevent: job\ndata: {json.dumps(body)}\n\n"
                if not batch:
                    idle += poll
                    if idle >= 15:
                        idle = 0.0
                        yield ": keep-alive\n\n"
                    await asyncio.sleep(poll)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        thread = None
        if run_worker:
            thread = threading.Thread(target=worker.run, name="litequeue-web-worker", daemon=True)
            thread.start()
        try:
            yield
        finally:
            if thread is not None:
                worker.stop(grace=5)
                thread.join(10)
            queue.close()

    routes = [
        Route("/", index),
        Route("/api/state", state),
        Route("/api/upload", upload, methods=["POST"]),
        Route("/api/events", events),
        Route("/api/jobs/{job_id:int}", job),
        Route("/api/jobs/{job_id:int}/{action}", change, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_Guard, token=token)],
        exception_handlers={litequeue.DatabaseBusy: _busy, litequeue.StoreError: _store_failed},
        lifespan=lifespan,
    )
    app.state.queue = queue
    app.state.stopping = _never
    return app


def serve(app: Starlette, sock: socket.socket) -> None:
    """Serve ``app`` on the listening ``sock`` until SIGINT or SIGTERM, then stop the
    worker: open event streams end as soon as uvicorn is told to exit."""
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=_SHUTDOWN_GRACE)
    )
    app.state.stopping = lambda: server.should_exit

    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    # uvicorn takes the signals only while it runs, and re-raises the one that
    # stopped it when done; around it, a signal just asks it to stop, so a stop by
    # signal ends in status 0 rather than KeyboardInterrupt or death by SIGTERM.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
