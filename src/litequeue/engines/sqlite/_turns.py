"""Writers of one queue file waiting for their turn in the kernel, not by polling."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

__all__ = ["WriterTurns"]


class WriterTurns:
    """An exclusive ``flock`` on ``<queue file>-lock``, held around each write
    transaction of litequeue's connections to the file.

    SQLite's own wait for the write lock polls: a writer that finds it held sleeps
    and tries again (``_schema.retry_busy``: 50 us, doubling up to 2 ms), and a
    worker that commits and begins its next transaction at once often takes the
    lock back before the sleeper wakes. Waiting here instead, the kernel wakes the
    next writer as soon as the last one is done. One producer enqueueing one by one
    beside two workers on the shared 2-CPU VM (six alternating runs): 1.5x the jobs
    per second (median 1,930 against 1,260), the workers' CPU per job 100 us against
    166 (no busy retries), the producer's p99 and max lower in four runs of six.

    Only a way to take turns: SQLite's locks still keep writes apart, and other
    programs writing the file do not take this one. The file stays beside the queue
    file (removed while others wait on it, later writers would open a new one and
    take turns apart from them); where it cannot be made (a read-only folder),
    writers wait as SQLite has them. A litequeue process stopped in the middle of a
    write (a debugger, ``SIGSTOP``) holds the others' turns until it goes on or
    dies, as it holds SQLite's write lock.

    The threads of one connection take turns on a lock of their own first (a
    ``flock`` is the open file's, shared by its threads), and wait before they take
    the store's lock, so a read never waits behind a writer that waits for its turn.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = None if str(path) == ":memory:" else f"{path}-lock"
        self._fd: int | None = None
        self._held = False
        self._mine = threading.Lock()  # this connection's threads, one turn at a time

    def take(self) -> None:
        """Wait for this thread's turn to write; opens the lock file at the first
        write (a reader never makes it). Each ``take`` ends with ``give_back``."""
        self._mine.acquire()
        try:
            if self._fd is None and self._path is not None:
                try:
                    # flock needs no write access: a file another user made will do.
                    flags = os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC
                    self._fd = os.open(self._path, flags, 0o644)
                except OSError:
                    self._path = None
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
                self._held = True
        except BaseException:
            self._mine.release()
            raise

    def give_back(self) -> None:
        """End this thread's turn (after the commit or the rollback)."""
        if self._held:
            self._held = False
            if self._fd is not None:  # (closed meanwhile: the lock went with it)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._mine.release()

    def close(self) -> None:
        """Close the lock file; later writes take no turns."""
        self._path = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
