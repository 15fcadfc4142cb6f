"""Events after commit, isolated listeners, the durable log; plugins and their manager."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import litequeue
from litequeue import EventType
from litequeue._records import Written
from litequeue.hookspecs import wants
from litequeue.testing import EventRecorder, drain


def test_subscribers_hear_events_after_commit_and_can_unsubscribe(
    queue: litequeue.Queue, db_path: Path
) -> None:
    visible: list[bool] = []

    def check(event: litequeue.Event) -> None:
        # Another connection can already read what the event announces.
        with litequeue.Queue(db_path) as other:
            visible.append(other.get(event.job_id).status.value == event.type.value)

    unsubscribe = queue.subscribe(check)
    job = queue.enqueue("k", None)
    queue.cancel(job.id)
    unsubscribe()
    queue.enqueue("k", None)
    assert visible == [False, True]  # "enqueued" is not a status; "cancelled" is, and is read


def test_unsubscribing_stops_delivery_at_once_and_only_for_that_subscription(
    queue: litequeue.Queue,
) -> None:
    heard: list[str] = []
    again: list[int] = []

    def once(event: litequeue.Event) -> None:
        heard.append(event.type.value)
        unsubscribe_once()  # the rest of this commit's events are not for it

    unsubscribe_once = queue.subscribe(once)
    queue.enqueue_many([("k", 1), ("k", 2), ("k", 3)])
    assert heard == ["enqueued"]
    first = queue.subscribe(again.append)
    queue.subscribe(again.append)  # the same callback, subscribed a second time
    first()
    first()  # idempotent: the second subscription stays
    queue.enqueue("k", 4)
    assert len(again) == 1


def test_a_wants_predicate_that_raises_breaks_nothing(db_path: Path) -> None:
    """The commit stands and its caller hears of no error; the hook hears the events
    (rather than miss them unseen) and the failure is logged."""
    heard: list[str] = []

    def broken_predicate(type_: litequeue.EventType) -> bool:
        raise ZeroDivisionError("a bug in the plugin")

    class Picky:
        @litequeue.hookimpl
        @wants(broken_predicate)
        def litequeue_job_event(self, event: litequeue.Event) -> None:
            heard.append(event.type.value)

    with litequeue.Queue(db_path, plugins=[Picky()]) as queue:
        queue.handler("k")(lambda ctx, p: p)
        job = queue.enqueue("k", 1)
        assert drain(queue) == 1
        assert queue.get(job.id).status is litequeue.JobStatus.SUCCEEDED
    assert heard == ["enqueued", "started", "succeeded"]


def test_plugins_given_as_one_name_or_without_hooks(db_path: Path) -> None:
    with litequeue.Queue(db_path, plugins="plugins.register_square") as queue:
        assert "math.square" in queue.handlers
    for nothing in (42, object()):
        with pytest.raises(litequeue.ConfigurationError, match="implements none of"):
            litequeue.Queue(db_path, plugins=[nothing])


def test_a_failing_listener_is_logged_and_breaks_nothing(
    queue: litequeue.Queue, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[str] = []

    class Broken:
        @litequeue.hookimpl
        def litequeue_job_event(self, event: litequeue.Event) -> None:
            raise RuntimeError("listener bug")

    class Fine:
        @litequeue.hookimpl
        def litequeue_job_event(self, event: litequeue.Event) -> None:
            heard.append(f"hook {event.type.value}")

    queue.plugin_manager.register(Broken())
    queue.plugin_manager.register(Fine())
    queue.subscribe(lambda e: 1 / 0)
    queue.subscribe(lambda e: heard.append(f"callback {e.type.value}"))
    queue.handler("k")(lambda ctx, p: p)
    with caplog.at_level(logging.ERROR):
        job = queue.enqueue("k", 5)
        drain(queue)
    assert queue.get(job.id).result == 5
    assert heard.count("hook succeeded") == 1
    assert heard.count("callback succeeded") == 1
    assert "listener bug" in caplog.text
    assert "ZeroDivisionError" in caplog.text


def test_event_log_is_ordered_and_readable_from_a_sequence_number(
    queue: litequeue.Queue,
) -> None:
    queue.handler("k")(lambda ctx, p: p)
    with EventRecorder(queue) as recorder:
        queue.enqueue_many([("k", i) for i in range(3)])
        drain(queue)
    logged = list(queue.events())
    assert [e.seq for e in logged] == [e.seq for e in recorder.events]
    assert [e.seq for e in logged] == sorted(e.seq for e in logged)
    middle = logged[4].seq
    assert [e.seq for e in queue.events(after=middle)] == [e.seq for e in logged[5:]]
    assert list(queue.events(after=logged[-1].seq)) == []
    assert queue.last_event_seq() == logged[-1].seq
    job_events = list(queue.events(job_id=logged[0].job_id))
    assert [e.type for e in job_events] == [
        EventType.ENQUEUED,
        EventType.STARTED,
        EventType.SUCCEEDED,
    ]
    assert logged[0].to_dict()["type"] == "enqueued"


def test_events_without_follow_end_at_the_events_that_existed_when_asked(
    queue: litequeue.Queue,
) -> None:
    """More events than one read returns, and new ones written while reading: the
    reader still ends, at the newest event there was when it was asked."""
    queue.enqueue_many([("k", n) for n in range(1200)])
    newest = queue.last_event_seq()
    reader = queue.events(after=0)
    queue.enqueue("k", "after the call")
    seen = []
    for event in reader:
        seen.append(event.seq)
        queue.enqueue("k", "while reading")
    assert seen == list(range(1, newest + 1))
    assert queue.last_event_seq() == newest + 1 + len(seen)


def test_events_of_big_transactions_are_delivered_as_logged(queue: litequeue.Queue) -> None:
    # A claim of 99 jobs writes 99 "started" events at once, in statements of several
    # sizes; the events heard after commit are the rows in the file, one for one.
    queue.handler("k")(lambda ctx, p: p)
    with EventRecorder(queue) as recorder:
        queue.enqueue_many([("k", i) for i in range(99)])
        litequeue.Worker(queue, concurrency=99).run(until_empty=True)
    logged = list(queue.events())
    assert len(logged) == 3 * 99
    assert [e.to_dict() for e in recorder.events] == [e.to_dict() for e in logged]
    started = [e for e in logged if e.type is EventType.STARTED]
    assert sorted(e.job_id for e in started) == sorted({e.job_id for e in logged})
    assert all(e.data["attempt"] == 1 for e in started)


def test_each_event_has_its_own_data(queue: litequeue.Queue) -> None:
    # The events of one enqueue_many are written together; a listener that changes
    # one event's data changes no other event.
    heard: list[litequeue.Event] = []

    def scribble(event: litequeue.Event) -> None:
        event.data["seen"] = True
        heard.append(event)

    queue.subscribe(scribble)
    queue.enqueue_many([("k", i) for i in range(5)])
    assert len({id(event.data) for event in heard}) == 5
    assert [event.data for event in heard] == [{"kind": "k", "queue": "default", "seen": True}] * 5
    assert [event.data for event in queue.events()] == [{"kind": "k", "queue": "default"}] * 5


def test_follow_mode_blocks_for_new_events_from_another_connection(
    queue: litequeue.Queue, db_path: Path
) -> None:
    got: list[litequeue.Event] = []
    read_the_first = threading.Event()
    start = queue.last_event_seq()

    def follow() -> None:
        for event in queue.events(after=start, follow=True, timeout=30):
            got.append(event)
            read_the_first.set()
            if len(got) == 2:
                return

    with litequeue.Queue(db_path) as other:
        other.enqueue("k", 1)
        thread = threading.Thread(target=follow)
        thread.start()
        assert read_the_first.wait(30)
        other.enqueue("k", 2)  # committed while the follower waits for more
    thread.join(30)
    assert [(e.type, e.job_id) for e in got] == [(EventType.ENQUEUED, 1), (EventType.ENQUEUED, 2)]


def test_follow_mode_ends_after_its_timeout_of_silence(queue: litequeue.Queue) -> None:
    started = time.monotonic()
    assert list(queue.events(follow=True, timeout=0.2)) == []
    assert time.monotonic() - started < 2


def test_plugins_register_handlers_and_hear_events(db_path: Path) -> None:
    from plugins import register_square

    register_square.seen.clear()
    with litequeue.Queue(db_path, plugins=["plugins.register_square"]) as q:
        assert q.handlers["math.square"].version == "2"
        job = q.enqueue("math.square", {"n": 4})
        drain(q)
        assert q.get(job.id).result["value"] == 16
        assert q.get(job.id).handler_version == "2"
    assert [e.type.value for e in register_square.seen] == [
        "enqueued",
        "started",
        "progress",
        "succeeded",
    ]


def test_each_queue_owns_its_plugin_manager(tmp_path: Path) -> None:
    with (
        litequeue.Queue(tmp_path / "a.db", plugins=["plugins.register_square"]) as a,
        litequeue.Queue(tmp_path / "b.db") as b,
    ):
        assert "math.square" in a.handlers
        assert "math.square" not in b.handlers
        assert a.plugin_manager is not b.plugin_manager
        assert a.plugin_manager.has_plugin("litequeue.builtin")


def test_a_plugin_module_that_cannot_be_imported_is_a_clear_error(db_path: Path) -> None:
    with pytest.raises(
        litequeue.ConfigurationError, match=r"'no\.such\.module' cannot be imported"
    ):
        litequeue.Queue(db_path, plugins=["no.such.module"])
    assert not Path(db_path).exists()  # refused before a new file was made


def test_a_plugin_with_a_misspelled_hook_is_refused(db_path: Path) -> None:
    class Typo:
        @litequeue.hookimpl
        def litequeue_job_evnet(self, event: Any) -> None: ...

    with pytest.raises(litequeue.ConfigurationError, match="litequeue_job_evnet"):
        litequeue.Queue(db_path, plugins=[Typo()])


def test_a_plugin_module_that_fails_while_importing_is_a_clear_error(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "explodes_on_import.py").write_text("raise RuntimeError('boom at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        litequeue.ConfigurationError,
        match=r"'explodes_on_import' cannot be imported: RuntimeError: boom at import",
    ):
        litequeue.Queue(db_path, plugins=["explodes_on_import"])


def test_a_plugin_that_calls_register_wrongly_is_named(db_path: Path) -> None:
    class Wrong:
        @litequeue.hookimpl
        def litequeue_register_handlers(self, register: Any) -> None:
            register("k", lambda ctx, p: 1, bogus=True)

    with pytest.raises(litequeue.ConfigurationError, match=r"failed to register.*bogus"):
        litequeue.Queue(db_path, plugins=[Wrong()])
    assert litequeue.Queue(db_path).handlers == {}  # the failed open left nothing behind


def test_register_takes_the_same_arguments_as_handler(db_path: Path) -> None:
    def square(ctx: Any, payload: Any) -> Any:
        return payload * payload

    class Positional:
        @litequeue.hookimpl
        def litequeue_register_handlers(self, register: Any) -> None:
            register("sq", square, "2")
            register(kind="sq.kw", fn=square, version="3", max_attempts=5)

    with litequeue.Queue(db_path, plugins=[Positional()]) as q:
        assert (q.handlers["sq"].version, q.handlers["sq.kw"].version) == ("2", "3")
        assert q.handlers["sq.kw"].max_attempts == 5


class FakeEntryPoint:
    def __init__(self, name: str, value: str, target: object) -> None:
        self.name, self.value, self._target = name, value, target

    def load(self) -> object:
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def test_entry_points_load_unless_autoload_is_switched_off(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litequeue import _plugins
    from plugins import register_square

    points = [FakeEntryPoint("square", "plugins.register_square", register_square)]
    monkeypatch.setattr(_plugins.metadata, "entry_points", lambda group: points)
    monkeypatch.delenv("LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD")
    with litequeue.Queue(db_path) as q:
        assert "math.square" in q.handlers
    monkeypatch.setenv("LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD", "1")
    with litequeue.Queue(db_path) as q:
        assert "math.square" not in q.handlers
    with litequeue.Queue(db_path, autoload_plugins=True) as q:
        assert "math.square" in q.handlers


def test_a_broken_entry_point_names_itself(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from litequeue import _plugins

    points = [FakeEntryPoint("broken", "broken_pkg.plugin", ImportError("no module named x"))]
    monkeypatch.setattr(_plugins.metadata, "entry_points", lambda group: points)
    with pytest.raises(litequeue.ConfigurationError, match=r"plugin 'broken' .*no module named x"):
        litequeue.Queue(db_path, autoload_plugins=True)


def test_builtin_plugin_logs_failures_as_warnings(
    queue: litequeue.Queue, caplog: pytest.LogCaptureFixture
) -> None:
    queue.handler("bad")(lambda ctx, p: 1 / 0)
    with caplog.at_level(logging.DEBUG, logger="litequeue.jobs"):
        queue.enqueue("bad", None, max_attempts=1)
        drain(queue)
    failed = [r for r in caplog.records if "failed" in r.getMessage()]
    assert failed
    assert failed[0].levelno == logging.WARNING
    assert failed[0].job_id == 1  # type: ignore[attr-defined]


def test_workers_prune_old_events_but_keep_finished_jobs_by_default(db_path: Path) -> None:
    with litequeue.Queue(db_path, event_retention=0.05) as q:
        q.handler("k")(lambda ctx, p: p)
        done = q.enqueue("k", 1)
        drain(q)
        time.sleep(0.1)
        q.enqueue("k", 2, delay=3600)
        litequeue.Worker(q, prune_interval=60).run(until_empty=True)
        assert [e.type for e in q.events()] == [EventType.ENQUEUED]  # only the newest is left
        assert q.get(done.id).result == 1  # its job stays: no job_retention
    with litequeue.Queue(db_path, job_retention=0.0) as q:
        assert q.prune() == (1, 0)
        with pytest.raises(litequeue.JobNotFound):
            q.get(done.id)


class _FailuresOnly:
    """A plugin that asks, with ``wants``, for failure events alone."""

    def __init__(self) -> None:
        self.heard: list[EventType] = []

    @litequeue.hookimpl
    @wants(lambda type_: type_ is EventType.FAILED)
    def litequeue_job_event(self, event: litequeue.Event) -> None:
        self.heard.append(event.type)


def test_a_hook_marked_with_wants_hears_only_those_events(db_path: Path) -> None:
    failures = _FailuresOnly()
    with litequeue.Queue(db_path, plugins=[failures], autoload_plugins=False) as q:
        q.handler("ok")(lambda ctx, p: p)
        q.handler("bad")(lambda ctx, p: 1 / 0)
        with EventRecorder(q) as recorder:
            q.enqueue("ok", 1)
            q.enqueue("bad", 2, max_attempts=1)
            drain(q)
    assert failures.heard == [EventType.FAILED]
    assert len(recorder.events) == 6  # subscribers still hear every event


def test_events_nobody_wants_are_not_built(db_path: Path) -> None:
    failures = _FailuresOnly()
    with litequeue.Queue(db_path, plugins=[failures], autoload_plugins=False) as q:
        written = Written(
            [(1, 7, EventType.STARTED, {}), (2, 7, EventType.FAILED, {"attempt": 1})], time.time()
        )
        with logging_level(logging.WARNING):  # the built-in plugin logs failures only
            q.bus.committed(written, wake=False)
    assert failures.heard == [EventType.FAILED]
    assert list(written._built) == [1]


@contextlib.contextmanager
def logging_level(level: int) -> Iterator[None]:
    logger = logging.getLogger("litequeue.jobs")
    before = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)


def test_plugins_hear_of_jobs_deleted_or_pruned_after_their_commit(
    queue: litequeue.Queue, db_path: Path
) -> None:
    heard: list[tuple[list[int], list[int]]] = []  # (removed, still seen by others)

    class Cleaner:
        @litequeue.hookimpl
        def litequeue_jobs_removed(self, jobs: list[litequeue.Job]) -> None:
            ids = [job.id for job in jobs]
            with litequeue.Queue(db_path) as other:
                heard.append((ids, [job.id for job in other.jobs() if job.id in ids]))

    queue.plugin_manager.register(Cleaner())
    queue.handler("old")(lambda ctx, p: p)
    deleted = queue.enqueue("gone", 1)
    queue.cancel(deleted.id)
    pruned = queue.enqueue("old", 2)
    drain(queue)
    queue.enqueue("new", 3, delay=3600)  # the newest job always stays
    queue.delete(deleted.id)
    queue.prune(older_than=0)
    assert heard == [([deleted.id], []), ([pruned.id], [])]
