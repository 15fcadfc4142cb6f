"""The store's job listing for the dashboard: every matching job once, in order, page
after page, whether filters are served by an index or checked over a bounded scan."""

from __future__ import annotations

from typing import Any

import pytest

import litequeue
from litequeue._records import Claim, JobFilter
from litequeue.engines import listing
from litequeue.engines.listing import SORTS, Order, SortTooWide
from litequeue.models import Job
from litequeue.testing import drain


def every_page(queue: litequeue.Queue, where: JobFilter, **options: Any) -> list[int]:
    ids: list[int] = []
    after = None
    for _ in range(1000):
        jobs, after = queue.store.list_jobs(where, after=after, **options)
        ids.extend(j.id for j in jobs)
        if after is None:
            return ids
    raise AssertionError("the pages never end")


@pytest.fixture
def filled(queue: litequeue.Queue) -> litequeue.Queue:
    """120 jobs of three kinds in two queues, some tagged, a third failed."""
    queue.handler("bad", max_attempts=1)(lambda ctx, p: 1 / 0)
    queue.enqueue_many(
        {
            "kind": ("bad", "a", "b")[n % 3],
            "payload": {"n": n, "note": "needle" if n % 11 == 0 else "hay"},
            "queue": "q1" if n % 2 else "q2",
            "tags": ["t"] if n % 5 == 0 else [],
        }
        for n in range(120)
    )
    drain(queue, queues=["q1", "q2"])
    return queue


FILTERS = [
    JobFilter(),
    JobFilter(statuses=("failed",)),
    JobFilter(statuses=("queued", "failed")),
    JobFilter(kind="a"),
    JobFilter(queue="q1", text="NEEDLE"),
    JobFilter(statuses=("queued", "failed"), tag="t"),
    JobFilter(text="zzz"),
]


def matching(queue: litequeue.Queue, where: JobFilter) -> list[Job]:
    return [
        j
        for j in queue.jobs(limit=1000)
        if (not where.statuses or j.status.value in where.statuses)
        and where.kind in (None, j.kind)
        and where.queue in (None, j.queue)
        and (where.tag is None or where.tag in j.tags)
        and (where.text is None or where.text.lower() in str(j.payload).lower())
    ]


@pytest.mark.parametrize("where", FILTERS, ids=str)
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("scan", [None, 7, 1000])
def test_pages_hold_every_matching_job_once_in_order(
    filled: litequeue.Queue, where: JobFilter, descending: bool, scan: int | None
) -> None:
    expected = sorted((j.id for j in matching(filled, where)), reverse=descending)
    got = every_page(filled, where, order=Order(descending=descending), limit=4, scan=scan)
    assert got == expected


@pytest.fixture
def every_status(queue: litequeue.Queue) -> litequeue.Queue:
    """90 jobs, a run of each status among jobs of the others: queued, running,
    succeeded, failed and cancelled, each read through an index of its own (or, for
    succeeded, along the ids)."""
    queue.handler("ok")(lambda ctx, p: None)
    queue.handler("bad", max_attempts=1)(lambda ctx, p: 1 / 0)
    kinds = ("ok", "bad", "held", "later", "gone")
    jobs = queue.enqueue_many(
        {
            "kind": kinds[(n // 6) % 5],
            "payload": {"n": n},
            "queue": {"held": "hold", "later": "later"}.get(kinds[(n // 6) % 5], "default"),
            "priority": n % 4,
        }
        for n in range(90)
    )
    for job in jobs:
        if job.kind == "gone":
            queue.cancel(job.id)
    drain(queue)
    queue.store.claim(Claim(worker="w", queues=("hold",), limit=100, lease=600))
    return queue


STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


@pytest.mark.parametrize(
    "statuses", [(s,) for s in STATUSES] + [("succeeded", "running"), STATUSES], ids=str
)
@pytest.mark.parametrize("by", ["id", "priority"])
@pytest.mark.parametrize("scan", [None, 10])
def test_each_status_pages_through_its_own_index_or_along_the_ids(
    every_status: litequeue.Queue, statuses: tuple[str, ...], by: str, scan: int | None
) -> None:
    where = JobFilter(statuses=statuses)
    held = matching(every_status, where)
    assert {j.status.value for j in held} == set(statuses), "the fixture holds every status"
    for descending in (True, False):
        expected = sorted(held, key=lambda j: sort_key(j, by), reverse=descending)
        order = Order(by, descending=descending)
        got = every_page(every_status, where, order=order, limit=4, scan=scan)
        assert got == [j.id for j in expected]
    assert every_status.store.count_jobs(where) == len(held)


def sort_key(job: Job, by: str) -> tuple[float, int]:
    value = getattr(job, by)
    return (value.timestamp() if by in ("run_at", "updated_at") else value), job.id


@pytest.fixture
def varied(filled: litequeue.Queue) -> litequeue.Queue:
    """``filled``, with priorities, due times and attempts that repeat and differ."""
    filled.handler("flaky", max_attempts=3)(lambda ctx, p: 1 / 0)
    filled.enqueue_many(
        {
            "kind": "flaky" if n % 4 == 0 else "a",
            "payload": {"n": n},
            "queue": "q1",
            "priority": n % 3 - 1,
            "delay": 0 if n % 4 == 0 else (n % 5) * 100.0,
        }
        for n in range(40)
    )
    drain(filled, queues=["q1"])  # "a" has no handler: those stay queued
    return filled


@pytest.mark.parametrize("by", SORTS[1:])
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize(
    "where",
    [
        JobFilter(),
        JobFilter(statuses=("queued", "failed")),
        JobFilter(kind="a"),
        JobFilter(statuses=("queued",), kind="a"),
    ],
    ids=str,
)
def test_sorted_pages_hold_every_matching_job_once_in_the_columns_order(
    varied: litequeue.Queue, by: str, descending: bool, where: JobFilter
) -> None:
    expected = sorted(matching(varied, where), key=lambda j: sort_key(j, by), reverse=descending)
    got = every_page(varied, where, order=Order(by, descending=descending), limit=7, scan=5)
    assert got == [j.id for j in expected]


def test_a_scan_that_finds_less_than_a_page_says_where_the_next_page_reads_on(
    filled: litequeue.Queue,
) -> None:
    jobs, after = filled.store.list_jobs(JobFilter(text="needle"), limit=4, scan=10)
    assert [j.id for j in jobs] == [111]  # n = 110: the only needle in the newest ten
    assert after == (111, 111)
    jobs, after = filled.store.list_jobs(JobFilter(text="needle"), limit=4, scan=10, after=after)
    assert [j.id for j in jobs] == [], "ids 110..101 hold no needle"
    assert after == (101, 101)


def test_a_sort_no_index_serves_takes_statuses_that_hold_few_enough_jobs(
    queue: litequeue.Queue,
) -> None:
    queue.enqueue_many({"kind": "k", "payload": {"n": n}} for n in range(20_001))
    for where in (JobFilter(statuses=("queued",)), JobFilter()):
        with pytest.raises(SortTooWide, match=r"at most 20000 jobs \(these hold more\)"):
            queue.store.list_jobs(where, order=Order("attempt"))
    jobs, _ = queue.store.list_jobs(JobFilter(statuses=("failed",)), order=Order("attempt"))
    assert jobs == []


@pytest.mark.parametrize("by", ["priority", "run_at"])
def test_priority_and_due_time_sort_queued_jobs_at_any_count_and_others_where_few(
    queue: litequeue.Queue, by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queued jobs are sorted through an index on every engine; jobs of other
    statuses, where the engine's index holds only queued ones, up to the limit."""
    monkeypatch.setattr(listing, "UNINDEXED_SORT_MOST", 10)
    jobs = queue.enqueue_many(
        {"kind": "k", "payload": {"n": n}, "priority": n % 3} for n in range(23)
    )
    for job in jobs[:11]:
        queue.cancel(job.id)
    queued = JobFilter(statuses=("queued",))
    expected = sorted(jobs[11:], key=lambda j: sort_key(j, by), reverse=True)
    assert every_page(queue, queued, order=Order(by), limit=5) == [j.id for j in expected]
    mixed = JobFilter(statuses=("failed", "queued"))
    assert every_page(queue, mixed, order=Order(by), limit=5) == [j.id for j in expected]
    if queue.store._listing_sql().sorted_statuses is None:  # SQLite: every job indexed
        assert len(every_page(queue, JobFilter(), order=Order(by), limit=5)) == 23
        return
    for where in (JobFilter(), JobFilter(statuses=("cancelled",))):
        with pytest.raises(SortTooWide, match=f"by {by} sorts every matching job but queued"):
            queue.store.list_jobs(where, order=Order(by))
    queue.delete(jobs[0].id)  # ten cancelled jobs left: sorted beside the queued ones
    everything = sorted(jobs[1:], key=lambda j: sort_key(j, by), reverse=True)
    assert every_page(queue, JobFilter(), order=Order(by), limit=5) == [j.id for j in everything]


@pytest.mark.parametrize("by", ["priority", "run_at"])
def test_a_status_that_holds_many_jobs_sorts_the_same_along_the_columns_index(
    queue: litequeue.Queue, by: str
) -> None:
    jobs = queue.enqueue_many(
        {"kind": "k", "payload": {"n": n}, "priority": n % 7, "delay": (n % 5) * 60.0}
        for n in range(5100)
    )
    queue.cancel(jobs[3].id)
    where = JobFilter(statuses=("queued",))
    expected = sorted(jobs[:3] + jobs[4:], key=lambda j: sort_key(j, by), reverse=True)
    got = every_page(queue, where, order=Order(by), limit=500)
    assert got == [j.id for j in expected]
