"""How often the PostgreSQL engine's writes wait for the server: on a network, each
wait is a round trip, and round trips, not the server's work, bound how many jobs
one by one a producer enqueues and a worker claims. Counted from libpq's own trace
of the messages a connection sends and receives: each time answers come after the
client sent something, it waited for them."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from psycopg import pq

import litequeue
from litequeue._records import Claim, Outcome

_CLAIM = Claim(worker="w", queues=("default",), limit=1, lease=30.0)


@pytest.fixture
def queue(postgres_url: str) -> Iterator[litequeue.Queue]:
    with litequeue.Queue(postgres_url) as q:
        yield q


def _waits(queue: litequeue.Queue, call: Callable[[], Any]) -> int:
    """The waits for the server of ``call``, on the one connection the store keeps
    idle once it has been used."""
    pool = queue.store._pool  # type: ignore[attr-defined]
    (conn,) = pool._idle
    with tempfile.TemporaryFile("w+") as trace:
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            call()
        finally:
            conn.pgconn.untrace()
        trace.seek(0)
        messages = [line.split("\t") for line in trace.read().splitlines()]
    directions = [fields[0] for fields in messages]  # F: sent, B: received
    return sum(1 for pair in itertools.pairwise(directions) if pair == ("F", "B"))


def test_an_enqueue_waits_for_the_server_once(queue: litequeue.Queue) -> None:
    queue.enqueue("k", 0)
    # one call of the enqueue function: the job, its event, the wake-up and the commit
    assert _waits(queue, lambda: queue.enqueue("k", 1)) == 1
    assert _waits(queue, lambda: queue.enqueue("k", 2, tags=["t"], unique_key="u")) == 1
    assert [job.payload for job in queue.jobs(tag="t")] == [2]


def test_an_enqueue_whose_key_is_held_returns_the_holder(queue: litequeue.Queue) -> None:
    held = queue.enqueue("k", 0, unique_key="u")
    got: list[litequeue.Job] = []
    # the call that met the holder, then the transaction that reads it: the clock, the
    # holder, then the commit
    assert _waits(queue, lambda: got.append(queue.enqueue("k", 1, unique_key="u"))) == 4
    assert [job.id for job in got] == [held.id]
    assert queue.stats()["default"]["queued"] == 1


def test_an_enqueue_with_a_parent_is_one_transaction(queue: litequeue.Queue) -> None:
    parent = queue.enqueue("k", 0)
    # the clock, the parent's count, the insert, then the event lock, the event, the
    # wake-up and the commit together
    assert _waits(queue, lambda: queue.enqueue("k", 1, parent_id=parent.id)) == 4


def test_a_claim_that_records_a_success_waits_once(queue: litequeue.Queue) -> None:
    queue.enqueue("k", 0)
    queue.enqueue("k", 1)
    store = queue.store
    (first,), _, _ = store.claim(_CLAIM)
    done = Outcome(first.job_id, first.run_id, "succeeded", "null", attempt=first.attempt)
    # one statement: the success, the claim, their events and the wake-up
    assert _waits(queue, lambda: store.claim(_CLAIM, [done])) == 1
    assert queue.get(first.job_id).status is litequeue.JobStatus.SUCCEEDED
    assert queue.get(first.job_id + 1).status is litequeue.JobStatus.RUNNING


def test_a_claim_from_a_queue_with_flow_control_waits_once(queue: litequeue.Queue) -> None:
    queue.set_queue("default", rate="1000/s", per_key_limit=1)
    for key in ("a", "a", "b"):
        queue.enqueue("k", 0, limit_key=key)
    store = queue.store
    claim = Claim(worker="w", queues=("default",), limit=3, lease=30.0)
    (first,), _, _ = store.claim(_CLAIM)
    done = Outcome(first.job_id, first.run_id, "succeeded", "null", attempt=first.attempt)
    claimed: list[Any] = []
    assert _waits(queue, lambda: claimed.extend(store.claim(claim, [done])[0])) == 1
    # the key of the job that succeeded has room again; one job per key at a time
    assert sorted(r.job_id for r in claimed) == [first.job_id + 1, first.job_id + 2]


def test_a_claim_takes_back_an_expired_lease_first(queue: litequeue.Queue) -> None:
    job = queue.enqueue("k", 0)
    store = queue.store
    store.claim(Claim(worker="gone", queues=("default",), limit=1, lease=-1.0))
    (again,), _, _ = store.claim(_CLAIM)
    assert again.job_id == job.id
    assert again.attempt == 2
    assert queue.get(job.id).status is litequeue.JobStatus.RUNNING
