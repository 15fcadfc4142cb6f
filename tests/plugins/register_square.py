"""A plugin module: registers handlers through the hook, as an installed plugin would."""

from __future__ import annotations

import litequeue
from plugins import handlers

seen: list[litequeue.Event] = []


@litequeue.hookimpl
def litequeue_register_handlers(register: litequeue.hookspecs.Register) -> None:
    register("math.square", handlers.square, version="2")


@litequeue.hookimpl
def litequeue_job_event(event: litequeue.Event) -> None:
    seen.append(event)
