"""Properties and a stateful model of the queue (hypothesis)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

import litequeue
from litequeue import EventType, JobStatus
from litequeue._records import Claim, Outcome, Running
from litequeue.testing import EventRecorder, drain
from strategies import json_values, kinds, on_engine, pick, small_prune_chunks, tags


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=json_values, kind=kinds, labels=tags)
def test_payloads_and_tags_come_back_unchanged(
    queue: litequeue.Queue, payload: Any, kind: str, labels: list[str]
) -> None:
    job = queue.enqueue(kind, payload, tags=labels)
    stored = queue.get(job.id)
    assert stored.payload == payload
    assert stored.tags == list(labels)
    assert stored.kind == kind


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    calls=st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),
            json_values,
            st.fixed_dictionaries(
                {},
                optional={
                    "queue": st.sampled_from(["default", "other"]),
                    "priority": st.integers(-3, 3),
                    "delay": st.sampled_from([0, 60]),
                    "timeout": st.sampled_from([0.5, 30]),
                    "max_attempts": st.integers(1, 4),
                    "tags": st.sampled_from([(), ("t",), ["t", "u"]]),
                },
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_each_enqueue_returns_the_job_as_it_reads_back_and_its_event(
    queue: litequeue.Queue, calls: list[tuple[str, Any, dict[str, Any]]]
) -> None:
    """Jobs of one kind and queue enqueued one after another (built alike inside the
    store), each returned as its row reads back, with its own lists, and its
    ``enqueued`` event delivered with the number it is stored under."""
    heard: list[litequeue.Event] = []
    unsubscribe = queue.subscribe(heard.append)
    jobs = [queue.enqueue(kind, payload, **options) for kind, payload, options in calls]
    unsubscribe()
    for job in jobs:
        assert job == queue.get(job.id)
    jobs[0].tags.append("changed")
    jobs[0].depends_on.append(0)
    for job in jobs[1:]:
        assert job == queue.get(job.id)
    assert heard == [e for e in queue.events() if e.job_id in {j.id for j in jobs}]
    assert [e.type for e in heard] == [EventType.ENQUEUED] * len(jobs)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    items=st.lists(
        st.tuples(st.sampled_from(["a", "b"]), json_values, st.sampled_from([(), ("t",)])),
        min_size=2,
        max_size=12,
    )
)
def test_enqueue_many_stores_every_payload_in_order(
    queue: litequeue.Queue, items: list[tuple[str, Any, tuple[str, ...]]]
) -> None:
    # Tuples and dicts mixed: runs of jobs that differ only in payload share a statement.
    jobs = queue.enqueue_many(
        [
            (kind, payload) if not labels else {"kind": kind, "payload": payload, "tags": labels}
            for kind, payload, labels in items
        ]
    )
    ids = [job.id for job in jobs]
    assert ids == list(range(ids[0], ids[0] + len(items)))
    for job, (kind, payload, labels) in zip(jobs, items, strict=True):
        stored = queue.get(job.id)
        assert (stored.kind, stored.payload, stored.tags) == (kind, payload, list(labels))
        assert job == stored


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payloads=st.lists(
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(),
            lambda children: (
                st.lists(children, max_size=4)
                | st.dictionaries(st.text(max_size=8), children, max_size=4)
            ),
            max_leaves=12,
        ).filter(lambda value: isinstance(value, list | dict)),
        min_size=2,
        max_size=12,
    )
)
def test_enqueue_many_keeps_objects_and_arrays_exactly(
    queue: litequeue.Queue, payloads: list[Any]
) -> None:
    # A run of objects and arrays only is unpacked by SQLite without boxing each
    # payload: numbers of any size or precision must come back as they went in.
    jobs = queue.enqueue_many([("k", payload) for payload in payloads])
    assert [queue.get(job.id).payload for job in jobs] == payloads
    assert [job.payload for job in jobs] == payloads


class _Fatal(Exception):
    retryable = False


def _behave(ctx: litequeue.Context, payload: dict[str, Any]) -> Any:
    """A handler that does what its payload says: how a batch's answers get mixed."""
    what = payload["do"]
    if what == "cancel":
        raise litequeue.Cancel("not wanted")
    if what == "fatal":
        raise _Fatal("broken input")
    if what == "retry_once" and ctx.attempt == 1:
        raise litequeue.Retry("not yet", delay=0)
    return payload["i"]


_EXPECTED = {  # behaviour -> (status, attempts)
    "ok": (JobStatus.SUCCEEDED, 1),
    "retry_once": (JobStatus.SUCCEEDED, 2),
    "fatal": (JobStatus.FAILED, 1),
    "cancel": (JobStatus.CANCELLED, 1),
}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    behaviours=st.lists(st.sampled_from(sorted(_EXPECTED)), min_size=1, max_size=40),
    concurrency=st.integers(1, 8),
)
def test_a_worker_records_every_mix_of_answers(
    queue: litequeue.Queue, behaviours: list[str], concurrency: int
) -> None:
    # Every job ends as its handler decided, with as many `started` events as attempts,
    # whatever answers share a transaction.
    queue.handler("behave", max_attempts=3)(_behave)
    start = queue.last_event_seq()
    with EventRecorder(queue) as recorder:
        jobs = queue.enqueue_many([("behave", {"i": i, "do": b}) for i, b in enumerate(behaviours)])
        litequeue.Worker(queue, concurrency=concurrency).run(until_empty=True)
    # Listeners heard exactly the log, in its order.
    assert [e.to_dict() for e in recorder.events] == [
        e.to_dict() for e in queue.events(after=start)
    ]
    for job, behaviour in zip(jobs, behaviours, strict=True):
        stored = queue.get(job.id)
        assert (stored.status, stored.attempt) == _EXPECTED[behaviour], behaviour
        if stored.status is JobStatus.SUCCEEDED:
            assert stored.result == job.payload["i"]
        started = [e for e in queue.events(job_id=job.id) if e.type is EventType.STARTED]
        assert [e.data["attempt"] for e in started] == list(range(1, stored.attempt + 1))


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    behaviours=st.lists(st.sampled_from(sorted(_EXPECTED)), min_size=1, max_size=12),
    concurrency=st.integers(1, 6),
)
def test_a_batch_ends_succeeded_only_when_every_child_did(
    queue: litequeue.Queue, behaviours: list[str], concurrency: int
) -> None:
    queue.handler("behave", max_attempts=3)(_behave)
    parent, children = queue.batch(
        [("behave", {"i": i, "do": b}) for i, b in enumerate(behaviours)]
    )
    litequeue.Worker(queue, concurrency=concurrency).run(until_empty=True)
    ends = [queue.get(child.id).status for child in children]
    assert ends == [_EXPECTED[b][0] for b in behaviours]
    finished = queue.get(parent.id)
    every = all(end is JobStatus.SUCCEEDED for end in ends)
    assert finished.status is (JobStatus.SUCCEEDED if every else JobStatus.FAILED)
    assert finished.finished_at is not None


_workers = itertools.count()


class QueueMachine(RuleBasedStateMachine):
    """Drives the store the way workers do (claims, answers, deaths, late answers)
    and checks it against a plain model of each job."""

    held = Bundle("held")

    new_target: Callable[[], Path | str]  # set per engine by on_engine

    def __init__(self) -> None:
        super().__init__()
        self.queue = litequeue.Queue(self.new_target(), durability="normal")
        self.store = self.queue.store
        self.model: dict[int, dict[str, Any]] = {}
        self.stale: list[Running] = []
        self.seen_run_ids: set[int] = set()
        self.pruned: set[int] = set()
        self.restore_prune_chunks = small_prune_chunks(self.queue)

    def teardown(self) -> None:
        self.restore_prune_chunks()
        self.queue.close()

    # -- actions ----------------------------------------------------------------------

    @rule(max_attempts=st.integers(1, 3), priority=st.integers(-2, 2))
    def enqueue(self, max_attempts: int, priority: int) -> None:
        job = self.queue.enqueue("k", None, max_attempts=max_attempts, priority=priority)
        self.model[job.id] = {"status": "queued", "attempt": 0, "max": max_attempts}

    @rule(count=st.integers(2, 5), max_attempts=st.integers(1, 3), priority=st.integers(-2, 2))
    def enqueue_several(self, count: int, max_attempts: int, priority: int) -> None:
        items = [
            {"kind": "k", "payload": None, "max_attempts": max_attempts, "priority": priority}
        ] * count
        for job in self.queue.enqueue_many(items):
            self.model[job.id] = {"status": "queued", "attempt": 0, "max": max_attempts}

    def _claim(self, limit: int, lease: float) -> list[Running]:
        claimable = [j for j, m in self.model.items() if m["status"] == "queued"]
        expired = [j for j, m in self.model.items() if m["status"] == "running" and m["dead"]]
        claimed, _, _ = self.store.claim(
            Claim(worker=f"w{next(_workers)}", queues=("default",), limit=limit, lease=lease)
        )
        # Dead attempts come back first: to the queue, or failed when out of attempts.
        for job_id in expired:
            m = self.model[job_id]
            m["status"] = "queued" if m["attempt"] < m["max"] else "failed"
            if m["status"] == "queued":
                claimable.append(job_id)
        assert len(claimed) == min(limit, len(claimable))
        for running in claimed:
            m = self.model[running.job.id]
            assert running.job.id in claimable
            assert running.run_id not in self.seen_run_ids, "an attempt was handed out twice"
            self.seen_run_ids.add(running.run_id)
            m.update(status="running", attempt=m["attempt"] + 1, run_id=running.run_id, dead=False)
            assert running.job.attempt == m["attempt"]
        return claimed

    @rule(target=held, limit=st.integers(1, 3))
    def claim(self, limit: int) -> Any:
        return multiple(*self._claim(limit, lease=60))

    @rule(limit=st.integers(1, 3))
    def claim_and_die(self, limit: int) -> None:
        """A worker claims and is killed: its leases are already over."""
        for running in self._claim(limit, lease=-1):
            self.model[running.job.id]["dead"] = True
            self.stale.append(running)

    def _answer(self, running: Running, status: str, retry: bool = False) -> bool:
        outcome = Outcome(
            job_id=running.job.id,
            run_id=running.run_id,
            status=status,
            result="1" if status == "succeeded" else None,
            error=None if status == "succeeded" else litequeue.ErrorInfo(type="E", message="x"),
            retry_at=time.time() - 1 if retry else None,
            attempt=running.job.attempt,
        )
        accepted, _ = self.store.finish([outcome])
        return bool(accepted)

    def _current(self, running: Running) -> bool:
        m = self.model.get(running.job.id)
        if m is None:  # pruned
            return False
        return m["status"] == "running" and m.get("run_id") == running.run_id and not m["dead"]

    @rule(running=consumes(held))
    def succeed(self, running: Running) -> None:
        current = self._current(running)
        assert self._answer(running, "succeeded") == current
        if current:
            self.model[running.job.id]["status"] = "succeeded"
        else:
            self.stale.append(running)

    @rule(first=consumes(held), second=consumes(held), late=st.integers(0, 2))
    def succeed_together(self, first: Running, second: Running, late: int) -> None:
        """Several successes in one call, late answers among them (the way a busy
        worker records a batch): each is accepted or refused on its own."""
        answers = [first, second, *self.stale[-late:]] if late else [first, second]
        current = {r.run_id for r in answers if self._current(r)}
        accepted, _ = self.store.finish(
            [
                Outcome(job_id=r.job.id, run_id=r.run_id, status="succeeded", result="1")
                for r in answers
            ]
        )
        assert {o.run_id for o in accepted} == current
        for running in (first, second):
            if running.run_id in current:
                self.model[running.job.id]["status"] = "succeeded"
            else:
                self.stale.append(running)

    @rule(running=consumes(held), retry=st.booleans())
    def fail(self, running: Running, retry: bool) -> None:
        current = self._current(running)
        assert self._answer(running, "failed", retry) == current
        if current:
            m = self.model[running.job.id]
            m["status"] = "queued" if retry and m["attempt"] < m["max"] else "failed"
        else:
            self.stale.append(running)

    @rule(running=consumes(held))
    def release(self, running: Running) -> None:
        current = self._current(running)
        assert self._answer(running, "released") == current
        if current:
            m = self.model[running.job.id]
            m["status"] = "queued"  # from its last attempt too: a stop is not a failure
            m["released"] = m.get("released", 0) + 1

    @rule(data=st.data(), status=st.sampled_from(["succeeded", "failed"]))
    def late_answer_is_refused(self, data: st.DataObject, status: str) -> None:
        running = pick(data, self.stale)
        if running is None or self._current(running) or running.job.id in self.pruned:
            return  # none, a dead attempt whose job nobody has taken back yet, or gone
        before = self.queue.get(running.job.id)
        assert not self._answer(running, status)
        after = self.queue.get(running.job.id)
        assert (after.status, after.attempt, after.result) == (
            before.status,
            before.attempt,
            before.result,
        )

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        job_id = pick(data, sorted(self.model))
        if job_id is None:
            return
        m = self.model[job_id]
        if m["status"] in ("queued", "running"):
            self.queue.cancel(job_id)
            m["status"] = "cancelled"
        else:
            try:
                self.queue.cancel(job_id)
            except litequeue.InvalidTransition:
                pass
            else:
                raise AssertionError("cancelling a finished job must be refused")

    @rule(data=st.data())
    def retry_by_hand(self, data: st.DataObject) -> None:
        job_id = pick(data, sorted(self.model))
        if job_id is None:
            return
        m = self.model[job_id]
        if m["status"] in ("failed", "cancelled"):
            self.queue.retry(job_id)
            m.update(status="queued", attempt=0)
        else:
            try:
                self.queue.retry(job_id)
            except litequeue.InvalidTransition:
                pass
            else:
                raise AssertionError("only failed or cancelled jobs can be retried")

    @rule()
    def prune(self) -> None:
        """Prune finished jobs now: never an active one; the finished ones go (all but
        those finished in the very instant of the cutoff)."""
        self.queue.prune(older_than=0)
        for job_id, m in list(self.model.items()):
            try:
                self.queue.get(job_id)
            except litequeue.JobNotFound:
                assert m["status"] not in ("queued", "running"), "an active job was pruned"
                del self.model[job_id]
                self.pruned.add(job_id)

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def every_job_is_accounted_for_with_the_modelled_status(self) -> None:
        jobs = {j.id: j for j in self.queue.jobs(limit=10_000)}
        assert set(jobs) == set(self.model)
        for job_id, m in self.model.items():
            job = jobs[job_id]
            assert job.status is JobStatus(m["status"]), (job_id, job.status, m)
            assert job.attempt == m["attempt"]
            assert job.attempt <= job.max_attempts + m.get("released", 0)
            if job.status is JobStatus.SUCCEEDED:
                assert job.result == 1

    @invariant()
    def stats_agree_with_the_jobs(self) -> None:
        counts = self.queue.stats().get("default", {})
        for status in JobStatus:
            expected = sum(1 for m in self.model.values() if m["status"] == status.value)
            assert counts.get(status.value, 0) == expected


def test_queue_machine(new_target: Callable[[], Path | str]) -> None:
    run_state_machine_as_test(
        on_engine(QueueMachine, new_target),
        settings=settings(max_examples=40, stateful_step_count=30, deadline=None),
    )


class BatchMachine(RuleBasedStateMachine):
    """Batches through failures, cancellations and retries of parents and children:
    a parent's status and progress always follow its children's."""

    new_target: Callable[[], Path | str]  # set per engine by on_engine

    def __init__(self) -> None:
        super().__init__()
        self.queue = litequeue.Queue(self.new_target(), durability="normal")
        self.broken: set[int] = set()
        self.names = itertools.count()
        self.queue.handler("part", max_attempts=1)(self._part)
        self.parents: list[int] = []

    def _part(self, ctx: litequeue.Context, payload: Any) -> Any:
        if payload in self.broken:
            raise ValueError(f"part {payload} is broken")
        return payload

    def teardown(self) -> None:
        self.queue.close()

    def _pick(self, data: st.DataObject, statuses: tuple[JobStatus, ...]) -> int | None:
        return pick(data, [j.id for j in self.queue.jobs(status=statuses, limit=10_000)])

    @rule(size=st.integers(0, 3), broken=st.integers(0, 3))
    def make_batch(self, size: int, broken: int) -> None:
        names = [next(self.names) for _ in range(size)]
        self.broken.update(names[:broken])
        parent, _ = self.queue.batch([("part", n) for n in names])
        self.parents.append(parent.id)

    @rule()
    def drain(self) -> None:
        drain(self.queue)

    @rule(data=st.data())
    def mend_a_part(self, data: st.DataObject) -> None:
        part = pick(data, sorted(self.broken))
        if part is not None:
            self.broken.discard(part)

    @rule(data=st.data())
    def retry_a_job(self, data: st.DataObject) -> None:
        job_id = self._pick(data, (JobStatus.FAILED, JobStatus.CANCELLED))
        if job_id is not None:
            self.queue.retry(job_id)

    @rule(data=st.data())
    def cancel_a_job(self, data: st.DataObject) -> None:
        job_id = self._pick(data, (JobStatus.QUEUED, JobStatus.RUNNING))
        if job_id is not None:
            self.queue.cancel(job_id)

    @invariant()
    def parents_follow_their_children(self) -> None:
        for parent_id in self.parents:
            parent = self.queue.get(parent_id)
            kids = [k.status for k in self.queue.jobs(parent_id=parent_id, limit=100)]
            done = sum(status.finished for status in kids)
            assert parent.status is not JobStatus.QUEUED  # a parent runs no handler
            assert 0 <= parent.progress <= 100
            if parent.status is JobStatus.RUNNING:
                assert done < len(kids), "every child finished, the parent did not"
                assert parent.progress == pytest.approx(100 * done / len(kids))
            elif parent.status is JobStatus.SUCCEEDED:
                assert all(status is JobStatus.SUCCEEDED for status in kids)
            elif parent.status is JobStatus.FAILED:
                assert done == len(kids)
                assert any(status is not JobStatus.SUCCEEDED for status in kids)


def test_batch_machine(new_target: Callable[[], Path | str]) -> None:
    run_state_machine_as_test(
        on_engine(BatchMachine, new_target),
        settings=settings(max_examples=40, stateful_step_count=25, deadline=None),
    )
