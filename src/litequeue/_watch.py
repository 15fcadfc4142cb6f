"""``litequeue watch``: a live terminal view of a queue file.

It follows the durable event log (``Queue.events(after=seq)``), so it shows the
work of every worker in every process, and re-reads the counts, the running
jobs, the queued jobs that wait for something and the recent failures when events
arrive (and every few seconds). It uses only litequeue's public API (and the words
``Queue.why_waiting`` uses); rich draws the screen (the ``watch`` extra).
"""

from __future__ import annotations

import collections
import time
from datetime import UTC, datetime
from typing import Any, TypeVar

from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

import litequeue

from ._records import event_time
from ._waiting import waiting_reasons

__all__ = ["Dashboard"]

#: The newest queued jobs read to find those that wait for something.
_QUEUED_READ = 50

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
        recent: int = 100,
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
        #: Queued jobs that wait for something other than a free worker, and why.
        self.waiting: list[tuple[litequeue.Job, list[str]]] = []
        self.unhandled: dict[tuple[str, str], int] = {}  # queued, no live worker claims
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
        self.waiting = self._waiting(datetime.now(UTC))
        self.unhandled = self.queue.unhandled()
        self._synced = time.monotonic()

    def _waiting(self, now: datetime) -> list[tuple[litequeue.Job, list[str]]]:
        """The newest queued jobs held by their dependencies, their schedule's slot, a
        delay or retry, a paused queue or their queue's limits, each with its reasons."""
        held = []
        for job in self.queue.jobs("queued", tag=self.tag, limit=_QUEUED_READ):
            reasons = waiting_reasons(job, self.settings.get(job.queue), now)
            if not reasons[-1].startswith("due: the next free worker"):
                held.append((job, reasons))
        return held

    # -- drawing ------------------------------------------------------------------------

    def render(self, height: int = 24) -> RenderableType:
        """The whole screen, in at most ``height`` lines: every section gets a share of
        the rows (a cut list ends with "… N more"), the newest events take the rest,
        and each cell stays on one line, cut with an ellipsis rather than wrapped."""
        now = datetime.now(UTC)
        where = f"litequeue · {self.queue.path}" + (f" · tag {self.tag}" if self.tag else "")
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append(where, style="bold")
        header.append(f" · event {self.seq} · {now:%H:%M:%S} UTC · Ctrl-C quits", style="dim")
        parts: list[RenderableType] = [header]
        if self.unhandled:
            waiting = ", ".join(
                f"{count} {kind!r} in {queue_name}"
                for (queue_name, kind), count in self.unhandled.items()
            )
            parts.append(
                Text(
                    f"⚠ no live worker handles: {waiting}",
                    style="yellow",
                    no_wrap=True,
                    overflow="ellipsis",
                )
            )
        if self.problem:
            parts.append(Text(f"⚠ {self.problem} (retrying)", style="bold red", no_wrap=True))
        names = sorted(set(self.stats) | (set() if self.tag else set(self.settings)))
        # Each table costs a title and a header line; the events have no header. The
        # waiting jobs get a table only when there are some.
        rows = height - len(parts) - 7 - (2 if self.waiting else 0)
        shown_names = min(len(names), max(1, rows // 4))
        shown_running = min(len(self.running), max(1, rows // 4))
        shown_waiting = min(len(self.waiting), max(1, rows // 6))
        shown_failures = min(len(self.failures), max(1, rows // 6))
        shown_events = max(
            1, rows - max(1, shown_names) - shown_running - shown_waiting - shown_failures
        )
        parts += [self._queues(names, shown_names), self._running(now, shown_running)]
        if self.waiting:
            parts.append(self._held(shown_waiting))
        parts += [self._failures(shown_failures), self._recent(shown_events)]
        return Group(*parts)

    def _queues(self, names: list[str], rows: int) -> Table:
        table = _table("queues")
        table.add_column("queue", ratio=1, min_width=5)
        for status in litequeue.JobStatus:
            table.add_column(status.value, justify="right", style=_STATUS_STYLE[status.value])
        table.add_column("limit", justify="right")
        table.add_column("state", min_width=6)
        for name in _fit(names, rows, table):
            counts = self.stats.get(name, {})
            info = self.settings.get(name)
            table.add_row(
                name,
                *(str(counts.get(s.value, 0)) for s in litequeue.JobStatus),
                "-" if info is None or info.limit is None else str(info.limit),
                Text("paused", style="bold yellow")
                if info and info.paused
                else _flow(info, counts.get("queued", 0)),
            )
        if not names:
            table.add_row("(no jobs yet)")
        return _one_line(table)

    def _running(self, now: datetime, rows: int) -> Table:
        table = _table("running")
        table.add_column("id", justify="right")
        table.add_column("kind", max_width=20)
        table.add_column("queue", max_width=12)
        table.add_column("progress", width=10)
        table.add_column("", justify="right", width=4)
        table.add_column("message", ratio=1, min_width=8)
        table.add_column("for", justify="right")
        for job in _fit(self.running, rows, table):
            since = (now - job.started_at).total_seconds() if job.started_at else 0.0
            table.add_row(
                str(job.id),
                job.kind,
                job.queue,
                ProgressBar(total=100, completed=job.progress, width=10),
                f"{job.progress:.0f}%",
                job.progress_message or "",
                f"{since:.0f}s",
            )
        return _one_line(table)

    def _held(self, rows: int) -> Table:
        table = _table("waiting")
        table.add_column("id", justify="right")
        table.add_column("kind", max_width=20)
        table.add_column("queue", max_width=12)
        table.add_column("why", ratio=1, min_width=8)
        for job, reasons in _fit(self.waiting, rows, table):
            table.add_row(str(job.id), job.kind, job.queue, "; ".join(reasons))
        return _one_line(table)

    def _failures(self, rows: int) -> Table:
        table = _table("recent failures")
        table.add_column("id", justify="right")
        table.add_column("kind", max_width=20)
        table.add_column("finished")
        table.add_column("error", ratio=1, min_width=8)
        for job in _fit(self.failures, rows, table):
            table.add_row(
                str(job.id),
                job.kind,
                f"{job.finished_at:%H:%M:%S}" if job.finished_at else "",
                Text(str(job.error) if job.error else "", style="red"),
            )
        return _one_line(table)

    def _recent(self, rows: int) -> Table:
        table = _table("events", header=False)
        table.add_column(justify="right")
        table.add_column()
        table.add_column()
        table.add_column(ratio=1, min_width=8)
        for event in list(reversed(self.events))[:rows]:
            style = _STATUS_STYLE.get(event.type.value, "")
            table.add_row(
                f"{event.seq}",
                f"{event.at:%H:%M:%S}",
                Text(f"job {event.job_id} {event.type.value}", style=style),
                _details(event.data),
            )
        return _one_line(table)


def _flow(info: litequeue.QueueInfo | None, queued: int) -> str:
    """A queue's rate and per-key limits, which its queued jobs may be waiting for."""
    if info is None or not queued:
        return ""
    parts = [
        f"rate {info.rate}" if info.rate else "",
        f"{info.per_key_rate}/key" if info.per_key_rate else "",
        f"{info.per_key_limit}/key at once" if info.per_key_limit else "",
    ]
    return ", ".join(part for part in parts if part)


def _table(title: str, *, header: bool = True) -> Table:
    """A borderless table: a title line and a header line are all it adds to its rows."""
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=None,
        show_header=header,
        header_style="dim",
        expand=True,
        pad_edge=False,
        caption_justify="left",
        caption_style="dim",
    )
    return table


def _one_line(table: Table) -> Table:
    """Every cell of ``table`` cut with an ellipsis rather than wrapped."""
    for column in table.columns:
        column.no_wrap, column.overflow = True, "ellipsis"
    return table


_T = TypeVar("_T")


def _fit(items: list[_T], rows: int, table: Table) -> list[_T]:
    """The first ``rows`` of ``items``; when some are left out, the last row says how many."""
    if len(items) <= rows:
        return items
    table.caption = f"… {len(items) - rows + 1} more"
    return items[: rows - 1]


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
