"""Opening a SQLite file, keeping its write-ahead log bounded, and bringing its
schema up to date.

Migrations are the numbered ``migrations/NNNN_name.sql`` files. Each one runs in
its own ``BEGIN IMMEDIATE`` transaction together with ``PRAGMA user_version = N``,
so a crash leaves the file at the previous version, never half-way. A file whose
``user_version`` is above the newest migration was written by a newer litequeue
and is refused.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import TypeVar

import attrs

from ...errors import (
    ConfigurationError,
    DatabaseBusy,
    DatabaseReadOnly,
    DiskFull,
    ForeignDatabase,
    NotADatabase,
    SchemaTooNew,
    SchemaTooOld,
    SQLiteTooOld,
    StoreError,
)
from . import _sql

__all__ = [
    "DURABILITY_LEVELS",
    "WAL_BOUND",
    "Migration",
    "WalBound",
    "begin_immediate",
    "connect",
    "load_migrations",
    "migrate",
    "require_current",
    "require_json_functions",
    "require_sqlite_version",
    "schema_version",
    "translate",
    "translate_errors",
]

#: ``durability`` name -> SQLite ``synchronous`` level.
DURABILITY_LEVELS = {"full": "FULL", "normal": "NORMAL"}

_MIGRATION_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")


@attrs.frozen
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """Split the script into statements (``executescript`` would commit early)."""
        statements, pending = [], ""
        for line in self.sql.splitlines(keepends=True):
            if not pending and (not line.strip() or line.lstrip().startswith("--")):
                continue
            pending += line
            if sqlite3.complete_statement(pending):
                statements.append(pending.strip())
                pending = ""
        if pending.strip():
            raise ConfigurationError(f"migration {self.version:04d} ends mid-statement")
        return statements


def load_migrations() -> list[Migration]:
    """The packaged migrations, in order, numbered 1, 2, 3... with no gaps."""
    found = []
    for entry in resources.files("litequeue.engines.sqlite").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise ConfigurationError("litequeue's migrations are not numbered 1..N without gaps")
    return found


@contextlib.contextmanager
def translate_errors(path: str | Path) -> Iterator[None]:
    """Turn sqlite3's errors into litequeue's typed ones, naming the file."""
    try:
        yield
    except sqlite3.Error as exc:
        raise translate(exc, path) from exc


def translate(exc: sqlite3.Error, path: str | Path) -> StoreError:
    """The typed litequeue error for a sqlite3 error on ``path``."""
    text = str(exc)
    lowered = text.lower()
    if "disk is full" in lowered or _could_not_write(exc):
        return DiskFull(
            f"{path}: could not write to the database (disk full, file size limit or "
            f"write error: {text}); nothing of the failed change was kept"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return DatabaseReadOnly(f"{path}: the database cannot be written ({text})")
    if "unable to open" in lowered:
        return DatabaseReadOnly(
            f"{path}: cannot open the database file; check the path and its folder's permissions"
        )
    if "locked" in lowered or "busy" in lowered:
        return DatabaseBusy(f"{path}: the database stayed locked by another connection: {text}")
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return NotADatabase(f"{path}: not a SQLite database, or it is corrupt ({text})")
    return StoreError(f"{path}: {text}")


_SQLITE_BUSY = 5
_SQLITE_FULL = 13
_SQLITE_IOERR_WRITE = 778  # what a WAL append that hits EFBIG or ENOSPC reports
_SQLITE_IOERR_SHMSIZE = 4874  # the -shm file could not grow, for the same reasons


def _could_not_write(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (
        _SQLITE_FULL,
        _SQLITE_IOERR_WRITE,
        _SQLITE_IOERR_SHMSIZE,
    )


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if there still is one: after some errors (an
    I/O error mid-statement, a full disk) SQLite has rolled it back itself, and a
    ``ROLLBACK`` then would fail and hide the error that counts."""
    if conn.in_transaction:
        conn.execute(_sql.ROLLBACK)


T = TypeVar("T")


def retry_busy(action: Callable[[], T], timeout: float) -> T:
    """Run ``action``, trying again while the database is busy, for up to ``timeout`` s.

    SQLite's own busy handler sleeps 1, 2, 5, 10... ms between tries, so a writer
    that just misses the lock waits milliseconds for a transaction that takes
    microseconds. The store's connection runs with ``busy_timeout = 0`` and this
    loop tries again after 50 us, doubling up to 2 ms.
    """
    deadline = time.monotonic() + timeout
    pause = 0.00005
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", 0) or 0
            if code & 0xFF != _SQLITE_BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.002)


def begin_immediate(conn: sqlite3.Connection, timeout: float) -> None:
    """``BEGIN IMMEDIATE``, waiting up to ``timeout`` seconds for the write lock.

    Tried once before ``retry_busy`` is set up: the lock is nearly always free, and
    every write passes here."""
    try:
        conn.execute(_sql.BEGIN_IMMEDIATE)
    except sqlite3.OperationalError as exc:
        if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF != _SQLITE_BUSY:
            raise
        retry_busy(lambda: conn.execute(_sql.BEGIN_IMMEDIATE), timeout)


#: Bytes the write-ahead log may hold: a little above the 1,000 pages (4 MB) at
#: which SQLite copies it into the database and lets the next write start it over.
#: It starts over only at a moment no reader is using it, so readers whose statements
#: overlap without a break (two dashboards polling) would let it grow without end,
#: and every commit would copy pages and sync the database again.
WAL_BOUND = 5 * 2**20
#: Seconds a writer waits for the readers still in the log to finish their statements.
WAL_WAIT = 0.1
#: Commits between two looks at the log's size: a look (a ``stat``) costs about a
#: tenth of a commit.
WAL_LOOK_EVERY = 16


class WalBound:
    """Keeps the write-ahead log of the file a connection writes under ``WAL_BOUND``.

    When a commit has left the log larger (looked at every ``WAL_LOOK_EVERY``
    commits), the writer copies it all into the database and starts it over
    (``wal_checkpoint(RESTART)``; the next commit cuts the file back to
    ``journal_size_limit``), trying again for up to ``WAL_WAIT`` s while readers
    finish: each read is one short statement, and new ones read the database file
    once the log is all copied. If a reader stays longer, the log is left alone
    until it has grown by another ``WAL_BOUND``.
    """

    def __init__(self, conn: sqlite3.Connection, path: str | Path) -> None:
        self._conn = conn
        self._wal = None if str(path) == ":memory:" else os.path.abspath(f"{path}-wal")
        self._limit = WAL_BOUND
        self._commits = 0

    def after_commit(self) -> None:
        self._commits += 1
        if self._wal is None or self._commits % WAL_LOOK_EVERY:
            return
        try:
            size = os.stat(self._wal).st_size
        except FileNotFoundError:
            return
        if size > self._limit:
            self._limit = WAL_BOUND if self._restart() else size + WAL_BOUND

    def _restart(self) -> bool:
        deadline = time.monotonic() + WAL_WAIT
        pause = 0.00005
        while True:
            try:
                busy = self._conn.execute(_sql.WAL_RESTART).fetchone()[0]
            except sqlite3.Error:
                # The commit stands: an error here (a full disk) must not report it
                # as failed, and the next write meets the same error if it lasts.
                return False
            if not busy:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.002)


def connect(
    path: str | Path,
    *,
    durability: str,
    busy_timeout: float,
    current: bool = False,
    adopt: bool = False,
) -> sqlite3.Connection:
    """Open ``path`` in WAL mode with the asked durability, in autocommit mode
    (litequeue opens its own transactions with ``BEGIN IMMEDIATE``).

    A file written by a newer litequeue (or another application's, numbered past
    litequeue's versions) is refused before anything about it changes: switching
    to WAL is a change it would keep. With ``current``, so is a missing file or
    one not at this litequeue's schema version; without ``adopt``, so is another
    application's database (tables and no litequeue schema), which migrating would
    add litequeue's tables to."""
    try:
        synchronous = DURABILITY_LEVELS[durability]
    except KeyError:
        choices = ", ".join(map(repr, DURABILITY_LEVELS))
        raise ConfigurationError(
            f"durability must be one of {choices}, not {durability!r}"
        ) from None
    require_sqlite_version()  # before the file is created
    if current and str(path) != ":memory:" and not Path(path).exists():
        raise StoreError(f"{path}: no such queue file")
    with translate_errors(path):
        conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            require_json_functions(conn)
            # Refused files are refused before anything about them changes.
            if current:
                require_current(conn, path)
            else:
                newest = len(load_migrations())
                _refuse_newer(conn, path, schema_version(conn), newest)
                if not adopt:
                    _refuse_foreign(conn, path)
            # A file still in rollback mode answers "busy" to this at once, without
            # waiting (several processes creating one queue file together).
            mode = retry_busy(lambda: conn.execute(_sql.WAL_MODE).fetchone()[0], busy_timeout)
            if str(path) != ":memory:" and mode.lower() != "wal":
                raise StoreError(f"{path}: could not switch the database to WAL mode ({mode})")
            conn.execute(_sql.SYNCHRONOUS[synchronous])
            # A log that started over is cut back to the bound (SQLite keeps its
            # largest size otherwise), so a larger one means readers held it.
            conn.execute(_sql.journal_size_limit(WAL_BOUND))
            conn.execute(_sql.NO_FOREIGN_KEYS)
        except BaseException:
            conn.close()
            raise
    return conn


#: ``UPDATE ... RETURNING`` (claims, successes) arrived in SQLite 3.35.0.
MIN_SQLITE = (3, 35, 0)


def require_sqlite_version() -> None:
    """Refuse an SQLite older than ``MIN_SQLITE`` with an error that says so, rather
    than a syntax error on the first claim."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        needed = ".".join(map(str, MIN_SQLITE))
        raise SQLiteTooOld(
            f"litequeue needs SQLite {needed} or newer; Python's sqlite3 module uses"
            f" {sqlite3.sqlite_version}"
        )


def require_json_functions(conn: sqlite3.Connection) -> None:
    """Refuse an SQLite built without the JSON functions that batch writes use."""
    try:
        conn.execute(_sql.JSON_CHECK).fetchone()
    except sqlite3.OperationalError as exc:
        raise SQLiteTooOld(
            f"litequeue needs SQLite's JSON functions, which the SQLite"
            f" {sqlite3.sqlite_version} Python uses lacks ({exc})"
        ) from exc


def schema_version(conn: sqlite3.Connection) -> int:
    """The migration number the file is at (0 for a new file)."""
    return int(conn.execute(_sql.USER_VERSION).fetchone()[0])


def require_current(conn: sqlite3.Connection, path: str | Path) -> None:
    """``SchemaTooOld`` or ``SchemaTooNew`` unless the file is at the newest version."""
    newest = len(load_migrations())
    with translate_errors(path):
        version = schema_version(conn)
        if version == newest:
            return
        _refuse_newer(conn, path, version, newest)
        raise SchemaTooOld(str(path), version, newest, sorted(_tables(conn)) if not version else [])


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute(_sql.TABLES)}


def _refuse_foreign(conn: sqlite3.Connection, path: str | Path) -> None:
    """``ForeignDatabase`` for a file with tables but no litequeue schema: SQLite's own
    (``sqlite_sequence``, ``sqlite_stat1``) do not count. The version is read after
    the tables, so another process creating this queue file meanwhile (tables and
    version in one commit) is never taken for another application."""
    tables = sorted(t for t in _tables(conn) if not t.startswith("sqlite_"))
    if tables and not schema_version(conn):
        raise ForeignDatabase(str(path), tables)


def _refuse_newer(conn: sqlite3.Connection, path: str | Path, version: int, newest: int) -> None:
    if version <= newest:
        return
    if "jobs" not in _tables(conn):
        raise SchemaTooNew(
            f"{path}: not a litequeue queue file (its user_version is {version} and it has"
            " no jobs table): another application's database?"
        )
    raise SchemaTooNew(
        f"{path}: database schema version {version} was written by a newer litequeue "
        f"(this one knows up to version {newest}); upgrade litequeue to open it"
    )


def migrate(
    conn: sqlite3.Connection,
    path: str | Path,
    *,
    target: int | None = None,
    busy_timeout: float = 30.0,
) -> int:
    """Apply the migrations the file lacks, each atomically; return the new version.

    Raises ``SchemaTooNew`` when the file is ahead of this litequeue.
    """
    migrations = load_migrations()
    newest = len(migrations)
    target = newest if target is None else target
    with translate_errors(path):
        current = schema_version(conn)
        _refuse_newer(conn, path, current, newest)
        for migration in migrations[current:target]:
            begin_immediate(conn, busy_timeout)
            try:
                # Another process may have migrated while we waited for the lock.
                if schema_version(conn) >= migration.version:
                    conn.execute(_sql.ROLLBACK)
                    continue
                for statement in migration.statements():
                    conn.execute(statement)
                conn.execute(_sql.set_user_version(migration.version))
                conn.execute(_sql.COMMIT)
            except BaseException:
                rollback(conn)
                raise
        return schema_version(conn)
