"""One follower of the event log per server, fanned out to every open event stream.

Each stream polling the file itself made 400 idle pages cost a core. Here one
task reads new events, turns each into its SSE message once, and hands it to
every stream through the stream's bounded inbox. A stream that starts behind
(a reconnect with ``Last-Event-ID``) first reads what it missed from the file;
one too slow to keep up is ended, and its browser reconnects from its last id.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio

import litequeue

from .. import KIND

__all__ = ["Live"]

logger = logging.getLogger(__name__)
_KEEP_ALIVE = 15.0  # seconds of silence before a comment line keeps proxies from closing
_Message = tuple[int, str]  # (event seq, SSE text)


class Live:
    """The live event messages of ``queue``'s CV jobs; ``summary`` draws a job."""

    def __init__(
        self,
        queue: litequeue.Queue,
        summary: Callable[[litequeue.Job], dict[str, Any]],
        *,
        poll: float,
        backlog: int = 1000,
    ) -> None:
        self.queue, self.summary, self.poll, self.backlog = queue, summary, poll, backlog
        #: The newest event handed to the streams.
        self.position = queue.last_event_seq()
        self.ended = False
        self._inboxes: set[asyncio.Queue[_Message | None]] = set()

    def messages(self, after: int, until: int | None = None) -> tuple[int, list[_Message]]:
        """The SSE messages of events after ``after`` (up to ``until``), and the last
        seq read: events of other kinds and of jobs gone since are skipped."""
        last, out = after, []
        events = self.queue.events(after=after)
        if until is not None:
            events = itertools.takewhile(lambda e: e.seq <= until, events)
        for event in events:
            last = event.seq
            if event.type is litequeue.EventType.DELETED:
                body: dict[str, Any] = {"seq": event.seq, "type": "deleted", "id": event.job_id}
            else:
                try:
                    current = self.queue.get(event.job_id)
                except litequeue.JobNotFound:
                    continue  # deleted since: its own event says so
                if current.kind != KIND:
                    continue
                body = {"seq": event.seq, "type": event.type.value, "job": self.summary(current)}
            out.append((event.seq, f"id: {event.seq}\nevent: job\ndata: {json.dumps(body)}\n\n"))
        return last, out

    async def follow(self, stopping: Callable[[], bool]) -> None:
        """Hand new events to every stream until ``stopping()``, then end them all."""
        try:
            while not stopping():
                try:
                    last, batch = await anyio.to_thread.run_sync(self.messages, self.position)
                except litequeue.LitequeueError as exc:  # a busy file: every page waits
                    logger.warning("cannot read the event log, trying again: %s", exc)
                    await asyncio.sleep(self.poll)
                    continue
                # No await from here to the end of the fan-out: a stream that joins
                # sees either all of this batch in its inbox, or none and the new position.
                for message in batch:
                    for inbox in list(self._inboxes):
                        self._send(inbox, message)
                self.position = last
                if not batch:
                    await asyncio.sleep(self.poll)
        finally:
            self.ended = True
            for inbox in list(self._inboxes):
                self._end(inbox)

    def _send(self, inbox: asyncio.Queue[_Message | None], message: _Message) -> None:
        try:
            inbox.put_nowait(message)
        except asyncio.QueueFull:  # too slow: its browser reconnects and reads the file
            self._end(inbox)

    def _end(self, inbox: asyncio.Queue[_Message | None]) -> None:
        self._inboxes.discard(inbox)
        while not inbox.empty():
            inbox.get_nowait()
        inbox.put_nowait(None)

    async def stream(self, after: int) -> AsyncIterator[str]:
        """An SSE stream of the messages after ``after``: first those it missed, read
        from the file, then the live ones."""
        inbox: asyncio.Queue[_Message | None] = asyncio.Queue(self.backlog)
        self._inboxes.add(inbox)
        try:
            caught_up = self.position
            yield "retry: 1000\n\n"
            if after < caught_up:
                _, missed = await anyio.to_thread.run_sync(self.messages, after, caught_up)
                for _, text in missed:
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
            self._inboxes.discard(inbox)
