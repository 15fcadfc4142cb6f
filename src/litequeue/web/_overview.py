"""The queues' overview: counts, settings, the oldest due job and the last hour.

On a big file it is the dashboard's costliest read (the counts read an index of
every job), and every open page asks for it as events arrive; so it is read at
most once per interval for all of them, an interval that grows with what the read
cost, and read again at once after a change made through the dashboard.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anyio

import litequeue

from ._draw import worker_row

__all__ = ["CHART_MINUTES", "Overview", "overview"]

#: The throughput chart's span, in minutes.
CHART_MINUTES = 60
#: Seconds an overview is served again at least...
FRESH = 1.0
#: ...and at least this many times as long as reading it took.
COST_FACTOR = 5.0


def overview(queue: litequeue.Queue, now: float) -> dict[str, Any]:
    """The queues with their counts, settings, oldest due job and the last hour's
    finished jobs per minute, and the last event's seq (where the page's stream
    starts)."""
    last = queue.last_event_seq()
    counts = queue.stats()
    settings = {info.name: info for info in queue.queues()}
    names = sorted(set(counts) | set(settings))
    oldest = queue.store.oldest_queued(names, now)
    first_minute = (int(now) // 60 - CHART_MINUTES + 1) * 60
    minutes: dict[str, dict[str, list[int]]] = {}
    for name, status, minute, count in queue.store.finished_per_minute(first_minute):
        index = int(minute - first_minute) // 60
        if 0 <= index < CHART_MINUTES:
            chart = minutes.setdefault(name, {"succeeded": [0] * 60, "failed": [0] * 60})
            chart[status][index] += count
    queues = []
    for name in names:
        info = settings.get(name, litequeue.QueueInfo(name=name))
        due = oldest.get(name)
        queues.append(
            {
                "name": name,
                "counts": counts.get(name, {s.value: 0 for s in litequeue.JobStatus}),
                "limit": info.limit,
                "paused": info.paused,
                "oldest": None if due is None else {"id": due[0], "waiting": now - due[1]},
                "per_minute": minutes.get(
                    name, {"succeeded": [0] * CHART_MINUTES, "failed": [0] * CHART_MINUTES}
                ),
            }
        )
    return {
        "last_seq": last,
        "queues": queues,
        "chart_start": first_minute,
    }


class Overview:
    """``overview(queue)``, shared by every request within its interval."""

    def __init__(self, queue: litequeue.Queue) -> None:
        self.queue = queue
        self._lock = asyncio.Lock()
        self._value: dict[str, Any] | None = None
        self._until = 0.0

    def changed(self) -> None:
        """Read it again at the next request."""
        self._until = 0.0

    async def read(self) -> dict[str, Any]:
        async with self._lock:
            started = time.monotonic()
            if self._value is None or started >= self._until:
                self._value = await anyio.to_thread.run_sync(
                    lambda: overview(self.queue, time.time())
                )
                took = time.monotonic() - started
                self._until = time.monotonic() + max(FRESH, COST_FACTOR * took)
            # Workers come and go without events, and are cheap to read: always fresh.
            workers = await anyio.to_thread.run_sync(self.queue.workers)
            return {**self._value, "workers": [worker_row(w) for w in workers]}
