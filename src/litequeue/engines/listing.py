"""The dashboard's job listing, written once over an engine's two reads: one page of
a filter (past an id, within a bound) and the range of job ids.

Several statuses are read one by one and merged: each is an index seek on
(status, id), where ``status IN (...)`` would sort every matching job. A filter no
index serves (queue, kind, tag, text) is checked over a window of at most ``scan``
ids a page: a page found short there ends where the window does, and the next page
reads on from there, so no page reads the whole table.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from .._records import JobFilter
from ..models import Job

__all__ = ["PageReader", "list_jobs"]

#: One engine read: the jobs matching a filter of at most one status, by id (newest
#: first if ``descending``), past the id ``after``, not beyond the id ``bound``, up to
#: ``limit``.
PageReader = Callable[[JobFilter, bool, "int | None", "int | None", int], list[Job]]


def _checked_by_rows(where: JobFilter) -> bool:
    """Whether ``where`` filters by something no index serves."""
    return any(v is not None for v in (where.queue, where.kind, where.tag, where.text))


def list_jobs(
    read: PageReader,
    id_range: Callable[[], tuple[int | None, int | None]],
    where: JobFilter,
    *,
    descending: bool,
    after: int | None,
    limit: int,
    scan: int | None,
) -> tuple[list[Job], int | None]:
    """A page and the id the next page starts after (None: nothing follows); see
    ``Store.list_jobs``."""
    bound = None
    if scan is not None and _checked_by_rows(where):
        lowest, highest = id_range()
        if lowest is None or highest is None:
            return [], None
        if descending:
            start = highest + 1 if after is None else after
            bound = start - scan
            bound_is_last = bound <= lowest
        else:
            start = lowest - 1 if after is None else after
            bound = start + scan
            bound_is_last = bound >= highest
    parts = [where]
    if len(where.statuses) > 1:
        parts = [attrs.evolve(where, statuses=(status,)) for status in where.statuses]
    jobs = [job for part in parts for job in read(part, descending, after, bound, limit)]
    jobs.sort(key=lambda job: job.id, reverse=descending)
    jobs = jobs[:limit]
    if len(jobs) == limit:
        return jobs, jobs[-1].id
    if bound is None or bound_is_last:
        return jobs, None
    return jobs, bound
