"""The hooks a litequeue plugin can implement, grouped by when they are called.

A plugin is a module (or object) with functions marked ``@litequeue.hookimpl``
and named like the specs below. Implementations may take fewer arguments than
the spec lists, so new arguments can be added without breaking plugins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pluggy

if TYPE_CHECKING:
    from ._queue import Queue
    from ._worker import Worker
    from .models import Event, EventType, Job
    from .web import View

PROJECT = "litequeue"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

F = TypeVar("F", bound=Callable[..., Any])
#: Where ``wants`` keeps its predicate on the implementation.
WANTS_ATTRIBUTE = "litequeue_wants"


def wants(predicate: Callable[[EventType], bool]) -> Callable[[F], F]:
    """Mark a ``litequeue_job_event`` implementation as interested only in events
    whose type passes ``predicate`` (asked at each event, so it may follow, say, a
    logger's level). When no implementation and no ``Queue.subscribe`` callback
    wants an event, litequeue does not even build its ``Event`` value: a busy
    worker writes several events per job. Put it under ``@hookimpl``::

        @hookimpl
        @wants(lambda type: type is EventType.FAILED)
        def litequeue_job_event(event): ...
    """

    def mark(function: F) -> F:
        setattr(function, WANTS_ATTRIBUTE, predicate)
        return function

    return mark


class Register(Protocol):
    """The ``register`` callable handed to ``litequeue_register_handlers``; it takes
    the same arguments as ``Queue.handler``."""

    def __call__(self, kind: str, fn: Any, /, *, version: str = "1", **options: Any) -> None: ...


# -- when a Queue opens -------------------------------------------------------------


@hookspec
def litequeue_register_handlers(register: Register, queue: Queue) -> None:
    """Register job handlers: call ``register(kind, fn, version="1", ...)`` once per kind.

    :param register: takes the same arguments as ``Queue.handler``.
    :param queue: the queue being opened.
    """


class AddSchedule(Protocol):
    """The ``schedule`` callable handed to ``litequeue_register_schedules``; it takes
    the same arguments as ``Queue.schedule``."""

    def __call__(self, name: str, kind: str, cron: str, /, **options: Any) -> Any: ...


# -- when a worker starts -------------------------------------------------------------


@hookspec
def litequeue_register_schedules(schedule: AddSchedule, queue: Queue) -> None:
    """Store periodic jobs: call ``schedule(name, kind, cron, payload=..., timezone=...,
    queue=..., catch_up=...)`` once per schedule. Called when a worker that runs the
    scheduler starts; storing an unchanged schedule again changes nothing.

    :param schedule: takes the same arguments as ``Queue.schedule``.
    :param queue: the queue the worker serves.
    """


# -- while jobs run -----------------------------------------------------------------------


@hookspec
def litequeue_job_event(event: Event, queue: Queue) -> None:
    """Hear an event after the transaction that wrote it has committed.

    Each implementation is called on its own: one that raises is logged and the
    others still run. Called in the process that made the change only; other
    processes read ``Queue.events()``. An implementation marked with ``@wants(...)``
    hears only the event types it asks for.

    :param event: the committed event.
    :param queue: the queue it happened on.
    """


@hookspec
def litequeue_jobs_removed(jobs: list[Job], queue: Queue) -> None:
    """Jobs were deleted (``Queue.delete``) or pruned (``Queue.prune``), and that has
    committed: clean up what belongs to them (files a plugin made for them).

    Called in the process that removed them, once per transaction (a prune removes
    jobs in chunks). Each implementation is called on its own; one that raises is
    logged and the others still run.

    :param jobs: the removed jobs, as they were.
    :param queue: the queue they were removed from.
    """


# -- a worker's life ----------------------------------------------------------------------


@hookspec
def litequeue_worker_started(worker: Worker) -> None:
    """A worker is about to claim its first job.

    :param worker: the worker.
    """


@hookspec
def litequeue_worker_stopped(worker: Worker) -> None:
    """A worker has stopped: it claims nothing more and its jobs are finished or handed back.

    :param worker: the worker.
    """


# -- the dashboard ------------------------------------------------------------------------


@hookspec
def litequeue_web_views(register: Callable[[View], None], queue: Queue, read_only: bool) -> None:
    """Add pages to ``litequeue web``: call ``register`` with a ``litequeue.web.View``
    for each (called once per dashboard, which needs the ``web`` extra).

    :param register: takes a ``View``.
    :param queue: the queue the dashboard shows.
    :param read_only: the dashboard was started with ``--read-only``: a view must
        then change nothing.
    """
