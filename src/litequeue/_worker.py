"""``Worker``: claims jobs from a ``Queue`` and runs their handlers.

One loop thread owns the conversation with the store: it records finished
attempts and claims new ones in the same transaction, extends leases, enforces
timeouts and wakes when jobs arrive. Handlers run elsewhere: sync functions in
threads, ``async def`` functions on one event loop, ``process=True`` handlers in
child processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import queue as queue_module
import signal
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from . import _plugins
from ._checks import name as name_checked
from ._checks import seconds, whole
from ._child import ChildProcess, ChildResult
from ._handlers import Backoff, CancelFlag, Context, HandlerSpec, is_retryable
from ._pool import AsyncLoop, ThreadPool
from ._queue import Queue
from ._records import Claim, Outcome, Running, describe, value_json
from .errors import (
    Cancel,
    ConfigurationError,
    ConnectionLost,
    DatabaseBusy,
    DatabaseUnreachable,
    DiskFull,
    JobTimeout,
    LitequeueError,
    LoginRefused,
    PayloadError,
    Retry,
    StoreError,
    UnknownKind,
    WorkerStopped,
)
from .models import ErrorInfo, Job, JobStatus, Undecodable

__all__ = ["Worker"]

logger = logging.getLogger(__name__)

_WAKE = object()


class _Attempt(CancelFlag):
    """A claimed job this worker is running, and the flag its handler polls for
    cancellation (a plain class: one is made per job)."""

    __slots__ = ("deadline", "in_thread", "running", "spec", "timeout")

    def __init__(self, running: Running, spec: HandlerSpec | None, now: float) -> None:
        self._set = False  # the CancelFlag state, without a call to its __init__ per job
        self.running = running
        self.spec = spec
        # The job's own timeout, or its handler's here: a job enqueued where the
        # handler was not registered carries none.
        timeout = running.timeout
        if timeout is None and spec is not None:
            timeout = spec.timeout
        self.timeout = timeout
        self.deadline = None if timeout is None else now + timeout  # monotonic, from the claim
        self.in_thread = False  # a sync handler the loop must time out itself


#: Store errors that waiting may cure (a busy or full disk; a database server that
#: restarted or cannot be reached for a while); any other stops the worker.
_PASSING = (DatabaseBusy, DiskFull, ConnectionLost, DatabaseUnreachable)

#: The retry waits of a job with no handler here (an unknown kind): the defaults.
_DEFAULT_BACKOFF = Backoff()


def _backoff_of(attempt: _Attempt) -> Backoff:
    return attempt.spec.backoff if attempt.spec else _DEFAULT_BACKOFF


class Worker:
    """Runs jobs from ``queue`` until stopped.

    :param queues: the queue names to serve, in order of preference.
    :param concurrency: jobs running at once (also the most claimed at a time).
    :param lease: seconds a claim is held without a heartbeat; a worker that dies
        loses its jobs to other workers after this long.
    :param grace: seconds running jobs get to finish when the worker stops.
    :param poll_interval: how often an idle worker looks for commits by other
        processes (the store's ``data_version``: on SQLite a ``stat`` of the
        write-ahead log, and ``PRAGMA data_version`` when the log moved; no disk
        I/O). Once it has claimed nothing for ``IDLE_AFTER`` s, every ``IDLE_POLL``
        s instead (``LONG_IDLE_POLL`` after ``LONG_IDLE_AFTER`` s), whichever is
        longer; not at all while every queue it serves is held (``HELD_LOOK``).
    :param claim_cooldown: the least seconds between two claims of a busy worker (one
        whose last claim took some jobs and left slots free), so that under a steady
        trickle each transaction claims many jobs and records many answers; answers
        wait for the next claim at most this long. A claim that filled every free
        slot is followed at once, and a worker whose last claim found nothing claims
        at once when a job comes. ``0`` claims whenever something came; so does a
        worker serving a queue with a concurrency or per-key limit (see ``_cooldown``).
    :param max_jobs_per_child: child processes are replaced after this many jobs.
    :param prune_interval: seconds between ``queue.prune()`` calls (old events, and
        finished jobs if the queue has a ``job_retention``); ``None`` never prunes.
    :param any_kind: claim jobs of every kind, failing those with no handler here
        with ``UnknownKind``; by default a worker claims only the kinds it has
        handlers for (those registered on ``queue`` when it claims) and leaves the
        others to workers that have them.
    :param schedules: run the scheduler for the schedules of ``queues`` (enqueue each
        slot once, whatever other workers run it too), and store the schedules that
        plugins give through ``litequeue_register_schedules`` when it starts.
    """

    #: Seconds between a scheduler's looks at the schedules (a read; it writes only
    #: when a slot is due), and how late a slot may be enqueued at most.
    SCHEDULE_CHECK = 1.0
    #: After this many seconds without claiming a job (whatever commits it saw), an
    #: idle worker looks for other processes' commits every ``IDLE_POLL`` seconds
    #: rather than every ``poll_interval``: a worker waiting for work then costs next
    #: to no CPU.
    IDLE_AFTER = 1.0
    IDLE_POLL = 0.02
    #: After this many seconds without claiming a job, every ``LONG_IDLE_POLL``
    #: seconds: a worker idle for long wakes 20 times a second, not 50, and one that
    #: has just finished a burst still answers within 20 ms.
    LONG_IDLE_AFTER = 10.0
    LONG_IDLE_POLL = 0.05
    #: A worker whose every queue is held (paused, or its rate window used up: nothing
    #: it serves can start, whatever other processes enqueue) does not look for their
    #: commits. It sleeps until the window opens, and reads whether its queues are
    #: still held every ``HELD_LOOK`` seconds (a setting changed by another process)
    #: and when woken (a commit in its own process, a notification).
    HELD_LOOK = 1.0

    #: Seconds the loop waits for the next answer of a burst before recording those
    #: it has, and the longest it gathers one burst (see ``_wait``).
    ANSWER_GAP = 0.001
    BURST = 0.01

    def __init__(
        self,
        queue: Queue,
        *,
        queues: Iterable[str] = ("default",),
        concurrency: int = 1,
        lease: float = 30.0,
        heartbeat: float | None = None,
        grace: float = 30.0,
        poll_interval: float = 0.002,
        claim_cooldown: float = 0.005,
        max_jobs_per_child: int = 100,
        prune_interval: float | None = 3600.0,
        name: str | None = None,
        any_kind: bool = False,
        schedules: bool = True,
    ) -> None:
        if isinstance(queues, str):
            queues = (queues,)
        self.queue = queue
        #: What the worker talks to: the queue's store, and its bus for what it commits.
        self._store = queue.store
        self._bus = queue.bus
        self.queues = tuple(queues)
        if not self.queues:
            raise ConfigurationError("queues must name one queue or more, not none")
        for each in self.queues:
            name_checked(each, "each of queues")
        self.concurrency = whole(concurrency, "concurrency")
        self.max_jobs_per_child = whole(max_jobs_per_child, "max_jobs_per_child")
        self.lease = seconds(lease, "lease", zero=False)
        self.heartbeat_interval = (
            self.lease / 3 if heartbeat is None else seconds(heartbeat, "heartbeat", zero=False)
        )
        self.grace = seconds(grace, "grace")
        self.poll_interval = seconds(poll_interval, "poll_interval", zero=False)
        self.claim_cooldown = seconds(claim_cooldown, "claim_cooldown")
        self.prune_interval = (
            None
            if prune_interval is None
            else seconds(prune_interval, "prune_interval", zero=False)
        )
        if name is not None:
            name_checked(name, "a worker name")  # written into events and shown
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._inbox: queue_module.SimpleQueue[Any] = queue_module.SimpleQueue()
        self._inflight: dict[int, _Attempt] = {}
        self._threads: ThreadPool[_Attempt] = ThreadPool(concurrency, self._run_in_thread)
        self._loop: AsyncLoop | None = None
        self._children: list[ChildProcess] = []  # idle
        self._busy_children: set[ChildProcess] = set()
        self._children_lock = threading.Lock()
        self._stopping = threading.Event()
        self._hurry = False
        self._store_failures = 0
        # Attempts whose loss (a cancel, a lease taken back) was already told: their
        # answers are refused without a second word.
        self._told_lost: set[int] = set()
        # Guards _inflight and commits: with concurrency 1 a handler thread records its
        # job and claims the next itself (see _run_chain).
        self._state_lock = threading.RLock()
        self._chain = False
        self._running = False  # inside run(): one at a time
        self.any_kind = any_kind
        self.schedules = schedules
        # By limit and number of handlers (registering more changes the kinds claimed):
        # the same few are asked for again.
        self._claims: dict[tuple[int, int], Claim] = {}
        # Attempts that ended here (answered, cancelled, lost, timed out; not handed
        # back), counted as each leaves _inflight: once, whether its answer is
        # recorded or refused.
        self.jobs_done = 0

    # -- public ---------------------------------------------------------------------

    def run(self, *, until_empty: bool = False) -> int:
        """Claim and run jobs until ``stop()``, SIGINT/SIGTERM, or (with
        ``until_empty``) until nothing is claimable now and this worker's jobs are
        done. Returns the number of attempts this worker ran to an end (one whose
        answer was refused, its job cancelled meanwhile, counts too).

        A ``stop()`` made before ``run()`` makes it return at once; once it has
        returned, the worker can run again."""
        with self._state_lock:
            if self._running:
                raise ConfigurationError(f"worker {self.name} is already running")
            self._running = True
        restore = self._install_signal_handlers()
        remove_waker = self._bus.add_waker(self._wake)
        # Where the store wakes this worker for other processes' commits, it never
        # looks at data_version (each look would find the change the wake reported).
        unwatch = self._store.watch(self.queues, self._wake)
        remove_cancel_listener = self._bus.on_cancel(self._cancelled_here)
        self._chain = self.concurrency == 1
        _plugins.notify_each(self.queue.plugin_manager, "litequeue_worker_started", worker=self)
        try:
            if self.schedules:
                _plugins.register_schedules(
                    self.queue.plugin_manager, self.queue.schedule, self.queue
                )
            self._serve(until_empty, looks=unwatch is None)
        finally:
            self._chain = False
            try:
                self._shutdown()
            finally:
                # Cleared here, not at the start: a stop() that comes before run() (a
                # thread started, then stopped at once) still stops it.
                self._stopping.clear()
                self._hurry = False
                self._running = False
                remove_waker()
                if unwatch is not None:
                    unwatch()
                remove_cancel_listener()
                restore()
                _plugins.notify_each(
                    self.queue.plugin_manager, "litequeue_worker_stopped", worker=self
                )
        return self.jobs_done

    def run_once(self) -> int:
        """Claim as many jobs as there are free slots, run them to the end and record
        the outcomes; returns how many were claimed. For tests and scripts."""
        claimed = self._commit([], self.concurrency - len(self._inflight))
        next_beat = time.monotonic() + self.heartbeat_interval
        while self._inflight:
            outcomes = self._wait(self._next_timeout()) or []
            outcomes.extend(self._expire_timeouts())
            if time.monotonic() >= next_beat:
                self._heartbeat()
                next_beat = time.monotonic() + self.heartbeat_interval
            if outcomes:
                self._commit(outcomes, 0)
        return len(claimed)

    def stop(self, *, grace: float | None = None) -> None:
        """Stop claiming; running jobs get ``grace`` seconds (default: the worker's)."""
        if grace is not None:
            self.grace = grace
        self._stopping.set()
        self._wake()

    # -- the loop ---------------------------------------------------------------------

    def _serve(self, until_empty: bool, *, looks: bool) -> None:
        """The claim loop; ``looks``: whether an idle worker looks at the store's
        ``data_version`` for other processes' commits (else the store wakes it)."""
        outcomes: list[Outcome] = []
        want = True
        seen_version = self._store.data_version(self.queues)
        next_beat = time.monotonic() + self.heartbeat_interval
        next_due = float("inf")
        next_prune = time.monotonic()
        next_schedules = time.monotonic() if self.schedules else float("inf")
        busy_at = time.monotonic()  # when it last claimed a job
        # Whether every queue is held (None: not read since the last claim fell short),
        # and when to read it (again).
        held: bool | None = False
        held_look = 0.0
        # Until when a claim waits, and the answers with it (see claim_cooldown).
        cool_until = 0.0
        self._keep_known()
        cooldown = self._cooldown()
        while not self._stopping.is_set():
            if self.prune_interval is not None and time.monotonic() >= next_prune:
                self._prune()
                next_prune = time.monotonic() + self.prune_interval
            if time.monotonic() >= next_schedules:
                made, wait = self._run_schedules()
                want = want or made
                next_schedules = time.monotonic() + wait
            with self._state_lock:
                free = self.concurrency - len(self._inflight)
                if (outcomes or (want and free > 0)) and time.monotonic() >= cool_until:
                    asked = free if want else 0
                    claim_at = time.monotonic()
                    try:
                        claimed = self._commit(outcomes, asked)
                    except StoreError as exc:
                        # Disk full, locked too long: keep the outcomes and try again.
                        self._passing_or_stop(exc)
                        delay = self._store_retry_delay()
                        logger.warning(
                            "worker %s cannot write to the queue (trying again in %.2g s): %s",
                            self.name,
                            delay,
                            exc,
                        )
                        self._stopping.wait(delay)
                        continue
                    self._store_failures = 0
                    outcomes = []
                    want = asked > 0 and len(claimed) == asked
                    # Busy: the next claim waits, so that it takes what comes meanwhile.
                    cool_until = claim_at + cooldown if claimed and not want else 0.0
                    held = False
                    if claimed:
                        busy_at = time.monotonic()
                    if not want and asked:
                        next_due = self._next_due()
                        # Read only if nothing comes within IDLE_POLL: a worker that
                        # keeps up with its producers never reads it.
                        held, held_look = None, time.monotonic() + self.IDLE_POLL
            if until_empty and not want and not self._inflight and not self._held_back():
                return
            now = time.monotonic()
            if now >= next_beat:
                self._heartbeat()
                self._keep_known()
                cooldown = self._cooldown()
                next_beat = now + self.heartbeat_interval
            outcomes.extend(self._expire_timeouts())
            cooling = now < cool_until
            if outcomes and not cooling:
                continue  # record timed-out attempts before waiting any longer
            timeout = min(self._next_timeout(), next_beat - now, max(0.0, next_schedules - now))
            version = None
            if cooling and (outcomes or want):
                got = self._wait(min(timeout, cool_until - now))  # answers ride with the claim
            elif not want and self.concurrency > len(self._inflight):
                timeout = min(timeout, max(0.0, next_due - time.time()))
                if held is None and now >= held_look:
                    held, held_look = self._queues_held(), now + self.HELD_LOOK
                elif held is None:
                    timeout = min(timeout, held_look - now)
                idle = now - busy_at
                if held:
                    got = self._wait(min(timeout, max(0.0, held_look - now)))
                elif looks and not self._inflight and idle >= self.IDLE_AFTER:
                    poll = self.IDLE_POLL if idle < self.LONG_IDLE_AFTER else self.LONG_IDLE_POLL
                    got, version = self._idle(timeout, max(self.poll_interval, poll), seen_version)
                else:
                    got = self._wait(min(timeout, self.poll_interval) if looks else timeout)
            else:
                got = self._wait(timeout)
            if held and not got and time.time() < next_due:
                if got is None or time.monotonic() >= held_look:  # woken, or time to read
                    held, held_look = self._queues_held(), time.monotonic() + self.HELD_LOOK
                    want = not held
            elif got is None or time.time() >= next_due:
                want = True  # woken by a commit or a due job
            elif looks and not want and self.concurrency > len(self._inflight):
                if version is None:
                    version = self._store.data_version(self.queues)
                if version != seen_version:
                    seen_version, want = version, True
            outcomes.extend(got or ())
            if outcomes:
                want = True
        for outcome in outcomes:  # gathered before the stop: _shutdown records them
            self._inbox.put(outcome)

    def _idle(
        self, timeout: float, poll: float, seen_version: int
    ) -> tuple[list[Outcome] | None, int]:
        """Sleep up to ``timeout`` s with nothing running, looking at the store's
        ``data_version`` every ``poll`` s; returns what ``_wait`` returns and the
        version last seen, as soon as it differs from ``seen_version`` or the inbox
        gets something.

        Its own loop, not one turn of ``_serve`` a look: an idle worker looks 20 to 50
        times a second, and each look is then a timed wait and one read of the store,
        not the whole loop's bookkeeping."""
        deadline = time.monotonic() + timeout
        get, data_version = self._inbox.get, self._store.data_version
        while (wait := deadline - time.monotonic()) > 0:
            try:
                item = get(timeout=min(wait, poll))
            except queue_module.Empty:
                version = data_version(self.queues)
                if version != seen_version:
                    return [], version
            else:
                self._inbox.put(item)  # _wait takes it, and whatever came with it
                return self._wait(0.0), seen_version
        return [], seen_version

    def _run_schedules(self) -> tuple[bool, float]:
        """Enqueue the slots of this worker's schedules that are due; returns whether
        it made jobs, and the seconds until it looks again."""
        try:
            slot = self._store.next_slot(self.queues)
            now = time.time()
            made: list[Job] = []
            if slot <= now:
                made, events = self._store.fire_schedules(self.queues, now)
                self._bus.committed(events)
                slot = self._store.next_slot(self.queues)
        except StoreError as exc:
            self._passing_or_stop(exc)
            logger.warning("worker %s could not run its schedules: %s", self.name, exc)
            return False, self.SCHEDULE_CHECK
        return bool(made), min(self.SCHEDULE_CHECK, max(0.0, slot - time.time()))

    def _held_back(self) -> bool:
        """Whether due jobs here wait only for a rate or per-key limit: draining waits
        for them (the loop sleeps until a window opens or a commit comes)."""
        return self._store.held_back(self.queues, self._kinds())

    def _queues_held(self) -> bool:
        """Whether every queue here is held (see ``HELD_LOOK``); not when the store
        cannot say for now (the worker then looks for commits as usual)."""
        try:
            return self._store.queues_held(self.queues)
        except StoreError as exc:
            self._passing_or_stop(exc)
            return False

    def _cooldown(self) -> float:
        """``claim_cooldown``, or none while a queue here caps its running jobs (read at
        each heartbeat): there a claim comes up short while due jobs wait, and each
        answer frees room that the next claim should fill at once, not a cooldown later
        (a limit of 1 with jobs of 1 ms would otherwise run 200 a second)."""
        if not self.claim_cooldown:
            return 0.0
        try:
            return 0.0 if self._store.queues_capped(self.queues) else self.claim_cooldown
        except StoreError as exc:
            self._passing_or_stop(exc)
            return 0.0

    def _next_due(self) -> float:
        """When the next delayed job becomes due (or a lease runs out); soon, when the
        store cannot say for now."""
        try:
            return self._store.next_due(self.queues, self._kinds())
        except StoreError as exc:
            self._passing_or_stop(exc)
            return time.time() + self._store_retry_delay()

    def _keep_known(self) -> None:
        """Record this worker as live for a lease more, with what it serves, so that
        readers can tell which queued jobs no worker handles."""
        try:
            self._store.worker_alive(
                self.name, self.queues, self._kinds(), time.time() + self.lease
            )
        except StoreError as exc:
            self._passing_or_stop(exc)
            logger.warning("worker %s could not renew its record: %s", self.name, exc)

    def _kinds(self) -> tuple[str, ...] | None:
        """The kinds this worker claims: those it has handlers for (``None``: any)."""
        return None if self.any_kind else tuple(sorted(self.queue.handlers))

    def _passing_or_stop(self, exc: StoreError) -> None:
        """Return if waiting may cure ``exc`` (a busy or full disk); otherwise raise it,
        the worker to stop at once: a corrupt, read-only or upgraded file stays so."""
        if isinstance(exc, _PASSING) and not isinstance(exc, LoginRefused):
            return
        logger.error("worker %s stops: %s", self.name, exc)
        self._hurry = True  # no grace: the outcomes of running jobs cannot be recorded
        raise exc

    def _prune(self) -> None:
        try:
            jobs, events = self.queue.prune()
        except StoreError as exc:
            self._passing_or_stop(exc)
            logger.error("worker %s could not prune the queue: %s", self.name, exc)
            return
        if jobs or events:
            logger.info("pruned %d finished job(s) and %d event(s)", jobs, events)

    def _store_retry_delay(self) -> float:
        self._store_failures += 1
        return min(5.0, 0.05 * 2.0**self._store_failures)

    def _wait(self, timeout: float) -> list[Outcome] | None:
        """Outcomes that arrive within ``timeout``; ``None`` when woken by a local commit.

        While sync jobs wait for a thread, the wait is cut into ``ThreadPool.NUDGE``
        slices so the pool can wake more threads when the backlog stops moving.
        """
        woken = False
        items: list[Outcome] = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            backlog = self._threads.nudge()
            try:
                first = self._inbox.get(
                    timeout=min(remaining, ThreadPool.NUDGE) if backlog else remaining
                )
                break
            except queue_module.Empty:
                if not backlog or time.monotonic() >= deadline:
                    return items
        item = first
        burst_ends = time.monotonic() + self.BURST
        while True:
            if item is _WAKE:
                woken = True
            else:
                items.append(item)
            try:
                item = self._inbox.get_nowait()
            except queue_module.Empty:
                # Short jobs answer in bursts. While the answers keep coming and more of
                # this worker's jobs are out, take them too: one transaction then records
                # the lot and claims as many, rather than a few now and the rest next
                # (which then repeats, each claim split in two).
                if not (
                    items and len(self._inflight) > len(items) and time.monotonic() < burst_ends
                ):
                    break
                try:
                    item = self._inbox.get(timeout=self.ANSWER_GAP)
                except queue_module.Empty:
                    break
        if items:
            with self._state_lock:
                for outcome in items:
                    if self._inflight.pop(outcome.run_id, None) is not None:
                        self.jobs_done += 1  # its slot is free again
        elif woken:
            return None
        return items

    def _wake(self) -> None:
        self._inbox.put(_WAKE)

    def _commit(self, outcomes: list[Outcome], limit: int, *, start: bool = True) -> list[_Attempt]:
        """Record outcomes and claim up to ``limit`` jobs in one transaction; start the
        claimed attempts unless ``start`` is false. They count as this worker's before
        the commit's events are delivered: a listener may cancel one at once."""
        with self._state_lock:
            if self._stopping.is_set():
                limit = 0
            handlers = self.queue.handlers
            claim = self._claims.get((limit, len(handlers)))
            if claim is None:
                claim = self._claims[limit, len(handlers)] = Claim(
                    worker=self.name,
                    queues=self.queues,
                    limit=max(0, limit),
                    lease=self.lease,
                    kinds=self._kinds(),
                )
            claimed, accepted, events = self._store.claim(claim, outcomes)
            if len(accepted) < len(outcomes):
                self._tell_refused(outcomes, accepted)
            attempts = self._register(claimed) if claimed else []
            self._bus.committed(events, origin=self._wake)
            if start and attempts:
                self._start(attempts)
            return attempts

    def _tell_refused(self, outcomes: list[Outcome], accepted: list[Outcome]) -> None:
        """Say which answers came too late, unless their loss was told already."""
        taken = {outcome.run_id for outcome in accepted}
        for outcome in outcomes:
            if outcome.run_id in taken:
                continue
            if outcome.run_id in self._told_lost:
                self._told_lost.discard(outcome.run_id)
                continue
            logger.warning(
                "job %d: the answer of its attempt here (%s) was not recorded: %s",
                outcome.job_id,
                outcome.status,
                self._why_lost(outcome.job_id),
            )

    def _why_lost(self, job_id: int) -> str:
        """Why an attempt of ``job_id`` no longer holds it, as the job's row tells."""
        try:
            status = self.queue.get(job_id).status
        except LitequeueError:
            return "the job is gone (deleted or pruned)"
        if status is JobStatus.CANCELLED:
            return "the job was cancelled"
        return f"the job is {status.value} now (its lease ran out or it timed out)"

    def _start(self, attempts: list[_Attempt]) -> None:
        """Dispatch registered attempts; sync ones reach the thread pool together."""
        in_threads = []
        for attempt in attempts:
            if attempt.is_set():
                continue  # cancelled by a listener of the claim's events: never started
            if attempt.in_thread:
                in_threads.append(attempt)
            else:
                self._dispatch(attempt)
        if in_threads:
            self._threads.submit(in_threads)

    def _register(self, claimed: list[Running]) -> list[_Attempt]:
        """Count claimed jobs as this worker's."""
        now = time.monotonic()
        handler_for = self.queue.handler_for
        attempts = []
        with self._state_lock:
            for running in claimed:
                spec = handler_for(running.kind)
                attempt = _Attempt(running, spec, now)
                attempt.in_thread = (
                    spec is not None
                    and not spec.is_async
                    and not spec.process
                    and type(running.payload) is not Undecodable
                )
                self._inflight[running.run_id] = attempt
                attempts.append(attempt)
        return attempts

    def _dispatch(self, attempt: _Attempt) -> None:
        """Hand a registered attempt that does not run in a thread of its own (see
        ``_start``) to what runs its kind of handler."""
        spec = attempt.spec
        payload = attempt.running.payload
        if type(payload) is Undecodable:
            # Written by an older version or another tool: no handler can run it.
            self._inbox.put(self._failure(attempt, PayloadError(payload.reason), tb=None))
        elif spec is None:
            self._inbox.put(self._failure(attempt, UnknownKind(attempt.running.kind), tb=None))
        elif spec.is_async:
            if self._loop is None:
                self._loop = AsyncLoop()
            self._loop.submit(self._run_async(attempt, spec))
        else:  # process=True: a pool thread drives the child
            self._threads.submit([attempt], eager=True)

    def _run_in_thread(self, attempt: _Attempt) -> None:
        """What a pool thread does with an attempt: run its sync handler, or drive the
        child process that runs it."""
        spec = attempt.spec
        assert spec is not None  # attempts of unknown kinds fail without a thread
        if spec.process:
            try:
                outcome = self._run_in_child(attempt, spec)
            except Exception as exc:  # a child that cannot start (no processes left...)
                outcome = self._internal_failure(attempt, exc)
            self._inbox.put(outcome)
        else:
            self._run_chain(attempt, spec)

    def _internal_failure(self, attempt: _Attempt, exc: Exception) -> Outcome:
        """The failure of an attempt that litequeue's own code around the handler could
        not carry through: recorded like a handler's, so the job does not stay
        running (its lease renewed by heartbeats) for as long as the worker lives."""
        logger.error(
            "worker %s could not run job %d: %s",
            self.name,
            attempt.running.job_id,
            describe(exc),
            exc_info=exc,
        )
        return self._failure(attempt, exc, tb=traceback.format_exc())

    def _run_chain(self, attempt: _Attempt, spec: HandlerSpec) -> None:
        """Run a sync handler in this thread.

        With concurrency 1 (inside ``run()``), the thread then records the outcome
        and claims the next job in one transaction itself, and runs that job too if
        it is also a sync one: no round trip through the loop thread per job. The
        loop still watches timeouts, leases and stop requests.
        """
        while True:
            outcome = self._run_sync(attempt, spec)
            if not self._chain or self._stopping.is_set():
                self._inbox.put(outcome)
                return
            with self._state_lock:
                if self._inflight.get(attempt.running.run_id) is not attempt:
                    self._inbox.put(outcome)  # timed out or lost meanwhile: to be refused
                    return
                del self._inflight[attempt.running.run_id]
                self.jobs_done += 1
                try:
                    following = self._commit([outcome], 1, start=False)
                except Exception as exc:
                    if not isinstance(exc, StoreError):
                        logger.exception("worker %s failed to record an answer", self.name)
                    else:
                        logger.error("worker %s cannot write to the queue: %s", self.name, exc)
                    self._inbox.put(outcome)  # the loop keeps trying
                    return
            if not following:
                self._wake()  # nothing more here: the loop watches for new jobs
                return
            attempt = following[0]
            if attempt.is_set():
                self._wake()  # cancelled by a listener of its claim's events: never started
                return
            if attempt.spec is None or not attempt.in_thread:
                self._dispatch(attempt)
                return
            spec = attempt.spec
            if attempt.deadline is not None:
                self._wake()  # the loop must watch this deadline

    # -- running handlers ----------------------------------------------------------------

    def _context(self, attempt: _Attempt) -> Context:
        return Context(attempt.running, functools.partial(self._report, attempt), attempt)

    def _report(self, attempt: _Attempt, what: str, first: Any, second: Any) -> bool:
        store = self._store
        job_id, run_id = attempt.running.job_id, attempt.running.run_id
        if what == "progress":
            events = store.progress(job_id, run_id, first, second)
        else:
            events = store.log(job_id, run_id, first)
        self._bus.committed(events, wake=False)
        return bool(events)

    def _run_sync(self, attempt: _Attempt, spec: HandlerSpec) -> Outcome:
        try:
            result = spec.fn(self._context(attempt), attempt.running.payload)
        except BaseException as exc:
            return self._from_exception(attempt, exc)  # here, for its traceback
        return self._success(attempt, result)

    async def _run_async(self, attempt: _Attempt, spec: HandlerSpec) -> None:
        try:
            coroutine = spec.fn(self._context(attempt), attempt.running.payload)
            try:
                result = await asyncio.wait_for(coroutine, attempt.timeout)
            except TimeoutError:
                raise JobTimeout(self._timeout_message(attempt)) from None
            if attempt.deadline is not None and time.monotonic() > attempt.deadline:
                # It blocked the loop past its time, or swallowed its cancellation and
                # returned anyway: a result past the timeout is no result.
                raise JobTimeout(self._timeout_message(attempt))
        except BaseException as exc:
            outcome = self._from_exception(attempt, exc)
        else:
            outcome = self._success(attempt, result)
        self._inbox.put(outcome)

    def _run_in_child(self, attempt: _Attempt, spec: HandlerSpec) -> Outcome:
        child = self._take_child()
        try:
            answer: ChildResult = child.run(
                spec.import_path,
                attempt.running.job,
                spec.memory_limit,
                attempt.deadline,
                functools.partial(self._report, attempt),
                attempt,
            )
        except JobTimeout:
            killed = f"{self._timeout_message(attempt)}; its child process was killed"
            return self._failure(attempt, JobTimeout(killed), tb=None)
        except LitequeueError as exc:
            return self._failure(attempt, exc, tb=None)
        finally:
            self._return_child(child)
        tag = answer[0]
        if tag == "result":
            return self._succeeded(attempt, "null" if answer[1] is None else answer[1])
        if tag == "retry":
            return self._from_exception(attempt, Retry(answer[1], delay=answer[2]))
        if tag == "cancel":
            return self._from_exception(attempt, Cancel(answer[1]))
        error = ErrorInfo(type=answer[1], message=answer[2], traceback=answer[3])
        return self._failure_info(attempt, error, self._backoff(attempt, answer[4]))

    def _take_child(self) -> ChildProcess:
        with self._children_lock:
            while self._children:
                child = self._children.pop()
                if not child.worn_out:
                    self._busy_children.add(child)
                    return child
                child.close()
        child = ChildProcess(self.max_jobs_per_child)
        with self._children_lock:
            self._busy_children.add(child)
        return child

    def _return_child(self, child: ChildProcess) -> None:
        with self._children_lock:
            self._busy_children.discard(child)
            if not child.worn_out:
                self._children.append(child)
                return
        child.close()

    # -- outcomes -------------------------------------------------------------------------

    def _success(self, attempt: _Attempt, result: Any) -> Outcome:
        """The outcome of a handler's return: a success, or the failure of a result
        that is not JSON, or whose own methods fail while it is checked."""
        try:
            encoded = (
                "null"
                if result is None
                else value_json(result, f"result of job {attempt.running.job_id}")[0]
            )
        except LitequeueError as exc:
            return self._failure(attempt, exc, tb=None)
        except Exception as exc:
            return self._internal_failure(attempt, exc)
        return self._succeeded(attempt, encoded)

    @staticmethod
    def _succeeded(attempt: _Attempt, encoded: str) -> Outcome:
        """The success of ``attempt``, its result already JSON text."""
        running = attempt.running
        return Outcome(  # positional: one is made per job
            running.job_id,
            running.run_id,
            "succeeded",
            encoded,
            None,
            None,
            attempt.spec.version if attempt.spec else None,
            running.attempt,
            running.parent_id,
        )

    def _from_exception(self, attempt: _Attempt, exc: BaseException) -> Outcome:
        """The outcome of what a handler raised (call it in the ``except`` block: a
        failure keeps the traceback); one that cannot be read is recorded as
        litequeue's own failure around the handler."""
        try:
            return self._outcome_of(attempt, exc)
        except Exception as inner:
            return self._internal_failure(attempt, inner)

    def _outcome_of(self, attempt: _Attempt, exc: BaseException) -> Outcome:
        if isinstance(exc, Retry):
            delay = exc.delay
            if delay is None:
                delay = _backoff_of(attempt).delay(attempt.running.attempt)
            else:
                try:
                    delay = seconds(delay, "Retry delay")
                except ConfigurationError as bad:
                    return self._failure(attempt, bad, tb=None)  # backoff as for a failure
            error = ErrorInfo(type="Retry", message=describe(exc))
            return self._failure_info(attempt, error, delay)
        if isinstance(exc, Cancel):
            return Outcome(
                job_id=attempt.running.job_id,
                run_id=attempt.running.run_id,
                status="cancelled",
                error=ErrorInfo(type="Cancel", message=describe(exc) or "cancelled by its handler"),
            )
        if not isinstance(exc, Exception):
            logger.error("handler of job %d raised %r", attempt.running.job_id, exc)
        return self._failure(attempt, exc, tb=traceback.format_exc())

    def _failure(self, attempt: _Attempt, exc: BaseException, *, tb: str | None) -> Outcome:
        error = ErrorInfo(type=type(exc).__name__, message=describe(exc), traceback=tb)
        return self._failure_info(attempt, error, self._backoff(attempt, is_retryable(exc)))

    @staticmethod
    def _backoff(attempt: _Attempt, retryable: bool) -> float | None:
        """Seconds before the next attempt; ``None`` when there must be none."""
        if not retryable:
            return None
        return _backoff_of(attempt).delay(attempt.running.attempt)

    def _failure_info(self, attempt: _Attempt, error: ErrorInfo, delay: float | None) -> Outcome:
        running = attempt.running
        retry_at = (
            time.time() + delay
            if delay is not None and running.attempt < running.max_attempts
            else None
        )
        return Outcome(
            job_id=running.job_id,
            run_id=running.run_id,
            status="failed",
            error=error,
            retry_at=retry_at,
            handler_version=attempt.spec.version if attempt.spec else None,
        )

    # -- leases and timeouts ------------------------------------------------------------

    def _heartbeat(self) -> None:
        # Only attempts known before the store is asked can be judged by its answer: a
        # handler thread may claim a job in between (concurrency 1), which it holds.
        with self._state_lock:
            attempts = list(self._inflight.items())
        if not attempts:
            return
        try:
            held = self._store.heartbeat(
                [(a.running.job_id, run_id) for run_id, a in attempts], self.lease
            )
        except StoreError as exc:
            self._passing_or_stop(exc)
            logger.error("worker %s could not extend its leases: %s", self.name, exc)
            return
        with self._state_lock:
            still = [(r, a) for r, a in attempts if self._inflight.get(r) is a]
        for run_id, attempt in still:
            if held.get(attempt.running.job_id) != run_id:
                logger.warning(
                    "job %d (%s) attempt %d stopped here: %s",
                    attempt.running.job_id,
                    attempt.running.kind,
                    attempt.running.attempt,
                    self._why_lost(attempt.running.job_id),
                    extra={"job_id": attempt.running.job_id},
                )
                self._told_lost.add(run_id)  # its answer, if it comes, is refused quietly
                self._abandon(attempt)

    def _cancelled_here(self, job_ids: list[int]) -> None:
        """Jobs cancelled through this process's queue: their handlers see
        ``ctx.cancelled`` at once (a cancel from another process is seen at the next
        heartbeat) and their slots are free."""
        wanted = set(job_ids)
        with self._state_lock:
            hit = [a for a in self._inflight.values() if a.running.job_id in wanted]
        for attempt in hit:
            self._told_lost.add(attempt.running.run_id)  # the cancel's event tells it
            self._abandon(attempt)
        if hit:
            self._wake()

    def _abandon(self, attempt: _Attempt, *, ended: bool = True) -> None:
        """Forget an attempt whose handler may still be running; its answer, if it
        ever comes, will be refused by the store. It counts as ended here (lost,
        cancelled, timed out) unless ``ended`` is false (handed back)."""
        attempt.set()  # raises the attempt's cancel flag
        with self._state_lock:
            if self._inflight.pop(attempt.running.run_id, None) is not None and ended:
                self.jobs_done += 1

    def _expire_timeouts(self) -> list[Outcome]:
        now = time.monotonic()
        expired = []
        with self._state_lock:
            attempts = list(self._inflight.values())
        for attempt in attempts:
            if attempt.in_thread and attempt.deadline is not None and now >= attempt.deadline:
                error = JobTimeout(self._timeout_message(attempt))
                expired.append(self._failure(attempt, error, tb=None))
                self._abandon(attempt)
        return expired

    @staticmethod
    def _timeout_message(attempt: _Attempt) -> str:
        return (
            f"job {attempt.running.job_id} attempt {attempt.running.attempt} ran past its"
            f" {attempt.timeout or 0:g} s timeout"
        )

    def _next_timeout(self) -> float:
        with self._state_lock:
            attempts = list(self._inflight.values())
        deadlines = [a.deadline for a in attempts if a.in_thread and a.deadline]
        wait = self.heartbeat_interval
        if deadlines:
            wait = min(wait, min(deadlines) - time.monotonic())
        return max(0.0, wait)

    # -- stopping -------------------------------------------------------------------------

    def _shutdown(self) -> None:
        """Let running jobs finish within the grace period, then hand back the rest."""
        deadline = time.monotonic() + (0.0 if self._hurry else self.grace)
        next_beat = time.monotonic() + self.heartbeat_interval
        while self._running_count() and time.monotonic() < deadline and not self._hurry:
            outcomes = self._wait(min(0.05, deadline - time.monotonic())) or []
            outcomes.extend(self._expire_timeouts())
            if outcomes:
                self._record_at_stop(outcomes)
            if time.monotonic() >= next_beat:
                # A file that stopped being usable ends the grace period (_hurry).
                with contextlib.suppress(StoreError):
                    self._heartbeat()
                next_beat = time.monotonic() + self.heartbeat_interval
        leftovers = []
        with self._state_lock:  # a handler thread may be claiming its next job (see _run_chain)
            unfinished = list(self._inflight.values())
        for attempt in unfinished:
            error = WorkerStopped(
                f"worker {self.name} stopped before job {attempt.running.job_id} finished"
            )
            leftovers.append(
                Outcome(
                    job_id=attempt.running.job_id,
                    run_id=attempt.running.run_id,
                    status="released",
                    error=ErrorInfo(type="WorkerStopped", message=str(error)),
                )
            )
            self._abandon(attempt, ended=False)
        with self._children_lock:
            children, self._children = self._children, []
            busy = list(self._busy_children)
        # A handed-back job must not run on in a child process while another worker
        # runs it again: its child dies before the hand-back is recorded.
        for child in busy:
            child.kill_process()
        # Answers that came in since the grace period ended stand, except those of
        # the attempts handed back: abandoning them (a raised cancel flag, a killed
        # child) makes answers of its own, which must not turn a hand-back into a
        # cancellation or a failure.
        released = {outcome.run_id for outcome in leftovers}
        late = [outcome for outcome in self._drain_inbox() if outcome.run_id not in released]
        if leftovers or late:
            self._record_at_stop(late + leftovers)
        for child in children:
            child.close()
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        self._threads.close()
        self._threads = ThreadPool(self.concurrency, self._run_in_thread)  # it may run again
        try:
            self._store.worker_gone(self.name)
        except StoreError as exc:  # its record runs out after a lease
            logger.warning("worker %s could not remove its record: %s", self.name, exc)

    def _record_at_stop(self, outcomes: list[Outcome]) -> None:
        """Record answers while stopping; a file that cannot be written (disk full)
        does not keep the worker from stopping: those jobs come back through their
        leases."""
        try:
            self._commit(outcomes, 0)
        except StoreError as exc:
            logger.error(
                "worker %s could not record %d answer(s) as it stopped (their jobs come"
                " back when their leases run out): %s",
                self.name,
                len(outcomes),
                exc,
            )

    def _running_count(self) -> int:
        with self._state_lock:
            return len(self._inflight)

    def _drain_inbox(self) -> list[Outcome]:
        items: list[Outcome] = []
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue_module.Empty:
                return items
            if item is not _WAKE:
                if self._inflight.pop(item.run_id, None) is not None:
                    self.jobs_done += 1
                items.append(item)

    def _install_signal_handlers(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def handle(signum: int, _frame: FrameType | None) -> None:
            # Stop first, say so after: a second signal may come while the first is
            # being told, and must find the worker stopping already.
            second = self._stopping.is_set()
            self.stop()
            if second:
                self._hurry = True  # hand back running jobs now
                logger.warning(
                    "worker %s: handing back its %d running job(s) now",
                    self.name,
                    self._running_count(),
                )
            elif self._running_count():
                logger.warning(
                    "worker %s is stopping (signal %d): its %d running job(s) get up to"
                    " %g s to finish; a second Ctrl-C (or signal) hands them back at once",
                    self.name,
                    signum,
                    self._running_count(),
                    self.grace,
                )

        previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore
