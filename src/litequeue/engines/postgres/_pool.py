"""The store's connections: opened on demand, kept for the next call, dropped when
broken.

A small pool of its own rather than psycopg_pool's: that one runs background threads
per pool (to open and check connections ahead of time), which every ``Queue`` would
carry, and which keep trying to reach a server the queue has forgotten. Here a
connection is opened when a call needs one and none is idle, and one that broke
(a server restart, a network cut) is closed instead of kept, so the next call
opens a fresh one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import psycopg

__all__ = ["Pool"]

Connection = psycopg.Connection[Any]
_IDLE = psycopg.pq.TransactionStatus.IDLE


class Pool:
    """Connections made by ``connect``, at most ``keep`` of them kept idle."""

    def __init__(self, connect: Callable[[], Connection], *, keep: int) -> None:
        self._connect = connect
        self._keep = keep
        self._idle: list[Connection] = []
        #: The open connections, idle or in use, by their server process ids.
        self._backends: dict[Connection, int] = {}
        self._lock = threading.Lock()
        self._closed = False

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for one call, given back after it (closed, if it broke or
        was left inside a transaction)."""
        conn = self.take()
        try:
            yield conn
        finally:
            self.give_back(conn)

    def take(self) -> Connection:
        """A connection for one call, to hand to ``give_back`` after it (what
        ``connection`` does, without a context manager's calls: for the hot path)."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
            with self._lock:
                self._backends[conn] = conn.info.backend_pid
        return conn

    def give_back(self, conn: Connection) -> None:
        """Keep ``conn`` for the next call, or close it if it broke or was left
        inside a transaction."""
        healthy = not conn.closed and conn.pgconn.transaction_status == _IDLE
        with self._lock:
            if healthy and not self._closed and len(self._idle) < self._keep:
                self._idle.append(conn)
                return
        self._close(conn)

    def _close(self, conn: Connection) -> None:
        with self._lock:
            self._backends.pop(conn, None)
        conn.close()

    def serves(self, backend_pid: int) -> bool:
        """Whether ``backend_pid`` is the server process of one of this pool's open
        connections (a notification it sent came from this process)."""
        with self._lock:
            return backend_pid in self._backends.values()

    def drop_idle(self) -> None:
        """Close the idle connections (after one broke: the others, opened before the
        same server restart, are likely broken too)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            self._close(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.drop_idle()
