"""A stateful model of batches and fan-out: handlers that enqueue children with
``parent_id=ctx.job.id`` and then return or raise, retries and cancels of any job of a
tree, prunes at any point, batch keys submitted again, children whose keys others hold."""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

import litequeue
from litequeue import EventType, Job, JobStatus
from litequeue._records import Claim
from litequeue.testing import drain, run_once
from strategies import on_engine, pick, small_prune_chunks

KEYS = [None, None, "K0", "K1", "K2"]
LEAF_MODES = ["ok", "ok", "fail", "cancel"]
FAN_MODES = [
    "return",
    "return",
    "raise",
    "retry_once",
    "raise_cancel",
    "cancel_self",
    "cancel_child",
]
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class _Fatal(Exception):
    retryable = False


def _typed(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a Queue method: only LitequeueError subclasses may escape."""
    try:
        return fn(*args, **kwargs)
    except litequeue.LitequeueError:
        raise
    except Exception as exc:  # pragma: no cover - a finding
        raise AssertionError(f"untyped {type(exc).__name__} escaped {fn.__name__}: {exc}") from exc


def _waiting(job: Job) -> bool:
    return job.status is JobStatus.RUNNING and job.lease_until is None


class FanOutMachine(RuleBasedStateMachine):
    new_target: Callable[[], Path | str]  # set per engine by on_engine

    def __init__(self) -> None:
        super().__init__()
        self.queue = litequeue.Queue(self.new_target(), durability="normal")
        self.restore_prune_chunks = small_prune_chunks(self.queue)
        self.names = itertools.count()
        self.mode: dict[int, str] = {}  # name -> behaviour (mutable)
        self.batches: set[int] = set()  # batch parent ids
        self.calls: dict[int, int] = {}  # job id -> handler calls
        self.started: dict[int, int] = {}  # job id -> started events heard
        self.last: dict[int, str] = {}  # job id -> how its last handler call ended
        self.violations: list[str] = []
        self.held_children = 0
        self.dead_starts: dict[int, int] = {}  # job id -> attempts claimed by dead workers
        self.seen: dict[int, tuple[str, Any]] = {}  # id -> (kind, payload) ever seen
        self.last_seq = 0
        self.known: set[int] = set()  # every id ever handed out
        self.queue.handler("leaf", max_attempts=1)(self._leaf)
        self.queue.handler("fan", max_attempts=2)(self._fan)
        self.unsubscribe = self.queue.subscribe(self._heard)

    def teardown(self) -> None:
        self.restore_prune_chunks()
        self.unsubscribe()
        self.queue.close()

    # -- handlers -------------------------------------------------------------------------

    def _heard(self, event: litequeue.Event) -> None:
        if event.type is EventType.STARTED:
            self.started[event.job_id] = self.started.get(event.job_id, 0) + 1

    def _enter(self, ctx: litequeue.Context) -> int:
        job_id = ctx.job.id
        self.calls[job_id] = self.calls.get(job_id, 0) + 1
        # An answer that was accepted is kept as the result (a returned answer may be
        # refused: its job cancelled meanwhile, or its lease gone).
        if self.queue.get(job_id).result is not None:
            self.violations.append(f"handler of job {job_id} ran again after it had returned")
        return job_id

    def _leaf(self, ctx: litequeue.Context, payload: Any) -> Any:
        job_id = self._enter(ctx)
        mode = self.mode[payload["n"]]
        self.last[job_id] = mode
        if mode == "fail":
            raise _Fatal("broken")
        if mode == "cancel":
            raise litequeue.Cancel("unwanted")
        return {"n": payload["n"]}

    def _fan(self, ctx: litequeue.Context, payload: Any) -> Any:
        job_id = self._enter(ctx)
        mode = self.mode[payload["n"]]
        made = []
        for name, key in payload["kids"]:
            try:
                kid = _typed(
                    self.queue.enqueue, "leaf", {"n": name}, parent_id=job_id, unique_key=key
                )
            except Exception as exc:
                self.violations.append(f"fan {job_id}: enqueue of a child raised {exc!r}")
                raise
            self.known.add(kid.id)
            if kid.parent_id == job_id:
                made.append(kid.id)
            else:
                self.held_children += 1  # (hypothesis.event works only in the test's thread)
        if mode == "raise":
            self.last[job_id] = "raise"
            raise _Fatal("fan broke after fanning out")
        if mode == "retry_once" and ctx.attempt == 1:
            self.last[job_id] = "retry"
            raise litequeue.Retry("again", delay=0)
        if mode == "raise_cancel":
            self.last[job_id] = "cancel"
            raise litequeue.Cancel("fan gave up")
        if mode == "cancel_self":
            self.last[job_id] = "self_cancel"
            self.queue.cancel(job_id)
            return {"n": payload["n"]}
        if mode == "cancel_child" and made:
            with contextlib.suppress(litequeue.InvalidTransition):  # it ran already
                self.queue.cancel(made[0])
        self.last[job_id] = "return"
        return {"n": payload["n"]}

    # -- helpers --------------------------------------------------------------------------

    def snap(self) -> dict[int, Job]:
        return {j.id: j for j in _typed(self.queue.jobs, limit=100_000)}

    @staticmethod
    def kids(snap: dict[int, Job], parent_id: int) -> list[Job]:
        return [j for j in snap.values() if j.parent_id == parent_id]

    def _leaf_item(self, key: str | None, mode: str) -> tuple[int, str | None]:
        name = next(self.names)
        self.mode[name] = mode
        return name, key

    def _holder(self, snap: dict[int, Job], key: str | None) -> Job | None:
        if key is None:
            return None
        held = [j for j in snap.values() if j.unique_key == key and j.status in ACTIVE]
        return max(held, key=lambda j: j.id) if held else None

    def _pick(self, data: st.DataObject, wanted: tuple[JobStatus, ...]) -> int | None:
        """Mostly a job in one of the ``wanted`` states, sometimes any id (pruned too)."""
        # Indexes, not sampled_from(ids): the draws keep their shape whatever the file
        # holds (parallel drains make it vary between replays).
        ids = sorted(j.id for j in _typed(self.queue.jobs, status=wanted, limit=100_000))
        wanted_one, index = data.draw(st.integers(0, 4)), data.draw(st.integers(0, 10**6))
        if ids and wanted_one:
            return ids[index % len(ids)]
        known = sorted(self.known)
        return known[index % len(known)] if known else None

    def _waits(self, job: Job) -> bool:
        """Docs: a batch parent, or a job whose handler returned, waits for its
        children on retry; others run their handler again."""
        return job.id in self.batches or job.result is not None

    # -- rules ----------------------------------------------------------------------------

    kid_specs = st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(LEAF_MODES)), max_size=3)

    @rule(
        items=st.lists(
            st.tuples(
                st.sampled_from(["leaf", "fan"]),
                st.sampled_from(KEYS),
                st.sampled_from(LEAF_MODES),
                st.sampled_from(FAN_MODES),
                st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(LEAF_MODES)), max_size=2),
            ),
            max_size=4,
        ),
        key=st.sampled_from(KEYS),
    )
    def make_batch(self, items: list[Any], key: str | None) -> None:
        before = self.snap()
        holder = self._holder(before, key)
        batch_items = []
        for kind, item_key, leaf_mode, fan_mode, fan_kids in items:
            name = next(self.names)
            if kind == "leaf":
                self.mode[name] = leaf_mode
                payload: Any = {"n": name}
            else:
                self.mode[name] = fan_mode
                payload = {"n": name, "kids": [self._leaf_item(k, m) for k, m in fan_kids]}
            batch_items.append({"kind": kind, "payload": payload, "unique_key": item_key})
        try:
            parent, children = _typed(self.queue.batch, batch_items, unique_key=key)
        except litequeue.InvalidTransition:
            assert holder is not None, ("batch refused though its key is free", key)
            assert holder.id not in self.batches, (
                "batch refused though a batch holds its key",
                key,
            )
            assert set(self.snap()) == set(before), "a refused batch left jobs behind"
            event("batch key held by a plain job: refused")
            return
        assert holder is None or holder.id in self.batches, (
            f"batch key {key!r} held by non-batch job {holder.id} was accepted",
        )
        if holder is not None:
            assert parent.id == holder.id, "a batch submitted again is the batch holding its key"
            event("batch submitted again")
        else:
            assert parent.id not in before
            self.batches.add(parent.id)
        self.known.add(parent.id)
        after = self.snap()
        made = [c for c in children if c.id not in before and c.id != parent.id]
        for child, item in zip(children, batch_items, strict=True):
            self.known.add(child.id)
            if child.id in before:
                assert item["unique_key"] is not None
                assert child.unique_key == item["unique_key"]
                assert after[child.id].parent_id == before[child.id].parent_id, (
                    "a held child moved to another batch"
                )
            elif child.id != parent.id:
                assert after[child.id].parent_id == parent.id
        now_parent = after[parent.id]
        if holder is None and not [c for c in made if c.parent_id == parent.id]:
            assert now_parent.status is JobStatus.SUCCEEDED, (
                "a batch that made no children finishes at once",
                now_parent,
            )
        if made:
            assert _waiting(now_parent), (
                "a batch (re)submitted with new children must wait for them",
                now_parent,
            )

    @rule(
        kids=kid_specs,
        mode=st.sampled_from(FAN_MODES),
        key=st.sampled_from(KEYS),
    )
    def enqueue_fan(self, kids: list[Any], mode: str, key: str | None) -> None:
        before = self.snap()
        name = next(self.names)
        self.mode[name] = mode
        payload = {"n": name, "kids": [self._leaf_item(k, m) for k, m in kids]}
        job = _typed(self.queue.enqueue, "fan", payload, unique_key=key)
        self.known.add(job.id)
        holder = self._holder(before, key)
        assert job.id == (holder.id if holder else job.id)
        if holder is None:
            assert job.id not in before

    @rule(mode=st.sampled_from(LEAF_MODES), key=st.sampled_from(KEYS), data=st.data())
    def enqueue_leaf(self, mode: str, key: str | None, data: st.DataObject) -> None:
        """A leaf, now and then as the child of any job (even a pruned one)."""
        before = self.snap()
        name = next(self.names)
        self.mode[name] = mode
        # Always the same draws: how many ids the handlers' fan-outs handed out depends
        # on how parallel drains interleaved.
        any_parent, parent = data.draw(st.booleans()), pick(data, sorted(self.known))
        parent_id = parent if any_parent else None
        holder = self._holder(before, key)
        try:
            job = _typed(
                self.queue.enqueue, "leaf", {"n": name}, unique_key=key, parent_id=parent_id
            )
        except litequeue.JobNotFound:
            assert holder is None
            assert parent_id not in before
            return
        except litequeue.InvalidTransition:
            assert holder is None
            assert before[parent_id].status.finished
            return
        self.known.add(job.id)
        if holder is not None:
            assert job.id == holder.id
        else:
            assert parent_id is None or (
                parent_id in before and not before[parent_id].status.finished
            )

    @rule(data=st.data(), leaf=st.sampled_from(LEAF_MODES), fan=st.sampled_from(FAN_MODES))
    def change_behaviour(self, data: st.DataObject, leaf: str, fan: str) -> None:
        name = pick(data, sorted(self.mode))
        if name is not None:
            self.mode[name] = fan if self.mode[name] in FAN_MODES else leaf

    @rule()
    def worker_dies(self) -> None:
        """A worker claims the best job and is killed at once (its lease already over):
        the next claim takes the job back, counting the attempt."""
        claimed, _, events = _typed(
            self.queue.store.claim,
            Claim(worker="doomed", queues=("default",), limit=1, lease=-1),
        )
        self.queue.bus.committed(events)  # as a worker does: listeners hear the starts
        for running in claimed:
            job_id = running.job.id
            self.dead_starts[job_id] = self.dead_starts.get(job_id, 0) + 1
            self.last[job_id] = "died"

    @rule()
    def step(self) -> None:
        _typed(run_once, self.queue)

    @rule()
    def full_drain_in_parallel(self) -> None:
        _typed(drain, self.queue, concurrency=3, max_jobs=2_000)
        self.check_after_drain()

    @rule()
    def full_drain(self) -> None:
        _typed(drain, self.queue, max_jobs=2_000)
        if self.held_children:
            event("a fan's child was held by another job")
        self.check_after_drain()

    @rule(data=st.data())
    def cancel_any(self, data: st.DataObject) -> None:
        job_id = self._pick(data, ACTIVE)
        if job_id is None:
            return
        before = self.snap()
        try:
            _typed(self.queue.cancel, job_id)
        except litequeue.JobNotFound:
            assert job_id not in before
            return
        except litequeue.InvalidTransition:
            assert before[job_id].status.finished, "cancel of an active job was refused"
            return
        assert not before[job_id].status.finished, "cancel of a finished job was accepted"
        after = self.snap()
        assert after[job_id].status is JobStatus.CANCELLED
        for kid in self.kids(before, job_id):
            if kid.status in ACTIVE:
                assert after[kid.id].status is JobStatus.CANCELLED, "an active child kept going"

    @rule(data=st.data())
    def retry_any(self, data: st.DataObject) -> None:
        job_id = self._pick(data, (JobStatus.FAILED, JobStatus.CANCELLED))
        if job_id is None:
            return
        before = self.snap()
        try:
            _typed(self.queue.retry, job_id)
        except litequeue.JobNotFound:
            assert job_id not in before, "JobNotFound for a job that exists"
            return
        except litequeue.InvalidTransition:
            assert before[job_id].status not in (JobStatus.FAILED, JobStatus.CANCELLED), (
                f"retry of a {before[job_id].status} job was refused"
            )
            return
        assert job_id in before
        assert before[job_id].status in (JobStatus.FAILED, JobStatus.CANCELLED), (
            f"retry of a {before[job_id].status} job was accepted"
        )
        after = self.snap()
        expected = self._expect_retry(before, job_id)
        event(
            f"retry: {before[job_id].kind} -> {after[job_id].status.value}, {len(expected)} moved"
        )
        for jid, status in expected.items():
            assert after[jid].status is status, (
                f"after retry({job_id}): job {jid} is {after[jid].status.value},"
                f" expected {status.value}",
                before[jid],
                after[jid],
            )
        for jid, job in before.items():
            if jid not in expected:
                assert after[jid].status is job.status, (
                    f"retry({job_id}) changed unrelated job {jid}",
                    job,
                    after[jid],
                )

    def _expect_retry(self, snap: dict[int, Job], job_id: int) -> dict[int, JobStatus]:
        out: dict[int, JobStatus] = {}

        def status(jid: int) -> JobStatus:
            return out.get(jid, snap[jid].status)

        def settle(jid: int) -> None:
            kids = self.kids(snap, jid)
            if not any(status(k.id) in ACTIVE for k in kids):
                ok = all(status(k.id) is JobStatus.SUCCEEDED for k in kids)
                out[jid] = JobStatus.SUCCEEDED if ok else JobStatus.FAILED

        def requeue(jid: int) -> None:
            # Docs: the failed and cancelled children go back too, whichever way the
            # job goes on (waiting for them, or running its handler again).
            waits = self._waits(snap[jid]) and bool(self.kids(snap, jid))
            out[jid] = JobStatus.RUNNING if waits else JobStatus.QUEUED
            for kid in self.kids(snap, jid):
                if kid.status in (JobStatus.FAILED, JobStatus.CANCELLED):
                    requeue(kid.id)
            if waits:
                settle(jid)

        def child_back(pid: int | None) -> None:
            if pid is None or pid not in snap:
                return
            if status(pid) is JobStatus.FAILED and self._waits(snap[pid]):
                out[pid] = JobStatus.RUNNING
                child_back(snap[pid].parent_id)

        requeue(job_id)
        child_back(snap[job_id].parent_id)
        return out

    @rule(older_than=st.sampled_from([0, 0, 1e-6, 0.005, 3600]))
    def prune(self, older_than: float) -> None:
        """Time advanced past every finish (so what goes does not hang on timing, which
        hypothesis needs), or a cutoff that keeps everything."""
        if older_than < 1:
            time.sleep(0.015)
        before = self.snap()
        called = time.time()
        _typed(self.queue.prune, older_than=older_than)
        after = self.snap()
        event(f"prune deleted {min(len(before) - len(after), 3)}+")
        if any(j.parent_id is not None and j.parent_id not in after for j in after.values()):
            event("orphan child after prune")
        cutoff = called - older_than
        assert _typed(self.queue.last_event_seq) == self.last_seq, "the newest event was pruned"
        if before:
            assert max(before) in after, "the newest job was pruned"
        for jid, job in before.items():
            if jid not in after:
                assert job.status.finished, f"active job {jid} was pruned"
                assert job.finished_at is not None
                assert job.finished_at.timestamp() < called
            parent = job.parent_id
            if parent in after and after[parent].status is not JobStatus.SUCCEEDED:
                assert jid in after, (
                    f"child {jid} of {after[parent].status.value} parent {parent} was pruned",
                    job,
                )
        # Everything prunable went (a cutoff of 0 and a short pause: all finished jobs).
        for jid, job in after.items():
            parent = job.parent_id
            if (
                job.status.finished
                and jid != max(after)
                and job.finished_at is not None
                and job.finished_at.timestamp() < cutoff - 0.001
                and (parent not in after or after[parent].status is JobStatus.SUCCEEDED)
            ):
                raise AssertionError(f"prune left prunable job {jid}: {job}")

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def no_violations_in_handlers(self) -> None:
        assert not self.violations, self.violations

    @invariant()
    def parents_follow_their_children(self) -> None:
        snap = self.snap()
        for job in snap.values():
            kids = self.kids(snap, job.id)
            if job.id in self.batches:
                assert job.status is not JobStatus.QUEUED, "a batch parent runs no handler"
            if job.status is JobStatus.RUNNING and job.lease_until is None:
                assert any(k.status in ACTIVE for k in kids), (
                    f"job {job.id} waits with no unfinished children",
                    job,
                    kids,
                )
                done = sum(k.status.finished for k in kids)
                assert abs(job.progress - 100 * done / len(kids)) < 1e-6, (
                    f"waiting job {job.id} shows progress {job.progress}, {done}/{len(kids)} done",
                    job,
                )
            if job.status is JobStatus.SUCCEEDED:
                assert all(k.status is JobStatus.SUCCEEDED for k in kids), (
                    f"job {job.id} succeeded though a child did not",
                    job,
                    kids,
                )
            if job.status is JobStatus.FAILED and self._waits(job) and kids:
                assert any(k.status is not JobStatus.SUCCEEDED for k in kids), (
                    f"job {job.id} failed though all its children succeeded",
                    job,
                    kids,
                )
                assert all(k.status.finished for k in kids)

    @invariant()
    def handler_calls_match_started_events(self) -> None:
        for jid, calls in self.calls.items():
            dead = self.dead_starts.get(jid, 0)
            assert self.started.get(jid, 0) == calls + dead, (jid, calls, dead, self.started)

    @invariant()
    def ids_and_sequence_numbers_are_never_reused(self) -> None:
        snap = self.snap()
        newest = max(self.seen, default=0)
        for jid, job in snap.items():
            if jid in self.seen:
                assert self.seen[jid] == (job.kind, job.payload), f"id {jid} was reused"
            else:
                assert jid > newest, f"new job {jid} took an id below {newest}"
                self.seen[jid] = (job.kind, job.payload)
        seq = _typed(self.queue.last_event_seq)
        assert seq >= self.last_seq, f"last event seq went back from {self.last_seq} to {seq}"
        self.last_seq = seq

    def check_after_drain(self) -> None:
        snap = self.snap()
        for job in snap.values():
            assert job.status.finished, (f"job {job.id} is {job.status.value} after a drain", job)
        for job in snap.values():
            if job.status is JobStatus.CANCELLED:
                continue
            kids = self.kids(snap, job.id)
            handler_ok = job.id in self.batches or self.last.get(job.id) == "return"
            if job.id not in self.batches:
                assert job.id in self.last, (f"job {job.id} ended without running", job)
            if job.kind == "leaf" and self.last.get(job.id) == "ok":
                handler_ok = True
            ok = handler_ok and all(k.status is JobStatus.SUCCEEDED for k in kids)
            want = JobStatus.SUCCEEDED if ok else JobStatus.FAILED
            assert job.status is want, (
                f"job {job.id} is {job.status.value}, expected {want.value}",
                job,
                self.last.get(job.id),
                kids,
            )


#: Examples per engine; more for a longer hunt: FANOUT_EXAMPLES=5000 pytest -o timeout=0 ...
#: (a PostgreSQL example costs about four SQLite ones: round trips to the server).
EXAMPLES = {"sqlite": 300, "postgres": 80}


# 300 examples take about 50 s on an idle 2-core machine and over 120 s (the suite's
# limit per test, meant for hangs) on a loaded one.
@pytest.mark.timeout(600)
def test_fan_out_machine(engine: str, new_target: Callable[[], Path | str]) -> None:
    examples = int(os.environ.get("FANOUT_EXAMPLES", EXAMPLES[engine]))
    run_state_machine_as_test(
        on_engine(FanOutMachine, new_target),
        settings=settings(max_examples=examples, stateful_step_count=40, deadline=None),
    )
