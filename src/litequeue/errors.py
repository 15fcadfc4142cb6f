"""Every error litequeue raises, in one tree.

Catch ``LitequeueError`` to handle them all; where an error is also a kind of
builtin error, it subclasses that builtin too, so ``except LookupError`` works::

    LitequeueError
    ├── ConfigurationError (ValueError)    bad argument or setting
    ├── PayloadError (TypeError)           payload or result is not JSON
    ├── JobNotFound (LookupError)          no job with that id
    ├── ScheduleNotFound (LookupError)     no schedule with that name
    ├── InvalidTransition                  e.g. retry a running job
    ├── UnknownKind (LookupError)          no handler for a job's kind
    ├── AttemptLost                        the attempt's lease expired or it was superseded
    ├── JobTimeout (TimeoutError)          an attempt ran past its timeout
    ├── LeaseExpired                       a worker stopped heartbeating mid-job
    ├── WorkerStopped                      a worker stopped before the job finished
    ├── ChildProcessDied                   a process handler's child died mid-job
    └── StoreError                         the database itself
        ├── SchemaTooNew                   written by a newer litequeue
        ├── SchemaTooOld                   needs migrating (migrate=False, look-only CLI)
        ├── NotADatabase                   not a SQLite file, or corrupt
        ├── DatabaseReadOnly               the file or its folder is not writable
        ├── DiskFull                       no space (or file size limit) to write
        ├── DatabaseBusy                   another process held the lock too long
        ├── SQLiteTooOld                   Python's SQLite lacks what litequeue needs
        ├── DatabaseUnreachable            no PostgreSQL server answers at that address
        │   └── LoginRefused               the server refused the user or password
        ├── ConnectionLost                 the server went away mid-statement
        └── TargetNotEmpty                 a copy's target already holds a queue

``Retry`` and ``Cancel`` are not errors: a handler raises them to steer its job.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AttemptLost",
    "Cancel",
    "ChildProcessDied",
    "ConfigurationError",
    "ConnectionLost",
    "DatabaseBusy",
    "DatabaseReadOnly",
    "DatabaseUnreachable",
    "DiskFull",
    "ForeignDatabase",
    "InvalidTransition",
    "JobNotFound",
    "JobTimeout",
    "LeaseExpired",
    "LitequeueError",
    "LoginRefused",
    "NotADatabase",
    "PayloadError",
    "Retry",
    "SQLiteTooOld",
    "ScheduleNotFound",
    "SchemaTooNew",
    "SchemaTooOld",
    "StoreError",
    "TargetNotEmpty",
    "UnknownKind",
    "WorkerStopped",
]


class LitequeueError(Exception):
    """Base of every error raised by litequeue."""


class ConfigurationError(LitequeueError, ValueError):
    """An argument or setting is out of range or of the wrong kind."""


class PayloadError(LitequeueError, TypeError):
    """A payload, result or event datum cannot be stored as JSON (or, stored by
    another tool, cannot be read back). Another attempt cannot change that, so a job
    failing with it is not retried."""

    retryable = False


class JobNotFound(LitequeueError, LookupError):
    """No job has the given id."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"no job with id {job_id}")
        self.job_id = job_id


class ScheduleNotFound(LitequeueError, LookupError):
    """No schedule has the given name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no schedule named {name!r}")
        self.name = name


class InvalidTransition(LitequeueError):
    """The job's current status does not allow the requested change."""


class UnknownKind(LitequeueError, LookupError):
    """A worker claimed a job whose kind has no registered handler."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"no handler is registered for job kind {kind!r}")
        self.kind = kind


class AttemptLost(LitequeueError):
    """The attempt no longer holds its job: its lease expired, it timed out, or it was
    cancelled or superseded. Raised by ``ctx.progress`` so a handler can stop early."""


class JobTimeout(LitequeueError, TimeoutError):
    """An attempt ran longer than the job's timeout (counted from its claim)."""


class LeaseExpired(LitequeueError):
    """The worker holding an attempt stopped extending its lease (killed or stalled)."""


class WorkerStopped(LitequeueError):
    """The worker stopped before the attempt finished and the job had no attempts left."""


class ChildProcessDied(LitequeueError):
    """A handler's child process exited without answering (crash or memory limit)."""


class StoreError(LitequeueError):
    """The database could not be opened, read or written."""


class SchemaTooNew(StoreError):
    """The database was written by a newer litequeue; this one refuses to touch it."""


class ForeignDatabase(StoreError):
    """The file is another application's database: litequeue adds its tables to one
    only when asked to (``adopt=True``)."""

    def __init__(self, path: str, tables: Sequence[str]) -> None:
        super().__init__(
            f"{path}: another application's database (it holds tables litequeue did not"
            f" make: {', '.join(tables)}); litequeue would add its own tables to it:"
            " open it with adopt=True (litequeue --adopt) if that is meant"
        )
        #: The file's own tables.
        self.tables = list(tables)


class SchemaTooOld(StoreError):
    """The database needs migrating and was opened with ``migrate=False``."""

    def __init__(
        self, path: str, version: int, newest: int, other_tables: Sequence[str] = ()
    ) -> None:
        if version == 0 and other_tables:
            # Most likely another application's database: no advice to add tables to it.
            said = (
                f"{path}: not a litequeue queue file (it holds other tables:"
                f" {', '.join(other_tables)}): another application's database?"
            )
        elif version == 0:
            said = (
                f"{path}: not a litequeue queue file yet (no litequeue schema in it);"
                " run `litequeue migrate` or open it with migrate=True"
            )
        else:
            said = (
                f"{path}: database schema version {version} is older than this"
                f" litequeue's ({newest}); run `litequeue migrate` or open it with migrate=True"
            )
        super().__init__(said)
        #: The file's schema version.
        self.version = version
        #: The newest version this litequeue knows.
        self.newest = newest


class NotADatabase(StoreError):
    """The file is not a SQLite database, or it is corrupt."""


class DatabaseReadOnly(StoreError):
    """The database file, or the folder it lives in, cannot be written."""


class DiskFull(StoreError):
    """SQLite could not grow the file: the disk is full or a size limit was hit."""


class DatabaseBusy(StoreError):
    """Another connection held the write lock for longer than ``busy_timeout``."""


class SQLiteTooOld(StoreError):
    """The SQLite library Python's ``sqlite3`` module uses is older than 3.35 (no
    ``UPDATE ... RETURNING``) or was built without its JSON functions."""


class DatabaseUnreachable(StoreError):
    """No PostgreSQL server could be reached at the address given (down, wrong host
    or port, no such database); the message names host, port and database."""


class LoginRefused(DatabaseUnreachable):
    """The PostgreSQL server refused the login (user, password or ``pg_hba.conf``);
    the message names host, port and database."""


class ConnectionLost(StoreError):
    """The connection to the PostgreSQL server broke during a call (a restart, a
    network cut). A write that raises this may or may not have committed; a worker
    keeps its answers and tries again on a new connection."""


class TargetNotEmpty(StoreError):
    """``Queue.copy_to`` (``litequeue copy-to``) was pointed at a database that already
    holds jobs, events or queue settings: a copy goes into an empty one only."""


class Retry(Exception):
    """Raised by a handler to run its job again later, counting the attempt.

    ``delay`` (seconds) overrides the handler's backoff for this retry.
    """

    def __init__(self, reason: str = "retry requested", *, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


class Cancel(Exception):
    """Raised by a handler to cancel its job now, without further attempts."""
