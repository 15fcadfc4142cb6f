"""litequeue: a durable, embeddable job queue on a single SQLite file.

Layers, each importing only those above it:
``errors``, ``models`` (leaves) -> ``_records`` -> ``engines`` (the ``Store`` interface, and
one package per engine: the only SQL) -> ``hookspecs``, ``_plugins``, ``_events``,
``_handlers`` -> ``_queue`` -> ``_child``, ``_worker``
-> ``cli``, ``testing``. Nothing here imports ``litequeue_cv`` or ``examples``.
"""

from __future__ import annotations

import logging
from typing import Any

from ._handlers import Backoff, Context
from ._queue import Queue
from ._worker import Worker
from .errors import (
    AttemptLost,
    Cancel,
    ChildProcessDied,
    ConfigurationError,
    ConnectionLost,
    DatabaseBusy,
    DatabaseReadOnly,
    DatabaseUnreachable,
    DiskFull,
    ForeignDatabase,
    InvalidTransition,
    JobNotFound,
    JobTimeout,
    LeaseExpired,
    LitequeueError,
    LoginRefused,
    NotADatabase,
    PayloadError,
    Retry,
    ScheduleNotFound,
    SchemaTooNew,
    SchemaTooOld,
    SQLiteTooOld,
    StoreError,
    TargetNotEmpty,
    UnknownKind,
    WorkerStopped,
)
from .hookspecs import hookimpl
from .models import (
    ErrorInfo,
    Event,
    EventType,
    Job,
    JobStatus,
    KeyState,
    QueueInfo,
    Schedule,
    Undecodable,
    WorkerInfo,
)

__all__ = [
    "AttemptLost",
    "Backoff",
    "Cancel",
    "ChildProcessDied",
    "ConfigurationError",
    "ConnectionLost",
    "Context",
    "DatabaseBusy",
    "DatabaseReadOnly",
    "DatabaseUnreachable",
    "DiskFull",
    "ErrorInfo",
    "Event",
    "EventType",
    "ForeignDatabase",
    "InvalidTransition",
    "Job",
    "JobNotFound",
    "JobStatus",
    "JobTimeout",
    "KeyState",
    "LeaseExpired",
    "LitequeueError",
    "LoginRefused",
    "NotADatabase",
    "PayloadError",
    "Queue",
    "QueueInfo",
    "Retry",
    "SQLiteTooOld",
    "Schedule",
    "ScheduleNotFound",
    "SchemaTooNew",
    "SchemaTooOld",
    "StoreError",
    "TargetNotEmpty",
    "Undecodable",
    "UnknownKind",
    "Worker",
    "WorkerInfo",
    "WorkerStopped",
    "hookimpl",
]


# A library does not print on its own: without logging set up by the application,
# litequeue's records go nowhere instead of to Python's last-resort stderr handler.
logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("litequeue-jobs")
        except PackageNotFoundError:
            from ._version import __version__

            return __version__
    raise AttributeError(f"module 'litequeue' has no attribute {name!r}")
