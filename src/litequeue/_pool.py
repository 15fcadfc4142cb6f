"""Where a worker's handlers run besides its loop thread: a pool of threads for sync
handlers (and for driving child processes), and one event loop for ``async def``
handlers."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["AsyncLoop", "ThreadPool"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ThreadPool(Generic[T]):
    """Threads that take claimed attempts and ``run`` them: sync handlers, and the
    child processes of ``process=True`` handlers, which a thread drives.

    Claimed jobs wait in a backlog that awake threads take from, one after
    another, so short jobs run back to back on one thread instead of being handed
    from thread to thread. A job submitted while no thread is awake wakes one. The
    loop thread calls ``nudge()`` about every millisecond while a backlog remains:
    when no job was taken since the last call (every awake thread is busy in a
    handler that blocks), it wakes a thread for each job still waiting. A job thus
    waits at most about a millisecond for a thread of its own. A thread that was
    woken but has not run yet (the CPUs are busy) is not a thread blocked in a
    handler: while one is awake and between jobs, no more are woken. (Counting it
    as blocked woke ~30 threads per claim of 100 no-op jobs, a third of the
    worker's CPU time.) ``eager`` tasks (child processes, which always block) wake
    a thread at once.

    A thread stuck in a handler past its timeout cannot be killed; its slot is
    given to the next job, so the pool starts a new thread when no idle one is
    left, and a thread that finds the pool larger than ``size`` exits.
    """

    #: Seconds between the loop thread's checks on a backlog that is not moving.
    NUDGE = 0.001

    def __init__(self, size: int, run: Callable[[T], None]) -> None:
        self._size = size
        self._run = run
        self._backlog: collections.deque[T] = collections.deque()
        self._lock = threading.Lock()
        self._sleepers: list[threading.Lock] = []  # each idle thread blocks on its own
        self._alive = 0
        self._taken = 0  # jobs started so far, for nudge()
        self._running = 0  # threads inside ``run``
        self._seen = 0  # ... as of the last check
        self._checked = 0.0  # monotonic time of the last check
        self._closing = False

    def submit(self, tasks: list[T], *, eager: bool = False) -> None:
        """Add attempts to the backlog, for ``run``, waking a thread if none is awake,
        or one per attempt when ``eager``."""
        with self._lock:
            if not self._backlog:
                self._seen, self._checked = self._taken, time.monotonic()
            self._backlog.extend(tasks)
            if eager:
                for _ in tasks:
                    self._wake_one()
            elif self._alive == len(self._sleepers):
                self._wake_one()

    def nudge(self) -> bool:
        """Give each waiting job a thread if the backlog did not move since the last
        call; True while a backlog remains."""
        with self._lock:
            if not self._backlog:
                return False
            now = time.monotonic()
            if now - self._checked >= self.NUDGE:
                awake = self._alive - len(self._sleepers)
                if self._taken == self._seen and self._running >= awake:
                    for _ in self._backlog:
                        self._wake_one()
                self._seen, self._checked = self._taken, now
            return True

    def _wake_one(self) -> None:
        if self._sleepers:
            self._sleepers.pop().release()
        else:
            self._alive += 1
            threading.Thread(target=self._work, name="litequeue-handler", daemon=True).start()

    def _work(self) -> None:
        asleep = threading.Lock()
        asleep.acquire()
        task: T | None = None
        while True:
            with self._lock:
                if task is not None:
                    self._running -= 1  # out of the last one
                task = self._backlog.popleft() if self._backlog else None
                if task is not None:
                    self._taken += 1
                    self._running += 1
                elif self._closing or self._alive > self._size:
                    self._alive -= 1
                    return
                else:
                    self._sleepers.append(asleep)
            if task is None:
                asleep.acquire()  # until _wake_one or close releases it
                continue
            try:
                self._run(task)
            except Exception:
                logger.exception("litequeue handler thread failed")

    def close(self) -> None:
        """Let idle threads exit; busy ones (stuck handlers) exit when they return.
        Jobs still in the backlog are dropped: the worker has handed them back."""
        with self._lock:
            self._closing = True
            self._backlog.clear()
            sleepers, self._sleepers = self._sleepers, []
        for asleep in sleepers:
            asleep.release()


class AsyncLoop:
    """One event loop in a thread for ``async def`` handlers."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="litequeue-async", daemon=True
        )
        self._thread.start()

    def submit(self, coroutine: Any) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._loop.is_running():
            self._loop.close()
