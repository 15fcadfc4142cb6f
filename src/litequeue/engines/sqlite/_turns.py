"""Writers of one queue file waiting for their turn in the kernel, not by polling."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from ...errors import DatabaseBusy

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
    writers wait as SQLite has them. A turn is waited for at most ``timeout``
    seconds, SQLite's busy timeout, and then ends in the same ``DatabaseBusy``: a
    litequeue process stopped in the middle of a write (a debugger, ``SIGSTOP``)
    holds SQLite's write lock too, and this wait must not outlast SQLite's.

    A ``flock`` call cannot be given a timeout, so a turn that is not free at once
    is waited for by a helper thread (``_Waiter``) blocked in the kernel, while the
    writer waits for it with a timeout; one more thread wake-up per contended turn.

    The threads of one connection take turns on a lock of their own first (a
    ``flock`` is the open file's, shared by its threads), and wait before they take
    the store's lock, so a read never waits behind a writer that waits for its turn.
    """

    def __init__(self, path: str | Path, timeout: float = 10.0) -> None:
        self._path = None if str(path) == ":memory:" else f"{path}-lock"
        self._timeout = timeout
        self._fd: int | None = None
        self._waiter: _Waiter | None = None
        self._held = False
        self._mine = threading.Lock()  # this connection's threads, one turn at a time

    def take(self) -> None:
        """Wait for this thread's turn to write; opens the lock file at the first
        write (a reader never makes it). Each ``take`` ends with ``give_back``;
        ``DatabaseBusy`` after ``timeout`` seconds without a turn."""
        self._mine.acquire()  # (held by a thread of this process: no frozen writer)
        try:
            if self._fd is None and self._path is not None:
                try:
                    # flock needs no write access: a file another user made will do.
                    flags = os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC
                    self._fd = os.open(self._path, flags, 0o644)
                except OSError:
                    self._path = None
            if self._fd is not None:
                if self._waiter is None:
                    try:
                        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        self._waiter = _Waiter(self._fd)
                        self._wait()
                else:
                    self._wait()
                self._held = True
        except BaseException:
            self._mine.release()
            raise

    def _wait(self) -> None:
        assert self._waiter is not None
        if not self._waiter.take(self._timeout):
            raise self._busy()

    def _busy(self) -> DatabaseBusy:
        return DatabaseBusy(
            f"{self._path}: another litequeue writer held its turn to write for longer"
            f" than the busy timeout ({self._timeout:g} s)"
        )

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
        fd, self._fd = self._fd, None
        if self._waiter is not None:
            self._waiter.close()  # closes fd once it no longer waits on it
        elif fd is not None:
            os.close(fd)


class _Waiter:
    """A daemon thread that waits in ``flock`` for the writer, which may give up.

    Plain locks hand the request and the turn over (a ``Condition`` cost a
    contended turn 40 us more CPU). A turn the writer no longer wants when it comes
    (it timed out) is given back at once, so a frozen holder's neighbours are not
    held up by an abandoned wait.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._state = threading.Lock()  # guards the flags below
        self._wanted = False  # a writer waits for the turn
        self._blocked = False  # this thread is asked for it, or waits in flock
        self._closed = False
        self._request = threading.Lock()  # released: this thread goes for the turn
        self._request.acquire()
        self._grant = threading.Lock()  # released: the turn is the writer's
        self._grant.acquire()
        threading.Thread(target=self._run, name="litequeue-turns", daemon=True).start()

    def take(self, timeout: float) -> bool:
        """Whether the turn came within ``timeout`` seconds (then it is held): at
        once if it is free, else when this thread's ``flock`` returns. (True once
        closed: no more turns are taken.)"""
        with self._state:
            if self._closed:
                return True
            if not self._blocked:  # (while it is, the turn may be its own already)
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    pass
                self._blocked = True
                self._request.release()
            self._wanted = True
        if self._grant.acquire(timeout=timeout):
            return True
        with self._state:
            self._wanted = False
            # (given while the timeout ran out: taken after all)
            return self._grant.acquire(blocking=False)

    def close(self) -> None:
        with self._state:
            self._closed = True
            if not self._blocked:
                self._request.release()  # to end the thread
            if self._wanted:
                self._wanted = False
                self._grant.release()

    def _run(self) -> None:
        closed = False
        while not closed:
            self._request.acquire()
            if self._closed:
                break
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # (the writer may stop waiting)
            with self._state:
                self._blocked = False
                if self._wanted:
                    self._wanted = False
                    self._grant.release()
                else:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)  # nobody waits any more
                closed = self._closed
        os.close(self._fd)
