"""What the dashboard's routes and the pages plugins add share: reading an id or a
sequence number from a request, running a queue call off the event loop, the
answers for a missing job and a failing store, and a job's retry/cancel/delete."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import litequeue

from ._guard import error

__all__ = ["ACTIONS", "LAST_SEQ", "STORE_ERRORS", "change_job", "in_thread", "no_job", "number"]

#: What a job's page and a bulk action may do to a job.
ACTIONS = ("retry", "cancel", "delete")
#: The largest job id or event sequence number (a signed 64-bit integer).
LAST_SEQ = 2**63 - 1


def number(text: str) -> int | None:
    """``text`` as a sequence number or job id (0..2**63-1), or None if it is not one
    (``str.isdigit`` also takes digits such as "²")."""
    # The length first: int() refuses numbers of more than 4,300 digits with a ValueError.
    if not (text.isascii() and text.isdigit() and len(text) <= 19) or int(text) > LAST_SEQ:
        return None
    return int(text)


async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a worker thread: queue calls block on the database."""
    return await anyio.to_thread.run_sync(lambda: fn(*args))


def no_job(request: Request) -> Response:
    """404 naming the ``job_id`` the path gave."""
    return error(404, f"no job {request.path_params['job_id'][:100]}")


def _busy(request: Request, exc: Exception) -> Response:
    response = error(503, f"the queue file is busy, try again: {exc}")
    response.headers["retry-after"] = "1"
    return response


def _store_failed(request: Request, exc: Exception) -> Response:
    return error(500, f"the queue file cannot be used: {exc}")


#: Starlette ``exception_handlers`` for a store that is busy (503, retry) or broken.
STORE_ERRORS: Mapping[Any, Callable[[Request, Exception], Response]] = {
    litequeue.DatabaseBusy: _busy,
    litequeue.StoreError: _store_failed,
}


async def change_job(
    request: Request,
    queue: litequeue.Queue,
    present: Callable[[litequeue.Job], Any],
    *,
    before: Callable[[], None] | None = None,
) -> Response:
    """The route ``.../{job_id}/{action}``: retry, cancel or delete the job, answered
    with ``present(job)`` (the ids deleted, for a delete); ``before`` runs once the
    request is known to be well formed, before the change."""
    job_id, action = number(request.path_params["job_id"]), request.path_params["action"]
    if action not in ACTIONS:
        return error(404, f"no action {action[:100]!r}")
    if job_id is None:
        return no_job(request)
    if before is not None:
        before()
    try:
        changed = await in_thread(getattr(queue, action), job_id)
    except litequeue.JobNotFound:
        return no_job(request)
    except litequeue.InvalidTransition as exc:
        return error(409, str(exc))
    if action == "delete":
        return JSONResponse({"deleted": [gone.id for gone in changed]})
    return JSONResponse(present(changed))
