"""Periodic jobs, written once for every engine: which slots of a schedule are due and
which of them a scheduler enqueues.

A schedule's slots are the times its cron expression names in its time zone, after it
was created. The row keeps the next slot not yet handled (``next_slot``); a scheduler
that finds it passed, inside the write transaction that moves it on, enqueues what
``catch_up`` says, so each slot is handled exactly once however many schedulers run.
Cron times come from ``cronsim``, over aware datetimes of the IANA zone, with its DST
rules: a local time skipped by a spring-forward runs at the first minute after the
gap; a local time that occurs twice runs once, at its first occurrence, unless the
expression's hour is a wildcard (then the slots follow real time, in both passes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from .._records import NewJob, decode_json
from ..errors import ConfigurationError
from ..models import EventType, Job

if TYPE_CHECKING:
    from .base import Transaction

__all__ = [
    "CATCH_UP",
    "MISSED_AFTER",
    "DueSchedule",
    "check_cron",
    "fire",
    "next_slot",
    "zone",
]

#: What a scheduler does with slots that passed while none ran.
CATCH_UP = ("latest", "all", "none")
#: Seconds after which a slot that was not handled counts as missed (``catch_up``
#: decides), rather than as late by the scheduler's own pace.
MISSED_AFTER = 60.0
#: Most slots one round enqueues for a schedule with ``catch_up="all"``; the next
#: round goes on from there.
MOST_PER_ROUND = 1000
#: Passed slots counted one by one before looking only at the last day: a minutely
#: schedule that was down for weeks is not walked minute by minute.
_WALK = 10_000
#: Runs a scheduled job gets (``enqueue``'s default).
_MAX_ATTEMPTS = 3


class DueSchedule(NamedTuple):
    """A schedule whose next slot has passed, as a transaction reads it."""

    name: str
    kind: str
    cron: str
    payload: str
    timezone: str
    queue: str
    catch_up: str
    next_slot: float


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or ``ConfigurationError``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            f"unknown time zone {name!r} (an IANA name such as 'Europe/Berlin')"
        ) from exc


def check_cron(cron: str) -> str:
    """A cron expression ``cronsim`` reads (five fields), or ``ConfigurationError``."""
    if not isinstance(cron, str):
        raise ConfigurationError(f"cron must be a string such as '0 6 * * *', not {cron!r}")
    try:
        CronSim(cron, datetime.now(UTC))
    except CronSimError as exc:
        raise ConfigurationError(f"bad cron expression {cron!r}: {exc}") from exc
    return cron


def _slots(cron: str, timezone: str, after: float) -> Iterator[float]:
    """The schedule's slots strictly after ``after``, as POSIX seconds, increasing."""
    start = datetime.fromtimestamp(after, zone(timezone))
    last = after
    for moment in CronSim(cron, start):
        slot = moment.timestamp()
        if slot > last:  # a local time and its fold may name one instant twice
            last = slot
            yield slot


def next_slot(cron: str, timezone: str, after: float) -> float:
    """The first slot strictly after ``after``."""
    return next(_slots(cron, timezone, after))


def passed_slots(schedule: DueSchedule, now: float) -> tuple[list[float], float]:
    """The slots to enqueue now, and the next slot to wait for (after ``now``, or after
    the last one enqueued when ``catch_up="all"`` has more left)."""
    slots = [schedule.next_slot]
    walked = _slots(schedule.cron, schedule.timezone, schedule.next_slot)
    following = next(walked)
    while following <= now:
        if len(slots) >= _WALK and schedule.catch_up != "all":
            # Only the most recent matter: start again a day back.
            walked = _slots(schedule.cron, schedule.timezone, max(slots[-1], now - 86400.0))
            slots = [slots[-1]]
        elif len(slots) >= MOST_PER_ROUND and schedule.catch_up == "all":
            return slots, following
        slots.append(following)
        following = next(walked)
    if schedule.catch_up == "all":
        return slots, following
    latest = slots[-1]
    if schedule.catch_up == "latest" or now - latest <= MISSED_AFTER:
        return [latest], following
    return [], following


def fire(
    tx: Transaction,
    queues: Sequence[str],
    now: float,
    insert: Callable[[NewJob], Job],
) -> list[Job]:
    """Enqueue the due slots of the unpaused schedules of ``queues``, moving each
    schedule on in the same transaction (``tx``, an engine's ``Transaction``);
    ``insert`` inserts a job in it. Each job's ``run_at`` is its slot, its tag
    ``schedule:<name>``, and a ``scheduled`` event names the schedule and slot."""
    made = []
    for schedule in tx.due_schedules(queues, now):
        slots, following = passed_slots(schedule, now)
        tx.advance_schedule(schedule.name, following, slots[-1] if slots else None)
        for slot in slots:
            job = insert(
                NewJob(
                    kind=schedule.kind,
                    queue=schedule.queue,
                    payload=schedule.payload,
                    value=decode_json(schedule.payload),
                    priority=0,
                    run_at=slot,
                    max_attempts=_MAX_ATTEMPTS,
                    timeout=None,
                    unique_key=None,
                    force=False,
                    tags=(f"schedule:{schedule.name}",),
                    parent_id=None,
                )
            )
            at = datetime.fromtimestamp(slot, UTC).isoformat()
            tx.event(job.id, EventType.SCHEDULED, {"schedule": schedule.name, "slot": at})
            made.append(job)
    return made
