"""The store's job listing for the dashboard: every matching job once, in order, page
after page, whether filters are served by an index or checked over a bounded scan."""

from __future__ import annotations

from typing import Any

import pytest

import litequeue
from litequeue._records import JobFilter
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


@pytest.mark.parametrize("where", FILTERS, ids=str)
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("scan", [None, 7, 1000])
def test_pages_hold_every_matching_job_once_in_order(
    filled: litequeue.Queue, where: JobFilter, descending: bool, scan: int | None
) -> None:
    everything = filled.jobs(limit=1000)
    matching = [
        j
        for j in everything
        if (not where.statuses or j.status.value in where.statuses)
        and where.kind in (None, j.kind)
        and where.queue in (None, j.queue)
        and (where.tag is None or where.tag in j.tags)
        and (where.text is None or where.text.lower() in str(j.payload).lower())
    ]
    expected = sorted((j.id for j in matching), reverse=descending)
    got = every_page(filled, where, descending=descending, limit=4, scan=scan)
    assert got == expected


def test_a_scan_that_finds_less_than_a_page_says_where_the_next_page_reads_on(
    filled: litequeue.Queue,
) -> None:
    jobs, after = filled.store.list_jobs(JobFilter(text="needle"), limit=4, scan=10)
    assert [j.id for j in jobs] == [111]  # n = 110: the only needle in the newest ten
    assert after == 111
    jobs, after = filled.store.list_jobs(JobFilter(text="needle"), limit=4, scan=10, after=after)
    assert [j.id for j in jobs] == [], "ids 110..101 hold no needle"
    assert after == 101
