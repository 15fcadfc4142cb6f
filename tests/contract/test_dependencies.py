"""Dependencies: a job waits for the jobs it depends on to succeed, and is cancelled,
naming the culprit, when one of them fails for good or is cancelled."""

from __future__ import annotations

import random
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import litequeue
from litequeue import EventType, InvalidTransition, JobNotFound, JobStatus
from litequeue.errors import ConfigurationError
from procs import read_record, start_worker, wait_for


def _graph_queue(path: Path | str, failing: set[int]) -> litequeue.Queue:
    """A queue whose ``node`` handler fails (for good) the nodes in ``failing``."""
    q = litequeue.Queue(path, durability="normal")

    @q.handler("node", max_attempts=1)
    def node(ctx: Any, payload: int) -> int:
        if payload in failing:
            raise ValueError(f"node {payload} fails")
        return payload

    return q


def _enqueue_graph(q: litequeue.Queue, edges: list[list[int]]) -> list[litequeue.Job]:
    """Node ``i`` depends on the nodes in ``edges[i]`` (all before it), by ref."""
    return q.enqueue_many(
        {"kind": "node", "payload": i, "ref": f"n{i}", "depends_on": [f"n{d}" for d in deps]}
        for i, deps in enumerate(edges)
    )


def _check_graph_ran(q: litequeue.Queue, jobs: list[litequeue.Job], edges: list[list[int]],
                     failing: set[int]) -> None:  # fmt: skip
    """Every node ended as the rules say, and started only after its dependencies
    succeeded."""
    ids = [job.id for job in jobs]
    seq: dict[tuple[int, EventType], int] = {}
    for event in q.events():
        seq.setdefault((event.job_id, event.type), event.seq)
    expected: list[JobStatus] = []
    for i, deps in enumerate(edges):
        if any(expected[d] is not JobStatus.SUCCEEDED for d in deps):
            expected.append(JobStatus.CANCELLED)
        else:
            expected.append(JobStatus.FAILED if i in failing else JobStatus.SUCCEEDED)
    for i, deps in enumerate(edges):
        job = q.get(ids[i])
        assert job.status is expected[i], (i, deps, job)
        if expected[i] is JobStatus.CANCELLED:
            assert job.error is not None
            assert job.error.type == "DependencyFailed"
            culprit = int(job.error.message.split()[1].rstrip(","))
            assert culprit in [ids[d] for d in deps]
            assert q.get(culprit).status in (JobStatus.FAILED, JobStatus.CANCELLED)
            assert (job.id, EventType.STARTED) not in seq
        else:
            started = seq[job.id, EventType.STARTED]
            assert all(seq[ids[d], EventType.SUCCEEDED] < started for d in deps)


def test_a_job_waits_until_its_dependency_succeeded(queue: litequeue.Queue) -> None:
    first = queue.enqueue("a")
    second = queue.enqueue("b", depends_on=[first.id])
    assert second.depends_on == [first.id]
    assert second.dependencies_left == 1
    worker = litequeue.Worker(queue, any_kind=True)
    queue.handler("a")(lambda ctx, p: None)
    queue.handler("b")(lambda ctx, p: None)
    assert worker.run_once() == 1  # only the first: the second waits for it
    assert queue.get(second.id).dependencies_left == 0
    assert worker.run_once() == 1
    assert queue.get(second.id).status is JobStatus.SUCCEEDED


def test_a_failure_cancels_the_dependants_in_turn_naming_the_culprit(
    queue: litequeue.Queue,
) -> None:
    bad = queue.enqueue("bad", max_attempts=1)
    child = queue.enqueue("ok", depends_on=[bad.id])
    grandchild = queue.enqueue("ok", depends_on=[child.id])

    @queue.handler("bad")
    def fail(ctx: Any, payload: Any) -> None:
        raise ValueError("broken")

    litequeue.Worker(queue).run(until_empty=True)
    first, second = queue.get(child.id), queue.get(grandchild.id)
    assert first.status is JobStatus.CANCELLED
    assert second.status is JobStatus.CANCELLED
    assert first.error == litequeue.ErrorInfo(
        type="DependencyFailed", message=f"job {bad.id}, which it depends on, failed"
    )
    assert second.error is not None
    assert f"job {child.id}, which it depends on, was cancelled" in second.error.message
    cancelled = [e for e in queue.events() if e.type is EventType.CANCELLED]
    assert [(e.job_id, e.data["by"], e.data["dependency"]) for e in cancelled] == [
        (child.id, "dependency", bad.id),
        (grandchild.id, "dependency", child.id),
    ]


def test_cancelling_a_dependency_cancels_its_dependants(queue: litequeue.Queue) -> None:
    first = queue.enqueue("a")
    second = queue.enqueue("a", depends_on=[first.id])
    queue.cancel(first.id)
    assert queue.get(second.id).status is JobStatus.CANCELLED


def test_a_dependency_that_already_failed_cancels_the_new_job_at_once(
    queue: litequeue.Queue,
) -> None:
    first = queue.enqueue("a")
    queue.cancel(first.id)
    late = queue.enqueue("a", depends_on=[first.id])
    assert late.status is JobStatus.CANCELLED
    assert late.error is not None
    assert str(first.id) in late.error.message


def test_a_dependency_that_already_succeeded_does_not_hold_the_job(
    queue: litequeue.Queue,
) -> None:
    queue.handler("a")(lambda ctx, p: None)
    first = queue.enqueue("a")
    litequeue.Worker(queue).run(until_empty=True)
    later = queue.enqueue("a", depends_on=[first.id])
    assert later.dependencies_left == 0
    litequeue.Worker(queue).run(until_empty=True)
    assert queue.get(later.id).status is JobStatus.SUCCEEDED


def test_deleting_a_dependency_cancels_its_dependants(queue: litequeue.Queue) -> None:
    first = queue.enqueue("a")
    second = queue.enqueue("a", depends_on=[first.id])
    queue.delete(first.id)
    second_now = queue.get(second.id)
    assert second_now.status is JobStatus.CANCELLED
    assert second_now.error is not None
    assert "was deleted" in second_now.error.message


def test_retrying_a_dependant_of_a_failed_job_is_refused_until_that_job_is_retried(
    queue: litequeue.Queue,
) -> None:
    first = queue.enqueue("a")
    second = queue.enqueue("a", depends_on=[first.id])
    queue.cancel(first.id)
    with pytest.raises(InvalidTransition, match=f"retry job {first.id} first"):
        queue.retry(second.id)
    queue.retry(first.id)
    again = queue.retry(second.id)
    assert again.status is JobStatus.QUEUED
    assert again.dependencies_left == 1


def test_bad_dependencies_are_refused_by_name(queue: litequeue.Queue) -> None:
    with pytest.raises(JobNotFound):
        queue.enqueue("a", depends_on=[12345])
    with pytest.raises(ConfigurationError, match="enqueue takes job ids"):
        queue.enqueue("a", depends_on=["first"])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match="no earlier item"):
        queue.enqueue_many([{"kind": "a", "depends_on": ["later"]}, {"kind": "a", "ref": "later"}])
    with pytest.raises(ConfigurationError, match="two items"):
        queue.enqueue_many([{"kind": "a", "ref": "x"}, {"kind": "a", "ref": "x"}])
    assert queue.jobs() == []  # all or none


def test_a_graph_of_a_thousand_jobs_runs_in_order_with_failures_cascading(
    tmp_path: Path, db_path: Path
) -> None:
    rng = random.Random(17)
    edges = [rng.sample(range(i), min(i, rng.randint(0, 3))) for i in range(1000)]
    failing = set(rng.sample(range(1000), 20))
    q = _graph_queue(db_path, failing)
    try:
        jobs = _enqueue_graph(q, edges)
        litequeue.Worker(q, concurrency=4).run(until_empty=True)
        _check_graph_ran(q, jobs, edges, failing)
        assert q.stats()["default"]["queued"] == 0
    finally:
        q.close()


@pytest.mark.slow
def test_a_graph_of_a_thousand_jobs_runs_in_order_across_four_worker_processes(
    tmp_path: Path, db_path: Path
) -> None:
    rng = random.Random(23)
    edges = [rng.sample(range(i), min(i, rng.randint(0, 3))) for i in range(1000)]
    failing = set(rng.sample(range(1000), 20))
    record = tmp_path / "record"
    litequeue.Queue(db_path).close()
    readies = [tmp_path / f"ready-{n}" for n in range(4)]
    workers = [
        start_worker(db_path, record, "--concurrency", "2", "--ready", str(ready))
        for ready in readies
    ]
    try:
        wait_for(lambda: all(ready.exists() for ready in readies), timeout=60)
        with litequeue.Queue(db_path) as q:
            jobs = q.enqueue_many(
                {
                    "kind": "record",
                    "payload": {"fail": i in failing},
                    "max_attempts": 1,
                    "ref": f"n{i}",
                    "depends_on": [f"n{d}" for d in deps],
                }
                for i, deps in enumerate(edges)
            )
            counts = q.stats
            wait_for(lambda: counts()["default"]["queued"] + counts()["default"]["running"] == 0,
                     timeout=180)  # fmt: skip
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                assert worker.wait(60) == 0
            _check_graph_ran(q, jobs, edges, failing)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert len({pid for *_, pid, _ in read_record(record)}) > 1  # the work was shared


@settings(
    max_examples=40,
    deadline=None,
    # new_target gives each example a queue of its own
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), concurrency=st.sampled_from([1, 3]))
def test_random_graphs_run_in_a_valid_order(
    new_target: Callable[[], Path | str], data: st.DataObject, concurrency: int
) -> None:
    size = data.draw(st.integers(1, 25))
    edges = [
        sorted(data.draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else []
        for i in range(size)
    ]
    failing = data.draw(st.sets(st.integers(0, size - 1), max_size=size // 3))
    q = _graph_queue(new_target(), failing)
    try:
        jobs = _enqueue_graph(q, edges)
        litequeue.Worker(q, concurrency=concurrency).run(until_empty=True)
        _check_graph_ran(q, jobs, edges, failing)
    finally:
        q.close()


def test_deleting_a_dependency_that_succeeded_leaves_its_dependants_be(
    queue: litequeue.Queue,
) -> None:
    queue.handler("a")(lambda ctx, p: None)
    first = queue.enqueue("a")
    second = queue.enqueue("a", depends_on=[first.id], delay=3600)
    litequeue.Worker(queue).run(until_empty=True)
    queue.delete(first.id)
    later = queue.get(second.id)
    assert later.status is JobStatus.QUEUED
    assert later.dependencies_left == 0
