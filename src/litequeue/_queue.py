"""``Queue``: the public face of a queue file — enqueue, inspect, steer, listen."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Final, Self, TypeVar

from . import _plugins
from ._checks import INT64_MAX, MAX_KEY, id_filter, seconds, text_filter, whole
from ._checks import job_id as job_id_checked
from ._checks import name as name_checked
from ._events import EventBus
from ._handlers import Backoff, Handler, HandlerSpec
from ._rates import parse_rate
from ._records import JobRun, NewJob, job_runs, payload_json
from ._waiting import waiting_reasons
from .engines import Store, is_postgres, open_store, scheduling
from .engines.bulk import ACTIONS
from .errors import ConfigurationError, ScheduleNotFound
from .models import Event, Job, JobStatus, KeyState, QueueInfo, Schedule, WorkerInfo

__all__ = ["DEFAULT_MAX_ATTEMPTS", "Queue"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS: Final = 3
_EVENT_PAGE: Final = 500  # events read per query by ``Queue.events``
_STATUS_NAMES: Final = tuple(status.value for status in JobStatus)
_ENQUEUE_KEYS = frozenset(
    {
        "queue",
        "priority",
        "delay",
        "run_at",
        "max_attempts",
        "timeout",
        "unique_key",
        "force",
        "tags",
        "parent_id",
        "limit_key",
        "depends_on",
    }
)
#: What an ``enqueue_many`` item may carry beside ``enqueue``'s keyword arguments.
_ITEM_KEYS = _ENQUEUE_KEYS | {"ref"}
#: (kind, queue) pairs whose checked jobs ``enqueue`` keeps (see ``Queue._plain_job``).
_PLAIN_JOBS_KEPT = 256
F = TypeVar("F", bound=Handler)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _insertions(template: NewJob | None, payloads: list[Any]) -> Iterable[NewJob | JobRun]:
    """What inserts ``template``'s jobs with these payloads: runs, or one lone job."""
    if template is None or not payloads:
        return ()
    if len(payloads) == 1:
        text, value = payload_json(template.kind, payloads[0])
        return (template._replace(payload=text, value=value),)
    return job_runs(template, payloads)


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _dependencies(depends_on: Iterable[int | str], refs: set[str] | None) -> tuple[int | str, ...]:
    """``depends_on`` checked: job ids, or refs of earlier items (``refs``, in an
    ``enqueue_many``), each once."""
    if isinstance(depends_on, str | int):
        raise ConfigurationError(f"depends_on must be a list of job ids, not {depends_on!r}")
    checked: list[int | str] = []
    for each in depends_on:
        if isinstance(each, str):
            if refs is None:
                raise ConfigurationError(
                    f"depends_on names the ref {each!r}: refs name items of the same"
                    " enqueue_many call; enqueue takes job ids"
                )
            if each not in refs:
                raise ConfigurationError(
                    f"depends_on names the ref {each!r}, which no earlier item of this"
                    " enqueue_many call has"
                )
        else:
            job_id_checked(each, "each of depends_on")
        if each not in checked:
            checked.append(each)
    return tuple(checked)


class Queue:
    """A persistent job queue in one database: a SQLite file, named by its path or a
    ``sqlite:///path`` URL; a PostgreSQL database, named by a ``postgresql://`` URL
    (the ``postgres`` extra); or any opened ``Store``.

    Safe to share between threads. Opening creates the file or upgrades its schema;
    a file written by a newer litequeue is refused (``SchemaTooNew``), and so is
    another application's database (``ForeignDatabase``) unless ``adopt=True`` asks
    for litequeue's tables to be added beside its own.
    """

    def __init__(
        self,
        target: str | Path | Store,
        *,
        durability: str = "full",
        busy_timeout: float = 10.0,
        plugins: Iterable[ModuleType | str | object] = (),
        autoload_plugins: bool | None = None,
        event_retention: float | timedelta = timedelta(days=7),
        job_retention: float | timedelta | None = None,
        migrate: bool = True,
        adopt: bool = False,
    ) -> None:
        self.durability = durability
        self._busy_timeout = seconds(busy_timeout, "busy_timeout")
        #: Seconds events are kept by ``prune()`` and by workers' periodic pruning.
        self.event_retention = seconds(event_retention, "event_retention", forever=True)
        #: Seconds finished jobs are kept by them; ``None`` keeps finished jobs (their
        #: results and handler versions answer ``key_states``) until pruned by hand.
        self.job_retention = (
            None if job_retention is None else seconds(job_retention, "job_retention", forever=True)
        )
        # Plugins first: a plugin that fails to load leaves no new file behind.
        self.plugin_manager = _plugins.make_plugin_manager(plugins, autoload=autoload_plugins)
        self._store = open_store(
            target,
            durability=durability,
            busy_timeout=busy_timeout,
            migrate=migrate,
            adopt=adopt,
        )
        #: Where the queue lives: the file's path, or a database URL (no password).
        self.path: Path | str = (
            self._store.path if is_postgres(self._store.path) else Path(self._store.path)
        )
        self._handlers: dict[str, HandlerSpec] = {}
        #: (kind, queue) -> (its handler, the fields of a checked job of it that follow
        #: its payload and value)
        self._plain_jobs: dict[tuple[str, str], tuple[HandlerSpec | None, tuple[Any, ...]]] = {}
        try:
            self._bus = EventBus(self.plugin_manager, self)
            _plugins.register_handlers(self.plugin_manager, self._register, self)
        except BaseException:
            self._store.close()
            raise

    # -- handlers -----------------------------------------------------------------

    def handler(
        self,
        kind: str,
        *,
        version: str = "1",
        max_attempts: int | None = None,
        timeout: float | timedelta | None = None,
        backoff: Backoff | None = None,
        process: bool = False,
        memory_limit: int | None = None,
    ) -> Callable[[F], F]:
        """Decorator: ``fn(ctx, payload)`` runs jobs of ``kind``.

        ``max_attempts`` and ``timeout`` are defaults for jobs enqueued here without
        their own, and a worker applies ``timeout`` to a job that has none (one
        enqueued where this handler is not registered); ``process=True`` runs each
        job in a child process that is killed on timeout (and limited to
        ``memory_limit`` bytes).
        """

        def decorate(fn: F) -> F:
            self._register(
                kind,
                fn,
                version=version,
                max_attempts=max_attempts,
                timeout=timeout,
                backoff=backoff,
                process=process,
                memory_limit=memory_limit,
            )
            return fn

        return decorate

    def _register(
        self,
        kind: str,
        fn: Handler,
        version: str = "1",
        *,
        max_attempts: int | None = None,
        timeout: float | timedelta | None = None,
        backoff: Backoff | None = None,
        process: bool = False,
        memory_limit: int | None = None,
    ) -> None:
        version = name_checked(str(version), "a handler version")
        spec = HandlerSpec(
            kind=kind,
            fn=fn,
            version=version,
            max_attempts=max_attempts,
            timeout=None if timeout is None else seconds(timeout, "timeout", zero=False),
            backoff=backoff or Backoff(),
            process=process,
            memory_limit=memory_limit,
        ).check()
        existing = self._handlers.get(kind)
        if existing is not None and existing.fn is not fn:
            raise ConfigurationError(
                f"job kind {kind!r} already has a handler ({existing.import_path})"
            )
        self._handlers[kind] = spec

    def handler_for(self, kind: str) -> HandlerSpec | None:
        """The handler registered for ``kind``, if any."""
        return self._handlers.get(kind)

    @property
    def handlers(self) -> Mapping[str, HandlerSpec]:
        """The registered handlers by kind."""
        return dict(self._handlers)

    # -- enqueue ----------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        payload: Any = None,
        *,
        queue: str = "default",
        priority: int = 0,
        delay: float | timedelta | None = None,
        run_at: datetime | None = None,
        max_attempts: int | None = None,
        timeout: float | timedelta | None = None,
        unique_key: str | None = None,
        force: bool = False,
        tags: Iterable[str] = (),
        parent_id: int | None = None,
        limit_key: str | None = None,
        depends_on: Iterable[int] = (),
    ) -> Job:
        """Add a job; returns once it is committed to disk.

        With a ``unique_key`` held by a queued or running job, that job is returned
        instead (``force=True`` adds a new one anyway). A job with ``depends_on`` (job
        ids) stays queued until they have all succeeded, and is cancelled when one of
        them fails for good or is cancelled. ``limit_key`` puts it under its queue's
        per-key limits (``set_queue(per_key_limit=..., per_key_rate=...)``).
        """
        if (
            type(kind) is str
            and type(queue) is str
            and type(priority) is int
            and not priority
            and delay is None
            and run_at is None
            and max_attempts is None
            and timeout is None
            and unique_key is None
            and force is False
            and type(tags) is tuple
            and not tags
            and parent_id is None
            and limit_key is None
            and type(depends_on) is tuple
            and not depends_on
        ):
            new = self._plain_job(kind, queue, payload)
        else:
            new = self._new_job(
                kind, payload, queue=queue, priority=priority, delay=delay, run_at=run_at,
                max_attempts=max_attempts, timeout=timeout, unique_key=unique_key, force=force,
                tags=tags, parent_id=parent_id, limit_key=limit_key, depends_on=depends_on,
            )  # fmt: skip
        jobs, events = self._store.enqueue([new])
        self._bus.committed(events)
        return jobs[0]

    def enqueue_many(
        self, items: Iterable[tuple[str, Any] | Mapping[str, Any]], **defaults: Any
    ) -> list[Job]:
        """Add many jobs in one transaction: all or none.

        Each item is ``(kind, payload)`` or a dict with ``kind``, ``payload`` and any of
        ``enqueue``'s keyword arguments; ``defaults`` apply to every item. An item may
        carry a ``ref`` (a string), and the ``depends_on`` of a later item may name it
        beside job ids: a graph of jobs in one transaction.
        """
        self._check_keys(defaults, "enqueue_many")
        refs: set[str] = set()
        # (kind, payload) items differ only in these two; with whether they are plain
        templates: dict[str, tuple[NewJob, bool]] = {}
        news: list[NewJob | JobRun] = []
        template: NewJob | None = None  # of the latest jobs, while they differ only in payload
        payloads: list[Any] = []
        for item in items:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                kind, payload = item
                known = templates.get(kind)
                if known is None:
                    made = self._new_job(kind, None, **defaults)
                    known = templates[kind] = (made, made.plain)
                same, plain = known
            else:
                arguments = self._item(item, defaults, _ITEM_KEYS)
                payload = arguments.pop("payload")
                same = self._new_job(**arguments, refs=refs)
                if same.ref is not None:
                    if same.ref in refs:
                        raise ConfigurationError(f"two items of one call have the ref {same.ref!r}")
                    refs.add(same.ref)
                plain = same.plain
            if not plain:  # a unique key or a parent (its own or shared): on its own
                news.extend(_insertions(template, payloads))
                news.extend(_insertions(same, [payload]))
                template, payloads = None, []
                continue
            if same is not template and same != template:
                news.extend(_insertions(template, payloads))
                template, payloads = same, []
            payloads.append(payload)
        news.extend(_insertions(template, payloads))
        jobs, events = self._store.enqueue(news)
        self._bus.committed(events)
        return jobs

    def batch(
        self,
        items: Iterable[tuple[str, Any] | Mapping[str, Any]],
        *,
        kind: str = "litequeue.batch",
        payload: Any = None,
        queue: str = "default",
        tags: Iterable[str] = (),
        unique_key: str | None = None,
        **defaults: Any,
    ) -> tuple[Job, list[Job]]:
        """Add a parent job and its children in one transaction.

        The parent runs no handler: it shows its children's progress and finishes
        when they all have (``succeeded`` if every child did, else ``failed``).
        ``defaults`` (any of ``enqueue``'s keyword arguments) apply to the children.
        """
        self._check_keys(defaults, "batch")
        parent = self._new_job(kind, payload, queue=queue, tags=tags, unique_key=unique_key)
        children = [
            self._new_job(**self._item(item, {"queue": queue, "tags": tags, **defaults}))
            for item in items
        ]
        parent_job, child_jobs, events = self._store.create_batch(parent, children)
        self._bus.committed(events)
        return parent_job, child_jobs

    @staticmethod
    def _check_keys(
        arguments: Mapping[str, Any], where: str, allowed: frozenset[str] = _ENQUEUE_KEYS
    ) -> None:
        unknown = set(arguments) - allowed
        if unknown:
            raise ConfigurationError(f"{where}: unknown argument(s) {sorted(unknown)}")

    def _item(
        self,
        item: tuple[str, Any] | Mapping[str, Any],
        defaults: Mapping[str, Any],
        allowed: frozenset[str] = _ENQUEUE_KEYS,
    ) -> dict[str, Any]:
        if isinstance(item, Mapping):
            if "kind" not in item:
                raise ConfigurationError(f"an enqueue item needs a 'kind': {dict(item)!r}")
            extra = {k: v for k, v in item.items() if k not in ("kind", "payload")}
            self._check_keys(extra, "enqueue item", allowed)
            return {**defaults, **extra, "kind": item["kind"], "payload": item.get("payload")}
        if isinstance(item, tuple) and len(item) == 2:
            return {**defaults, "kind": item[0], "payload": item[1]}
        raise ConfigurationError(
            f"an enqueue item is a (kind, payload) tuple or a dict, not {item!r}"
        )

    def _plain_job(self, kind: str, queue: str, payload: Any) -> NewJob:
        """``_new_job`` for a job with nothing but a kind, a queue and a payload, the
        most common enqueue: its kind and queue checked, and its handler's settings
        read, once per handler (checking every argument each time cost ~8% of an
        enqueue's instructions, SQLite's included: 266k against 244k)."""
        spec = self._handlers.get(kind)
        known = self._plain_jobs.get((kind, queue))
        if known is None or known[0] is not spec:
            if len(self._plain_jobs) >= _PLAIN_JOBS_KEPT:
                self._plain_jobs.clear()
            known = self._plain_jobs[kind, queue] = (spec, self._new_job(kind, queue=queue)[4:])
        text, value = payload_json(kind, payload)
        # Kind, queue, payload, value, then the rest: half the cost of ``_replace``.
        return NewJob(kind, queue, text, value, *known[1])

    def _new_job(
        self,
        kind: str,
        payload: Any = None,
        *,
        queue: str = "default",
        priority: int = 0,
        delay: float | timedelta | None = None,
        run_at: datetime | None = None,
        max_attempts: int | None = None,
        timeout: float | timedelta | None = None,
        unique_key: str | None = None,
        force: bool = False,
        tags: Iterable[str] = (),
        parent_id: int | None = None,
        limit_key: str | None = None,
        depends_on: Iterable[int | str] = (),
        ref: str | None = None,
        refs: set[str] | None = None,
    ) -> NewJob:
        """``refs``: the refs of earlier items of one ``enqueue_many`` (``depends_on``
        may name them); ``None`` outside it."""
        name_checked(kind, "a job kind")
        name_checked(queue, "a queue name")
        whole(priority, "priority", low=-INT64_MAX - 1)
        if delay is not None and run_at is not None:
            raise ConfigurationError("give delay or run_at, not both")
        when: float | None = None  # due when committed
        if run_at is not None:
            if not isinstance(run_at, datetime) or run_at.tzinfo is None:
                raise ConfigurationError(f"run_at must be a timezone-aware datetime: {run_at!r}")
            when = run_at.timestamp()
        elif delay is not None:
            wait = seconds(delay, "delay")
            when = time.time() + wait if wait else None
        spec = self._handlers.get(kind)
        if max_attempts is None:
            max_attempts = spec.max_attempts if spec and spec.max_attempts else DEFAULT_MAX_ATTEMPTS
        whole(max_attempts, "max_attempts")
        if timeout is not None:
            timeout_s: float | None = seconds(timeout, "timeout", zero=False)
        else:
            timeout_s = spec.timeout if spec is not None else None
        if isinstance(tags, tuple):
            tag_tuple: tuple[str, ...] = tags
        elif isinstance(tags, str):
            tag_tuple = (tags,)
        elif isinstance(tags, Iterable):
            tag_tuple = tuple(tags)
        else:
            raise ConfigurationError(f"tags must be strings, not {tags!r}")
        for tag in tag_tuple:
            name_checked(tag, "each of tags")
        if unique_key is not None:
            name_checked(unique_key, "unique_key", limit=MAX_KEY, key=True)
        if parent_id is not None:
            job_id_checked(parent_id, "parent_id")
        if ref is not None:
            name_checked(ref, "ref")
        if limit_key is not None:
            name_checked(limit_key, "limit_key", limit=MAX_KEY, key=True)
        text, value = payload_json(kind, payload)
        return NewJob(
            kind=kind,
            queue=queue,
            payload=text,
            value=value,
            priority=priority,
            run_at=when,
            max_attempts=max_attempts,
            timeout=timeout_s,
            unique_key=unique_key,
            force=force,
            tags=tag_tuple,
            parent_id=parent_id,
            limit_key=limit_key,
            depends_on=_dependencies(depends_on, refs),
            ref=ref,
        )

    # -- reading ----------------------------------------------------------------------

    def get(self, job_id: int) -> Job:
        """The job with this id (``JobNotFound`` if there is none)."""
        return self._store.get(job_id_checked(job_id))

    def jobs(
        self,
        status: str | JobStatus | Iterable[str | JobStatus] | None = None,
        *,
        queue: str | None = None,
        kind: str | None = None,
        tag: str | None = None,
        parent_id: int | None = None,
        unique_key: str | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[Job]:
        """Jobs matching every given filter, newest first; page with ``before_id``."""
        if status is None:
            statuses: list[str] = []
        else:
            asked = [status] if isinstance(status, str) else list(status)
            unknown = [s for s in asked if s not in _STATUS_NAMES]
            if unknown:
                raise ConfigurationError(
                    f"unknown job status {unknown[0]!r}; one of {', '.join(_STATUS_NAMES)}"
                )
            statuses = [JobStatus(s).value for s in asked]
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ConfigurationError(f"limit must be a whole number >= 0, not {limit!r}")
        return self._store.jobs(
            status=statuses, queue=text_filter(queue, "queue"), kind=text_filter(kind, "kind"),
            tag=text_filter(tag, "tag"), parent_id=id_filter(parent_id, "parent_id"),
            unique_key=text_filter(unique_key, "unique_key"),
            before_id=id_filter(before_id, "before_id"), limit=min(limit, INT64_MAX),
        )  # fmt: skip

    def stats(self, *, tag: str | None = None) -> dict[str, dict[str, int]]:
        """``{queue: {status: count}}``, every status present (zeros included)."""
        counts = self._store.stats(tag=text_filter(tag, "tag"))
        return {
            queue: {status.value: by_status.get(status.value, 0) for status in JobStatus}
            for queue, by_status in sorted(counts.items())
        }

    def why_waiting(self, job_id: int) -> list[str]:
        """Why a queued job has not started, in words, each reason a line: the jobs
        it depends on, its ``run_at`` (and the schedule that made it), a paused queue,
        its queue's limits. Empty for a job that is not queued."""
        job = self.get(job_id)
        if job.status is not JobStatus.QUEUED:
            return []
        settings = {info.name: info for info in self._store.queues()}.get(job.queue)
        return waiting_reasons(job, settings, datetime.now(UTC))

    def check_integrity(self) -> None:
        """Raise ``NotADatabase`` if the file is damaged (a page or an index: ``PRAGMA
        quick_check``). It reads the whole file; counts and listings do not, so they
        can look healthy on a damaged file."""
        self._store.check_integrity()

    def key_states(
        self, keys: Sequence[str], *, kind: str | None = None, version: str | None = None
    ) -> dict[str, KeyState]:
        """For each unique key: ``new``, ``active``, ``done``, ``outdated`` (done by a
        handler version other than ``version``) or ``failed``.

        ``version`` defaults to the version of the handler registered for ``kind``.
        """
        if version is None and kind is not None and kind in self._handlers:
            version = self._handlers[kind].version
        asked = [keys] if isinstance(keys, str) else list(keys)  # a str is one key
        for key in asked:
            text_filter(key, "a unique key")
        return self._store.key_states(
            asked, text_filter(kind, "kind"), text_filter(version, "version")
        )

    # -- steering ---------------------------------------------------------------------

    def cancel(self, job_id: int) -> Job:
        """Cancel a queued or running job (and its unfinished children). A running
        attempt is told through ``ctx.cancelled`` and its answer is refused."""
        job, events = self._store.cancel(job_id_checked(job_id))
        self._bus.committed(events)
        self._bus.cancelled(events)
        return job

    def retry(self, job_id: int) -> Job:
        """Queue a failed or cancelled job again, with a fresh budget of attempts."""
        job, events = self._store.retry(job_id_checked(job_id))
        self._bus.committed(events)
        return job

    def delete(self, job_id: int) -> list[Job]:
        """Delete a job that is not running, with its children (a batch's, or those its
        handler added) and the events of all of them; returns the removed jobs, by id.

        Each removed job gets one ``deleted`` event, so followers of the log learn of
        it, and plugins hear ``litequeue_jobs_removed`` after the commit (the CV plugin
        removes the uploaded file there). A running job, or a child whose batch is not
        done, is refused with ``InvalidTransition``. The id of the newest job may be
        given again to the next job enqueued.
        """
        removed, events = self._store.delete(job_id_checked(job_id))
        self._bus.committed(events)
        self._jobs_removed(removed)
        return removed

    def steer_many(
        self, action: str, job_ids: Iterable[int], *, chunk: int = 500
    ) -> tuple[int, int]:
        """Retry, cancel or delete (``action``) each of these jobs as ``retry``,
        ``cancel`` and ``delete`` do, with the same events and plugin calls, ``chunk``
        jobs to a transaction (a hundred thousand take seconds, not one commit each);
        a job the action no longer applies to (gone, or in another status) is skipped.
        Returns how many jobs it changed and how many it skipped."""
        if action not in ACTIONS:
            raise ConfigurationError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
        ids = [job_id_checked(each) for each in job_ids]
        done = skipped = 0
        for start in range(0, len(ids), whole(chunk, "chunk", low=1)):
            steered, events = self._store.steer(action, ids[start : start + chunk])
            self._bus.committed(events)
            if action == "cancel":
                self._bus.cancelled(events)
            if action == "delete":
                self._jobs_removed(steered.changed)
            done += steered.done
            skipped += steered.skipped
        return done, skipped

    def _jobs_removed(self, jobs: list[Job]) -> None:
        """Tell plugins of jobs deleted or pruned, after their commit."""
        _plugins.notify_each(self.plugin_manager, "litequeue_jobs_removed", jobs=jobs, queue=self)

    def set_queue(
        self,
        name: str,
        *,
        limit: int | None = UNSET,
        paused: bool = UNSET,
        rate: str | None = UNSET,
        per_key_rate: str | None = UNSET,
        per_key_limit: int | None = UNSET,
    ) -> QueueInfo:
        """Change a queue's settings for every process: ``limit`` (jobs running at
        once, ``None`` for no limit), ``paused``, ``rate`` (at most N starts in any
        window, ``"100/m"``, ``"5/s"``, ``"3/10s"``), and for the jobs of each
        ``limit_key``: ``per_key_rate`` and ``per_key_limit`` (running at once; with 1
        a key's jobs start in claim order). ``None`` removes a limit."""
        name_checked(name, "a queue name")
        changes: dict[str, Any] = {}
        if limit is not UNSET:
            changes["limit"] = None if limit is None else whole(limit, "limit", low=0)
        if paused is not UNSET:
            changes["paused"] = bool(paused)
        if rate is not UNSET:
            changes["rate"] = None if rate is None else parse_rate(rate, "rate")
        if per_key_rate is not UNSET:
            changes["per_key_rate"] = (
                None if per_key_rate is None else parse_rate(per_key_rate, "per_key_rate")
            )
        if per_key_limit is not UNSET:
            changes["per_key_limit"] = (
                None if per_key_limit is None else whole(per_key_limit, "per_key_limit")
            )
        info = self._store.set_queue(name, changes)
        self._bus.wake()
        return info

    def pause(self, name: str) -> QueueInfo:
        """Stop handing out jobs of this queue (running ones finish)."""
        return self.set_queue(name, paused=True)

    def resume(self, name: str) -> QueueInfo:
        """Hand out this queue's jobs again."""
        return self.set_queue(name, paused=False)

    def queues(self) -> list[QueueInfo]:
        """Every queue that has settings or jobs, by name."""
        return self._store.queues()

    def workers(self) -> list[WorkerInfo]:
        """The workers running now on this file, in any process, by name (each renews
        its record at every heartbeat; one killed outright drops out after its lease)."""
        return self._store.workers()

    def unhandled(self) -> dict[tuple[str, str], int]:
        """``{(queue, kind): count}`` of the queued jobs that no live worker would
        claim: their queue is not served, or no worker serving it has their kind's
        handler. They wait until such a worker starts."""
        workers = self._store.workers()
        return {
            (queue, kind): count
            for (queue, kind), count in sorted(self._store.queued_by_kind().items())
            if not any(worker.handles(queue, kind) for worker in workers)
        }

    def copy_to(self, target: str | Path) -> dict[str, int]:
        """Copy this queue into the empty database ``target`` names (a SQLite path or a
        ``postgresql://`` URL), created or brought to the current schema first.

        Everything a user can read comes along, as of one snapshot of this queue: jobs
        with every field (results, errors, attempts, leases, batch counts), tags, queue
        settings and the event log (logs and progress included), with their ids and
        event numbers, so a follower's last ``seq`` still means the same event. The
        target is written in one transaction: a copy is whole or absent. A target that
        already holds jobs, events or queue settings is refused (``TargetNotEmpty``).
        Returns how many rows were copied, by table (``queues``, ``jobs``,
        ``job_tags``, ``events``).
        """
        store = open_store(
            target, durability=self.durability, busy_timeout=self._busy_timeout, migrate=True
        )
        try:
            with contextlib.closing(self._store.export_rows()) as rows:
                return store.import_rows(rows)
        finally:
            store.close()

    def prune(self, older_than: float | timedelta | None = None) -> tuple[int, int]:
        """Delete jobs that finished, and events written, more than ``older_than`` ago.

        Without ``older_than``, events older than ``event_retention`` go, and finished
        jobs older than ``job_retention`` if it is set. Finished children of a batch
        that is still running stay: the batch's outcome depends on them. Workers call
        this every ``prune_interval``. Plugins hear ``litequeue_jobs_removed`` with the
        jobs, after each chunk commits. Returns ``(jobs, events)`` deleted.
        """
        now = time.time()
        # Only a plugin that listens has the pruned jobs built for it.
        listened = self.plugin_manager.hook.litequeue_jobs_removed.get_hookimpls()
        removed = self._jobs_removed if listened else None
        if older_than is not None:
            age = seconds(older_than, "older_than", forever=True)
            return self._store.prune(now - age, now - age, removed)
        jobs_before = None if self.job_retention is None else now - self.job_retention
        return self._store.prune(jobs_before, now - self.event_retention, removed)

    # -- schedules --------------------------------------------------------------------

    def schedule(
        self,
        name: str,
        kind: str,
        cron: str,
        *,
        payload: Any = None,
        timezone: str = "UTC",
        queue: str = "default",
        catch_up: str = "latest",
    ) -> Schedule:
        """Store a periodic job (or change the one of this name): each slot of ``cron``
        (five fields, read in the IANA ``timezone``) after now is enqueued once, as a
        ``kind`` job in ``queue`` with ``run_at`` at the slot and the tag
        ``schedule:<name>``, by the scheduler of any worker serving ``queue``.
        ``catch_up`` says what a scheduler does with slots missed while none ran:
        ``"latest"`` enqueues the most recent, ``"all"`` every one, ``"none"`` none.
        Changing the cron or time zone starts the slots anew from now."""
        name_checked(name, "a schedule name")
        name_checked(kind, "a job kind")
        name_checked(queue, "a queue name")
        scheduling.check_cron(cron)
        scheduling.zone(timezone)
        if catch_up not in scheduling.CATCH_UP:
            raise ConfigurationError(
                f"catch_up must be one of {', '.join(scheduling.CATCH_UP)}, not {catch_up!r}"
            )
        text, value = payload_json(kind, payload)
        now = time.time()
        first = scheduling.next_slot(cron, timezone, now)
        wanted = Schedule(
            name=name, kind=kind, cron=cron, payload=value, timezone=timezone, queue=queue,
            catch_up=catch_up, created_at=_utc(now), next_slot=_utc(first),
        )  # fmt: skip
        saved = self._store.save_schedule(wanted, text)
        self._bus.wake()
        return saved

    def schedules(self) -> list[Schedule]:
        """Every schedule, by name."""
        return self._store.schedules()

    def pause_schedule(self, name: str) -> Schedule:
        """Stop enqueueing a schedule's slots (those that pass meanwhile are missed)."""
        return self._set_schedule_paused(name, True)

    def resume_schedule(self, name: str) -> Schedule:
        """Enqueue a paused schedule's slots again, from the next one after now."""
        return self._set_schedule_paused(name, False)

    def _set_schedule_paused(self, name: str, paused: bool) -> Schedule:
        found = self._schedule(name)
        following = None
        if not paused:
            following = scheduling.next_slot(found.cron, found.timezone, time.time())
        if not self._store.pause_schedule(name, paused, following):
            raise ScheduleNotFound(name)
        self._bus.wake()
        return self._schedule(name)

    def unschedule(self, name: str) -> Schedule:
        """Delete a schedule; returns it as it was (its jobs stay)."""
        found = self._schedule(name)
        if not self._store.remove_schedule(name):
            raise ScheduleNotFound(name)
        return found

    def _schedule(self, name: str) -> Schedule:
        found = self._store.schedules(text_filter(name, "a schedule name"))
        if not found:
            raise ScheduleNotFound(name)
        return found[0]

    def run_schedules(
        self, queues: Iterable[str] | None = None, *, now: datetime | None = None
    ) -> list[Job]:
        """One round of the scheduler, as each worker runs it: enqueue the slots due
        by ``now`` (default: the clock) of the schedules of ``queues`` (default: all
        queues with a schedule). Returns the jobs made. For tests and scripts."""
        at = time.time() if now is None else now.timestamp()
        names = (
            sorted({s.queue for s in self._store.schedules()}) if queues is None else list(queues)
        )
        if not names:
            return []
        jobs, events = self._store.fire_schedules(names, at)
        self._bus.committed(events)
        return jobs

    # -- events -----------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], Any]) -> Callable[[], None]:
        """Call ``callback(event)`` after each commit made in this process; returns a
        function that unsubscribes. A callback that raises is logged and ignored."""
        return self._bus.subscribe(callback)

    def events(
        self,
        after: int = 0,
        *,
        follow: bool = False,
        job_id: int | None = None,
        poll_interval: float = 0.05,
        timeout: float | None = None,
    ) -> Iterator[Event]:
        """Committed events with ``seq > after``, oldest first, from any process.

        Without ``follow`` it yields the events that exist when it is called and ends
        (events committed while it is read are left for the next call); with it, it
        goes on waiting for new ones (up to ``timeout`` seconds of silence, or forever).
        """
        whole(after, "after", low=0)
        job_id = id_filter(job_id, "job_id")
        if follow:
            seconds(poll_interval, "poll_interval", zero=False)
            if timeout is not None:
                seconds(timeout, "timeout", forever=True)
            return self._follow(after, job_id, poll_interval, timeout)
        return self._read_events(after, self._store.last_seq(), job_id)

    def _read_events(self, after: int, until: int, job_id: int | None) -> Iterator[Event]:
        while after < until:
            batch = self._store.events(after, _EVENT_PAGE, job_id, until=until)
            yield from batch
            if len(batch) < _EVENT_PAGE:
                return
            after = batch[-1].seq

    def _follow(
        self, after: int, job_id: int | None, poll_interval: float, timeout: float | None
    ) -> Iterator[Event]:
        idle_since = time.monotonic()
        while True:
            batch = self._store.events(after, _EVENT_PAGE, job_id)
            yield from batch
            if batch:
                after = batch[-1].seq
                idle_since = time.monotonic()
                if len(batch) == _EVENT_PAGE:
                    continue
            if timeout is not None and time.monotonic() - idle_since >= timeout:
                return
            self.wait_for_change(poll_interval)

    def last_event_seq(self) -> int:
        """The newest event's sequence number (0 for none): follow from here."""
        return self._store.last_seq()

    def wait_for_change(self, timeout: float, *, poll: float = 0.002) -> bool:
        """Block until another process commits to the file, or ``timeout`` passes.

        On SQLite, reads ``PRAGMA data_version`` every ``poll`` seconds (a shared-memory
        read, no disk I/O); on PostgreSQL, waits for a notification (or, in poll-only
        mode, a poll period). Returns True when a change was seen.
        """
        return self._store.wait_for_change(timeout, poll)

    # -- lifecycle --------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The storage engine this queue runs on (for workers and tools; not a stable
        API)."""
        return self._store

    @property
    def bus(self) -> EventBus:
        """Where this queue's commits are delivered, and its workers woken (for
        workers and tools; not a stable API)."""
        return self._bus

    def schema_version(self) -> int:
        """The migration number the file is at."""
        return self._store.schema_version()

    def close(self) -> None:
        """Close the file. Idempotent."""
        self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<litequeue.Queue {str(self.path)!r}>"
