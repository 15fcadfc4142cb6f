"""Child processes for handlers registered with ``process=True``.

A ``ChildProcess`` is one fresh interpreter (``python -m litequeue._child_entry``) that
runs jobs one at a time, talking to the worker over a socket pair: the worker
sends ``(import_path, job, limit)``,
the child answers with progress/log messages and one final outcome. The worker
kills it on timeout or cancellation and replaces it after ``max_jobs`` jobs, or at
once after a failure that may have left it damaged (``MemoryError``,
``RecursionError``, any ``BaseException`` that is not an ``Exception``), so a hung,
leaking or broken handler cannot take the worker, or the next jobs, down.

Whatever a handler started does not outlive its job: the child kills the
processes it started (its descendants and its process group) before it answers.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from ._handlers import CancelFlag, Context, is_retryable, resolve
from ._records import describe, value_json
from .errors import Cancel, ChildProcessDied, JobTimeout, PayloadError, Retry
from .models import Job

__all__ = ["ChildProcess", "ChildResult", "child_main"]

# What a child reports at the end of a job: ("result", the value as JSON text) |
# ("error", type, message, traceback, retryable, damaged) | ("retry", reason, delay) |
# ("cancel", reason); "damaged": the child must not run another job.
ChildResult = tuple[Any, ...]


class ChildProcess:
    """One child interpreter and the pipe to it."""

    def __init__(self, max_jobs: int) -> None:
        self.max_jobs = max_jobs
        self.jobs_run = 0
        self.damaged = False  # by a failure that may have left it unfit for more jobs
        # A plain interpreter, not multiprocessing's spawn: that one re-imports the
        # parent's __main__ script, which runs a script without a main guard again.
        self._conn, child_conn = multiprocessing.Pipe()
        fd = child_conn.fileno()
        # A process group of its own, so that killing the child also kills what its
        # handler started (a job must not run on in a grandchild).
        self._process = subprocess.Popen(
            [sys.executable, "-m", "litequeue._child_entry", str(fd)],
            pass_fds=(fd,),
            close_fds=True,
            start_new_session=True,
        )
        child_conn.close()
        self._conn.send(list(sys.path))  # find handlers wherever the worker finds them

    @property
    def worn_out(self) -> bool:
        return self.damaged or self.jobs_run >= self.max_jobs or self._process.poll() is not None

    def run(
        self,
        import_path: str,
        job: Job,
        memory_limit: int | None,
        deadline: float | None,
        report: Callable[[str, Any, Any], bool],
        cancelled: CancelFlag,
    ) -> ChildResult:
        """Run one job in the child; returns its outcome or raises ``JobTimeout`` /
        ``ChildProcessDied`` (the child is then dead)."""
        self.jobs_run += 1
        try:
            self._conn.send((import_path, job, memory_limit))
            while True:
                wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))
                if self._conn.poll(wait):
                    message = self._conn.recv()
                    if message[0] in ("progress", "log"):
                        try:
                            ok = report(message[0], message[1], message[2])
                        except BaseException:
                            # The child waits for the answer: it must not read the next
                            # job's request as one, and finish this job under its id.
                            self.kill()
                            raise
                        if message[0] == "progress":
                            self._conn.send(ok)
                        continue
                    if message[0] == "error" and message[5]:
                        self.damaged = True
                    return tuple(message)
                if cancelled.is_set():
                    self.kill()
                    return ("cancel", "the attempt was cancelled or lost its lease")
                if deadline is not None and time.monotonic() >= deadline:
                    self.kill()
                    raise JobTimeout("the job ran past its timeout; its child process was killed")
        except JobTimeout:
            raise  # a TimeoutError is an OSError too, but not a dead child
        except (EOFError, OSError) as exc:
            self.kill()
            code = self._process.poll()
            raise ChildProcessDied(
                f"the child process running job {job.id} died (exit code {code}); "
                "it may have crashed or hit its memory limit"
            ) from exc

    def kill(self) -> None:
        """Stop the child at once."""
        self.kill_process()
        with contextlib.suppress(Exception):
            self._conn.close()

    def kill_process(self) -> None:
        """Kill the child and wait for it, leaving the pipe to the thread that reads
        it (which then finds it closed)."""
        with contextlib.suppress(OSError):
            os.killpg(self._process.pid, signal.SIGKILL)  # the child and its own children
        with contextlib.suppress(Exception):
            self._process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)

    def close(self) -> None:
        """Ask the child to exit after its current job, then make sure it did."""
        with contextlib.suppress(Exception):
            self._conn.send(None)
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
        with contextlib.suppress(Exception):
            self._conn.close()


#: How often a child checks that its worker is still alive, in seconds.
PARENT_CHECK = 0.25


def child_main(conn: multiprocessing.connection.Connection) -> None:
    """The child's loop: run jobs until told to stop or the pipe closes.

    The worker decides when its children stop: a Ctrl-C or a SIGTERM meant for it
    (each child has a process group of its own, but a signal can still come to all,
    as systemd sends it) must not kill a job the worker is giving its grace period.
    A worker that dies outright (``kill -9``) cannot stop its children, so each one
    ends itself, with what its handler started, when its parent is gone: the job
    comes back through its lease, and must not also run on here.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _exit_with_parent(os.getppid())
    _become_subreaper()
    sys.path[:] = conn.recv()
    import resource  # POSIX only, like process handlers themselves

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        import_path, job, memory_limit = request
        if memory_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, hard))
        try:
            answer = _run(conn, import_path, job)
        finally:
            if memory_limit is not None:
                resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        _end_descendants()  # before the answer: the job is over once it is recorded
        conn.send(answer)
        if answer[0] == "error" and answer[5]:
            return  # damaged: the worker replaces this child


#: ``prctl`` option that makes orphans of this process's descendants its children.
_PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> None:
    """On Linux, adopt the orphans of what handlers start (a daemon that forked away
    from its parent), so ``_end_descendants`` finds them and can reap them."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _end_descendants() -> None:
    """Kill every process a handler started, if any, and reap them: a process a job
    starts must not run on after it. Repeated until none is left, since one may fork
    while the others are killed."""
    me = os.getpid()
    for _ in range(10):
        found = _descendants(me)
        if not found:
            return
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in found:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, 0)  # only this process's own children can be reaped


def _descendants(me: int) -> set[int]:
    """The processes below ``me`` (by parent) or in its process group, from ``/proc``
    (or ``ps`` where there is none)."""
    table = _process_table()
    found = {pid for pid, (_parent, group) in table.items() if group == me and pid != me}
    parents = {me, *found}
    while True:
        more = {pid for pid, (parent, _group) in table.items() if parent in parents} - parents
        if not more:
            return (found | parents) - {me}
        parents |= more


def _process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, process group) of every process that is not a zombie."""
    table = {}
    if os.path.isdir("/proc/self"):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue  # it ended meanwhile
            if fields[0] != b"Z":
                table[int(name)] = (int(fields[1]), int(fields[2]))
        return table
    listing = subprocess.run(
        ["ps", "-A", "-o", "pid=,ppid=,pgid=,stat="], capture_output=True, text=True, check=False
    ).stdout
    for line in listing.splitlines():
        pid, parent, group, state = line.split(None, 3)
        if not state.startswith("Z"):
            table[int(pid)] = (int(parent), int(group))
    return table


def _exit_with_parent(parent: int) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os.killpg(0, signal.SIGKILL)  # this child and whatever its handler started

    threading.Thread(target=watch, name="litequeue-parent-watch", daemon=True).start()


def _run(conn: multiprocessing.connection.Connection, import_path: str, job: Job) -> ChildResult:
    def report(what: str, first: Any, second: Any) -> bool:
        conn.send((what, first, second))
        return bool(conn.recv()) if what == "progress" else True

    try:
        fn = resolve(import_path)
        result = fn(Context(job, report), job.payload)
    except Retry as exc:
        return ("retry", describe(exc), exc.delay)
    except Cancel as exc:
        return ("cancel", describe(exc) or "cancelled by its handler")
    except MemoryError:
        message = "the handler ran out of memory (memory_limit)"
        return ("error", "MemoryError", message, None, True, True)
    except BaseException as exc:
        return (
            "error",
            type(exc).__name__,
            describe(exc),
            traceback.format_exc(),
            is_retryable(exc),
            _may_be_damaged(exc),
        )
    # Encoded here: a value that is not JSON (a lambda, say) would not even pickle,
    # and the child would die sending it.
    try:
        return (
            "result",
            None if result is None else value_json(result, f"result of job {job.id}")[0],
        )
    except PayloadError as exc:  # another attempt would return the same
        return ("error", "PayloadError", describe(exc), None, False, False)


def _may_be_damaged(exc: BaseException) -> bool:
    """Whether a handler's exception may have left this interpreter unfit for more
    jobs: out of memory or stack half-way through (state left inconsistent, memory
    still held), or a ``BaseException`` a handler has no business raising
    (``SystemExit``, ``KeyboardInterrupt``...)."""
    return isinstance(exc, MemoryError | RecursionError) or not isinstance(exc, Exception)
