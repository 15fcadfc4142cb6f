"""``litequeue-cv web``: a page to drop CVs on and watch them being read, live.

A Starlette app over one ``litequeue.Queue``. Uploads are saved under the data
folder with server-made names and enqueued as ``cv.extract`` jobs tagged with the
current project before the response is sent. The job list moves live through
Server-Sent Events fed from ``Queue.events(after=...)``: a browser that
reconnects sends its Last-Event-ID and misses nothing, and a reload shows the
same state, because everything shown is read from the queue file.

Safe by default: it binds 127.0.0.1, answers only to its own address and
loopback names, requires the token of its start-up link, caps upload size,
count, type and time while the body streams in, never uses a client's file name
on disk, refuses state-changing requests from other origins (and without its
custom header), and sends a strict Content-Security-Policy (the page puts every
name and CV text in with ``textContent``). Deleting a job, here or anywhere,
removes its uploaded file (see ``litequeue_jobs_removed`` in the plugin).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Collection
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

import litequeue
from litequeue.web import (
    LAST_SEQ,
    STORE_ERRORS,
    Guard,
    Live,
    View,
    change_job,
    error,
    in_thread,
    no_job,
    number,
    serve,
)

from .. import KIND, QUEUE, UPLOADS_MARKER, content_key_of, uploaded_file
from ._files import LABELS, export_csv, export_jsonl, file_states, is_digest, summary_line
from ._upload import Refused, receive

__all__ = [
    "ALLOWED_SUFFIXES",
    "MAX_FILES",
    "MAX_UPLOAD",
    "UPLOAD_TIMEOUT",
    "create_app",
    "serve",
    "view",
]

STATIC = Path(__file__).with_name("static")
#: File types the page takes (others are refused with 415).
ALLOWED_SUFFIXES = frozenset({".pdf", ".docx", ".txt"})
#: Largest file accepted, in bytes.
MAX_UPLOAD = 10 * 2**20
#: Most files in one upload request.
MAX_FILES = 20
#: Seconds an upload's body may take to arrive (a body that trickles in is cut off).
UPLOAD_TIMEOUT = 120.0
_MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
#: Most jobs the page's list shows (it says how many there are).
LIST_LIMIT = 200


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


def _after(request: Request) -> int | None:
    """Where an event stream starts: ``Last-Event-ID`` or ``?after=``; None if that
    is not a sequence number."""
    return number(request.headers.get("last-event-id") or request.query_params.get("after", "0"))


def _project_tag(request: Request) -> str | None:
    """The tag of the project the page filters by (``?project=``), if any."""
    project = request.query_params.get("project", "")
    return f"project:{project}" if project else None


def _never() -> bool:
    return False


def draw(event: litequeue.Event, job: litequeue.Job | None) -> dict[str, Any] | None:
    """An event as the CV page's stream sends it: CV jobs only, and every deletion."""
    if event.type is litequeue.EventType.DELETED:
        return {"seq": event.seq, "type": "deleted", "id": event.job_id}
    if job is None or job.kind != KIND:
        return None
    return {"seq": event.seq, "type": event.type.value, "job": summary(job)}


def routes(
    queue: litequeue.Queue,
    uploads: Path | None,
    *,
    max_upload: int = MAX_UPLOAD,
    upload_timeout: float = UPLOAD_TIMEOUT,
) -> list[BaseRoute]:
    """The CV page's routes but its event stream, over ``queue``; uploads are saved in
    ``uploads`` (None: a read-only page, with no upload route)."""

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def favicon(request: Request) -> Response:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    def page(tag: str | None, before: int | None) -> dict[str, Any]:
        """A page of the list, newest first, and whether older jobs remain."""
        jobs = queue.jobs(kind=KIND, tag=tag, before_id=before, limit=LIST_LIMIT + 1)
        return {"jobs": [summary(j) for j in jobs[:LIST_LIMIT]], "more": len(jobs) > LIST_LIMIT}

    async def state(request: Request) -> Response:
        tag = _project_tag(request)

        def read() -> dict[str, Any]:
            last = queue.last_event_seq()
            first = page(tag, None)
            recent = queue.jobs(kind=KIND, limit=500)
            projects = sorted({s["project"] for s in map(summary, recent) if s["project"]})
            stats = queue.stats(tag=tag).get(QUEUE, {})
            return {
                "last_seq": last,
                **first,
                "total": sum(stats.values()),
                "stats": stats,
                # Queued CVs that no live worker (here or elsewhere) would claim.
                "unhandled": queue.unhandled().get((QUEUE, KIND), 0),
                "projects": projects,
                "read_only": uploads is None,
            }

        return JSONResponse(await in_thread(read))

    async def older(request: Request) -> Response:
        before = number(request.query_params.get("before", ""))
        if before is None:
            return error(400, f"?before= takes a job id 0..{LAST_SEQ}")
        return JSONResponse(await in_thread(page, _project_tag(request), before))

    async def job(request: Request) -> Response:
        job_id = number(request.path_params["job_id"])
        if job_id is None:
            return no_job(request)

        def read() -> dict[str, Any]:
            found = queue.get(job_id)
            waiting = queue.why_waiting(job_id) if found.status.value == "queued" else []
            return {**summary(found), "result": found.result, "waiting": waiting}

        try:
            return JSONResponse(await in_thread(read))
        except litequeue.JobNotFound:
            return no_job(request)

    async def change(request: Request) -> Response:
        return await change_job(request, queue, summary)

    # Room for every file at its largest, plus the form's own lines.
    max_request = MAX_FILES * max_upload + 2**20

    async def upload(request: Request) -> Response:
        if uploads is None:
            return error(403, "the page is read-only (started with --read-only)")
        length = request.headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > max_request:
            return error(413, f"upload larger than {max_request // 2**20} MB")
        try:
            await in_thread(_upload_folder, uploads.parent)  # made at the first upload, or again
            got = await receive(
                request,
                uploads,
                suffixes=ALLOWED_SUFFIXES,
                max_file=max_upload,
                max_files=MAX_FILES,
                max_request=max_request,
                timeout=upload_timeout,
            )
        except Refused as exc:
            return error(exc.status, str(exc))
        if not got.files:
            return error(400, "no files in the upload (field 'files')")

        def enqueue() -> list[dict[str, Any]]:
            """Enqueue each file but those read before with the current handler
            (unless forced); a file already being read keeps its job."""
            tags = [f"project:{got.project}"] if got.project else []
            states = file_states(queue, got.digests)
            skip = [not got.force and s is litequeue.KeyState.DONE for s in states]
            items = [
                {
                    "kind": KIND,
                    "payload": {"path": str(target), "name": name},
                    "unique_key": content_key_of(digest),
                    "force": got.force,
                }
                for (name, target), digest, skipped in zip(
                    got.files, got.digests, skip, strict=True
                )
                if not skipped
            ]
            jobs = iter(queue.enqueue_many(items, queue=QUEUE, tags=tags))
            answer = []
            for (name, target), digest, skipped in zip(got.files, got.digests, skip, strict=True):
                if skipped:
                    target.unlink(missing_ok=True)
                    done = queue.jobs(unique_key=content_key_of(digest), kind=KIND, limit=1)
                    answer.append({**summary(done[0]), "skipped": LABELS[litequeue.KeyState.DONE]})
                    continue
                job = next(jobs)
                if job.payload != {"path": str(target), "name": name}:
                    target.unlink(missing_ok=True)  # the file's job was there already
                answer.append(summary(job))
            return answer

        try:
            answer = await in_thread(enqueue)  # committed before the response
        except Exception:
            got.discard()  # no job will ever read them
            raise
        return JSONResponse(answer, status_code=201)

    async def preview(request: Request) -> Response:
        """What the queue knows of files about to be dropped, by their SHA-256."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        digests = body.get("sha256") if isinstance(body, dict) else None
        if not isinstance(digests, list) or not all(map(is_digest, digests)):
            return error(400, 'the body is {"sha256": [the hex SHA-256 of each file]}')
        if len(digests) > MAX_FILES:
            return error(413, f"at most {MAX_FILES} files per upload")
        states = await in_thread(file_states, queue, digests)
        return JSONResponse(
            {"states": [LABELS[s] for s in states], "summary": summary_line(states)}
        )

    async def export(request: Request) -> Response:
        shape = request.path_params["shape"]
        if shape not in ("jsonl", "csv"):
            return error(404, "exports are cvs.jsonl and cvs.csv")
        write = export_jsonl if shape == "jsonl" else export_csv
        text = await in_thread(write, queue, _project_tag(request))
        kind = "application/jsonl" if shape == "jsonl" else "text/csv"
        return Response(
            text,
            media_type=f"{kind}; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="cvs.{shape}"'},
        )

    async def original(request: Request) -> Response:
        """The file as it was dropped, for the browser's own viewer beside the CV."""
        job_id = number(request.path_params["job_id"])
        if job_id is None:
            return no_job(request)
        try:
            found = await in_thread(queue.get, job_id)
        except litequeue.JobNotFound:
            return no_job(request)
        path = uploaded_file(found)
        if path is None or not path.is_file():
            return error(404, f"job {job_id} has no uploaded file")
        return FileResponse(
            path,
            media_type=_MEDIA_TYPES[path.suffix],
            content_disposition_type="inline",
            # Shown in a frame of the page itself, and nowhere else.
            headers={
                "content-security-policy": "frame-ancestors 'self'",
                "x-frame-options": "SAMEORIGIN",
            },
        )

    return [
        Route("/", index),
        Route("/favicon.ico", favicon),
        Route("/api/state", state),
        Route("/api/jobs", older),
        Route("/api/upload", upload, methods=["POST"]),
        Route("/api/preview", preview, methods=["POST"]),
        Route("/api/export/cvs.{shape}", export),
        Route("/api/jobs/{job_id}", job),
        Route("/api/jobs/{job_id}/file", original),
        Route("/api/jobs/{job_id}/{action}", change, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def view(queue: litequeue.Queue, read_only: bool) -> View:
    """The CV page as a view of ``litequeue web``: uploads go to ``cv-data/uploads``
    beside the queue file, or in the current folder for a database URL (none in
    ``read_only`` mode); the dashboard runs no worker
    (``litequeue worker --queue cv`` does, anywhere)."""
    # Beside a queue file, or here for a database URL (as litequeue-cv web does).
    # Made at the first upload: a dashboard of a queue with no CVs leaves no folder.
    home = queue.path.resolve().parent if isinstance(queue.path, Path) else Path.cwd()
    uploads = None if read_only else home / "cv-data" / "uploads"
    return View(name="cv", title="CVs", routes=routes(queue, uploads), draw=draw)


def create_app(
    db: str | Path,
    *,
    data_dir: str | Path,
    token: str | None = None,
    allowed_hosts: Collection[str] = (),
    run_worker: bool = True,
    workers: int = 2,
    max_upload: int = MAX_UPLOAD,
    upload_timeout: float = UPLOAD_TIMEOUT,
    poll: float = 0.25,
) -> Starlette:
    """The CV page alone (``litequeue-cv web``), for the queue file ``db``, with a
    worker of its own unless ``run_worker`` is False; uploads go under ``data_dir``.

    ``token`` None serves without one (the command line makes one per start);
    ``allowed_hosts`` are names, besides loopback ones and the bound address, that
    the page may be asked by."""
    from .. import __name__ as plugin_module

    # The queue first: a database in a folder that does not exist is refused, and
    # no folder is made for it.
    queue = litequeue.Queue(db, plugins=[plugin_module])
    try:
        uploads = _upload_folder(Path(data_dir))
    except BaseException:
        queue.close()
        raise
    worker = litequeue.Worker(queue, queues=[QUEUE], concurrency=workers)
    live = Live(queue, {"cv": draw}, poll=poll)

    async def events(request: Request) -> Response:
        start = _after(request)
        if start is None:
            return error(400, f"Last-Event-ID and ?after= take a number 0..{LAST_SEQ}")
        return StreamingResponse(
            live.stream(start, "cv"),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        thread = None
        if run_worker:
            thread = threading.Thread(target=worker.run, name="litequeue-web-worker", daemon=True)
            thread.start()
        stopped = False
        # Set by serve(): uvicorn waits for open responses before it stops the worker.
        follower = asyncio.create_task(live.follow(lambda: stopped or app.state.stopping()))
        try:
            yield
        finally:
            stopped = True
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
            if thread is not None:
                worker.stop(grace=5)
                thread.join(10)
            queue.close()

    own = routes(queue, uploads, max_upload=max_upload, upload_timeout=upload_timeout)
    app = Starlette(
        routes=[Route("/api/events", events), *own],
        middleware=[Middleware(Guard, token=token, allowed_hosts=allowed_hosts)],
        exception_handlers=dict(STORE_ERRORS),
        lifespan=lifespan,
    )
    app.state.queue = queue
    app.state.stopping = _never
    return app


def _upload_folder(data_dir: Path) -> Path:
    """The folder uploads are saved in, made if need be, with the marker that lets
    the plugin remove a file there when its job is deleted or pruned. Absolute, since
    jobs keep the path and are pruned from anywhere."""
    uploads = data_dir.resolve() / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    marker = uploads / UPLOADS_MARKER
    if not marker.exists():
        marker.write_text(
            "CVs uploaded through litequeue-cv web. Each file is removed when its job is\n"
            "deleted (litequeue delete ID, or the page's delete button) or pruned.\n"
        )
    return uploads
