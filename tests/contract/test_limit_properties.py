"""Flow control as a property: under random settings, jobs and claims, a claim never
breaks a limit, and never leaves behind a job that the limits allowed."""

from __future__ import annotations

import collections
from collections.abc import Callable
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

import litequeue
from litequeue import JobStatus
from litequeue._records import Claim, Outcome
from strategies import on_engine, pick

KEYS = [None, "a", "b", "c"]


class LimitMachine(RuleBasedStateMachine):
    """One queue with random limits (a rate over an hour, so no window ends while the
    machine runs), jobs with random keys and priorities, claims of random sizes."""

    new_target: Callable[[], Path | str]  # set per engine by on_engine

    def __init__(self) -> None:
        super().__init__()
        self.queue = litequeue.Queue(self.new_target(), durability="normal")
        self.store = self.queue.store
        self.running: dict[int, int] = {}  # job id -> run id
        self.starts = 0

    def teardown(self) -> None:
        self.queue.close()

    @initialize(
        limit=st.none() | st.integers(1, 4),
        rate=st.none() | st.integers(1, 12),
        per_key_limit=st.none() | st.integers(1, 3),
        per_key_rate=st.none() | st.integers(1, 5),
    )
    def settings(
        self,
        limit: int | None,
        rate: int | None,
        per_key_limit: int | None,
        per_key_rate: int | None,
    ) -> None:
        self.info = self.queue.set_queue(
            "default",
            limit=limit,
            rate=None if rate is None else f"{rate}/h",
            per_key_limit=per_key_limit,
            per_key_rate=None if per_key_rate is None else f"{per_key_rate}/h",
        )
        self.rate, self.key_rate = rate, per_key_rate

    @rule(
        jobs=st.lists(st.tuples(st.sampled_from(KEYS), st.integers(0, 1)), min_size=1, max_size=5)
    )
    def enqueue(self, jobs: list[tuple[str | None, int]]) -> None:
        self.queue.enqueue_many(
            {"kind": "k", "limit_key": key, "priority": priority} for key, priority in jobs
        )

    @rule(key=st.sampled_from(KEYS[1:]), count=st.integers(15, 40))
    def enqueue_backlog(self, key: str, count: int) -> None:
        """A backlog of one key, longer than a claim looks at in claim order before it
        walks the keys instead."""
        self.queue.enqueue_many({"kind": "k", "limit_key": key} for _ in range(count))

    @rule(size=st.integers(1, 4))
    def claim(self, size: int) -> None:
        before = self.queue.jobs(status="queued", limit=10_000)
        claim = Claim(worker="w", queues=("default",), limit=size, lease=3600.0)
        claimed, _, _ = self.store.claim(claim)
        for running in claimed:
            self.running[running.job_id] = running.run_id
            self.starts += 1
        if self.info.per_key_limit == 1:
            # Each job of a key started first of its key's queued jobs, in claim order.
            for running in claimed:
                key = running.job.limit_key
                if key is not None:
                    first = min(
                        (j for j in before if j.limit_key == key),
                        key=lambda j: (-j.priority, j.run_at, j.id),
                    )
                    assert first.id == running.job_id
        if len(claimed) < size:
            self._nothing_left_allowed()

    @rule(data=st.data())
    def finish(self, data: st.DataObject) -> None:
        job_id = pick(data, sorted(self.running))
        if job_id is None:
            return
        run_id = self.running.pop(job_id)
        outcome = Outcome(job_id=job_id, run_id=run_id, status="succeeded", result="null")
        accepted, _ = self.store.finish([outcome])
        assert accepted == [outcome]

    def _nothing_left_allowed(self) -> None:
        """A claim that took fewer than asked left no job the limits allowed."""
        jobs = self.queue.jobs(limit=10_000)
        running = [j for j in jobs if j.status is JobStatus.RUNNING]
        queued = sorted(
            (j for j in jobs if j.status is JobStatus.QUEUED),
            key=lambda j: (-j.priority, j.run_at, j.id),
        )
        if not queued:
            return
        if self.info.limit is not None and len(running) >= self.info.limit:
            return
        if self.rate is not None and self.starts >= self.rate:
            return
        keyed = self.info.per_key_limit is not None or self.key_rate is not None
        seen_keys: set[str] = set()
        for job in queued:
            key = job.limit_key if keyed else None
            if key is None:
                raise AssertionError(f"job {job.id} (no key) was allowed and left queued")
            if key in seen_keys:
                continue  # behind the key's first job
            seen_keys.add(key)
            key_running = sum(1 for j in running if j.limit_key == key)
            key_starts = sum(j.attempt for j in jobs if j.limit_key == key)
            if self.info.per_key_limit is not None and key_running >= self.info.per_key_limit:
                continue
            if self.key_rate is not None and key_starts >= self.key_rate:
                continue
            raise AssertionError(f"job {job.id} (key {key}) was allowed and left queued")

    @invariant()
    def limits_hold(self) -> None:
        jobs = self.queue.jobs(limit=10_000)
        running = [j for j in jobs if j.status is JobStatus.RUNNING]
        if self.info.limit is not None:
            assert len(running) <= self.info.limit
        if self.rate is not None:
            assert self.starts <= self.rate
        by_key = collections.Counter(j.limit_key for j in running if j.limit_key)
        starts_by_key = collections.Counter()
        for job in jobs:
            if job.limit_key:
                starts_by_key[job.limit_key] += job.attempt
        if self.info.per_key_limit is not None:
            assert all(n <= self.info.per_key_limit for n in by_key.values())
        if self.key_rate is not None:
            assert all(n <= self.key_rate for n in starts_by_key.values())


def test_limit_machine(new_target: Callable[[], Path | str]) -> None:
    run_state_machine_as_test(
        on_engine(LimitMachine, new_target),
        settings=settings(max_examples=60, stateful_step_count=25, deadline=None),
    )
