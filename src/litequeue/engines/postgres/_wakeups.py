"""How an idle worker hears that another process committed: LISTEN/NOTIFY, with a
polling fallback, or polling alone (``?litequeue_notify=off``, for a pooler in
transaction mode, which cannot keep a LISTEN).

A notification is a hint, never the only way work is found: a version that moves
at least every ``FALLBACK`` seconds makes idle workers look anyway (a notification
lost with a broken connection, say).

Notifications sent by this process's own connections are left out: its event bus
wakes its workers at each of its commits already, and a worker woken again by the
echo of its own claim's commit claimed in vain, sometimes just as a job arrived.

A worker need not look at the number: ``watch`` calls it back from a listening thread
that blocks on the connection's socket, so a notification wakes it as soon as it
arrives, and an idle worker spends no CPU looking.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import sql

from ...errors import StoreError
from . import _schema, _sql

__all__ = ["FALLBACK", "POLL_ONLY", "Wakeups"]

#: Seconds after which an idle worker looks for work though no notification came.
FALLBACK = 1.0
#: Seconds between looks in poll-only mode.
POLL_ONLY = 0.1


class Wakeups:
    """A number that moves when a notification arrives on the store's channel (or a
    fallback period passes), and a wait for it to move. The listening connection is
    opened on first use: a queue that only enqueues never holds one.

    A notification's payload names the queue that has work (``""``: any queue), and the
    number can be asked for some queues only: an idle worker wakes for its own queues,
    not for every enqueue in the database (each wake-up costs a claim)."""

    def __init__(
        self,
        target: _schema.Target,
        channel: str,
        *,
        timeout: float,
        ours: Callable[[int], bool],
    ) -> None:
        """``ours(pid)``: whether server process ``pid`` serves one of this process's
        connections to the same queue."""
        self._target = target
        self._channel = channel
        self._ours = ours
        self._timeout = timeout
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self._version = 0  # moves for every queue
        self._heard: dict[str, int] = {}  # notifications by queue named
        self._moved = time.monotonic()
        #: When the listening connection may be opened again, after it failed.
        self._retry_at = 0.0
        self._closed = False
        self._watches: list[_Watch] = []
        self._watcher: threading.Thread | None = None
        #: Written to by ``close`` to end the watching thread's wait at once.
        self._closing_r, self._closing_w = os.pipe()

    def version(self, queues: Sequence[str] | None = None) -> int:
        """The current number for ``queues`` (every queue: ``None``); compare for
        equality only. Never raises: a broken listening connection counts as a change,
        and is opened again next time."""
        with self._lock:
            self._drain()
            heard = self._heard
            if queues is None:
                return self._version + sum(heard.values())
            return self._version + sum(heard.get(queue, 0) for queue in queues)

    def wait(self, timeout: float, poll: float) -> bool:
        """Block until the number moves, or ``timeout`` passes; True when it moved."""
        deadline = time.monotonic() + timeout
        start = self.version()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            conn = self._conn
            step = min(remaining, POLL_ONLY if conn is None else FALLBACK)
            if conn is None or not self._target.notify:
                time.sleep(min(step, max(poll, 0.001)))
            else:
                try:
                    select.select([conn.fileno()], [], [], step)
                except (OSError, ValueError, psycopg.Error):
                    time.sleep(min(step, max(poll, 0.001)))
            if self.version() != start:
                return True

    def watch(self, queues: Sequence[str], waker: Callable[[], None]) -> Callable[[], None]:
        """Call ``waker()`` from a listening thread whenever the number for ``queues``
        moves, until the returned function is called."""
        watch = _Watch(tuple(queues), waker, self.version(queues))
        with self._lock:
            self._watches.append(watch)
            if self._watcher is None and not self._closed:
                self._watcher = threading.Thread(
                    target=self._serve_watches, name="litequeue-listen", daemon=True
                )
                self._watcher.start()

        def unwatch() -> None:
            with self._lock:
                if watch in self._watches:
                    self._watches.remove(watch)

        return unwatch

    def _serve_watches(self) -> None:
        """The listening thread: wait for the socket to have something to read (or a
        fallback period), then call the wakers whose number moved; ends when nothing
        is watched any more, or at ``close``."""
        while True:
            with self._lock:
                if self._closed or not self._watches:
                    self._watcher = None
                    return
                watches = list(self._watches)
                conn = self._conn
            waiting = [self._closing_r] if conn is None else [self._closing_r, conn.fileno()]
            try:
                select.select(waiting, [], [], POLL_ONLY if conn is None else FALLBACK)
            except (OSError, ValueError, psycopg.Error):
                time.sleep(POLL_ONLY)  # the connection closed meanwhile: opened anew
            for watch in watches:
                version = self.version(watch.queues)
                if version != watch.seen:
                    watch.seen = version
                    watch.waker()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._drop()
            watcher = self._watcher
        os.write(self._closing_w, b"x")
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join()
        os.close(self._closing_r)
        os.close(self._closing_w)

    def _drain(self) -> None:
        """Count the notifications that arrived (a non-blocking read), and move the
        number if a fallback period passed without any."""
        now = time.monotonic()
        if self._target.notify and not self._closed and (self._conn or now >= self._retry_at):
            try:
                if self._conn is None:
                    self._listen()
                    self._bump(now)  # notifications before the LISTEN were missed
                assert self._conn is not None
                pg = self._conn.pgconn
                pg.consume_input()
                while (notice := pg.notifies()) is not None:
                    if self._ours(notice.be_pid):
                        continue
                    queue = notice.extra.decode("utf-8", "replace")
                    if queue:
                        self._heard[queue] = self._heard.get(queue, 0) + 1
                    else:
                        self._bump(now)
            except (psycopg.Error, StoreError):
                # A server that is down is tried again after a fallback period, not
                # at every look (each would wait for a connection to time out).
                self._drop()
                self._bump(now)
                self._retry_at = now + FALLBACK
        period = FALLBACK if self._target.notify else POLL_ONLY
        if now - self._moved >= period:
            self._bump(now)

    def _bump(self, now: float) -> None:
        self._version += 1
        self._moved = now

    def _listen(self) -> None:
        conn = _schema.connect(self._target, timeout=self._timeout)
        try:
            conn.execute(_sql.listen(sql.Identifier(self._channel).as_string(conn)))
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


class _Watch:
    """A waker and the number for its queues when it was last called."""

    __slots__ = ("queues", "seen", "waker")

    def __init__(self, queues: tuple[str, ...], waker: Callable[[], None], seen: int) -> None:
        self.queues = queues
        self.waker = waker
        self.seen = seen
