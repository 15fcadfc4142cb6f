"""The Queue API: enqueue, read, steer; what an application relies on."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import litequeue
from litequeue import ConfigurationError, EventType, JobStatus, KeyState
from litequeue._records import Claim, Outcome
from litequeue.testing import drain, run_once


def test_enqueue_returns_a_committed_job_visible_to_another_connection(
    queue: litequeue.Queue, db_path: Path
) -> None:
    job = queue.enqueue("mail.send", {"to": "a@example.com"}, tags=["project:1"], priority=5)
    assert job.status is JobStatus.QUEUED
    assert job.attempt == 0
    with litequeue.Queue(db_path) as other:
        seen = other.get(job.id)
    assert seen.payload == {"to": "a@example.com"}
    assert seen.tags == ["project:1"]
    assert seen.priority == 5
    assert seen.created_at.tzinfo is UTC
    assert seen.run_at <= datetime.now(UTC)


def test_job_fields_are_the_documented_ones(queue: litequeue.Queue) -> None:
    job = queue.enqueue("k", None)
    documented = [
        "id",
        "kind",
        "queue",
        "status",
        "payload",
        "result",
        "error",
        "priority",
        "run_at",
        "attempt",
        "max_attempts",
        "timeout",
        "progress",
        "progress_message",
        "parent_id",
        "unique_key",
        "tags",
        "created_at",
        "updated_at",
        "started_at",
        "finished_at",
    ]
    for name in documented:
        assert hasattr(job, name), name
    with pytest.raises(AttributeError):
        job.status = JobStatus.FAILED  # type: ignore[misc]


def _circular() -> list[object]:
    loop: list[object] = []
    loop.append(loop)
    return loop


@pytest.mark.parametrize(
    "payload",
    [object(), {1, 2}, b"bytes", float("nan"), {"when": datetime.now(UTC)}, _circular()],
    ids=["object", "set", "bytes", "nan", "datetime", "circular"],
)
def test_payload_that_is_not_json_is_refused_and_nothing_is_stored(
    queue: litequeue.Queue, payload: object
) -> None:
    with pytest.raises(litequeue.PayloadError, match="payload of a 'k' job"):
        queue.enqueue("k", payload)
    assert queue.jobs() == []


@pytest.mark.parametrize(
    "payload",
    [{1: "one"}, {"a": [{"1": 1, 1: 2}]}, ({True: "yes"},), {None: 0}],
    ids=["int", "both-1s", "bool-in-tuple", "none"],
)
def test_a_dict_key_that_is_not_a_string_is_refused_not_changed(
    queue: litequeue.Queue, payload: object
) -> None:
    """JSON would turn the key 1 into "1", and keep one value of {1: a, "1": b}."""
    with pytest.raises(litequeue.PayloadError, match="not a string"):
        queue.enqueue("k", payload)
    for items in (
        [("k", payload)],
        [("k", {"fine": 1}), ("k", payload)],
        [("k", 1), ("k", payload)],
    ):
        with pytest.raises(litequeue.PayloadError, match="not a string"):
            queue.enqueue_many(items)
    assert queue.jobs() == []
    tuples = ({"a": (1, 2)}, (3, [4]))  # come back as lists, which is JSON's way
    assert [job.payload for job in queue.enqueue_many([("k", t) for t in tuples])] == [
        {"a": [1, 2]},
        [3, [4]],
    ]
    assert queue.enqueue("k", tuples[1]).payload == [3, [4]]


def test_text_with_lone_surrogates_is_stored_and_comes_back(queue: litequeue.Queue) -> None:
    # os.fsdecode gives such text for a file name that is not UTF-8; UTF-8 (and so
    # SQLite) cannot hold it, JSON escapes can.
    name = os.fsdecode(b"cv-\xe9t\xe9.pdf")
    assert name == "cv-\udce9t\udce9.pdf"
    payloads = [{"path": name}, [name], name]
    jobs = [queue.enqueue("k", payloads[0])]
    jobs += queue.enqueue_many([("k", p) for p in payloads[:2]])  # objects and arrays
    jobs += queue.enqueue_many([("k", p) for p in payloads])  # and a string among them
    expected = [payloads[0], *payloads[:2], *payloads]
    assert [queue.get(job.id).payload for job in jobs] == expected
    assert [job.payload for job in jobs] == expected


@pytest.mark.parametrize("field", ["kind", "queue", "unique_key", "tags"])
def test_names_with_lone_surrogates_are_refused(queue: litequeue.Queue, field: str) -> None:
    bad = os.fsdecode(b"x\xff")
    arguments: dict[str, Any] = {"kind": "k", field: [bad] if field == "tags" else bad}
    with pytest.raises(litequeue.ConfigurationError, match="lone surrogate"):
        queue.enqueue(payload=None, **arguments)
    with pytest.raises(litequeue.ConfigurationError, match="lone surrogate"):
        queue.enqueue_many([arguments])
    assert queue.jobs() == []


def test_enqueue_many_is_all_or_nothing(queue: litequeue.Queue) -> None:
    with pytest.raises(litequeue.PayloadError, match="payload of a 'k' job"):
        queue.enqueue_many([("k", 1), ("k", object())])
    with pytest.raises(litequeue.PayloadError, match="payload of a 'k' job"):
        queue.enqueue_many([("k", {"a": 1}), ("k", [float("nan")]), ("k", {})])
    assert queue.jobs() == []
    jobs = queue.enqueue_many(
        [("k", 1), {"kind": "other", "payload": 2, "priority": 3, "tags": ["x"]}], queue="q"
    )
    assert [(j.kind, j.payload, j.queue, j.priority) for j in jobs] == [
        ("k", 1, "q", 0),
        ("other", 2, "q", 3),
    ]
    assert jobs[1].tags == ["x"]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([("k",)], "tuple or a dict"),
        ([{"payload": 1}], "needs a 'kind'"),
        ([{"kind": "k", "colour": "red"}], "unknown argument"),
    ],
)
def test_enqueue_many_names_a_bad_item(
    queue: litequeue.Queue, items: list[object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        queue.enqueue_many(items)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delay": -1}, "delay"),
        ({"delay": 1, "run_at": datetime.now(UTC)}, "not both"),
        ({"run_at": datetime(2030, 1, 1)}, "timezone-aware"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"priority": "high"}, "priority"),
        ({"queue": ""}, "queue name"),
        ({"timeout": "soon"}, "timeout"),
        ({"timeout": 0}, "timeout"),  # a job that could never succeed
        ({"tags": ["ok", ""]}, "tags"),
        ({"tags": None}, "tags"),
        # Beyond what SQLite or datetime can hold: refused before anything is written.
        ({"delay": float("inf")}, "delay"),
        ({"delay": 1e300}, "delay"),
        ({"delay": float("nan")}, "delay"),
        ({"priority": 2**63}, "priority"),
        ({"max_attempts": 2**63}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"parent_id": "1"}, "parent_id"),
    ],
)
def test_bad_enqueue_arguments_raise_configuration_errors(
    queue: litequeue.Queue, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        queue.enqueue("k", None, **kwargs)  # type: ignore[arg-type]
    assert queue.jobs() == []


def test_ids_no_job_can_have_are_not_found(queue: litequeue.Queue) -> None:
    for call in (queue.get, queue.cancel, queue.retry):
        with pytest.raises(litequeue.JobNotFound):
            call(2**64)
    with pytest.raises(litequeue.JobNotFound):
        queue.enqueue("k", None, parent_id=2**64)
    job = queue.enqueue("k", None)
    assert queue.jobs(before_id=2**64) == [job]
    assert queue.jobs(parent_id=-(2**64)) == []
    assert list(queue.events(job_id=2**64)) == []
    assert queue.jobs(limit=2**64) == [job]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda q: q.set_queue(""), "queue name"),
        (lambda q: q.set_queue(None), "queue name"),
        (lambda q: q.pause(5), "queue name"),
        (lambda q: q.set_queue("cv", limit=2**63), "limit"),
        (lambda q: q.set_queue("cv", limit=True), "limit"),
        (lambda q: q.set_queue("a\udcff"), "lone surrogate"),
    ],
)
def test_bad_queue_settings_raise_configuration_errors(
    queue: litequeue.Queue, call: Callable[[litequeue.Queue], Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        call(queue)
    assert queue.queues() == []


def test_delay_and_run_at_schedule_the_job(queue: litequeue.Queue) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    a = queue.enqueue("k", 1, run_at=later)
    b = queue.enqueue("k", 2, delay=timedelta(minutes=5))
    assert abs((a.run_at - later).total_seconds()) < 0.001
    assert b.run_at > datetime.now(UTC) + timedelta(minutes=4)
    queue.handler("k")(lambda ctx, p: p)
    assert drain(queue) == 0  # neither is due


def test_priority_then_age_decides_the_order(queue: litequeue.Queue) -> None:
    order: list[int] = []
    queue.handler("k")(lambda ctx, p: order.append(p))
    queue.enqueue_many([("k", 1), ("k", 2), {"kind": "k", "payload": 3, "priority": 10}])
    drain(queue)
    assert order == [3, 1, 2]


def test_unique_key_returns_the_active_job_unless_forced(queue: litequeue.Queue) -> None:
    first = queue.enqueue("k", 1, unique_key="file-abc")
    again = queue.enqueue("k", 2, unique_key="file-abc")
    assert again.id == first.id
    assert again.payload == 1
    forced = queue.enqueue("k", 3, unique_key="file-abc", force=True)
    assert forced.id != first.id
    queue.handler("k")(lambda ctx, p: p)
    drain(queue)
    after_done = queue.enqueue("k", 4, unique_key="file-abc")
    assert after_done.id not in (first.id, forced.id)


def test_a_key_handed_on_goes_back_to_the_newest_active_job_once_its_holder_ends(
    queue: litequeue.Queue,
) -> None:
    """A job put back (retried, or superseded with ``force``) while another job took its
    key holds the key again once that job has finished: an enqueue of the key returns
    it, and a batch given the key is refused, as the job is not a batch."""
    retried = queue.enqueue("k", "retried", unique_key="r")
    queue.cancel(retried.id)
    taker = queue.enqueue("k", "taker", unique_key="r")
    queue.retry(retried.id)  # back in the queue while ``taker`` holds the key
    assert queue.enqueue("k", None, unique_key="r").id == taker.id
    queue.cancel(taker.id)
    superseded = queue.enqueue("k", "superseded", unique_key="f")
    forced = queue.enqueue("k", "forced", unique_key="f", force=True)
    queue.cancel(forced.id)
    for key, holder in (("r", retried), ("f", superseded)):
        assert queue.enqueue("k", None, unique_key=key).id == holder.id
        assert queue.key_states([key], kind="k") == {key: KeyState.ACTIVE}
        with pytest.raises(litequeue.InvalidTransition, match=f"held by job {holder.id}"):
            queue.batch([("k", "child")], unique_key=key)
    assert len(queue.jobs(limit=100)) == 4  # nothing added


def test_a_batch_reopened_by_a_retried_child_shares_its_key_with_the_job_that_took_it(
    queue: litequeue.Queue,
) -> None:
    """A failed batch whose key another job took meanwhile waits again when one of its
    children is retried; that job keeps the key while it is active, then the batch
    holds it again."""

    @queue.handler("leaf", max_attempts=1)
    def leaf(ctx: litequeue.Context, payload: Any) -> None:
        if payload == "break":
            raise litequeue.Cancel("broken")

    parent, (child,) = queue.batch([("leaf", "break")], unique_key="b")
    drain(queue)
    assert queue.get(parent.id).status is JobStatus.FAILED
    taker = queue.enqueue("other", None, unique_key="b")
    queue.retry(child.id)
    assert queue.get(parent.id).status is JobStatus.RUNNING  # waits for its child again
    assert queue.enqueue("other", None, unique_key="b").id == taker.id
    queue.cancel(taker.id)
    again, _ = queue.batch([("leaf", "mend")], unique_key="b")
    assert again.id == parent.id
    drain(queue)
    assert queue.get(parent.id).status is JobStatus.FAILED  # the first child failed again


def test_key_states_tell_new_done_outdated_failed_and_active(db_path: Path) -> None:
    with litequeue.Queue(db_path) as q:
        q.handler("cv", version="1")(lambda ctx, p: "ok")
        q.enqueue("cv", 1, unique_key="done-v1")
        drain(q)
    with litequeue.Queue(db_path) as q:

        def flaky(ctx: litequeue.Context, payload: object) -> None:
            raise litequeue.Cancel("not a CV")

        q.handler("cv", version="2")(flaky)
        q.enqueue("cv", 2, unique_key="cancelled")
        drain(q)
        q.handler("cv2", version="2")(lambda ctx, p: 1)
        q.enqueue("cv", 3, unique_key="waiting")
        states = q.key_states(["done-v1", "cancelled", "waiting", "never"], kind="cv")
    assert states == {
        "done-v1": KeyState.OUTDATED,
        "cancelled": KeyState.FAILED,
        "waiting": KeyState.ACTIVE,
        "never": KeyState.NEW,
    }


def test_key_states_agree_with_enqueue_about_a_key_another_kind_holds(
    queue: litequeue.Queue,
) -> None:
    """Unique keys are shared by all kinds: a key an active job of another kind holds
    is ACTIVE, as enqueueing it would return that job."""
    thumb = queue.enqueue("thumb", None, unique_key="sha-1")
    assert queue.key_states(["sha-1"], kind="cv.extract") == {"sha-1": KeyState.ACTIVE}
    assert queue.enqueue("cv.extract", None, unique_key="sha-1").id == thumb.id
    queue.cancel(thumb.id)  # finished: what it did says nothing of cv.extract
    assert queue.key_states("sha-1", kind="cv.extract") == {"sha-1": KeyState.NEW}


def test_enqueue_many_applies_a_shared_parent_or_unique_key_to_every_item(
    queue: litequeue.Queue,
) -> None:
    parent, _ = queue.batch([("k", 0)])
    kids = queue.enqueue_many([("k", 1), ("k", 2), ("k", 3)], parent_id=parent.id)
    assert [queue.get(kid.id).parent_id for kid in kids] == [parent.id] * 3
    keyed = queue.enqueue_many([("k", 4), ("k", 5)], unique_key="K")
    assert keyed[0].id == keyed[1].id  # the second finds the key held by the first
    assert queue.get(keyed[0].id).unique_key == "K"
    with pytest.raises(litequeue.JobNotFound):
        queue.enqueue_many([("k", 6), ("k", 7)], parent_id=10**9)


def test_key_states_with_explicit_version(queue: litequeue.Queue) -> None:
    queue.handler("cv", version="7")(lambda ctx, p: 1)
    queue.enqueue("cv", 1, unique_key="a")
    drain(queue)
    assert queue.key_states(["a"], version="7") == {"a": KeyState.DONE}
    assert queue.key_states(["a"], version="8") == {"a": KeyState.OUTDATED}
    assert queue.get(queue.jobs()[0].id).handler_version == "7"


def test_jobs_filters_and_pages(queue: litequeue.Queue) -> None:
    ids = [queue.enqueue("k", i, tags=[f"project:{i % 2}"], queue=f"q{i % 3}").id for i in range(9)]
    assert [j.id for j in queue.jobs(tag="project:1")] == [i for i in reversed(ids) if (i - 1) % 2]
    assert {j.queue for j in queue.jobs(queue="q2")} == {"q2"}
    page = queue.jobs(limit=4)
    assert [j.id for j in page] == list(reversed(ids))[:4]
    rest = queue.jobs(before_id=page[-1].id)
    assert [j.id for j in rest] == list(reversed(ids))[4:]
    assert queue.jobs(status="succeeded") == []
    with pytest.raises(ValueError, match="'done'"):
        queue.jobs(status="done")


def test_stats_count_every_status_per_queue(queue: litequeue.Queue) -> None:
    queue.enqueue_many([("k", 1), ("k", 2)], queue="a", tags=["t"])
    queue.enqueue("k", 3, queue="b")
    cancelled = queue.enqueue("k", 4, queue="b")
    queue.cancel(cancelled.id)
    stats = queue.stats()
    assert stats["a"] == {"queued": 2, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 0}
    assert stats["b"]["queued"] == 1
    assert stats["b"]["cancelled"] == 1
    assert set(queue.stats(tag="t")) == {"a"}


def test_cancel_and_retry_follow_the_state_machine(queue: litequeue.Queue) -> None:
    job = queue.enqueue("k", 1)
    cancelled = queue.cancel(job.id)
    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.finished_at is not None
    with pytest.raises(litequeue.InvalidTransition, match=r"already finished \(cancelled\)"):
        queue.cancel(job.id)
    again = queue.retry(job.id)
    assert again.status is JobStatus.QUEUED
    assert again.attempt == 0
    assert again.finished_at is None
    with pytest.raises(litequeue.InvalidTransition, match="only failed or cancelled"):
        queue.retry(job.id)


def test_steering_many_jobs_does_each_as_its_single_action_and_skips_the_rest(
    queue: litequeue.Queue,
) -> None:
    jobs = queue.enqueue_many([("k", n) for n in range(5)])
    parent, children = queue.batch([("k", 1), ("k", 2)])
    queue.cancel(parent.id)
    queue.cancel(jobs[4].id)
    ids = [j.id for j in jobs]
    assert queue.steer_many("cancel", [*ids, 999], chunk=2) == (4, 2)  # done; cancelled, none
    assert {queue.get(i).status for i in ids} == {JobStatus.CANCELLED}
    assert queue.steer_many("retry", ids[:3]) == (3, 0)
    assert [queue.get(i).status for i in ids[:3]] == [JobStatus.QUEUED] * 3
    family = [parent.id, *(child.id for child in children)]
    assert queue.steer_many("delete", family) == (1, 2)  # the children went with it
    assert queue.jobs(parent_id=parent.id) == []
    with pytest.raises(ConfigurationError, match="action 'archive' is not one of retry"):
        queue.steer_many("archive", ids)


def test_unknown_job_ids_raise_job_not_found(queue: litequeue.Queue) -> None:
    for call in (queue.get, queue.cancel, queue.retry):
        with pytest.raises(litequeue.JobNotFound, match="no job with id 999") as info:
            call(999)
        assert isinstance(info.value, LookupError)


def test_queue_settings_are_stored_in_the_file(queue: litequeue.Queue, db_path: Path) -> None:
    queue.set_queue("cv", limit=1)
    queue.pause("cv")
    with litequeue.Queue(db_path) as other:
        info = {q.name: q for q in other.queues()}["cv"]
        assert (info.limit, info.paused) == (1, True)
        other.resume("cv")
        other.set_queue("cv", limit=None)
    info = {q.name: q for q in queue.queues()}["cv"]
    assert (info.limit, info.paused) == (None, False)
    with pytest.raises(ConfigurationError, match="limit"):
        queue.set_queue("cv", limit=-1)


def test_handler_registration_errors(queue: litequeue.Queue) -> None:
    queue.handler("k")(lambda ctx, p: 1)
    with pytest.raises(ConfigurationError, match="already has a handler"):
        queue.handler("k")(lambda ctx, p: 2)
    with pytest.raises(ConfigurationError, match="module-level function"):
        queue.handler("p", process=True)(lambda ctx, p: 1)
    with pytest.raises(ConfigurationError, match="needs process=True"):
        queue.handler("m", memory_limit=10**9)(lambda ctx, p: 1)
    with pytest.raises(ConfigurationError, match="max_attempts"):
        queue.handler("z", max_attempts=0)(lambda ctx, p: 1)
    with pytest.raises(ConfigurationError, match="max_attempts"):
        queue.handler("z", max_attempts="3")(lambda ctx, p: 1)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="backoff"):
        queue.handler("z", backoff=2.0)(lambda ctx, p: 1)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="backoff needs"):
        litequeue.Backoff(base="1")  # type: ignore[arg-type]
    assert "z" not in queue.handlers


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda q: q.jobs(status="bogus"), "unknown job status 'bogus'"),
        (lambda q: q.jobs(status=["queued", 5]), "unknown job status 5"),
        (lambda q: q.jobs(limit="10"), "limit must be"),
        (lambda q: q.jobs(queue=3), "queue must be a string"),
        (lambda q: q.jobs(tag="r\udce9sum\udce9"), "lone surrogate"),
        (lambda q: q.jobs(unique_key="\udcff"), "lone surrogate"),
        (lambda q: q.stats(tag="\udcff"), "lone surrogate"),
        (lambda q: q.key_states(["ok", "\udcff"]), "lone surrogate"),
        (lambda q: q.key_states(["ok"], kind="\udcff"), "lone surrogate"),
        (lambda q: q.jobs(before_id="9"), "before_id must be a job id"),
        (lambda q: q.events(after="0"), "after must be"),
        (lambda q: q.events(after=-1), "after must be"),
        (lambda q: q.events(job_id="1"), "job_id must be"),
        (lambda q: q.events(follow=True, timeout=-1), "timeout must be"),
    ],
)
def test_bad_read_arguments_raise_configuration_errors(
    queue: litequeue.Queue, call: Callable[[litequeue.Queue], Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        call(queue)


def test_a_negative_busy_timeout_is_refused(db_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="busy_timeout"):
        litequeue.Queue(db_path, busy_timeout=-1)


def test_handler_defaults_apply_to_enqueue(queue: litequeue.Queue) -> None:
    queue.handler("slow", max_attempts=7, timeout=timedelta(seconds=90))(lambda ctx, p: 1)
    job = queue.enqueue("slow", None)
    assert (job.max_attempts, job.timeout) == (7, 90.0)
    own = queue.enqueue("slow", None, max_attempts=2, timeout=5)
    assert (own.max_attempts, own.timeout) == (2, 5.0)
    assert queue.enqueue("elsewhere", None).max_attempts == 3


def test_a_handler_registered_after_jobs_of_its_kind_sets_the_later_ones(
    queue: litequeue.Queue,
) -> None:
    before = queue.enqueue("late", 1)
    queue.handler("late", max_attempts=7, timeout=90)(lambda ctx, p: 1)
    after = queue.enqueue("late", 2)
    assert (before.max_attempts, before.timeout) == (3, None)
    assert (after.max_attempts, after.timeout) == (7, 90.0)
    assert queue.get(after.id).max_attempts == 7


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"priority": False}, "priority"),
        ({"priority": 0.0}, "priority"),
        ({"tags": ""}, "each of tags"),
        ({"queue": ""}, "a queue name"),
        ({"queue": ["default"]}, "a queue name"),
    ],
)
def test_bad_enqueue_arguments_are_refused_after_good_ones(
    queue: litequeue.Queue, arguments: dict[str, Any], message: str
) -> None:
    queue.enqueue("k", 1)  # the same kind and queue, enqueued plainly before
    with pytest.raises(ConfigurationError, match=message):
        queue.enqueue("k", 2, **arguments)
    with pytest.raises(ConfigurationError, match="a job kind"):
        queue.enqueue(["k"], 3)  # type: ignore[arg-type]
    assert queue.stats()["default"]["queued"] == 1


def test_prune_removes_old_finished_jobs_and_events_but_keeps_the_newest_event(
    queue: litequeue.Queue,
) -> None:
    queue.handler("k")(lambda ctx, p: p)
    done = queue.enqueue("k", 1)
    drain(queue)
    waiting = queue.enqueue("k", 2, delay=3600)
    last = queue.last_event_seq()
    jobs, events = queue.prune(older_than=0)
    assert jobs == 1
    assert events == last - 1
    with pytest.raises(litequeue.JobNotFound):
        queue.get(done.id)
    assert queue.get(waiting.id).status is JobStatus.QUEUED
    assert [e.seq for e in queue.events()] == [last]
    # Numbering goes on from where it was, so followers never see a number twice.
    queue.enqueue("k", 3)
    assert queue.last_event_seq() == last + 1


def test_testing_helpers_take_one_queue_name_as_a_string(queue: litequeue.Queue) -> None:
    queue.handler("k")(lambda ctx, p: p)
    queue.enqueue("k", 1, queue="cv")
    queue.enqueue("k", 2, queue="cv")
    assert run_once(queue, queues="cv") == 1
    assert drain(queue, queues="cv") == 1  # once read as the queues "c" and "v"


def test_prune_keeps_the_newest_job_so_ids_are_never_given_out_twice(
    queue: litequeue.Queue,
) -> None:
    old = queue.enqueue("k", "old")
    queue.cancel(old.id)
    assert queue.prune(older_than=0)[0] == 0  # finished, but the newest: it stays
    new = queue.enqueue("k", "new")
    assert new.id > old.id
    assert queue.prune(older_than=0)[0] == 1
    newer = queue.enqueue("k", "newer")
    assert newer.id > new.id


@pytest.mark.parametrize("answers", [2, 15, 16, 100])
def test_a_late_answer_among_many_is_refused_and_the_others_recorded(
    queue: litequeue.Queue, answers: int
) -> None:
    # Many answers of a batch go to the file a few per statement: one refused among
    # them undoes the lot, which is then recorded one by one.
    queue.enqueue_many([("k", i) for i in range(answers)])
    claim = Claim(worker="w", queues=("default",), limit=answers, lease=60)
    claimed, _, _ = queue.store.claim(claim)
    late = claimed[answers // 2]
    outcomes = [
        Outcome(r.job_id, r.run_id + (r is late), "succeeded", f"{r.job_id}", attempt=r.attempt)
        for r in claimed
    ]
    accepted, written = queue.store.finish(outcomes)
    assert [o.job_id for o in accepted] == [r.job_id for r in claimed if r is not late]
    assert [e.job_id for e in written] == [o.job_id for o in accepted]
    jobs = {job.id: job for job in queue.jobs(limit=200)}
    assert jobs[late.job_id].status is JobStatus.RUNNING
    for outcome in accepted:
        assert jobs[outcome.job_id].status is JobStatus.SUCCEEDED
        assert jobs[outcome.job_id].result == outcome.job_id


@pytest.mark.parametrize("late_first", [False, True])
@pytest.mark.parametrize("attempt_known", [False, True])
def test_a_late_answer_recorded_with_the_current_one_is_still_refused(
    queue: litequeue.Queue, attempt_known: bool, late_first: bool
) -> None:
    # A worker records a batch of answers at once; one of them comes from an attempt
    # whose lease ran out, of a job another attempt now holds and answers too. With
    # the attempt numbers known, the store first tries plain updates by id, which
    # must be undone whole when one of them is refused.
    queue.enqueue("k", None)
    (dead,), _, _ = queue.store.claim(Claim(worker="a", queues=("default",), limit=1, lease=-1))
    (alive,), _, _ = queue.store.claim(Claim(worker="b", queues=("default",), limit=1, lease=60))
    assert alive.job_id == dead.job_id
    answers = [
        Outcome(
            job_id=r.job_id,
            run_id=r.run_id,
            status="succeeded",
            result=f'"{r.attempt}"',
            attempt=r.attempt if attempt_known else 0,
        )
        for r in ((dead, alive) if late_first else (alive, dead))
    ]
    accepted, _ = queue.store.finish(answers)
    assert [o.run_id for o in accepted] == [alive.run_id]
    assert queue.get(alive.job_id).result == "2"
    assert [(e.type, e.data) for e in queue.events(job_id=alive.job_id)][-1:] == [
        (EventType.SUCCEEDED, {"attempt": 2})
    ]


def test_answers_recorded_together_when_one_job_took_children_while_running(
    queue: litequeue.Queue,
) -> None:
    # Two answers in one transaction, attempts known; one job gained a child while it
    # ran, so it waits for it, and the other one succeeds.
    queue.enqueue_many([("k", 1), ("k", 2)])
    claimed, _, _ = queue.store.claim(Claim(worker="w", queues=("default",), limit=2, lease=60))
    fan, plain = claimed
    child = queue.enqueue("k", 3, parent_id=fan.job_id)
    answers = [Outcome(r.job_id, r.run_id, "succeeded", "null", attempt=r.attempt) for r in claimed]
    accepted, written = queue.store.finish(answers)
    assert accepted == answers
    assert [(e.job_id, e.type) for e in written] == [
        (fan.job_id, EventType.WAITING),
        (plain.job_id, EventType.SUCCEEDED),
    ]
    assert queue.get(fan.job_id).status is JobStatus.RUNNING
    assert queue.get(plain.job_id).status is JobStatus.SUCCEEDED
    assert queue.get(child.id).status is JobStatus.QUEUED


def test_queue_is_a_context_manager_and_close_is_idempotent(db_path: Path) -> None:
    with litequeue.Queue(db_path) as q:
        q.enqueue("k", 1)
    q.close()
    assert str(db_path) in repr(q)


def test_durability_must_be_known(db_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="durability"):
        litequeue.Queue(db_path, durability="paranoid")


# -- names are bounded, and fields describe the current run ---------------------------------


@pytest.mark.parametrize(
    ("make", "field", "limit"),
    [
        (lambda q, text: q.enqueue(text, None), "kind", 200),
        (lambda q, text: q.enqueue("k", None, queue=text), "queue name", 200),
        (lambda q, text: q.enqueue("k", None, tags=["ok", text]), "tags", 200),
        (lambda q, text: q.enqueue("k", None, unique_key=text), "unique_key", 1000),
        (lambda q, text: q.enqueue_many([{"kind": text}]), "kind", 200),
        (lambda q, text: q.set_queue(text, limit=1), "queue name", 200),
        (lambda q, text: q.handler("k", version=text)(lambda ctx, p: None), "version", 200),
        (lambda q, text: q.handler(text)(lambda ctx, p: None), "kind", 200),
        (lambda q, text: litequeue.Worker(q, name=text), "worker name", 200),
        (lambda q, text: litequeue.Worker(q, queues=[text]), "queues", 200),
    ],
)
def test_names_longer_than_their_limit_are_refused_naming_field_and_limit(
    queue: litequeue.Queue, make: Callable[[litequeue.Queue, str], Any], field: str, limit: int
) -> None:
    """Every listing prints these names: a 100,000-character one once made each line of
    ``litequeue jobs`` that long. The limit itself is accepted."""
    make(queue, "n" * limit)
    with pytest.raises(ConfigurationError, match=rf"{field}.* at most {limit} characters"):
        make(queue, "n" * (limit + 1))
    assert all(len(job.kind) <= 200 and len(job.queue) <= 200 for job in queue.jobs())


@pytest.mark.parametrize("text", ["two\nlines", "bell\x07", "\x1b[2Jclear", "c1\x9b"])
def test_names_with_control_characters_are_refused(queue: litequeue.Queue, text: str) -> None:
    for arguments in ({"kind": text}, {"queue": text}, {"tags": [text]}):
        with pytest.raises(ConfigurationError, match="control characters"):
            queue.enqueue(**{"kind": "k", "payload": None, **arguments})
    queue.enqueue("k", None, unique_key=text)  # a key is matched, never shown


def _fail_once_then(queue: litequeue.Queue, outcome: Callable[[], Any]) -> list[Any]:
    """A handler ``k`` that fails its first attempt (retried at once) and then does
    ``outcome``; returns what each attempt saw of its own job's error and progress."""
    seen: list[Any] = []

    @queue.handler("k", backoff=litequeue.Backoff(base=0))
    def handler(ctx: litequeue.Context, payload: Any) -> Any:
        job = queue.get(ctx.job.id)
        seen.append((job.error, job.progress, job.progress_message))
        if len(seen) == 1:
            ctx.progress(60, "half way")
            raise ValueError("first run broke")
        return outcome()

    return seen


def test_a_new_run_does_not_show_the_last_runs_error_or_progress(queue: litequeue.Queue) -> None:
    seen = _fail_once_then(queue, lambda: "ok")
    job = queue.enqueue("k", None, max_attempts=2)
    drain(queue)
    assert seen[1] == (None, 0.0, None)  # the second run started clean
    events = [e for e in queue.events(job_id=job.id) if e.type is EventType.RETRYING]
    assert "first run broke" in events[0].data["error"]  # the history stays in the log


def test_a_job_retried_by_hand_shows_nothing_of_its_earlier_runs(queue: litequeue.Queue) -> None:
    queue.handler("k")(lambda ctx, p: 1 / 0)
    job = queue.enqueue("k", None, max_attempts=1)
    drain(queue)
    assert queue.get(job.id).started_at is not None
    retried = queue.retry(job.id)
    for shown in (retried, queue.get(job.id)):
        assert shown.status is JobStatus.QUEUED
        assert (shown.error, shown.started_at, shown.finished_at) == (None, None, None)
        assert (shown.attempt, shown.progress, shown.progress_message) == (0, 0.0, None)
    cancelled = queue.cancel(job.id)  # it never ran since the retry
    assert (cancelled.error, cancelled.started_at) == (None, None)
    assert cancelled.finished_at is not None
    failed = [e for e in queue.events(job_id=job.id) if e.type is EventType.FAILED]
    assert "ZeroDivisionError" in failed[0].data["error"]


def test_a_job_cancelled_while_waiting_for_a_retry_does_not_show_that_error(
    queue: litequeue.Queue,
) -> None:
    queue.handler("k", backoff=litequeue.Backoff(base=3600))(lambda ctx, p: 1 / 0)
    job = queue.enqueue("k", None, max_attempts=2)
    drain(queue)
    waiting = queue.get(job.id)
    assert waiting.status is JobStatus.QUEUED
    assert waiting.error is not None  # why it waits: kept until the next run starts
    cancelled = queue.cancel(job.id)
    assert cancelled.error is None
    assert cancelled.started_at == waiting.started_at  # it did run once


def test_a_retrying_events_run_at_is_an_iso_8601_utc_time(queue: litequeue.Queue) -> None:
    queue.handler("k", backoff=litequeue.Backoff(base=600, jitter=0))(lambda ctx, p: 1 / 0)
    job = queue.enqueue("k", None, max_attempts=2)
    drain(queue)
    (event,) = [e for e in queue.events(job_id=job.id) if e.type is EventType.RETRYING]
    run_at = datetime.fromisoformat(event.data["run_at"])
    assert run_at.utcoffset() == timedelta(0)
    assert run_at == queue.get(job.id).run_at


# -- another application's database ----------------------------------------------------------


def _app_database(path: Path) -> bytes:
    """A SQLite file of some application's: a table of its own, rows in it."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)")
        conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.close()
    return path.read_bytes()


def test_another_applications_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    app = tmp_path / "app.db"
    before = _app_database(app)
    with pytest.raises(litequeue.ForeignDatabase, match=r"app\.db.* users\).*adopt=True"):
        litequeue.Queue(app)
    assert app.read_bytes() == before
    assert not Path(f"{app}-wal").exists()  # not even switched to WAL mode


def test_adopt_adds_the_queue_beside_the_applications_own_tables(tmp_path: Path) -> None:
    app = tmp_path / "app.db"
    _app_database(app)
    with litequeue.Queue(app, adopt=True) as queue:
        queue.enqueue("k", None)
    with litequeue.Queue(app) as queue:  # a queue file now: no need to say it again
        assert len(queue.jobs()) == 1
    with sqlite3.connect(app) as conn:
        assert conn.execute("SELECT name FROM users").fetchall() == [("ada",)]
    conn.close()


def test_delete_removes_a_job_its_children_and_their_events_leaving_one_deleted_event_each(
    queue: litequeue.Queue,
) -> None:
    queue.handler("k")(lambda ctx, p: p)
    kept = queue.enqueue("k", "kept", tags=["t"])
    parent, children = queue.batch([("k", 1), ("k", 2)], tags=["t"])
    drain(queue)
    before = queue.last_event_seq()
    removed = queue.delete(parent.id)
    assert [job.id for job in removed] == [parent.id, *(child.id for child in children)]
    assert removed[0].status is JobStatus.SUCCEEDED  # as they were
    for job in removed:
        with pytest.raises(litequeue.JobNotFound):
            queue.get(job.id)
    assert [job.id for job in queue.jobs(tag="t")] == [kept.id]
    events = list(queue.events())
    assert {e.job_id for e in events if e.type is not EventType.DELETED} == {kept.id}
    deleted = [e for e in events if e.seq > before]
    assert [(e.type, e.job_id) for e in deleted] == [(EventType.DELETED, j.id) for j in removed]
    with pytest.raises(litequeue.JobNotFound):
        queue.delete(parent.id)


def test_delete_refuses_a_running_job_and_a_child_of_an_unfinished_batch(
    queue: litequeue.Queue,
) -> None:
    queue.enqueue("k", "running")
    (running,), _, _ = queue.store.claim(Claim(worker="w", queues=("default",), limit=1, lease=60))
    with pytest.raises(litequeue.InvalidTransition, match="it is running"):
        queue.delete(running.job_id)
    _, (child, _) = queue.batch([("k", 1), ("k", 2)], queue="other")
    with pytest.raises(litequeue.InvalidTransition, match=r"delete job \d+ instead"):
        queue.delete(child.id)
    assert queue.get(running.job_id).status is JobStatus.RUNNING
    assert queue.get(child.id).status is JobStatus.QUEUED
