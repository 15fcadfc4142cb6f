"""Whether a queue file's write-ahead log was left alone, told by one ``stat``."""

from __future__ import annotations

import os

__all__ = ["QUIET", "TRUSTED", "QuietLog"]

#: Seconds the log must have been left alone before a read of ``data_version``
#: for that read to stand while the log stays unchanged (see ``QuietLog``).
QUIET = 1.0
#: Seconds such a read stands at most: then SQLite is asked again, whatever the log
#: looks like (a commit slower than ``QUIET`` to show itself, a file system that
#: does not move the times, is seen this late at worst).
TRUSTED = 1.0


class QuietLog:
    """The ``-wal`` file of a WAL-mode queue file, looked at with ``os.stat``.

    Every commit by any connection writes its pages to the log (a ``write`` that
    moves the file's modification time, and its size unless the log started over),
    and only then makes them visible in the ``-shm`` file. So a ``PRAGMA
    data_version`` read when the log had been left alone for ``QUIET`` seconds stays
    the truth while the log's inode, size and times stay the same: a commit that
    wrote before that read and showed itself after it would need a sync of over
    ``QUIET`` seconds, and the caller asks SQLite again after ``TRUSTED`` anyway.
    ``os.stat`` costs a couple of microseconds; ``PRAGMA data_version`` begins and
    ends a read transaction (two lock calls on the ``-shm`` file), some 60-110 us of
    CPU for a worker thread that has just woken.

    Not a look at the wal-index header in the ``-shm`` file itself: reading it needs
    a file descriptor, and closing any descriptor of that file drops every POSIX lock
    the process holds on it, SQLite's included (those of other connections of the
    process too), which would let another process take the file for unused and set
    its ``-shm`` up anew under them.
    """

    def __init__(self, path: str) -> None:
        self._wal = None if path == ":memory:" else f"{os.path.realpath(path)}-wal"

    def mark(self) -> tuple[int, int, int, int] | None:
        """What changes when the log is written to (inode, size, modification and
        change times in nanoseconds); ``None`` when there is no log to look at."""
        if self._wal is None:
            return None
        try:
            st = os.stat(self._wal)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    @staticmethod
    def quiet_since(mark: tuple[int, int, int, int], when: float) -> bool:
        """Whether the log marked ``mark`` was last written ``QUIET`` s before ``when``
        (POSIX seconds) or earlier."""
        return max(mark[2], mark[3]) <= (when - QUIET) * 1e9
