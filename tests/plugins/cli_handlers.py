"""A plugin module for the CLI tests: handlers a ``litequeue --plugin`` worker runs."""

from __future__ import annotations

import time
from typing import Any

import litequeue


def add(ctx: litequeue.Context, payload: Any) -> Any:
    ctx.progress(50, "adding")
    return {"sum": sum(payload["numbers"])}


def explode(ctx: litequeue.Context, payload: Any) -> Any:
    raise ValueError(f"cannot handle {payload!r}")


def wait_for_cancel(ctx: litequeue.Context, payload: Any) -> Any:
    """Run until the attempt is cancelled (or 60 s pass), then end as if it finished."""
    ctx.progress(0, "waiting")
    for _ in range(6000):
        if ctx.cancelled:
            break
        time.sleep(0.01)
    return "stopped waiting"


def sleep(ctx: litequeue.Context, payload: Any) -> Any:
    """Sleep ``payload["seconds"]``, deaf to any stop."""
    ctx.progress(0, "sleeping")
    time.sleep(payload["seconds"])
    return "slept"


@litequeue.hookimpl
def litequeue_register_handlers(register: Any) -> None:
    register("cli.add", add)
    register("cli.explode", explode, max_attempts=1)
    register("cli.wait", wait_for_cancel)
    register("cli.sleep", sleep)
