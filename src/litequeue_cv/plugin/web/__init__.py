"""``litequeue-cv web``: a page to drop CVs on and watch them being read, live.

A Starlette app over one ``litequeue.Queue``. Uploads are saved under the data
folder with server-made names and enqueued as ``cv.extract`` jobs tagged with the
current project before the response is sent. The job list moves live through
Server-Sent Events fed from ``Queue.events(after=...)``: a browser that
reconnects sends its Last-Event-ID and misses nothing, and a reload shows the
same state, because everything shown is read from the queue file.

Safe by default: it binds 127.0.0.1, caps upload size and type, never uses a
client's file name on disk, refuses state-changing requests from other origins
(and without its custom header), sends a strict Content-Security-Policy (the
page puts every name and CV text in with ``textContent``), and can require a
token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import litequeue

from .. import KIND, QUEUE

__all__ = ["ALLOWED_SUFFIXES", "MAX_UPLOAD", "create_app"]

STATIC = Path(__file__).with_name("static")
#: File types the page takes (others are refused with 415).
ALLOWED_SUFFIXES = frozenset({".pdf", ".docx", ".txt"})
#: Largest file accepted, in bytes.
MAX_UPLOAD = 10 * 2**20
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
        self.token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if self.token is not None and request.url.path.startswith("/api/"):
            given = request.headers.get("authorization", "").removeprefix("Bearer ")
            given = given or request.query_params.get("token", "")
            if not secrets.compare_digest(given, self.token):
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


def _read_events(queue: litequeue.Queue, after: int) -> list[litequeue.Event]:
    return list(queue.events(after=after))


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


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

    async def upload(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > max_upload * 20:
            return _error(413, "upload too large")
        form = await request.form(max_files=20, max_fields=5)
        project = str(form.get("project") or "").strip()[:80]
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not files:
            return _error(400, "no files in the upload (field 'files')")
        saved = []
        for item in files:
            name = Path(item.filename or "cv").name[:200]
            suffix = Path(name).suffix.lower()
            if suffix not in ALLOWED_SUFFIXES:
                kinds = ", ".join(sorted(ALLOWED_SUFFIXES))
                return _error(415, f"{name}: only {kinds} files are taken")
            target = uploads / f"{uuid.uuid4().hex}{suffix}"
            size = 0
            with target.open("wb") as out:
                while chunk := await item.read(1 << 16):
                    size += len(chunk)
                    if size > max_upload:
                        out.close()
                        target.unlink()
                        return _error(413, f"{name}: larger than {max_upload // 2**20} MB")
                    out.write(chunk)
            saved.append((name, target))

        def enqueue() -> list[litequeue.Job]:
            tags = [f"project:{project}"] if project else []
            return queue.enqueue_many(
                [{"kind": KIND, "payload": {"path": str(t), "name": n}} for n, t in saved],
                queue=QUEUE,
                tags=tags,
            )

        jobs = await run(enqueue)  # committed before the response
        return JSONResponse([summary(j) for j in jobs], status_code=201)

    async def events(request: Request) -> Response:
        start = request.headers.get("last-event-id") or request.query_params.get("after", "0")
        after = int(start) if start.isdigit() else 0

        async def stream() -> AsyncIterator[str]:
            nonlocal after
            yield "retry: 1000\n\n"
            idle = 0.0
            while not await request.is_disconnected():
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
    app = Starlette(routes=routes, middleware=[Middleware(_Guard, token=token)], lifespan=lifespan)
    app.state.queue = queue
    return app
