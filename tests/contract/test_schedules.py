"""Periodic jobs: each slot enqueued exactly once, however many schedulers run (and
when one is killed), catch-up as asked, time zones with their DST days."""

from __future__ import annotations

import collections
import itertools
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import litequeue
from litequeue import ConfigurationError, EventType, JobStatus, ScheduleNotFound
from litequeue.engines import scheduling
from procs import wait_for

PROCS = Path(__file__).parent.parent / "procs.py"
BERLIN = ZoneInfo("Europe/Berlin")


def _after(schedule: litequeue.Schedule, seconds: float) -> datetime:
    return schedule.next_slot + timedelta(seconds=seconds)


def test_a_schedule_is_stored_listed_paused_resumed_and_removed(queue: litequeue.Queue) -> None:
    made = queue.schedule("nightly", "report.build", "0 2 * * *", timezone="Europe/Berlin",
                          payload={"full": True})  # fmt: skip
    assert made.next_slot.astimezone(BERLIN).hour == 2
    assert made.next_slot > made.created_at
    assert queue.schedules() == [made]
    assert queue.pause_schedule("nightly").paused
    assert not queue.resume_schedule("nightly").paused
    again = queue.schedule("nightly", "report.build", "0 2 * * *", timezone="Europe/Berlin",
                           payload={"full": False})  # fmt: skip
    assert again.payload == {"full": False}
    assert again.created_at == made.created_at
    assert queue.unschedule("nightly").name == "nightly"
    assert queue.schedules() == []
    with pytest.raises(ScheduleNotFound, match="'nightly'"):
        queue.pause_schedule("nightly")


def test_bad_schedules_are_refused_by_name(queue: litequeue.Queue) -> None:
    with pytest.raises(ConfigurationError, match="bad cron expression '61 \\* \\* \\* \\*'"):
        queue.schedule("a", "k", "61 * * * *")
    with pytest.raises(ConfigurationError, match="unknown time zone 'Mars/Olympus'"):
        queue.schedule("a", "k", "* * * * *", timezone="Mars/Olympus")
    with pytest.raises(ConfigurationError, match="catch_up must be one of"):
        queue.schedule("a", "k", "* * * * *", catch_up="some")
    assert queue.schedules() == []


def test_a_slot_becomes_one_job_at_its_time_tagged_with_its_schedule(
    queue: litequeue.Queue,
) -> None:
    schedule = queue.schedule("tick", "tick", "*/5 * * * *", payload={"n": 1})
    assert queue.run_schedules(now=_after(schedule, -1)) == []  # not yet
    (job,) = queue.run_schedules(now=_after(schedule, 1))
    assert job.run_at == schedule.next_slot
    assert job.tags == ["schedule:tick"]
    assert job.payload == {"n": 1}
    assert queue.run_schedules(now=_after(schedule, 2)) == []  # that slot is done
    (event,) = [e for e in queue.events() if e.type is EventType.SCHEDULED]
    assert event.data == {"schedule": "tick", "slot": schedule.next_slot.isoformat()}
    assert queue.schedules()[0].last_slot == schedule.next_slot


@pytest.mark.parametrize(("catch_up", "made"), [("latest", 1), ("all", 13), ("none", 0)])
def test_slots_missed_while_no_scheduler_ran_are_caught_up_as_asked(
    queue: litequeue.Queue, catch_up: str, made: int
) -> None:
    schedule = queue.schedule("tick", "tick", "*/5 * * * *", catch_up=catch_up)
    jobs = queue.run_schedules(now=_after(schedule, 3600 + 120))  # the last 2 minutes late
    assert len(jobs) == made
    if catch_up == "latest":
        assert jobs[0].run_at == _after(schedule, 3600)
    assert queue.schedules()[0].next_slot == _after(schedule, 3900)


def test_a_slot_just_passed_is_not_missed_with_catch_up_none(queue: litequeue.Queue) -> None:
    schedule = queue.schedule("tick", "tick", "*/5 * * * *", catch_up="none")
    assert len(queue.run_schedules(now=_after(schedule, 30))) == 1


def test_a_paused_schedule_misses_its_slots_and_resumes_from_the_next(
    queue: litequeue.Queue,
) -> None:
    schedule = queue.schedule("tick", "tick", "* * * * *", catch_up="all")
    queue.pause_schedule("tick")
    assert queue.run_schedules(now=_after(schedule, 600)) == []
    resumed = queue.resume_schedule("tick")
    assert resumed.next_slot > datetime.now(UTC)


def test_dst_days_in_a_zone_follow_the_documented_rules() -> None:
    def berlin(*fields: int) -> float:
        return datetime(*fields, tzinfo=BERLIN).timestamp()

    def local(slot: float) -> str:
        return datetime.fromtimestamp(slot, BERLIN).strftime("%m-%d %H:%M %Z")

    # Spring forward (29 March 2026, 02:00 -> 03:00): 02:30 does not exist that day,
    # and runs at the first minute after the gap.
    assert local(scheduling.next_slot("30 2 * * *", "Europe/Berlin", berlin(2026, 3, 28, 12))) == (
        "03-29 03:00 CEST"
    )
    # Fall back (25 October 2026, 03:00 -> 02:00): 02:30 occurs twice and runs once,
    # at the first; the next slot is the next day's.
    first = scheduling.next_slot("30 2 * * *", "Europe/Berlin", berlin(2026, 10, 25, 0))
    assert local(first) == "10-25 02:30 CEST"
    assert local(scheduling.next_slot("30 2 * * *", "Europe/Berlin", first)) == "10-26 02:30 CET"
    # With a wildcard hour, slots follow real time: both passes of the doubled hour.
    slot, seen = berlin(2026, 10, 25, 1, 50), []
    for _ in range(4):
        slot = scheduling.next_slot("*/30 * * * *", "Europe/Berlin", slot)
        seen.append(local(slot))
    assert seen == ["10-25 02:00 CEST", "10-25 02:30 CEST", "10-25 02:00 CET", "10-25 02:30 CET"]


def test_a_scheduler_catching_up_over_dst_days_makes_each_slot_once(
    queue: litequeue.Queue,
) -> None:
    schedule = queue.schedule("daily", "tick", "30 2 * * *", timezone="Europe/Berlin",
                              catch_up="all")  # fmt: skip
    until = datetime(2027, 11, 2, tzinfo=UTC)
    jobs = []
    while made := queue.run_schedules(now=until):
        jobs += made
    locals_ = [job.run_at.astimezone(BERLIN) for job in jobs]
    assert len({job.run_at for job in jobs}) == len(jobs)
    assert {(t.month, t.day): t.strftime("%H:%M") for t in locals_}[3, 28] == "03:00"
    assert [t.strftime("%H:%M %Z") for t in locals_ if (t.month, t.day) == (10, 31)] == [
        "02:30 CEST"
    ]
    assert jobs[0].run_at == schedule.next_slot
    days = [t.date() for t in locals_]  # one slot a day, none skipped, to the last
    assert all((b - a).days == 1 for a, b in itertools.pairwise(days))
    assert days[-1] == datetime(2027, 11, 1).date()


@pytest.mark.slow
def test_four_scheduler_processes_make_each_slot_exactly_once_even_when_one_is_killed(
    tmp_path: Path, db_path: Path
) -> None:
    with litequeue.Queue(db_path) as q:
        schedule = q.schedule("minutely", "tick", "* * * * *", catch_up="all")
    start = schedule.next_slot.timestamp() - 30
    clock = ["--start", str(start), "--step", "7"]
    ready = tmp_path / "ready"
    # A fifth scheduler, with rounds enough to outlast the others, is killed in the
    # middle of them: most of a round is the write transaction that handles a slot.
    victim = subprocess.Popen(
        [sys.executable, str(PROCS), "schedules", str(db_path), *clock, "--count", "100000",
         "--ready", str(ready)]
    )  # fmt: skip
    runners = [
        subprocess.Popen(
            [sys.executable, str(PROCS), "schedules", str(db_path), *clock, "--count", "400"]
        )
        for _ in range(4)
    ]  # 46 minutes of slots
    try:
        wait_for(ready.exists, timeout=60)
        with litequeue.Queue(db_path) as q:
            wait_for(lambda: len(q.jobs(tag="schedule:minutely", limit=5)) >= 5, timeout=60)
        assert victim.poll() is None, "the fifth scheduler ended before it was killed"
        victim.send_signal(signal.SIGKILL)
        for runner in runners:
            assert runner.wait(120) == 0
    finally:
        for runner in [victim, *runners]:
            if runner.poll() is None:
                runner.kill()
            runner.wait()
    with litequeue.Queue(db_path) as q:
        jobs = q.jobs(tag="schedule:minutely", limit=100_000)
    slots = collections.Counter(job.run_at.timestamp() for job in jobs)
    assert set(slots.values()) == {1}  # no slot twice
    first, newest = schedule.next_slot.timestamp(), max(slots)
    assert newest >= first + 60 * ((start + 7 * 399 - first) // 60)  # the four's last slot
    assert sorted(slots) == [first + 60 * n for n in range(int((newest - first) // 60) + 1)]
    assert all(job.status is JobStatus.QUEUED for job in jobs)


class _NightlyPlugin:
    """A plugin that ships a schedule."""

    @litequeue.hookimpl
    def litequeue_register_schedules(self, schedule: Any) -> None:
        schedule("plugin-nightly", "report", "0 3 * * *", timezone="Europe/Berlin")


def test_a_plugin_adds_its_schedules_when_a_worker_starts(db_path: Path) -> None:
    with litequeue.Queue(db_path, plugins=[_NightlyPlugin()]) as q:
        assert q.schedules() == []  # opening a queue writes nothing
        litequeue.Worker(q).run(until_empty=True)
        (stored,) = q.schedules()
        assert (stored.name, stored.cron, stored.timezone) == (
            "plugin-nightly", "0 3 * * *", "Europe/Berlin",
        )  # fmt: skip
        litequeue.Worker(q, schedules=False).run(until_empty=True)
        assert q.schedules() == [stored]
