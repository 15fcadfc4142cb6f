"""Handlers that tests import by name: child processes find them here."""

from __future__ import annotations

import os
import time
from typing import Any

import litequeue

#: The file ``record`` appends to (an environment variable: child processes inherit it).
RECORD_ENV = "LITEQUEUE_TEST_RECORD"


def _append(line: str) -> None:
    """One ``write`` per line with O_APPEND: lines from many processes never mix."""
    fd = os.open(os.environ[RECORD_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def record(ctx: litequeue.Context, payload: Any) -> Any:
    """Note the start and the end of each attempt; sleep as the payload says
    (``sleep``, or ``sleep_first`` on the first attempt only); fail for good with
    ``fail``."""
    _append(f"start {ctx.job.id} {ctx.attempt} {os.getpid()} {time.time()}\n")
    options = payload if isinstance(payload, dict) else {}
    if ctx.attempt == 1 and options.get("sleep_first"):
        time.sleep(options["sleep_first"])
    if options.get("sleep"):
        time.sleep(options["sleep"])
    _append(f"end {ctx.job.id} {ctx.attempt} {os.getpid()} {time.time()}\n")
    if options.get("fail"):
        raise BrokenInput(f"job {ctx.job.id} was told to fail")
    return payload


def square(ctx: litequeue.Context, payload: Any) -> Any:
    ctx.progress(50, "squaring")
    return {"value": payload["n"] ** 2, "pid": os.getpid()}


def sleep(ctx: litequeue.Context, payload: Any) -> Any:
    time.sleep(payload["seconds"])
    return "slept"


def crash(ctx: litequeue.Context, payload: Any) -> Any:
    os._exit(3)


def hog_memory(ctx: litequeue.Context, payload: Any) -> Any:
    block = bytearray(payload["bytes"])
    return len(block)


def pid(ctx: litequeue.Context, payload: Any) -> Any:
    return os.getpid()


def fail(ctx: litequeue.Context, payload: Any) -> Any:
    raise ValueError(f"bad input {payload!r}")


def retry_later(ctx: litequeue.Context, payload: Any) -> Any:
    raise litequeue.Retry("not yet", delay=0)


class BrokenInput(Exception):
    """A failure another attempt cannot fix."""

    retryable = False


def permanent(ctx: litequeue.Context, payload: Any) -> Any:
    raise BrokenInput(f"{payload['name']}: not a readable file")


class Unprintable(Exception):
    """An exception that cannot say what it is."""

    def __str__(self) -> str:
        raise RuntimeError("no text")


def unprintable(ctx: litequeue.Context, payload: Any) -> Any:
    raise Unprintable()


BAD_DELAYS: dict[str, Any] = {
    "inf": float("inf"),
    "nan": float("nan"),
    "huge": 1e300,
    "text": "5",
    "negative": -1,
}


def retry_with_bad_delay(ctx: litequeue.Context, payload: Any) -> Any:
    raise litequeue.Retry("later", delay=BAD_DELAYS[payload["delay"]])


class UnsureError(Exception):
    """An exception whose ``retryable`` cannot be read."""

    @property
    def retryable(self) -> bool:
        raise RuntimeError("cannot tell")


def unsure(ctx: litequeue.Context, payload: Any) -> Any:
    raise UnsureError("failed, retryable unknown")


def not_json(ctx: litequeue.Context, payload: Any) -> Any:
    return lambda: "a function is neither JSON nor picklable"


def int_keys(ctx: litequeue.Context, payload: Any) -> Any:
    return {1: "one", "1": "also one"}


def report_when_told(ctx: litequeue.Context, payload: Any) -> Any:
    """Report progress once the file ``payload["go"]`` exists, then answer who it is."""
    if payload.get("go"):
        while not os.path.exists(payload["go"]):
            time.sleep(0.01)
        ctx.progress(10, "working")
    return {"job": ctx.job.id}


def start_a_grandchild(ctx: litequeue.Context, payload: Any) -> Any:
    """Start a process of its own, note its pid, and wait for it (60 s)."""
    import subprocess
    import sys

    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with open(payload["pidfile"], "w") as handle:
        handle.write(str(grandchild.pid))
    grandchild.wait()
    return "the grandchild ended"


def break_the_child(ctx: litequeue.Context, payload: Any) -> Any:
    """Note the process's pid in ``payload["pidfile"]``, then raise the builtin
    exception named ``payload["raise"]`` (``MemoryError``, ``SystemExit``...)."""
    import builtins

    with open(payload["pidfile"], "w") as handle:
        handle.write(str(os.getpid()))
    raise getattr(builtins, payload["raise"])("raised on purpose")


def leave_processes_behind(ctx: litequeue.Context, payload: Any) -> Any:
    """Start a process that is not waited for and a daemon that forks away from its
    parent, note both pids in ``payload["pidfile"]``, and return at once."""
    import subprocess
    import sys

    left = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    daemon_pidfile = payload["pidfile"] + ".daemon"
    subprocess.run(["sh", "-c", f"sleep 60 & echo $! > {daemon_pidfile}"], check=True)
    with open(daemon_pidfile) as handle:
        daemon = handle.read().strip()
    with open(payload["pidfile"], "w") as handle:
        handle.write(f"{left.pid} {daemon}")
    return os.getpid()


def overshoot_progress(ctx: litequeue.Context, payload: Any) -> Any:
    """Report progress below 0, then above 100."""
    ctx.progress(-5, "starting")
    ctx.progress(150, "nearly")
    return "done"
