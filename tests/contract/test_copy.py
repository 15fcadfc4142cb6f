"""Copying a SQLite queue into an empty database of each engine (``Queue.copy_to``,
``litequeue copy-to``): everything a user can read comes along, and work goes on."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import litequeue
from litequeue import Backoff, JobStatus
from litequeue.cli import main
from litequeue.testing import drain

NO_WAIT = Backoff(base=0, jitter=0)
AN_HOUR = Backoff(base=3600, max=3600, jitter=0)
#: The running job's lease: short, so that the copy takes it back soon.
LEASE = 0.5


def add_handlers(queue: litequeue.Queue, release: threading.Event) -> None:
    """``work`` succeeds, logging and reporting progress; ``flaky`` fails its first
    ``fail`` attempts, retried at once; ``later`` fails its first, retried in an hour;
    ``hold`` waits for ``release``."""

    @queue.handler("work", version="2")
    def work(ctx: litequeue.Context, payload: Any) -> Any:
        ctx.progress(50, "half way")
        ctx.log(f"working on {payload}")
        return {"done": payload}

    @queue.handler("flaky", backoff=NO_WAIT)
    def flaky(ctx: litequeue.Context, payload: Any) -> Any:
        if ctx.job.attempt <= payload["fail"]:
            raise ValueError(f"attempt {ctx.job.attempt} fails")
        return "recovered"

    @queue.handler("later", backoff=AN_HOUR)
    def later(ctx: litequeue.Context, payload: Any) -> Any:
        if ctx.job.attempt == 1:
            raise RuntimeError("not yet")
        return "later"

    @queue.handler("hold")
    def hold(ctx: litequeue.Context, payload: Any) -> Any:
        release.wait(20)
        return "held"


def fill(source: litequeue.Queue) -> None:
    """A queue with a row of every kind: settings, jobs in every state, batches, unique
    keys, tags, results, errors with tracebacks, retries, logs and progress."""
    source.set_queue("slow", limit=2)
    source.pause("paused")
    source.enqueue("work", "paused one", queue="paused")
    source.enqueue("work", "forced 1", queue="paused", unique_key="k-forced")
    source.enqueue("work", "forced 2", queue="paused", unique_key="k-forced", force=True)
    source.enqueue("work", {"n": 1}, tags=["project:1", "x"], priority=5, unique_key="k-done")
    source.enqueue("flaky", {"fail": 9}, max_attempts=2, tags=["project:1"])  # fails for good
    source.enqueue("flaky", {"fail": 1}, max_attempts=3, unique_key="k-retry")
    cancelled = source.enqueue("work", {"n": 2}, timeout=30)
    source.cancel(cancelled.id)
    source.batch([("work", {"n": 3}), ("work", {"n": 4})], tags=["batch"])
    source.enqueue_many([("work", {"n": n}) for n in range(5, 9)], queue="slow")
    source.enqueue("later", None, unique_key="k-active", tags=["x"])
    drain(source, queues=["default", "slow"])
    # What the drain left: a retry in an hour (it holds its key), and jobs to run.
    source.enqueue("work", {"n": 9}, delay=3600, tags=["project:1"])
    source.enqueue("work", {"n": 10}, run_at=datetime.now(UTC) - timedelta(seconds=1))


def everything_readable(queue: litequeue.Queue) -> dict[str, Any]:
    """All a user can read of a queue through the API."""
    jobs = queue.jobs(limit=10_000)
    return {
        "jobs": jobs,
        "got": [queue.get(job.id) for job in jobs],
        "events": list(queue.events(after=0)),
        "last_seq": queue.last_event_seq(),
        "queues": queue.queues(),
        "stats": queue.stats(),
        "stats_by_tag": queue.stats(tag="project:1"),
        "by_tag": [queue.jobs(tag=tag) for tag in ("project:1", "x", "batch")],
        "by_key": [
            queue.jobs(unique_key=key) for key in ("k-done", "k-retry", "k-active", "k-forced")
        ],
        "by_status": [queue.jobs(status=status) for status in JobStatus],
        "children": [queue.jobs(parent_id=job.id) for job in jobs],
        "key_states": queue.key_states(
            ["k-done", "k-retry", "k-active", "k-forced", "new"], kind="work"
        ),
        "job_events": [list(queue.events(after=0, job_id=job.id)) for job in jobs],
    }


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Lets the ``hold`` jobs end (at the latest when the test does)."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def source(tmp_path: Path, release: threading.Event) -> litequeue.Queue:
    queue = litequeue.Queue(tmp_path / "source.db", durability="normal")
    add_handlers(queue, release)
    fill(queue)
    return queue


def test_a_copy_reads_the_same_as_its_source_through_every_call(
    source: litequeue.Queue, db_path: Path
) -> None:
    counts = source.copy_to(db_path)
    with litequeue.Queue(db_path) as copy:
        assert everything_readable(copy) == everything_readable(source)
    statuses = {job.status for job in source.jobs(limit=100)}
    assert statuses == set(JobStatus) - {JobStatus.RUNNING}  # running: the next test
    assert counts == {
        "queues": len([q for q in source.queues() if q.limit or q.paused]),
        "jobs": len(source.jobs(limit=100)),
        "job_tags": sum(len(job.tags) for job in source.jobs(limit=100)),
        "job_dependencies": 0,
        "events": len(list(source.events(after=0))),
        "schedules": 0,
    }
    source.close()


def test_work_goes_on_in_the_copy_where_the_source_left_it(
    source: litequeue.Queue, db_path: Path, release: threading.Event
) -> None:
    holder = source.enqueue("hold", None, queue="held")
    source_worker = litequeue.Worker(source, queues=["held"], lease=LEASE, heartbeat=60)
    running = threading.Thread(target=source_worker.run)
    running.start()
    try:
        deadline = time.monotonic() + 10
        while source.get(holder.id).status is not JobStatus.RUNNING:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        last_seq = source.last_event_seq()  # the held job writes nothing meanwhile
        source.copy_to(db_path)
    finally:
        release.set()
        source_worker.stop()
        running.join(20)
    newest = max(job.id for job in source.jobs(limit=100))
    source.close()

    with litequeue.Queue(db_path) as copy:
        add_handlers(copy, release)
        copied = copy.get(holder.id)
        assert copy.last_event_seq() == last_seq
        assert (copied.status, copied.attempt) == (JobStatus.RUNNING, 1)
        # A unique key an active job holds is held in the copy too.
        (retrying,) = copy.jobs(unique_key="k-active")
        assert (retrying.status, retrying.attempt) == (JobStatus.QUEUED, 1)
        assert copy.enqueue("flaky", unique_key="k-active").id == retrying.id
        assert copy.enqueue("work", unique_key="k-forced").payload == "forced 2"  # the newest
        new = copy.enqueue("work", "after the copy", tags=["project:1"])
        assert new.id > newest
        assert [e.job_id for e in copy.events(after=last_seq)] == [new.id]
        # The attempt that was running when the copy was made is taken back when its
        # lease runs out, as a dead worker's would be.
        assert copied.lease_until is not None
        time.sleep(max(0.0, copied.lease_until.timestamp() - time.time()) + 0.05)
        copy.resume("paused")
        drain(copy, queues=["default", "slow", "paused", "held"])
        after = copy.get(holder.id)
        assert (after.status, after.attempt, after.result) == (JobStatus.SUCCEEDED, 2, "held")
        assert copy.get(new.id).result == {"done": "after the copy"}
        assert copy.get(retrying.id) == retrying  # its retry is an hour away
        due_later = copy.jobs(status="queued", kind="work")
        assert [job.payload for job in due_later] == [{"n": 9}]  # delayed by an hour
        succeeded = [job.payload for job in copy.jobs(status="succeeded", kind="work")]
        assert {"n": 10} in succeeded
        assert "paused one" in succeeded


def test_a_target_that_holds_a_queue_is_refused_and_left_as_it_was(
    source: litequeue.Queue, db_path: Path
) -> None:
    with litequeue.Queue(db_path) as target:
        target.set_queue("mine", limit=1)
        before = everything_readable(target)
        with pytest.raises(
            litequeue.TargetNotEmpty, match=r"\(1 queue settings\); copy into an empty database"
        ):
            source.copy_to(db_path)
        assert everything_readable(target) == before
    source.close()


def test_the_copy_command_prints_what_it_copied_and_refuses_a_second_copy(
    source: litequeue.Queue, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source.close()
    assert main(["--db", str(source.path), "--json", "copy-to", str(db_path)]) == 0
    counts = json.loads(capsys.readouterr().out)
    with litequeue.Queue(db_path) as copy:
        assert counts["jobs"] == len(copy.jobs(limit=100))
        assert counts["events"] == len(list(copy.events(after=0)))
    assert main(["--db", str(source.path), "copy-to", str(db_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("litequeue: error: ")
    assert "already holds a queue" in err
    assert "Traceback" not in err


def test_dependencies_limits_and_schedules_are_copied(tmp_path: Path, db_path: Path) -> None:
    with litequeue.Queue(tmp_path / "from.db") as source:
        source.set_queue("api", rate="5/s", per_key_limit=1)
        first = source.enqueue("a", queue="api", limit_key="k")
        second = source.enqueue("a", queue="api", depends_on=[first.id])
        source.schedule("nightly", "report", "0 2 * * *", timezone="Europe/Berlin")
        counts = source.copy_to(db_path)
        assert (counts["job_dependencies"], counts["schedules"]) == (1, 1)
        with litequeue.Queue(db_path) as copy:
            assert copy.get(second.id) == source.get(second.id)
            assert copy.get(first.id).limit_key == "k"
            assert copy.schedules() == source.schedules()
            assert [q for q in copy.queues() if q.name == "api"] == [
                q for q in source.queues() if q.name == "api"
            ]
