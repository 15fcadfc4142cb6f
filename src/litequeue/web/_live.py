"""One follower of the event log per server, fanned out to every open event stream.

Each stream polling the file itself made 400 idle pages cost a core. Here one
task reads new events, reads each event's job once, draws it once per channel (the
dashboard's, and one per view that has its own), and hands the SSE message to
every stream of that channel through the stream's bounded inbox. A stream that
starts behind (a reconnect with ``Last-Event-ID``) first reads what it missed from
the file; one too slow to keep up is ended, and its browser reconnects from its
last id.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import anyio

import litequeue

__all__ = ["Draw", "Live"]

logger = logging.getLogger(__name__)
_KEEP_ALIVE = 15.0  # seconds of silence before a comment line keeps proxies from closing
_Message = tuple[int, str]  # (event seq, SSE text)
#: How a channel draws an event: its JSON body, or None to leave it out. The job is
#: as it is now (None once deleted).
Draw = Callable[[litequeue.Event, litequeue.Job | None], dict[str, Any] | None]


class Live:
    """The live event messages of ``queue``, drawn by each of ``channels``."""

    def __init__(
        self,
        queue: litequeue.Queue,
        channels: Mapping[str, Draw],
        *,
        poll: float,
        backlog: int = 1000,
    ) -> None:
        self.queue, self.channels, self.poll, self.backlog = queue, dict(channels), poll, backlog
        #: The newest event handed to the streams.
        self.position = queue.last_event_seq()
        self.ended = False
        self._inboxes: dict[str, set[asyncio.Queue[_Message | None]]] = {
            name: set() for name in self.channels
        }

    def messages(
        self, after: int, until: int | None = None, only: str | None = None
    ) -> tuple[int, dict[str, list[_Message]]]:
        """The SSE messages, per channel (or of channel ``only``), of the events after
        ``after`` (up to ``until``), and the last seq read."""
        names = list(self.channels) if only is None else [only]
        last = after
        out: dict[str, list[_Message]] = {name: [] for name in names}
        events = self.queue.events(after=after)
        if until is not None:
            events = itertools.takewhile(lambda e: e.seq <= until, events)
        for event in events:
            last = event.seq
            job = None
            if event.type is not litequeue.EventType.DELETED:
                try:
                    job = self.queue.get(event.job_id)
                except litequeue.JobNotFound:
                    continue  # deleted since: its own event says so
            for name in names:
                body = self.channels[name](event, job)
                if body is not None:
                    text = f"id: {event.seq}\nevent: job\ndata: {json.dumps(body)}\n\n"
                    out[name].append((event.seq, text))
        return last, out

    async def follow(self, stopping: Callable[[], bool]) -> None:
        """Hand new events to every stream until ``stopping()``, then end them all."""
        try:
            while not stopping():
                try:
                    last, batches = await anyio.to_thread.run_sync(self.messages, self.position)
                except litequeue.LitequeueError as exc:  # a busy file: every page waits
                    logger.warning("cannot read the event log, trying again: %s", exc)
                    await asyncio.sleep(self.poll)
                    continue
                # No await from here to the end of the fan-out: a stream that joins
                # sees either all of this batch in its inbox, or none and the new position.
                for name, batch in batches.items():
                    for message in batch:
                        for inbox in list(self._inboxes[name]):
                            self._send(name, inbox, message)
                moved = last != self.position
                self.position = last
                if not moved:
                    await asyncio.sleep(self.poll)
        finally:
            self.ended = True
            for name, inboxes in self._inboxes.items():
                for inbox in list(inboxes):
                    self._end(name, inbox)

    def _send(self, name: str, inbox: asyncio.Queue[_Message | None], message: _Message) -> None:
        try:
            inbox.put_nowait(message)
        except asyncio.QueueFull:  # too slow: its browser reconnects and reads the file
            self._end(name, inbox)

    def _end(self, name: str, inbox: asyncio.Queue[_Message | None]) -> None:
        self._inboxes[name].discard(inbox)
        while not inbox.empty():
            inbox.get_nowait()
        inbox.put_nowait(None)

    async def stream(self, after: int, channel: str) -> AsyncIterator[str]:
        """An SSE stream of ``channel``'s messages after ``after``: first those it
        missed, read from the file, then the live ones."""
        inbox: asyncio.Queue[_Message | None] = asyncio.Queue(self.backlog)
        self._inboxes[channel].add(inbox)
        try:
            caught_up = self.position
            yield "retry: 1000\n\n"
            if after < caught_up:
                _, missed = await anyio.to_thread.run_sync(self.messages, after, caught_up, channel)
                for _, text in missed[channel]:
                    yield text
            seen = max(after, caught_up)
            while not self.ended:
                try:
                    message = await asyncio.wait_for(inbox.get(), _KEEP_ALIVE)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if message is None:
                    return
                if message[0] > seen:
                    yield message[1]
        finally:
            self._inboxes[channel].discard(inbox)
