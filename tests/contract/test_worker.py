"""The worker: handlers of every kind, retries, timeouts, fencing, batches, stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import litequeue
from litequeue import Backoff, EventType, JobStatus
from litequeue.testing import EventRecorder, drain
from plugins import handlers

NO_WAIT = Backoff(base=0, jitter=0)


def stop_once_started(worker: litequeue.Worker, started: threading.Event) -> None:
    """Run ``worker`` in a thread, ``stop()`` it once a handler sets ``started``, and
    wait for ``run()`` to return."""
    runner = threading.Thread(target=worker.run)
    runner.start()
    assert started.wait(5)
    worker.stop()
    runner.join(10)
    assert not runner.is_alive()


def assert_failed(queue: litequeue.Queue, job_id: int, error_type: str) -> litequeue.Job:
    """The job, after checking it failed for good with ``error_type``."""
    job = queue.get(job_id)
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert job.error.type == error_type
    return job


def drain_or_stop(worker: litequeue.Worker, timeout: float = 20) -> None:
    """``worker.run(until_empty=True)``, stopped after ``timeout`` seconds: a job left
    running by a bug then fails the test's assertions instead of hanging it."""
    runner = threading.Thread(target=worker.run, kwargs={"until_empty": True})
    runner.start()
    runner.join(timeout)
    if runner.is_alive():
        worker.stop(grace=0)
        runner.join(10)


def test_sync_handler_result_status_and_events(queue: litequeue.Queue) -> None:
    @queue.handler("add")
    def add(ctx: litequeue.Context, payload: Any) -> Any:
        ctx.progress(40, "adding")
        ctx.log("halfway")
        return payload["a"] + payload["b"]

    with EventRecorder(queue) as recorder:
        job = queue.enqueue("add", {"a": 1, "b": 2})
        assert drain(queue) == 1
    done = queue.get(job.id)
    assert done.status is JobStatus.SUCCEEDED
    assert done.result == 3
    assert done.attempt == 1
    assert done.progress == 100
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.started_at <= done.finished_at
    assert recorder.types(job.id) == ["enqueued", "started", "progress", "log", "succeeded"]
    assert recorder.of_type("progress")[0].data == {"progress": 40, "message": "adding"}


def test_async_handlers_run_on_an_event_loop_concurrently(queue: litequeue.Queue) -> None:
    running = 0
    peak = 0

    @queue.handler("io")
    async def io(ctx: litequeue.Context, payload: Any) -> Any:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return payload

    queue.enqueue_many([("io", i) for i in range(4)])
    assert litequeue.Worker(queue, concurrency=4).run(until_empty=True) == 4
    assert peak == 4
    assert sorted(j.result for j in queue.jobs()) == [0, 1, 2, 3]


def test_async_handler_timeout_is_enforced(queue: litequeue.Queue) -> None:
    @queue.handler("hang", backoff=NO_WAIT)
    async def hang(ctx: litequeue.Context, payload: Any) -> Any:
        await asyncio.sleep(30)

    job = queue.enqueue("hang", None, timeout=0.1, max_attempts=1)
    litequeue.Worker(queue).run(until_empty=True)
    assert_failed(queue, job.id, "JobTimeout")


def test_an_async_handler_that_outlives_its_timeout_anyway_has_timed_out(
    queue: litequeue.Queue,
) -> None:
    """One blocks the event loop, one swallows its cancellation: both return a value
    after their timeout, which must not count as a success."""

    @queue.handler("blocks")
    async def blocks(ctx: litequeue.Context, payload: Any) -> Any:
        time.sleep(0.4)
        return "late"

    @queue.handler("stubborn")
    async def stubborn(ctx: litequeue.Context, payload: Any) -> Any:
        for _ in range(8):
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0.05)
        return "late"

    jobs = [
        queue.enqueue(kind, None, timeout=0.1, max_attempts=1) for kind in ("blocks", "stubborn")
    ]
    litequeue.Worker(queue).run(until_empty=True)
    for job in jobs:
        failed = queue.get(job.id)
        assert (failed.status, failed.result) == (JobStatus.FAILED, None)
        assert failed.error is not None
        assert failed.error.type == "JobTimeout"


def test_process_handler_runs_in_a_child_and_reports_progress(queue: litequeue.Queue) -> None:
    import os

    queue.handler("sq", process=True)(handlers.square)
    with EventRecorder(queue) as recorder:
        job = queue.enqueue("sq", {"n": 7})
        litequeue.Worker(queue).run(until_empty=True)
    done = queue.get(job.id)
    assert done.status is JobStatus.SUCCEEDED
    assert done.result["value"] == 49
    assert done.result["pid"] != os.getpid()
    assert "progress" in recorder.types(job.id)


def test_process_children_are_recycled_after_max_jobs(queue: litequeue.Queue) -> None:
    queue.handler("pid", process=True)(handlers.pid)
    queue.enqueue_many([("pid", None)] * 4)
    litequeue.Worker(queue, max_jobs_per_child=2).run(until_empty=True)
    pids = [j.result for j in queue.jobs()]
    assert len(set(pids)) == 2


def test_process_timeout_kills_the_child_and_the_worker_goes_on(queue: litequeue.Queue) -> None:
    queue.handler("sleep", process=True, backoff=NO_WAIT)(handlers.sleep)
    queue.handler("sq", process=True)(handlers.square)
    slow = queue.enqueue("sleep", {"seconds": 30}, timeout=0.5, max_attempts=1)
    fine = queue.enqueue("sq", {"n": 3})
    started = time.monotonic()
    litequeue.Worker(queue).run(until_empty=True)
    assert time.monotonic() - started < 15
    failed = assert_failed(queue, slow.id, "JobTimeout")
    assert "child process was killed" in failed.error.message
    assert queue.get(fine.id).result["value"] == 9


def test_a_crashing_child_fails_its_job_only(queue: litequeue.Queue) -> None:
    queue.handler("crash", process=True, backoff=NO_WAIT)(handlers.crash)
    queue.handler("sq", process=True)(handlers.square)
    bad = queue.enqueue("crash", None, max_attempts=2)
    good = queue.enqueue("sq", {"n": 2})
    litequeue.Worker(queue).run(until_empty=True)
    failed = queue.get(bad.id)
    assert failed.status is JobStatus.FAILED
    assert failed.attempt == 2
    assert failed.error is not None
    assert failed.error.type == "ChildProcessDied"
    assert "exit code 3" in failed.error.message
    assert queue.get(good.id).status is JobStatus.SUCCEEDED


def test_memory_limit_fails_the_job_with_a_memory_error(queue: litequeue.Queue) -> None:
    queue.handler("hog", process=True, memory_limit=400 * 2**20)(handlers.hog_memory)
    hog = queue.enqueue("hog", {"bytes": 2 * 2**30}, max_attempts=1)
    small = queue.enqueue("hog", {"bytes": 1000})
    litequeue.Worker(queue).run(until_empty=True)
    assert_failed(queue, hog.id, "MemoryError")
    assert queue.get(small.id).result == 1000


def test_failures_retry_with_backoff_then_fail_with_the_traceback(
    queue: litequeue.Queue,
) -> None:
    queue.handler("bad", backoff=NO_WAIT)(handlers.fail)
    with EventRecorder(queue) as recorder:
        job = queue.enqueue("bad", {"x": 1}, max_attempts=3)
        drain(queue)
    failed = queue.get(job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.attempt == 3
    assert failed.error is not None
    assert failed.error.type == "ValueError"
    assert "bad input {'x': 1}" in failed.error.message
    assert failed.error.traceback is not None
    assert "raise ValueError" in failed.error.traceback
    assert recorder.types(job.id).count("retrying") == 2
    assert recorder.types(job.id)[-1] == "failed"


def test_backoff_grows_and_is_capped_with_jitter() -> None:
    backoff = Backoff(base=2, factor=3, max=50, jitter=0.25)
    for attempt, centre in [(1, 2), (2, 6), (3, 18), (4, 50), (9, 50)]:
        delays = [backoff.delay(attempt) for _ in range(200)]
        assert all(centre * 0.75 <= d <= centre * 1.25 for d in delays)
        assert len(set(delays)) > 1  # jittered, not lockstep
    with pytest.raises(litequeue.ConfigurationError):
        Backoff(factor=0.5)


def test_a_failed_job_waits_for_its_backoff(queue: litequeue.Queue) -> None:
    queue.handler("bad", backoff=Backoff(base=60, jitter=0))(handlers.fail)
    job = queue.enqueue("bad", None)
    drain(queue)
    waiting = queue.get(job.id)
    assert waiting.status is JobStatus.QUEUED
    assert waiting.attempt == 1
    assert waiting.run_at > waiting.updated_at
    assert 59 < (waiting.run_at - waiting.updated_at).total_seconds() < 61


def test_retry_and_cancel_raised_by_a_handler(queue: litequeue.Queue) -> None:
    calls = 0

    @queue.handler("flaky")
    def flaky(ctx: litequeue.Context, payload: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls < 2:
            raise litequeue.Retry("upstream busy", delay=0)
        return "ok"

    @queue.handler("stop")
    def stop(ctx: litequeue.Context, payload: Any) -> Any:
        raise litequeue.Cancel("nothing to do")

    a = queue.enqueue("flaky", None)
    b = queue.enqueue("stop", None)
    drain(queue)
    assert queue.get(a.id).result == "ok"
    assert queue.get(a.id).attempt == 2
    cancelled = queue.get(b.id)
    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.attempt == 1
    assert cancelled.error is not None
    assert cancelled.error.message == "nothing to do"


def test_retry_counts_against_max_attempts(queue: litequeue.Queue) -> None:
    queue.handler("again")(handlers.retry_later)
    job = queue.enqueue("again", None, max_attempts=2)
    drain(queue)
    assert queue.get(job.id).status is JobStatus.FAILED
    assert queue.get(job.id).attempt == 2


def test_a_worker_claims_only_the_kinds_it_has_handlers_for(queue: litequeue.Queue) -> None:
    queue.handler("mine")(lambda ctx, p: "done")
    theirs = queue.enqueue("theirs", None, priority=9)  # first in line, not for this worker
    mine = queue.enqueue("mine", None)
    assert litequeue.Worker(queue).run(until_empty=True) == 1
    assert queue.get(mine.id).status is JobStatus.SUCCEEDED
    left = queue.get(theirs.id)
    assert (left.status, left.attempt, left.error) == (JobStatus.QUEUED, 0, None)
    queue.handler("theirs")(lambda ctx, p: "theirs done")  # registered later: claimed now
    assert litequeue.Worker(queue).run(until_empty=True) == 1
    assert queue.get(theirs.id).result == "theirs done"


@pytest.mark.parametrize("handled", [2, 9, 20])
@pytest.mark.parametrize("slots", [1, 5])
def test_a_worker_with_many_handlers_claims_each_of_their_kinds_and_no_other(
    queue: litequeue.Queue, handled: int, slots: int
) -> None:
    """However many kinds a worker handles (a claim names a few one by one, more as
    one list), it takes the jobs of each, and none of a kind it lacks."""
    kinds = [f"kind{i}" for i in range(handled)]
    for kind in kinds:
        queue.handler(kind)(lambda ctx, p: None)
    # First in line, and named like the handled ones: not for this worker.
    theirs = [queue.enqueue(name, None, priority=9) for name in ("kind", "kind1x", "Kind0")]
    mine = [queue.enqueue(kind, None) for kind in kinds]
    assert litequeue.Worker(queue, concurrency=slots).run(until_empty=True) == handled
    assert {queue.get(job.id).status for job in mine} == {JobStatus.SUCCEEDED}
    assert {queue.get(job.id).status for job in theirs} == {JobStatus.QUEUED}


def test_a_worker_without_handlers_claims_nothing(queue: litequeue.Queue) -> None:
    job = queue.enqueue("nobody.handles.this", None)
    assert litequeue.Worker(queue).run(until_empty=True) == 0
    assert queue.get(job.id).status is JobStatus.QUEUED


def test_unknown_kind_fails_the_attempt_with_a_named_error(queue: litequeue.Queue) -> None:
    job = queue.enqueue("nobody.handles.this", None, max_attempts=1)
    litequeue.Worker(queue, any_kind=True).run(until_empty=True)
    failed = assert_failed(queue, job.id, "UnknownKind")
    assert "'nobody.handles.this'" in failed.error.message


def test_unknown_kind_retries_with_the_default_exponential_backoff(
    queue: litequeue.Queue,
) -> None:
    job = queue.enqueue("nobody.handles.this", None, max_attempts=3)
    waits = []
    for _ in range(2):
        worker = litequeue.Worker(queue, any_kind=True)
        while worker.run_once() == 0:  # until its retry is due
            time.sleep(0.05)
        failed = queue.get(job.id)
        assert failed.status is JobStatus.QUEUED
        assert failed.finished_at is None
        waits.append((failed.run_at - failed.updated_at).total_seconds())
    base = litequeue.Backoff()
    assert base.base * 0.75 <= waits[0] <= base.base * 1.25
    assert base.base * base.factor * 0.75 <= waits[1] <= base.base * base.factor * 1.25


@pytest.mark.parametrize("handler", [handlers.not_json, handlers.int_keys])
@pytest.mark.parametrize("process", [False, True], ids=["thread", "process"])
def test_result_that_is_not_json_fails_the_job_without_a_retry(
    queue: litequeue.Queue, process: bool, handler: Any
) -> None:
    queue.handler("bad-result", process=process, backoff=NO_WAIT)(handler)
    job = queue.enqueue("bad-result", None, max_attempts=3)
    drain(queue)
    assert_failed(queue, job.id, "PayloadError")
    assert queue.get(job.id).attempt == 1  # another attempt would return the same


@pytest.mark.parametrize("process", [False, True], ids=["thread", "process"])
def test_progress_past_either_end_is_clamped_not_a_failure(
    queue: litequeue.Queue, process: bool
) -> None:
    queue.handler("overshoot", process=process)(handlers.overshoot_progress)
    job = queue.enqueue("overshoot", None, max_attempts=1)
    with EventRecorder(queue) as recorder:
        drain(queue)
    assert queue.get(job.id).status is JobStatus.SUCCEEDED
    assert [e.data["progress"] for e in recorder.of_type("progress")] == [0, 100]


def test_a_sync_timeout_frees_the_slot_and_the_late_result_is_refused(
    queue: litequeue.Queue,
) -> None:
    release = threading.Event()
    finished = threading.Event()

    @queue.handler("stuck", backoff=NO_WAIT)
    def stuck(ctx: litequeue.Context, payload: Any) -> Any:
        release.wait(10)
        finished.set()
        return "late"

    queue.handler("quick")(lambda ctx, p: "quick")
    job = queue.enqueue("stuck", None, timeout=0.2, max_attempts=1)
    other = queue.enqueue("quick", None)
    worker = litequeue.Worker(queue, concurrency=1)
    worker.run(until_empty=True)
    assert_failed(queue, job.id, "JobTimeout")
    assert queue.get(other.id).status is JobStatus.SUCCEEDED  # ran in a new thread
    # The stuck attempt now answers; the store refuses it.
    release.set()
    assert finished.wait(5)
    with EventRecorder(queue) as recorder:
        worker.run(until_empty=True)
    assert queue.get(job.id).status is JobStatus.FAILED
    assert queue.get(job.id).result is None
    assert recorder.events == []


@pytest.mark.parametrize("via", ["this queue", "another connection"])
def test_cancel_reaches_a_running_handler(queue: litequeue.Queue, db_path: Path, via: str) -> None:
    """Cancelled through the worker's own queue, the handler hears it at once; through
    another connection (another process), at the worker's next heartbeat."""
    started = threading.Event()
    saw_cancel = threading.Event()

    @queue.handler("long")
    def long(ctx: litequeue.Context, payload: Any) -> Any:
        started.set()
        for _ in range(500):
            if ctx.cancelled:
                saw_cancel.set()
                return "stopped"
            time.sleep(0.01)
        return "finished"

    job = queue.enqueue("long", None)
    here = via == "this queue"
    worker = litequeue.Worker(queue, heartbeat=None if here else 0.05)  # 10 s when here
    thread = threading.Thread(target=worker.run, kwargs={"until_empty": True})
    thread.start()
    assert started.wait(5)
    if here:
        queue.cancel(job.id)
    else:
        with litequeue.Queue(db_path) as other:
            other.cancel(job.id)
    assert saw_cancel.wait(1.0)
    thread.join(10)
    assert not thread.is_alive()
    cancelled = queue.get(job.id)
    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.result is None


def test_progress_after_losing_the_job_raises_attempt_lost(queue: litequeue.Queue) -> None:
    raised: list[BaseException] = []

    @queue.handler("p")
    def p(ctx: litequeue.Context, payload: Any) -> Any:
        queue.cancel(ctx.job.id)
        try:
            ctx.progress(10)
        except litequeue.AttemptLost as exc:
            raised.append(exc)
            raise
        return None

    queue.enqueue("p", None)
    drain(queue)
    assert len(raised) == 1
    context = litequeue.Context(queue.jobs()[0], lambda *a: True)
    for bad in [("50",), (float("nan"),), (float("inf"),), (True,), (50, 5)]:
        with pytest.raises(litequeue.ConfigurationError, match="progress"):
            context.progress(*bad)


def test_claims_fill_free_slots_in_one_go(queue: litequeue.Queue) -> None:
    queue.handler("k")(lambda ctx, p: p)
    queue.enqueue_many([("k", i) for i in range(5)])
    with EventRecorder(queue) as recorder:
        assert litequeue.Worker(queue, concurrency=3).run_once() == 3
    started = recorder.of_type("started")
    assert len(started) == 3
    assert len({e.at for e in started}) == 1  # one transaction, one timestamp


def test_concurrency_limit_in_one_process(queue: litequeue.Queue) -> None:
    queue.set_queue("default", limit=2)
    running = 0
    peak = 0
    lock = threading.Lock()
    # jobs run in pairs: the limit is reached however slowly a claim comes back
    pairs = threading.Barrier(2, timeout=30)

    @queue.handler("k")
    def k(ctx: litequeue.Context, payload: Any) -> Any:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        pairs.wait()
        time.sleep(0.02)
        with lock:
            running -= 1

    queue.enqueue_many([("k", i) for i in range(8)])
    litequeue.Worker(queue, concurrency=6).run(until_empty=True)
    assert peak == 2
    assert queue.stats()["default"]["succeeded"] == 8


def test_paused_queue_hands_out_nothing_and_does_not_hold_until_empty(
    queue: litequeue.Queue,
) -> None:
    queue.handler("k")(lambda ctx, p: p)
    queue.enqueue("k", 1)
    queue.pause("default")
    assert litequeue.Worker(queue).run(until_empty=True) == 0
    queue.resume("default")
    assert litequeue.Worker(queue).run(until_empty=True) == 1


def test_queues_are_served_in_the_order_given(queue: litequeue.Queue) -> None:
    order: list[str] = []
    queue.handler("k")(lambda ctx, p: order.append(p))
    queue.enqueue("k", "low", queue="low")
    queue.enqueue("k", "high", queue="high")
    queue.enqueue("k", "elsewhere", queue="other")
    litequeue.Worker(queue, queues=["high", "low"]).run(until_empty=True)
    assert order == ["high", "low"]


def test_batch_parent_tracks_children_and_finishes_with_them(queue: litequeue.Queue) -> None:
    queue.handler("k", backoff=NO_WAIT)(lambda ctx, p: p["n"] if p["n"] else 1 / 0)
    parent, children = queue.batch(
        [("k", {"n": i}) for i in (1, 2, 0)], tags=["project:9"], max_attempts=1
    )
    assert parent.status is JobStatus.RUNNING
    assert [c.parent_id for c in children] == [parent.id] * 3
    assert all(c.tags == ["project:9"] for c in children)
    with EventRecorder(queue) as recorder:
        drain(queue)
    done = queue.get(parent.id)
    assert done.status is JobStatus.FAILED
    assert done.progress == 100
    assert done.progress_message == "3/3 done"
    assert done.error is not None
    assert "1 child job(s) did not succeed" in done.error.message
    parent_events = [e for e in recorder.events if e.job_id == parent.id]
    assert [e.data["progress"] for e in parent_events if e.type is EventType.PROGRESS] == [
        pytest.approx(100 / 3),
        pytest.approx(200 / 3),
        100,
    ]
    assert parent_events[-1].type is EventType.FAILED
    assert [j.id for j in queue.jobs(parent_id=parent.id)] == sorted(
        (c.id for c in children), reverse=True
    )


def test_pruning_keeps_finished_children_of_a_batch_still_running(
    queue: litequeue.Queue,
) -> None:
    """A batch decides succeeded or failed from all its children, so a finished child
    must outlive pruning for as long as its parent runs, or can be retried."""
    queue.handler("k", backoff=NO_WAIT)(lambda ctx, p: p["n"] if p["n"] else 1 / 0)
    parent, (broken, later) = queue.batch(
        [("k", {"n": 0}), {"kind": "k", "payload": {"n": 1}, "queue": "later"}],
        max_attempts=1,
    )
    drain(queue)
    assert queue.get(broken.id).status is JobStatus.FAILED
    assert queue.prune(older_than=0)[0] == 0
    drain(queue, queues=["later"])
    assert queue.get(later.id).status is JobStatus.SUCCEEDED
    assert queue.get(parent.id).status is JobStatus.FAILED  # the pruned-too-early case
    newest = queue.enqueue("k", {"n": 2})  # prune keeps the newest job: its id stays taken
    assert queue.prune(older_than=0)[0] == 3  # the parent, then its children go
    assert [job.id for job in queue.jobs()] == [newest.id]


def test_a_failed_batch_keeps_its_children_through_a_prune_and_can_be_retried(
    queue: litequeue.Queue,
) -> None:
    # Its children finished before it did: a prune between the two times used to
    # take them, and a retry then waited for ever.
    failures = [ZeroDivisionError]

    @queue.handler("k", backoff=NO_WAIT)
    def k(ctx: litequeue.Context, payload: int) -> int:
        if payload and failures:
            raise failures.pop()
        return payload

    parent, kids = queue.batch(
        [("k", 0), ("k", 0), {"kind": "k", "payload": 1, "queue": "later"}], max_attempts=1
    )
    drain(queue)
    time.sleep(0.3)
    drain(queue, queues=["later"])
    assert queue.get(parent.id).status is JobStatus.FAILED
    assert queue.prune(older_than=0.2)[0] == 0
    assert queue.retry(parent.id).status is JobStatus.RUNNING
    drain(queue, queues=["later"])
    assert queue.get(parent.id).status is JobStatus.SUCCEEDED
    assert queue.get(kids[2].id).status is JobStatus.SUCCEEDED


def test_retry_of_a_child_whose_batch_was_pruned_runs_the_child(queue: litequeue.Queue) -> None:
    queue.handler("k", backoff=NO_WAIT)(lambda ctx, p: 1 / 0 if p else p)
    parent, (_, _, broken) = queue.batch([("k", 0), ("k", 0), ("k", 1)], max_attempts=1)
    drain(queue)
    assert queue.get(parent.id).status is JobStatus.FAILED
    queue.retry(parent.id)  # and cancelled: pruned with its children, all but the newest
    queue.cancel(parent.id)
    assert queue.prune(older_than=0)[0] == 3
    assert [job.id for job in queue.jobs()] == [broken.id]
    assert queue.retry(broken.id).status is JobStatus.QUEUED


def test_a_handler_that_fans_out_finishes_after_its_children(queue: litequeue.Queue) -> None:
    @queue.handler("fan")
    def fan(ctx: litequeue.Context, payload: Any) -> Any:
        for i in range(2):
            queue.enqueue("leaf", i, parent_id=ctx.job.id)
        return "spawned"

    queue.handler("leaf")(lambda ctx, p: p)
    job = queue.enqueue("fan", None)
    assert litequeue.Worker(queue).run_once() == 1
    waiting = queue.get(job.id)
    assert waiting.status is JobStatus.RUNNING
    assert waiting.result == "spawned"
    drain(queue)
    assert queue.get(job.id).status is JobStatus.SUCCEEDED


def test_empty_batch_succeeds_at_once_and_finished_parents_take_no_children(
    queue: litequeue.Queue,
) -> None:
    parent, children = queue.batch([])
    assert children == []
    assert parent.status is JobStatus.SUCCEEDED
    with pytest.raises(litequeue.InvalidTransition, match="cannot take new children"):
        queue.enqueue("k", None, parent_id=parent.id)
    with pytest.raises(litequeue.JobNotFound):
        queue.enqueue("k", None, parent_id=12345)


def test_a_batch_child_held_by_another_batch_stays_there_and_the_new_one_finishes(
    queue: litequeue.Queue,
) -> None:
    """Running a batch again after an interruption: its children's unique keys are
    held by the first batch's unfinished jobs. The new batch must not wait for ever."""
    first, (held,) = queue.batch([{"kind": "k", "payload": 1, "unique_key": "file-a"}])
    again, (same,) = queue.batch([{"kind": "k", "payload": 1, "unique_key": "file-a"}])
    assert (same.id, same.parent_id) == (held.id, first.id)
    assert queue.get(again.id).status is JobStatus.SUCCEEDED  # nothing of its own to wait for
    mixed, kids = queue.batch([{"kind": "k", "payload": 1, "unique_key": "file-a"}, ("k", 2)])
    assert [kid.parent_id for kid in kids] == [first.id, mixed.id]
    queue.handler("k")(lambda ctx, p: p)
    drain(queue)
    assert queue.get(mixed.id).status is JobStatus.SUCCEEDED
    assert queue.get(first.id).status is JobStatus.SUCCEEDED


def test_retrying_a_failed_batch_runs_its_failed_children_again(queue: litequeue.Queue) -> None:
    broken = {"yes"}
    queue.handler("k")(lambda ctx, p: 1 / 0 if p in broken else p)
    parent, children = queue.batch([("k", "ok"), ("k", "yes")], max_attempts=1)
    drain(queue)
    assert queue.get(parent.id).status is JobStatus.FAILED
    broken.clear()
    again = queue.retry(parent.id)
    assert again.status is JobStatus.RUNNING  # waiting for its children, no handler of its own
    assert (again.progress, again.progress_message, again.error) == (50, "1/2 done", None)
    assert [queue.get(c.id).status for c in children] == [JobStatus.SUCCEEDED, JobStatus.QUEUED]
    drain(queue)
    done = queue.get(parent.id)
    assert (done.status, done.progress, done.progress_message) == (
        JobStatus.SUCCEEDED,
        100,
        "2/2 done",
    )
    assert done.attempt == 0  # no worker ever claimed the parent


def test_retrying_the_failed_child_of_a_failed_batch_reopens_the_batch(
    queue: litequeue.Queue,
) -> None:
    broken = {"yes"}
    queue.handler("k")(lambda ctx, p: 1 / 0 if p in broken else p)
    parent, (_, bad) = queue.batch([("k", "ok"), ("k", "yes")], max_attempts=1)
    drain(queue)
    broken.clear()
    queue.retry(bad.id)
    waiting = queue.get(parent.id)
    assert (waiting.status, waiting.progress) == (JobStatus.RUNNING, 50)
    drain(queue)
    assert queue.get(parent.id).status is JobStatus.SUCCEEDED
    assert queue.get(parent.id).progress == 100


def test_cancelling_a_batch_cancels_its_unfinished_children(queue: litequeue.Queue) -> None:
    parent, children = queue.batch([("k", 1), ("k", 2)])
    queue.cancel(parent.id)
    assert {queue.get(c.id).status for c in children} == {JobStatus.CANCELLED}


def test_stop_hands_back_unfinished_jobs_with_the_attempt_counted(
    queue: litequeue.Queue,
) -> None:
    started = threading.Event()

    @queue.handler("slow")
    def slow(ctx: litequeue.Context, payload: Any) -> Any:
        started.set()
        time.sleep(1)

    job = queue.enqueue("slow", None)
    worker = litequeue.Worker(queue, grace=0.1)
    stop_once_started(worker, started)
    released = queue.get(job.id)
    assert released.status is JobStatus.QUEUED
    assert released.attempt == 1
    assert released.error is not None
    assert released.error.type == "WorkerStopped"
    assert [e.type for e in queue.events(job_id=job.id)][-1] is EventType.RELEASED


def test_stop_hands_back_a_job_on_its_last_attempt_to_run_again(
    queue: litequeue.Queue,
) -> None:
    """A stop is not the job's failure: even with no attempts left it goes back queued."""
    started = threading.Event()
    runs: list[int] = []

    @queue.handler("once")
    def once(ctx: litequeue.Context, payload: Any) -> Any:
        runs.append(ctx.job.attempt)
        if len(runs) == 1:
            started.set()
            time.sleep(1)
        return "done"

    job = queue.enqueue("once", None, max_attempts=1)
    worker = litequeue.Worker(queue, grace=0.1)
    stop_once_started(worker, started)
    handed_back = queue.get(job.id)
    assert (handed_back.status, handed_back.attempt) == (JobStatus.QUEUED, 1)
    time.sleep(1)  # the first run's thread ends
    litequeue.Worker(queue).run(until_empty=True)
    finished = queue.get(job.id)
    assert (finished.status, finished.attempt, finished.result) == (JobStatus.SUCCEEDED, 2, "done")
    assert runs == [1, 2]


def test_stop_lets_running_jobs_finish_within_the_grace_period(
    queue: litequeue.Queue,
) -> None:
    started = threading.Event()

    @queue.handler("short")
    def short(ctx: litequeue.Context, payload: Any) -> Any:
        started.set()
        time.sleep(0.2)
        return "done"

    job = queue.enqueue("short", None)
    worker = litequeue.Worker(queue, grace=5)
    stop_once_started(worker, started)
    assert queue.get(job.id).result == "done"


def test_an_idle_worker_wakes_for_a_job_enqueued_in_process(queue: litequeue.Queue) -> None:
    done = threading.Event()
    queue.handler("k")(lambda ctx, p: done.set())
    worker = litequeue.Worker(queue, poll_interval=5)  # only the local wake-up can help
    thread = threading.Thread(target=worker.run)
    thread.start()
    time.sleep(0.1)
    queue.enqueue("k", None)
    assert done.wait(2)
    worker.stop()
    thread.join(5)


def test_worker_hooks_are_called(db_path: Path) -> None:
    calls: list[str] = []

    class Plugin:
        @litequeue.hookimpl
        def litequeue_worker_started(self, worker: litequeue.Worker) -> None:
            calls.append(f"started {worker.queues}")

        @litequeue.hookimpl
        def litequeue_worker_stopped(self, worker: litequeue.Worker) -> None:
            calls.append("stopped")

    with litequeue.Queue(db_path, plugins=[Plugin()]) as q:
        litequeue.Worker(q, queues="cv").run(until_empty=True)
    assert calls == ["started ('cv',)", "stopped"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"concurrency": 0},
        {"concurrency": "2"},
        {"concurrency": 1.5},
        {"queues": []},
        {"queues": ["cv", ""]},
        {"lease": 0},
        {"lease": "30"},
        {"grace": -1},
        {"heartbeat": 0},
        {"poll_interval": float("nan")},
        {"claim_cooldown": -0.001},
        {"max_jobs_per_child": 0},
        {"prune_interval": -5},
    ],
)
def test_worker_settings_are_checked(queue: litequeue.Queue, kwargs: dict[str, Any]) -> None:
    (name,) = kwargs
    with pytest.raises(litequeue.ConfigurationError, match=name):
        litequeue.Worker(queue, **kwargs)


def test_a_worker_runs_one_run_at_a_time(queue: litequeue.Queue) -> None:
    """A second run() at once would clear the first's stop flag on its way out and
    leave the other running for ever."""
    started = threading.Event()
    queue.handler("k")(lambda ctx, p: started.set() or time.sleep(0.5))
    queue.enqueue("k", None)
    worker = litequeue.Worker(queue)
    runner = threading.Thread(target=worker.run)
    runner.start()
    assert started.wait(5)
    with pytest.raises(litequeue.ConfigurationError, match="already running"):
        worker.run()
    worker.stop()
    runner.join(10)
    assert not runner.is_alive()


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_stop_at_any_moment_leaves_no_job_running(
    queue: litequeue.Queue, concurrency: int
) -> None:
    """Answers gathered when the stop came, and the job a handler thread was claiming
    (concurrency 1), are recorded or handed back: none is left running for its lease
    to run out."""
    import random

    queue.handler("k")(lambda ctx, p: p)
    for _ in range(25):
        queue.enqueue_many([("k", i) for i in range(200)])
        worker = litequeue.Worker(queue, concurrency=concurrency, prune_interval=None)
        stopper = threading.Timer(random.uniform(0.002, 0.03), worker.stop)
        stopper.start()
        worker.run()
        stopper.join()
        assert queue.jobs(status="running") == []


def test_heartbeats_do_not_cancel_the_job_a_handler_thread_just_claimed(
    queue: litequeue.Queue,
) -> None:
    """With concurrency 1 the handler's thread records its job and claims the next; a
    heartbeat between asking the store and listing the worker's jobs took that next
    job for lost."""
    cancelled: list[int] = []

    @queue.handler("k")
    def k(ctx: litequeue.Context, payload: Any) -> Any:
        time.sleep(0.0005)  # long enough for the next heartbeat to come
        if ctx.cancelled:
            cancelled.append(ctx.job.id)
        return payload

    queue.enqueue_many([("k", i) for i in range(3000)])
    litequeue.Worker(queue, heartbeat=0.002, prune_interval=None).run(until_empty=True)
    assert cancelled == []
    assert queue.stats()["default"]["succeeded"] == 3000


@pytest.mark.parametrize("concurrency", [1, 2])
def test_a_job_cancelled_by_a_listener_of_its_claim_never_starts(
    queue: litequeue.Queue, concurrency: int
) -> None:
    # The second job is claimed as the first one is recorded: with one slot, by the
    # handler thread itself, which must not run it either.
    ran: list[int] = []
    queue.handler("k")(lambda ctx, p: ran.append(p))
    _, second = queue.enqueue_many([("k", 1), ("k", 2)])

    def cancel_on_start(event: litequeue.Event) -> None:
        if event.type is EventType.STARTED and event.job_id == second.id:
            queue.cancel(event.job_id)

    queue.subscribe(cancel_on_start)
    drain_or_stop(litequeue.Worker(queue, concurrency=concurrency))
    assert queue.get(second.id).status is JobStatus.CANCELLED
    assert ran == [1]


def test_a_stop_before_run_makes_run_return_at_once(queue: litequeue.Queue) -> None:
    """``Thread(target=worker.run).start(); worker.stop()`` may stop it before ``run``
    has begun: the stop must not be lost. Afterwards the worker can run again."""
    queue.handler("k")(lambda ctx, p: p)
    queue.enqueue("k", 1)
    worker = litequeue.Worker(queue)
    worker.stop()
    thread = threading.Thread(target=worker.run)
    thread.start()
    thread.join(5)
    assert not thread.is_alive()
    assert queue.jobs()[0].status is JobStatus.QUEUED  # it claimed nothing
    assert worker.run(until_empty=True) == 1


@pytest.mark.parametrize("process", [False, True], ids=["thread", "process"])
def test_an_exception_marked_not_retryable_fails_the_job_at_once(
    queue: litequeue.Queue, process: bool
) -> None:
    queue.handler("permanent", process=process, backoff=NO_WAIT)(handlers.permanent)
    job = queue.enqueue("permanent", {"name": "cv.doc"}, max_attempts=5)
    drain(queue)
    failed = queue.get(job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.attempt == 1
    assert failed.error is not None
    assert (failed.error.type, failed.error.message) == (
        "BrokenInput",
        "cv.doc: not a readable file",
    )


@pytest.mark.parametrize("process", [False, True], ids=["thread", "process"])
def test_an_exception_that_cannot_be_printed_still_fails_its_job(
    queue: litequeue.Queue, process: bool
) -> None:
    queue.handler("odd", process=process, max_attempts=1)(handlers.unprintable)
    job = queue.enqueue("odd")
    worker = litequeue.Worker(queue)
    drain_or_stop(worker)
    failed = assert_failed(queue, job.id, "Unprintable")
    assert failed.error.message == "<str() of this Unprintable failed: RuntimeError>"


@pytest.mark.parametrize("process", [False, True], ids=["thread", "process"])
@pytest.mark.parametrize("delay", sorted(handlers.BAD_DELAYS))
def test_a_retry_with_a_bad_delay_fails_the_attempt_and_breaks_nothing(
    queue: litequeue.Queue, process: bool, delay: str
) -> None:
    """An infinite, huge or non-numeric ``Retry(delay=...)`` once crashed the worker,
    left the job running for ever or made every later listing fail."""
    # The retry after the bad delay waits a minute, so a machine slow to start the
    # "good" job's process cannot see that retry come due and run a second attempt.
    queue.handler("bad", process=process, backoff=Backoff(base=60))(handlers.retry_with_bad_delay)
    queue.handler("good", process=process)(handlers.pid)
    bad = queue.enqueue("bad", {"delay": delay}, max_attempts=2)
    good = queue.enqueue("good", None)
    worker = litequeue.Worker(queue, concurrency=2)
    drain_or_stop(worker)
    retrying = queue.get(bad.id)
    assert retrying.status is JobStatus.QUEUED  # a failed attempt, retried with backoff
    assert retrying.error is not None
    assert retrying.error.type == "ConfigurationError"
    assert "Retry delay" in retrying.error.message
    assert queue.get(good.id).status is JobStatus.SUCCEEDED
    assert len(queue.jobs()) == 2  # listings still read every row


@pytest.mark.parametrize("process", [False, True], ids=["thread", "process"])
def test_an_exception_whose_retryable_fails_is_retried(
    queue: litequeue.Queue, process: bool
) -> None:
    queue.handler("unsure", process=process, backoff=NO_WAIT)(handlers.unsure)
    job = queue.enqueue("unsure", None, max_attempts=2)
    drain(queue)
    failed = queue.get(job.id)
    assert (failed.status, failed.attempt) == (JobStatus.FAILED, 2)
    assert failed.error is not None
    assert failed.error.type == "UnsureError"


def test_a_child_process_that_cannot_start_fails_the_attempt(
    queue: litequeue.Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of processes or memory: the job must not stay running for as long as the
    worker lives."""
    from litequeue import _worker

    def no_more_processes(max_jobs: int) -> Any:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(_worker, "ChildProcess", no_more_processes)
    queue.handler("sq", process=True)(handlers.square)
    job = queue.enqueue("sq", {"n": 3}, max_attempts=1)
    worker = litequeue.Worker(queue)
    drain_or_stop(worker)
    assert_failed(queue, job.id, "BlockingIOError")


def test_a_timed_out_child_takes_the_processes_its_handler_started_with_it(
    queue: litequeue.Queue, tmp_path: Path
) -> None:
    pidfile = tmp_path / "grandchild.pid"
    # Time for a new interpreter to start the grandchild first, on a slow machine too.
    queue.handler("spawn", process=True, timeout=3.0)(handlers.start_a_grandchild)
    job = queue.enqueue("spawn", {"pidfile": str(pidfile)}, max_attempts=1)
    drain_or_stop(litequeue.Worker(queue))
    assert queue.get(job.id).error.type == "JobTimeout"  # type: ignore[union-attr]
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    """Exists and is not a zombie (an orphan's zombie may linger unreaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_process_handler_errors_are_retried_like_any_failure(queue: litequeue.Queue) -> None:
    queue.handler("bad", process=True, backoff=NO_WAIT)(handlers.fail)
    job = queue.enqueue("bad", {"x": 1}, max_attempts=2)
    drain(queue)
    failed = queue.get(job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.attempt == 2
    assert failed.error is not None
    assert failed.error.type == "ValueError"
    assert failed.error.traceback is not None


def test_process_handlers_work_from_a_script_without_a_main_guard(tmp_path: Path) -> None:
    """The child must not re-run the parent's script (multiprocessing's spawn would)."""
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(
        "import litequeue\n"
        "from plugins import handlers\n"
        f"q = litequeue.Queue({str(tmp_path / 'q.db')!r})\n"
        "q.handler('sq', process=True)(handlers.square)\n"
        "job = q.enqueue('sq', {'n': 5})\n"
        "litequeue.Worker(q).run(until_empty=True)\n"
        "print('result', q.get(job.id).result['value'])\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["result 25"]


def test_a_process_handler_defined_in_the_main_script_is_refused(queue: litequeue.Queue) -> None:
    def main_handler(ctx: litequeue.Context, payload: Any) -> Any:
        return None

    main_handler.__module__ = "__main__"
    with pytest.raises(litequeue.ConfigurationError, match="not the script being run"):
        queue.handler("m", process=True)(main_handler)


def test_a_single_slot_worker_runs_a_stream_of_jobs_one_at_a_time_in_order(
    queue: litequeue.Queue,
) -> None:
    """With concurrency 1 the handler thread claims the next job itself; the jobs must
    still run one at a time, in queue order, each recorded before the next starts."""
    running = 0
    seen: list[tuple[int, int]] = []

    @queue.handler("k")
    def k(ctx: litequeue.Context, payload: Any) -> Any:
        nonlocal running
        running += 1
        assert running == 1
        previous = queue.jobs(status="succeeded", limit=1)
        seen.append((payload, previous[0].payload if previous else -1))
        running -= 1
        return payload

    queue.enqueue_many([("k", i) for i in range(50)])
    assert litequeue.Worker(queue).run(until_empty=True) == 50
    assert seen == [(i, i - 1) for i in range(50)]


def test_a_single_slot_worker_still_times_out_a_chained_job(queue: litequeue.Queue) -> None:
    release = threading.Event()
    queue.handler("quick")(lambda ctx, p: p)

    @queue.handler("stuck", backoff=NO_WAIT)
    def stuck(ctx: litequeue.Context, payload: Any) -> Any:
        release.wait(10)

    queue.enqueue("quick", 1)
    slow = queue.enqueue("stuck", None, timeout=0.2, max_attempts=1)
    after = queue.enqueue("quick", 2)
    started = time.monotonic()
    litequeue.Worker(queue).run(until_empty=True)
    release.set()
    assert time.monotonic() - started < 5
    assert queue.get(slow.id).error.type == "JobTimeout"  # type: ignore[union-attr]
    assert queue.get(after.id).status is JobStatus.SUCCEEDED


def test_producer_threads_and_a_worker_share_one_queue(queue: litequeue.Queue) -> None:
    # The same Queue object used by four producer threads while a worker serves it:
    # each job runs exactly once and the worker hears of new jobs without a poll.
    ran: list[int] = []
    lock = threading.Lock()

    @queue.handler("count")
    def count(ctx: litequeue.Context, payload: int) -> None:
        with lock:
            ran.append(payload)

    worker = litequeue.Worker(queue, concurrency=5, poll_interval=60)
    serving = threading.Thread(target=worker.run)
    serving.start()

    def produce(first: int) -> None:
        for n in range(first, first + 100, 2):
            queue.enqueue("count", n)
            queue.enqueue_many([("count", n + 1)])

    producers = [threading.Thread(target=produce, args=(k * 100,)) for k in range(4)]
    for producer in producers:
        producer.start()
    for producer in producers:
        producer.join()
    deadline = time.monotonic() + 30
    while len(ran) < 400 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop()
    serving.join(timeout=30)
    assert sorted(ran) == list(range(400))
    counts = queue.stats()["default"]
    assert counts["succeeded"] == 400
    assert counts["queued"] == counts["running"] == counts["failed"] == 0


def test_blocking_sync_handlers_each_get_a_thread(queue: litequeue.Queue) -> None:
    """Short jobs share a thread; jobs that block must still run side by side, up to
    the worker's concurrency: each of these waits until all five have started."""
    all_started = threading.Barrier(6)

    @queue.handler("wait")
    def wait(ctx: litequeue.Context, payload: Any) -> None:
        all_started.wait(30)

    queue.enqueue_many([("wait", i) for i in range(5)])
    worker = litequeue.Worker(queue, concurrency=5)
    runner = threading.Thread(target=worker.run, kwargs={"until_empty": True})
    runner.start()
    try:
        all_started.wait(30)  # BrokenBarrierError unless all five run at once
    finally:
        runner.join(60)
    assert queue.stats()["default"]["succeeded"] == 5


def test_results_and_logs_with_lone_surrogates_are_kept(queue: litequeue.Queue) -> None:
    # A handler may return a file name decoded with surrogateescape: the worker
    # records it (as JSON escapes) and goes on with the other jobs.
    name = os.fsdecode(b"r\xe9sum\xe9.pdf")

    @queue.handler("name")
    def give_name(ctx: litequeue.Context, payload: Any) -> str:
        ctx.log(f"read {name}")
        with pytest.raises(litequeue.ConfigurationError, match="lone surrogate"):
            ctx.progress(50, f"reading {name}")  # a progress message is a plain column
        return name

    queue.handler("other")(lambda ctx, payload: payload)
    named = queue.enqueue("name")
    others = queue.enqueue_many([("other", i) for i in range(3)])
    assert litequeue.Worker(queue, concurrency=4).run(until_empty=True) == 4
    assert queue.get(named.id).result == name
    assert [queue.get(job.id).result for job in others] == [0, 1, 2]
    logs = [e.data["message"] for e in queue.events() if e.type is EventType.LOG]
    assert logs == [f"read {name}"]


def test_a_finished_job_is_recorded_while_others_keep_running(queue: litequeue.Queue) -> None:
    """Answers are gathered into one transaction only while they keep coming: a job
    that returns is recorded at once, even while a slow one runs on."""
    release = threading.Event()

    @queue.handler("slow")
    def slow(ctx: litequeue.Context, payload: Any) -> None:
        assert release.wait(10)

    queue.handler("quick")(lambda ctx, payload: payload)
    slow_job = queue.enqueue("slow")
    quick_jobs = queue.enqueue_many([("quick", i) for i in range(3)])
    worker = litequeue.Worker(queue, concurrency=4)
    runner = threading.Thread(target=worker.run, kwargs={"until_empty": True})
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(
            queue.get(job.id).status is not JobStatus.SUCCEEDED for job in quick_jobs
        ):
            time.sleep(0.01)
        assert [queue.get(job.id).result for job in quick_jobs] == [0, 1, 2]
        assert queue.get(slow_job.id).status is JobStatus.RUNNING
    finally:
        release.set()
        runner.join(10)
    assert queue.get(slow_job.id).status is JobStatus.SUCCEEDED


def test_ctx_job_equals_the_stored_job_while_it_runs(queue: litequeue.Queue) -> None:
    # Every field, on a first attempt and on a retry (which starts without the first
    # one's error: that is in its retrying event).
    seen: list[tuple[litequeue.Job, litequeue.Job]] = []

    @queue.handler("twice")
    def twice(ctx: litequeue.Context, payload: Any) -> None:
        seen.append((ctx.job, queue.get(ctx.job.id)))
        if ctx.attempt == 1:
            raise litequeue.Retry("once more", delay=0)

    queue.enqueue("twice", [1, "a"], tags=["x", "y"], priority=3, timeout=60, unique_key="k")
    assert drain(queue) == 2
    assert len(seen) == 2
    for claimed, stored in seen:
        assert claimed == stored
    assert seen[1][0].error is None
    events = queue.events(job_id=seen[1][0].id)
    (retrying,) = [e for e in events if e.type is EventType.RETRYING]
    assert "once more" in retrying.data["error"]


def test_ctx_job_is_the_job_as_claimed(queue: litequeue.Queue) -> None:
    seen: dict[str, Any] = {}

    @queue.handler("look")
    def look(ctx: litequeue.Context, payload: Any) -> None:
        seen.update(job=ctx.job, again=ctx.job, attempt=ctx.attempt, payload=payload)

    job = queue.enqueue("look", {"files": ["a.pdf"]}, tags=["t"], max_attempts=2)
    assert drain(queue) == 1
    claimed = seen["job"]
    assert claimed is seen["again"]
    assert claimed.id == job.id
    assert claimed.status is JobStatus.RUNNING
    assert claimed.attempt == seen["attempt"] == 1
    assert claimed.max_attempts == 2
    assert claimed.tags == ["t"]
    assert claimed.payload is seen["payload"]
    assert claimed.payload == {"files": ["a.pdf"]}
    assert claimed.started_at is not None
    assert claimed.lease_until is not None
    assert claimed.created_at == job.created_at


def test_a_worker_is_known_by_the_name_given_or_one_of_its_own(queue: litequeue.Queue) -> None:
    # The name is what `started` events show of a worker.
    assert litequeue.Worker(queue, name="mailer-1").name == "mailer-1"
    served = litequeue.Worker(queue, queues=["cv", "mail"])
    other = litequeue.Worker(queue, queues=["cv", "mail"])
    assert served.name.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert served.name != other.name
    queue.handler("k")(lambda ctx, payload: None)
    queue.enqueue("k", None, queue="mail")
    assert served.run_once() == 1
    started = [e for e in queue.events() if e.type is EventType.STARTED]
    assert [e.data["worker"] for e in started] == [served.name]


async def _sleep_async(ctx: litequeue.Context, payload: Any) -> None:
    await asyncio.sleep(payload["seconds"])


@pytest.mark.parametrize("runs_in", ["thread", "async", "process"])
def test_a_job_enqueued_without_the_handler_gets_its_timeout_where_it_runs(
    db_path: Path, runs_in: str
) -> None:
    # The usual split: a producer that never registers the handler (a web app) and
    # a worker that does. The job carries no timeout; the worker's handler has one.
    with litequeue.Queue(db_path) as producer:
        job = producer.enqueue("slow", {"seconds": 30})
    assert job.timeout is None
    with litequeue.Queue(db_path, durability="normal") as consumer:
        function = {"thread": handlers.sleep, "async": _sleep_async, "process": handlers.sleep}
        consumer.handler("slow", timeout=0.5, process=runs_in == "process")(function[runs_in])
        started = time.monotonic()
        assert litequeue.Worker(consumer).run_once() == 1
        assert time.monotonic() - started < 10
        error = consumer.get(job.id).error
    assert error is not None
    assert error.type == "JobTimeout"
    assert "0.5 s timeout" in error.message


def test_retry_of_a_job_that_failed_after_taking_children_runs_its_handler_again(
    queue: litequeue.Queue,
) -> None:
    runs: list[int] = []

    @queue.handler("fan", max_attempts=1)
    def fan(ctx: litequeue.Context, payload: Any) -> Any:
        runs.append(ctx.attempt)
        if len(runs) == 1:
            queue.enqueue("leaf", None, parent_id=ctx.job.id)
            raise RuntimeError("half way")
        return "done"

    queue.handler("leaf")(lambda ctx, payload: None)
    job = queue.enqueue("fan", None)
    drain(queue)
    assert queue.get(job.id).status is JobStatus.FAILED
    assert queue.retry(job.id).status is JobStatus.QUEUED
    drain(queue)
    assert runs == [1, 1]
    done = queue.get(job.id)
    assert (done.status, done.result) == (JobStatus.SUCCEEDED, "done")


def test_retry_of_a_job_whose_child_failed_runs_the_child_not_the_handler(
    queue: litequeue.Queue,
) -> None:
    runs: list[str] = []
    leaf_fails = [True]

    @queue.handler("fan")
    def fan(ctx: litequeue.Context, payload: Any) -> Any:
        runs.append("fan")
        queue.enqueue("leaf", None, parent_id=ctx.job.id)
        return "spawned"

    @queue.handler("leaf", max_attempts=1)
    def leaf(ctx: litequeue.Context, payload: Any) -> None:
        runs.append("leaf")
        if leaf_fails.pop():
            raise RuntimeError("leaf broke")

    leaf_fails.append(False)  # the second run of the leaf succeeds
    leaf_fails.reverse()
    job = queue.enqueue("fan", None)
    drain(queue)
    failed = queue.get(job.id)
    assert (failed.status, failed.error.type) == (JobStatus.FAILED, "ChildFailed")  # type: ignore[union-attr]
    assert queue.retry(job.id).status is JobStatus.RUNNING  # waits for its child again
    drain(queue)
    assert runs == ["fan", "leaf", "leaf"]
    done = queue.get(job.id)
    assert (done.status, done.result) == (JobStatus.SUCCEEDED, "spawned")


def test_a_batch_submitted_again_keeps_waiting_for_its_children(queue: litequeue.Queue) -> None:
    # The second submission's only child is held by a job outside the batch: the
    # batch gains no child, and must still wait for the one it has.
    queue.handler("k")(lambda ctx, payload: payload)
    queue.enqueue("k", "x", unique_key="file-x")
    first, _ = queue.batch([("k", "a")], unique_key="import")
    again, kids = queue.batch([{"kind": "k", "unique_key": "file-x"}], unique_key="import")
    assert again.id == first.id
    assert [kid.parent_id for kid in kids] == [None]
    assert again.status is JobStatus.RUNNING
    drain(queue)
    assert queue.get(first.id).status is JobStatus.SUCCEEDED


def test_a_batch_whose_unique_key_a_plain_job_holds_is_refused(queue: litequeue.Queue) -> None:
    ran: list[Any] = []
    queue.handler("k")(lambda ctx, payload: ran.append(payload))
    plain = queue.enqueue("k", "mine", unique_key="import")
    with pytest.raises(litequeue.InvalidTransition, match=f"held by job {plain.id}.*not a batch"):
        queue.batch([("k", "child")], unique_key="import")
    assert [job.id for job in queue.jobs()] == [plain.id]  # nothing added
    drain(queue)
    assert ran == ["mine"]
    assert queue.get(plain.id).status is JobStatus.SUCCEEDED


def test_a_job_whose_child_failed_before_it_returned_fails(queue: litequeue.Queue) -> None:
    # The child ends first (the handler waits for it): the job must not succeed past it.
    @queue.handler("leaf", max_attempts=1)
    def leaf(ctx: litequeue.Context, payload: Any) -> None:
        raise RuntimeError("leaf broke")

    @queue.handler("fan")
    def fan(ctx: litequeue.Context, payload: Any) -> Any:
        child = queue.enqueue("leaf", None, parent_id=ctx.job.id)
        litequeue.Worker(queue).run_once()  # the child runs and fails, here and now
        assert queue.get(child.id).status is JobStatus.FAILED
        return "spawned"

    job = queue.enqueue("fan", None)
    assert litequeue.Worker(queue).run_once() == 1
    failed = queue.get(job.id)
    assert (failed.status, failed.error.type) == (JobStatus.FAILED, "ChildFailed")  # type: ignore[union-attr]
    assert failed.result == "spawned"
    last = list(queue.events(job_id=job.id))[-1]
    assert (last.type, last.data["attempt"]) == (EventType.FAILED, 1)


def test_an_async_result_that_fails_its_own_check_fails_the_attempt(queue: litequeue.Queue) -> None:
    class Odd(list[int]):
        def __eq__(self, other: object) -> bool:
            raise RuntimeError("no comparing me")

        __hash__ = None  # type: ignore[assignment]

    async def odd(ctx: litequeue.Context, payload: Any) -> Any:
        return Odd([1])

    queue.handler("odd", max_attempts=1)(odd)
    job = queue.enqueue("odd", None)
    drain_or_stop(litequeue.Worker(queue), timeout=5)
    failed = queue.get(job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None
    assert "no comparing me" in failed.error.message


@pytest.mark.parametrize("name", ["", "w\udcff", 42])
def test_a_worker_name_that_cannot_be_written_is_refused(queue: litequeue.Queue, name: Any) -> None:
    with pytest.raises(litequeue.ConfigurationError, match="name"):
        litequeue.Worker(queue, name=name)


def test_retry_of_a_job_that_failed_after_taking_children_puts_them_back_too(
    queue: litequeue.Queue,
) -> None:
    # Its first run made a child that failed, then failed itself: the retry gives
    # both another run, and the job can succeed.
    broken = [True]

    @queue.handler("fan", max_attempts=1)
    def fan(ctx: litequeue.Context, payload: Any) -> Any:
        if broken[0]:
            queue.enqueue("leaf", None, parent_id=ctx.job.id, queue="later")
            raise RuntimeError("half way")
        return "ok"

    @queue.handler("leaf", max_attempts=1)
    def leaf(ctx: litequeue.Context, payload: Any) -> None:
        if broken[0]:
            raise RuntimeError("leaf broke")

    job = queue.enqueue("fan", None)
    drain(queue, queues=["default", "later"])
    assert queue.get(job.id).status is JobStatus.FAILED
    broken[0] = False
    assert queue.retry(job.id).status is JobStatus.QUEUED
    (child,) = queue.jobs(parent_id=job.id)
    assert child.status is JobStatus.QUEUED
    drain(queue, queues=["default", "later"])
    done = queue.get(job.id)
    assert (done.status, done.result) == (JobStatus.SUCCEEDED, "ok")


def test_a_nested_retry_finishes_each_job_once_and_the_top_one_last(
    queue: litequeue.Queue,
) -> None:
    # top -> (middle -> (inner -> leaf), other); the handlers of top, middle and
    # inner return after making their children, so those wait for them.
    @queue.handler("node")
    def node(ctx: litequeue.Context, payload: Any) -> None:
        for kind, kid in payload:
            queue.enqueue(
                kind, kid, parent_id=ctx.job.id, queue="later" if kind == "leaf" else "default"
            )

    queue.handler("leaf")(lambda ctx, payload: None)
    tree = [("node", [("node", [("leaf", None)])]), ("leaf", None)]
    top = queue.enqueue("node", tree)
    drain(queue)  # the three nodes run; the two leaves wait in "later"
    middle, other = queue.jobs(parent_id=top.id)[::-1]
    (inner,) = queue.jobs(parent_id=middle.id)
    (leaf,) = queue.jobs(parent_id=inner.id)
    queue.cancel(top.id)  # the whole tree
    queue.retry(leaf.id)
    drain(queue, queues=["later"])
    seq = queue.last_event_seq()
    assert queue.retry(top.id).status is JobStatus.RUNNING
    assert queue.get(top.id).status is JobStatus.RUNNING  # other is queued again
    assert queue.get(other.id).status is JobStatus.QUEUED
    drain(queue, queues=["later"])
    assert queue.get(top.id).status is JobStatus.SUCCEEDED
    ends = [
        e.job_id
        for e in queue.events(after=seq)
        if e.type in (EventType.SUCCEEDED, EventType.FAILED)
    ]
    assert sorted(ends) == sorted([inner.id, middle.id, other.id, top.id])
    assert ends[-1] == top.id


def test_a_waiting_parent_shows_the_share_of_its_children_finished(
    queue: litequeue.Queue,
) -> None:
    queue.handler("leaf")(lambda ctx, payload: None)
    parent, _ = queue.batch([("leaf", 1), ("leaf", 2)])
    assert litequeue.Worker(queue).run_once() == 1
    assert queue.get(parent.id).progress_message == "1/2 done"
    queue.enqueue("leaf", 3, parent_id=parent.id)  # one more to wait for
    waiting = queue.get(parent.id)
    assert (round(waiting.progress, 1), waiting.progress_message) == (33.3, "1/3 done")

    @queue.handler("fan")
    def fan(ctx: litequeue.Context, payload: Any) -> None:
        queue.enqueue("leaf", None, parent_id=ctx.job.id, queue="later")
        queue.enqueue("leaf", None, parent_id=ctx.job.id, queue="later")

    job = queue.enqueue("fan", None, queue="fans")
    drain(queue, queues=["fans"])
    returned = queue.get(job.id)  # its handler returned: it waits for both children
    assert (returned.progress, returned.progress_message) == (0.0, "0/2 done")


def test_workers_and_the_jobs_no_live_worker_handles(queue: litequeue.Queue) -> None:
    queue.handler("mine")(lambda ctx, p: None)
    queue.enqueue_many([("theirs", None), ("theirs", None), ("mine", None)])
    queue.enqueue("mine", None, queue="elsewhere")
    assert queue.workers() == []
    assert queue.unhandled() == {("default", "mine"): 1, ("default", "theirs"): 2,
                                 ("elsewhere", "mine"): 1}  # fmt: skip
    seen: list[list[litequeue.WorkerInfo]] = []
    unhandled: list[dict[tuple[str, str], int]] = []

    @queue.handler("look")
    def look(ctx: litequeue.Context, payload: Any) -> None:
        seen.append(queue.workers())
        unhandled.append(queue.unhandled())

    queue.enqueue("look", None, priority=9)
    worker = litequeue.Worker(queue, name="w1")
    worker.run_once()  # not running: no record
    assert seen == [[]]
    queue.enqueue("look", None, priority=9)
    worker.run(until_empty=True)
    (info,) = seen[1]
    assert (info.name, info.queues, info.kinds) == ("w1", ("default",), ("look", "mine"))
    assert unhandled[1] == {("default", "theirs"): 2, ("elsewhere", "mine"): 1}
    assert queue.workers() == []  # gone when it stopped
