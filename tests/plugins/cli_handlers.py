"""A plugin module for the CLI tests: handlers a ``litequeue --plugin`` worker runs."""

from __future__ import annotations

from typing import Any

import litequeue


def add(ctx: litequeue.Context, payload: Any) -> Any:
    ctx.progress(50, "adding")
    return {"sum": sum(payload["numbers"])}


def explode(ctx: litequeue.Context, payload: Any) -> Any:
    raise ValueError(f"cannot handle {payload!r}")


@litequeue.hookimpl
def litequeue_register_handlers(register: Any) -> None:
    register("cli.add", add)
    register("cli.explode", explode, max_attempts=1)
