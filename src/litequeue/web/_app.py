"""The dashboard's Starlette app: its page, its JSON API and its event stream.

Every read goes through the queue (and the new dashboard reads through its
``Store``), in a worker thread, so a busy file never blocks the event loop. Changes
(pause, limit, retry, cancel, delete, bulk) are refused in read-only mode by the
guard, before they reach a handler.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Collection
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

import litequeue

from ..engines.listing import SortTooWide
from ._draw import draw_event, job_detail, job_row
from ._guard import Guard, error
from ._live import Live
from ._overview import Overview
from ._query import BadQuery, job_filter, page_query, position_text
from ._routes import ACTIONS, LAST_SEQ, STORE_ERRORS, change_job, in_thread, no_job, number
from ._views import collect_views

__all__ = ["create_app"]

STATIC = Path(__file__).with_name("static")
#: Most jobs a page of the table reads to check filters no index serves (text, kind,
#: queue, tag): a page stays well under 200 ms on a million jobs; a search that finds
#: less than a page in them says so, and the next page reads on.
SCAN = 100_000
#: Most jobs a bulk action touches in one request.
MAX_BULK = 100_000
_DASHBOARD = "dashboard"  # the dashboard's own channel of the event stream


def _bad_query(request: Request, exc: Exception) -> Response:
    return error(400, str(exc))


def _never() -> bool:
    return False


def create_app(
    target: str | Path | litequeue.Queue,
    *,
    token: str | None = None,
    allowed_hosts: Collection[str] = (),
    read_only: bool = False,
    poll: float = 0.25,
) -> Starlette:
    """The dashboard of a queue: a ``Queue`` (left open: it is the caller's) or a
    queue file opened for it (closed when the app stops).

    Mount it in your own ASGI app (``Mount("/queue", app=create_app(queue))``) or
    serve it with ``serve``. ``token`` None serves without one; ``allowed_hosts``
    are names, besides loopback ones and the bound address, it may be asked by."""
    owned = not isinstance(target, litequeue.Queue)
    queue = target if isinstance(target, litequeue.Queue) else litequeue.Queue(target)
    try:
        views = collect_views(queue, read_only)
    except BaseException:
        if owned:
            queue.close()
        raise
    channels = {_DASHBOARD: draw_event} | {v.name: v.draw for v in views if v.draw is not None}
    live = Live(queue, channels, poll=poll)
    summary = Overview(queue)
    follower: asyncio.Task[None] | None = None
    stopped = False

    def following() -> None:
        """Start the one follower of the log at the first stream: a mounted app's
        lifespan is not run by every host app."""
        nonlocal follower
        if follower is None:
            follower = asyncio.get_running_loop().create_task(
                live.follow(lambda: stopped or app.state.stopping())
            )

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def state(request: Request) -> Response:
        answer = await summary.read()
        answer["read_only"] = read_only
        answer["views"] = [{"name": v.name, "title": v.title} for v in views]
        return JSONResponse(answer)

    async def listing(request: Request) -> Response:
        page = page_query(request.query_params, request.query_params.getlist("status"))

        def read() -> dict[str, Any]:
            jobs, following = queue.store.list_jobs(
                page.where, order=page.order, after=page.after, limit=page.limit, scan=SCAN
            )
            return {
                "jobs": [job_row(j) for j in jobs],
                "next": position_text(following, page.order.by),
                "scan": SCAN,
            }

        return JSONResponse(await in_thread(read))

    async def count(request: Request) -> Response:
        where = job_filter(request.query_params, request.query_params.getlist("status"))
        return JSONResponse({"count": await in_thread(queue.store.count_jobs, where)})

    async def job(request: Request) -> Response:
        job_id = number(request.path_params["job_id"])
        if job_id is None:
            return no_job(request)

        def read() -> dict[str, Any]:
            found = queue.get(job_id)
            events = [e.to_dict() for e in queue.events(job_id=job_id)]
            children = queue.jobs(parent_id=job_id, limit=200)
            return {
                **job_detail(found),
                "waiting": queue.why_waiting(job_id),
                "events": events,
                "children": [job_row(c) for c in children],
                "last_seq": queue.last_event_seq(),
            }

        try:
            return JSONResponse(await in_thread(read))
        except litequeue.JobNotFound:
            return no_job(request)

    async def change(request: Request) -> Response:
        return await change_job(request, queue, job_row, before=summary.changed)

    async def bulk(request: Request) -> Response:
        action = request.path_params["action"]
        if action not in ACTIONS:
            return error(404, f"no action {action[:100]!r}")
        params = request.query_params
        where = job_filter(params, params.getlist("status"))
        expected = number(params.get("expected", ""))
        if expected is None:
            return error(400, "?expected= takes the count the user confirmed")

        def apply() -> Response:
            matching = queue.store.count_jobs(where)
            if matching != expected:
                return error(409, f"the filter now matches {matching} jobs, not {expected}")
            if matching > MAX_BULK:
                return error(413, f"a bulk action touches up to {MAX_BULK} jobs, not {matching}")
            ids: list[int] = []
            following = None
            while True:
                jobs, following = queue.store.list_jobs(where, after=following, limit=500)
                ids.extend(j.id for j in jobs)
                if following is None:
                    break
            done, skipped = queue.steer_many(action, ids)  # skipped: changed since
            return JSONResponse({"action": action, "done": done, "skipped": skipped})

        response: Response = await in_thread(apply)
        summary.changed()
        return response

    async def set_queue(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            body = await request.json()
        except ValueError:
            return error(400, 'the body must be JSON: {"paused": bool, "limit": int|null}')
        if not isinstance(body, dict) or not set(body) <= {"paused", "limit"}:
            return error(400, "the body takes paused (true/false) and limit (a number or null)")
        changes: dict[str, Any] = {}
        if "paused" in body:
            if not isinstance(body["paused"], bool):
                return error(400, "paused takes true or false")
            changes["paused"] = body["paused"]
        if "limit" in body:
            limit = body["limit"]
            if limit is not None and (type(limit) is not int or not 0 <= limit <= 1_000_000):
                return error(400, "limit takes a number 0..1000000, or null for none")
            changes["limit"] = limit
        try:
            info = await in_thread(lambda: queue.set_queue(name, **changes))
        except litequeue.ConfigurationError as exc:
            return error(400, str(exc))
        summary.changed()
        return JSONResponse({"name": info.name, "limit": info.limit, "paused": info.paused})

    def events_of(channel: str) -> Callable[[Request], Any]:
        async def events(request: Request) -> Response:
            start = number(
                request.headers.get("last-event-id") or request.query_params.get("after", "0")
            )
            if start is None:
                return error(400, f"Last-Event-ID and ?after= take a number 0..{LAST_SEQ}")
            following()
            return StreamingResponse(
                live.stream(start, channel),
                media_type="text/event-stream",
                headers={"cache-control": "no-store", "x-accel-buffering": "no"},
            )

        return events

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal stopped
        try:
            yield
        finally:
            stopped = True
            if follower is not None:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower
            if owned:
                queue.close()

    routes: list[BaseRoute] = [
        Route("/", index),
        Route("/api/state", state),
        Route("/api/jobs", listing),
        Route("/api/jobs/count", count),
        Route("/api/jobs/bulk/{action}", bulk, methods=["POST"]),
        Route("/api/jobs/{job_id}", job),
        Route("/api/jobs/{job_id}/{action}", change, methods=["POST"]),
        Route("/api/queues/{name}", set_queue, methods=["POST"]),
        Route("/api/events", events_of(_DASHBOARD)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    for view in views:
        own: list[BaseRoute] = list(view.routes)
        if view.draw is not None:
            own.insert(0, Route("/api/events", events_of(view.name)))
        routes.append(Mount(f"/views/{view.name}", routes=own))
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(Guard, token=token, allowed_hosts=allowed_hosts, read_only=read_only)
        ],
        exception_handlers={
            **STORE_ERRORS,
            BadQuery: _bad_query,
            SortTooWide: _bad_query,
        },
        lifespan=lifespan,
    )
    app.state.queue = queue
    app.state.live = live
    app.state.stopping = _never
    return app
