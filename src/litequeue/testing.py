"""Helpers for testing code that uses litequeue.

>>> from litequeue.testing import EventRecorder, drain
>>> with EventRecorder(queue) as recorder:
...     queue.enqueue("email.send", {"to": "a@example.com"})
...     drain(queue)
>>> recorder.types()
['enqueued', 'started', 'succeeded']

``drain`` runs jobs in the calling thread's worker, step by step, with no sleeps:
it returns when nothing is claimable now, so delayed jobs and retries waiting
for their backoff stay queued (give handlers ``Backoff(base=0)`` to retry at once).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Self

from ._queue import Queue
from ._worker import Worker
from .models import Event, EventType

__all__ = ["EventRecorder", "drain", "run_once"]


def run_once(queue: Queue, *, queues: Iterable[str] = ("default",), concurrency: int = 1) -> int:
    """Claim up to ``concurrency`` jobs, run them to the end; returns how many ran."""
    return Worker(queue, queues=queues, concurrency=concurrency).run_once()


def drain(
    queue: Queue,
    *,
    queues: Iterable[str] = ("default",),
    concurrency: int = 1,
    max_jobs: int = 100_000,
) -> int:
    """Run jobs until none is claimable now; returns how many attempts ran.

    ``max_jobs`` guards against a handler that keeps enqueueing work.
    """
    worker = Worker(queue, queues=queues, concurrency=concurrency)  # a str is one queue
    total = 0
    while total < max_jobs:
        ran = worker.run_once()
        if not ran:
            return total
        total += ran
    raise RuntimeError(f"drain stopped after {max_jobs} jobs: is a handler enqueueing forever?")


class EventRecorder:
    """Records the events committed through ``queue`` in this process while active."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self._unsubscribe: object = None

    def _record(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def __enter__(self) -> Self:
        self._unsubscribe = self.queue.subscribe(self._record)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if callable(self._unsubscribe):
            self._unsubscribe()

    def types(self, job_id: int | None = None) -> list[str]:
        """The event types seen, in order (for one job, or all)."""
        with self._lock:
            return [e.type.value for e in self.events if job_id is None or e.job_id == job_id]

    def of_type(self, type: EventType | str) -> list[Event]:
        """The events of one type, in order."""
        wanted = EventType(type)
        with self._lock:
            return [e for e in self.events if e.type is wanted]

    def clear(self) -> None:
        with self._lock:
            self.events.clear()
