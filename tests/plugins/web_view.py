"""A plugin that adds a page to the dashboard (``litequeue_web_views``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import litequeue
from litequeue.web import View


async def hello(request: Request) -> Response:
    return JSONResponse({"hello": "from a plugin"})


def draw(event: litequeue.Event, job: litequeue.Job | None) -> dict[str, Any] | None:
    """Only the enqueued events, as the plugin's page wants them."""
    if event.type is not litequeue.EventType.ENQUEUED:
        return None
    return {"seq": event.seq, "id": event.job_id, "said": "enqueued"}


@litequeue.hookimpl
def litequeue_web_views(register: Any, read_only: bool) -> None:
    register(View(name="hello", title="Hello", routes=[Route("/", hello)], draw=draw))
