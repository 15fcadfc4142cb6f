"""A worker runs the scheduler: a slot that has passed is enqueued and run by the
worker's own loop (the slot put in the past by hand, in the file; the schedules are
yearly, so that no real slot passes meanwhile)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

import litequeue


def _slot_passed(db: Path, name: str, seconds_ago: float) -> float:
    slot = time.time() - seconds_ago
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE schedules SET next_slot = ? WHERE name = ?", (slot, name))
    conn.close()
    return slot


def test_a_worker_enqueues_a_passed_slot_and_runs_its_job(tmp_path: Path) -> None:
    db = tmp_path / "queue.db"
    with litequeue.Queue(db) as q:
        ran = []
        q.handler("tick")(lambda ctx, payload: ran.append(ctx.job.run_at.timestamp()))
        q.schedule("tick", "tick", "0 0 1 1 *")
        slot = _slot_passed(db, "tick", 5)
        litequeue.Worker(q).run(until_empty=True)
        assert ran == [pytest.approx(slot, abs=1e-5)]
        assert q.schedules()[0].next_slot.timestamp() > time.time()


def test_a_worker_with_schedules_off_enqueues_nothing(tmp_path: Path) -> None:
    db = tmp_path / "queue.db"
    with litequeue.Queue(db) as q:
        q.handler("tick")(lambda ctx, payload: None)
        q.schedule("tick", "tick", "0 0 1 1 *")
        _slot_passed(db, "tick", 5)
        litequeue.Worker(q, schedules=False).run(until_empty=True)
        assert q.jobs() == []


def test_a_worker_serves_only_the_schedules_of_its_queues(tmp_path: Path) -> None:
    db = tmp_path / "queue.db"
    with litequeue.Queue(db) as q:
        q.handler("tick")(lambda ctx, payload: None)
        q.schedule("tick", "tick", "0 0 1 1 *", queue="elsewhere")
        _slot_passed(db, "tick", 5)
        litequeue.Worker(q).run(until_empty=True)
        assert q.jobs() == []
