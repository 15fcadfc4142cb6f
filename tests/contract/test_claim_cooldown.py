"""A busy worker's claims are ``claim_cooldown`` apart, so that a steady trickle of jobs
is claimed many at a time; an idle worker still claims at once, a claim that filled
every free slot is followed at once, and answers wait for the next claim no longer
than the cooldown."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import litequeue
from litequeue import EventType, JobStatus
from procs import wait_for


@contextmanager
def _running(worker: litequeue.Worker) -> Iterator[None]:
    """``worker.run()`` in a thread for the block, stopped and joined after it."""
    runner = threading.Thread(target=worker.run)
    runner.start()
    try:
        yield
    finally:
        worker.stop()
        runner.join(30)
        assert not runner.is_alive()


def _times(queue: litequeue.Queue, job_id: int) -> dict[EventType, float]:
    return {e.type: e.at.timestamp() for e in queue.events(job_id=job_id)}


def _succeeded(queue: litequeue.Queue, job_ids: list[int]) -> bool:
    return all(queue.get(job_id).status is JobStatus.SUCCEEDED for job_id in job_ids)


def test_a_busy_workers_claims_under_a_steady_trickle_are_a_cooldown_apart(
    db_path: Path | str,
) -> None:
    cooldown = 0.05
    with litequeue.Queue(db_path) as queue, litequeue.Queue(db_path) as producer:
        queue.handler("noop")(lambda ctx, payload: None)
        worker = litequeue.Worker(queue, concurrency=100, claim_cooldown=cooldown)
        ids = []
        with _running(worker):
            for _ in range(60):  # one job every 5 ms, about ten in a cooldown
                ids.append(producer.enqueue("noop").id)
                time.sleep(0.005)
            wait_for(lambda: _succeeded(queue, ids), timeout=30)
        # The started events of one claim carry its transaction's time.
        claims = sorted({_times(queue, job_id)[EventType.STARTED] for job_id in ids})
        gaps = [later - earlier for earlier, later in itertools.pairwise(claims)]
        # A claim's time is read inside its transaction, a little after the cooldown
        # began or ended: 0.8 of it leaves room for that, where claims without a
        # cooldown come every few milliseconds, one a job.
        assert len(claims) >= 2
        assert min(gaps) >= 0.8 * cooldown, gaps
        # Answers ride with the next claim, and wait for it no longer than the cooldown
        # (and the gathering of a burst of answers, and a loaded machine's delays).
        for job_id in ids:
            times = _times(queue, job_id)
            assert times[EventType.SUCCEEDED] - times[EventType.STARTED] < cooldown + 1.0


def test_an_idle_worker_claims_at_once_whatever_its_cooldown(db_path: Path | str) -> None:
    cooldown = 2.0
    with litequeue.Queue(db_path) as queue, litequeue.Queue(db_path) as producer:
        queue.handler("noop")(lambda ctx, payload: None)
        worker = litequeue.Worker(queue, concurrency=10, claim_cooldown=cooldown)
        with _running(worker):
            first = producer.enqueue("noop").id
            wait_for(lambda: _succeeded(queue, [first]), timeout=30)
            # Its claim took one job of ten: its answer waited for the next claim, which
            # found nothing, and the worker is idle again.
            second = producer.enqueue("noop").id
            wait_for(lambda: _succeeded(queue, [second]), timeout=30)
        for job_id in (first, second):
            times = _times(queue, job_id)
            assert times[EventType.STARTED] - times[EventType.ENQUEUED] < cooldown / 2
            assert times[EventType.SUCCEEDED] - times[EventType.STARTED] < cooldown + 1.0


def test_a_drain_one_at_a_time_is_not_held_by_the_cooldown(db_path: Path | str) -> None:
    """With one slot every claim fills it, or finds nothing: none waits."""
    with litequeue.Queue(db_path) as queue:
        queue.handler("noop")(lambda ctx, payload: None)
        queue.enqueue_many([("noop", None) for _ in range(30)])
        worker = litequeue.Worker(queue, concurrency=1, claim_cooldown=5.0)
        started = time.monotonic()
        assert worker.run(until_empty=True) == 30
        assert time.monotonic() - started < 5.0


def test_a_claim_that_fills_every_free_slot_is_followed_at_once(db_path: Path | str) -> None:
    with litequeue.Queue(db_path) as queue:
        queue.handler("noop")(lambda ctx, payload: None)
        queue.enqueue_many([("noop", None) for _ in range(10)])
        worker = litequeue.Worker(queue, concurrency=10, claim_cooldown=5.0)
        started = time.monotonic()
        # Ten of ten claimed: the next claim (the answers, and nothing left) comes at once.
        assert worker.run(until_empty=True) == 10
        assert time.monotonic() - started < 5.0


def test_a_queue_that_caps_its_running_jobs_is_claimed_without_a_cooldown(
    db_path: Path | str,
) -> None:
    """There a claim comes up short while due jobs wait, and each answer frees the room
    the next claim fills: twenty jobs one at a time, not one a cooldown."""
    with litequeue.Queue(db_path) as queue:
        queue.handler("noop")(lambda ctx, payload: None)
        queue.set_queue("default", limit=1)
        queue.enqueue_many([("noop", None) for _ in range(20)])
        worker = litequeue.Worker(queue, concurrency=4, claim_cooldown=1.0)
        started = time.monotonic()
        assert worker.run(until_empty=True) == 20
        assert time.monotonic() - started < 10.0  # 19 cooldowns or more otherwise


def test_the_store_says_which_queues_cap_their_running_jobs(queue: litequeue.Queue) -> None:
    store = queue.store
    assert not store.queues_capped(["a", "b"])  # no settings
    queue.set_queue("a", rate="5/s", paused=True)
    assert not store.queues_capped(["a", "b"])  # neither a rate nor a pause caps them
    queue.set_queue("b", per_key_limit=2)
    assert store.queues_capped(["a", "b"])
    assert not store.queues_capped(["a"])
    queue.set_queue("a", limit=3)
    assert store.queues_capped(["a"])
    queue.set_queue("a", limit=None)
    assert not store.queues_capped(["a"])
