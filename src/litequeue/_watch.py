"""``litequeue watch``: a live terminal view of a queue file.

It follows the durable event log (``Queue.events(after=seq)``), so it shows the
work of every worker in every process, and re-reads the counts, the running
jobs and the recent failures when events arrive (and every few seconds). It
uses only litequeue's public API; rich draws the screen (the ``watch`` extra).
"""

from __future__ import annotations

import collections
import time
from datetime import UTC, datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

import litequeue

from ._records import event_time

__all__ = ["Dashboard"]

_STATUS_STYLE = {
    "queued": "cyan",
    "running": "yellow",
    "succeeded": "green",
    "failed": "red",
    "cancelled": "dim",
}


class Dashboard:
    """What the screen shows, kept up to date by ``poll()``."""

    def __init__(
        self,
        queue: litequeue.Queue,
        *,
        tag: str | None = None,
        recent: int = 10,
        resync: float = 3.0,
    ) -> None:
        self.queue = queue
        self.tag = tag
        self.resync = resync
        self.seq = max(0, queue.last_event_seq() - 200)  # open on some recent history
        self.events: collections.deque[litequeue.Event] = collections.deque(maxlen=recent)
        self.stats: dict[str, dict[str, int]] = {}
        self.settings: dict[str, litequeue.QueueInfo] = {}
        self.running: list[litequeue.Job] = []
        self.failures: list[litequeue.Job] = []
        self.problem = ""
        self._tagged: dict[int, bool] = {}
        self._synced = 0.0

    def poll(self) -> bool:
        """Read new events and, when something happened, the counts and lists.

        Returns True when the view changed. A busy or briefly unreadable file is
        shown as a problem line, and the next poll tries again.
        """
        try:
            fresh = [e for e in self.queue.events(after=self.seq) if self._wanted(e)]
            changed = bool(fresh)
            if fresh:
                self.events.extend(fresh)
                self.seq = fresh[-1].seq
            else:
                self.seq = max(self.seq, self.queue.last_event_seq())
            if changed or time.monotonic() - self._synced >= self.resync:
                self._sync()
                changed = True
            if self.problem:
                self.problem, changed = "", True
        except litequeue.StoreError as exc:
            self.problem = str(exc)
            return True
        return changed

    def _wanted(self, event: litequeue.Event) -> bool:
        if self.tag is None:
            return True
        known = self._tagged.get(event.job_id)
        if known is None:
            try:
                known = self.tag in self.queue.get(event.job_id).tags
            except litequeue.JobNotFound:
                known = False  # pruned since
            self._tagged[event.job_id] = known
        return known

    def _sync(self) -> None:
        self.stats = self.queue.stats(tag=self.tag)
        self.settings = {info.name: info for info in self.queue.queues()}
        self.running = self.queue.jobs("running", tag=self.tag, limit=20)
        self.failures = self.queue.jobs("failed", tag=self.tag, limit=6)
        self._synced = time.monotonic()

    # -- drawing ------------------------------------------------------------------------

    def render(self) -> RenderableType:
        """The whole screen."""
        title = f"litequeue · {self.queue.path}" + (f" · tag {self.tag}" if self.tag else "")
        parts: list[RenderableType] = [self._queues()]
        if self.problem:
            parts.insert(0, Text(f"⚠ {self.problem} (retrying)", style="bold red"))
        parts += [self._running(), self._failures(), self._recent()]
        footer = f"event {self.seq} · {datetime.now(UTC):%H:%M:%S} UTC · Ctrl-C to quit"
        return Panel(Group(*parts), title=title, subtitle=footer, title_align="left")

    def _queues(self) -> Table:
        table = Table(title="queues", title_justify="left", expand=True)
        table.add_column("queue")
        for status in litequeue.JobStatus:
            table.add_column(status.value, justify="right", style=_STATUS_STYLE[status.value])
        table.add_column("limit", justify="right")
        table.add_column("state")
        names = sorted(set(self.stats) | (set() if self.tag else set(self.settings)))
        for name in names:
            counts = self.stats.get(name, {})
            info = self.settings.get(name)
            table.add_row(
                name,
                *(str(counts.get(s.value, 0)) for s in litequeue.JobStatus),
                "-" if info is None or info.limit is None else str(info.limit),
                Text("paused", style="bold yellow") if info and info.paused else "",
            )
        if not names:
            table.add_row("(no jobs yet)", *[""] * (len(litequeue.JobStatus) + 2))
        return table

    def _running(self) -> Table:
        table = Table(title="running", title_justify="left", expand=True)
        for column in ("id", "kind", "queue", "progress", "", "message", "for"):
            table.add_column(column, justify="right" if column in ("id", "for") else "left")
        now = datetime.now(UTC)
        for job in self.running:
            since = (now - job.started_at).total_seconds() if job.started_at else 0.0
            table.add_row(
                str(job.id),
                job.kind,
                job.queue,
                ProgressBar(total=100, completed=job.progress, width=20),
                f"{job.progress:3.0f}%",
                job.progress_message or "",
                f"{since:.0f}s",
            )
        return table

    def _failures(self) -> Table:
        table = Table(title="recent failures", title_justify="left", expand=True)
        for column in ("id", "kind", "finished", "error"):
            table.add_column(column, overflow="fold")
        for job in self.failures:
            table.add_row(
                str(job.id),
                job.kind,
                f"{job.finished_at:%H:%M:%S}" if job.finished_at else "",
                Text(str(job.error) if job.error else "", style="red"),
            )
        return table

    def _recent(self) -> Table:
        table = Table(title="events", title_justify="left", expand=True, show_header=False)
        for _ in range(4):
            table.add_column(overflow="ellipsis")
        for event in reversed(self.events):
            style = _STATUS_STYLE.get(event.type.value, "")
            table.add_row(
                f"{event.seq}",
                f"{event.at:%H:%M:%S}",
                Text(f"job {event.job_id} {event.type.value}", style=style),
                _details(event.data),
            )
        return table


def _details(data: dict[str, Any]) -> str:
    """An event's data in a few words (a retry's time as "in 3s")."""
    shown = []
    for key, value in data.items():
        if key == "worker":
            continue
        when = event_time(value) if key == "run_at" else None
        if when is not None:
            value = f"in {max(0.0, when.timestamp() - time.time()):.0f}s"
        shown.append(f"{key}={value}")
    return ", ".join(shown)
