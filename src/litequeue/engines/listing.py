"""The dashboard's job listing and counting, written once for every engine: an engine
gives its SQL (``ListingSql``), its filters' conditions and two ways to read rows.

A page is read past a position (keyset paging): the sort value and id of the last row
shown, so every page costs the same at any depth. Several statuses are read one by one
and merged: each is an index seek on (status, id), where ``status IN (...)`` would sort
every matching job. Sorted by id, a filter no index serves (queue, kind, tag, text) is
checked over a window of at most ``scan`` ids a page: a page found short there ends
where the window does, and the next page reads on from there, so no page reads the
whole table. Sorted by priority or due time, a page is a seek in that column's index.
The last change and the attempts change at every claim and finish, and an index of
either would cost each of those: sorted by them, a page sorts the matching jobs, which
a status filter must keep to ``UNINDEXED_SORT_MOST`` (``SortTooWide`` otherwise).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import Any, Literal

import attrs

from .._records import JobFilter
from ..errors import LitequeueError
from ..models import Job

__all__ = [
    "NEWEST",
    "SORTS",
    "UNINDEXED_SORT_MOST",
    "JobListing",
    "ListingSql",
    "Order",
    "Position",
    "SortTooWide",
]

#: The columns the job table sorts by (each a column of both engines' jobs table):
#: the id (the order of enqueueing), priority, when due, last change, attempts.
SORTS = ("id", "priority", "run_at", "updated_at", "attempt")
#: The sorts an index serves (the id, ``jobs_by_priority``, ``jobs_by_run_at``).
INDEXED_SORTS = ("id", "priority", "run_at")
#: Most jobs the statuses of a page sorted by another column may hold: a page sorts
#: them all (20,000 in some 130 ms on this machine).
UNINDEXED_SORT_MOST = 20_000
#: Where a page ends: the sort value and the id of its last row (sorted by id, the
#: id twice).
Position = tuple[float, int]


class SortTooWide(LitequeueError, ValueError):
    """A page sorted by a column no index serves, over more jobs than it may sort."""


@attrs.frozen
class Order:
    """The job table's order: by a column of ``SORTS``, ties broken by id."""

    by: str = attrs.field(default="id", validator=attrs.validators.in_(SORTS))
    descending: bool = True


@attrs.frozen(kw_only=True)
class ListingSql:
    """An engine's SQL for the listing."""

    #: A page of the jobs matching every filter in an order, the sort value last,
    #: starting ``past`` a position or not (None), or at its ``tie``: the rows of its
    #: value past its id. Parameters: the filters', the position's (``past``: its
    #: value, the id when sorted by id; ``tie``: value and id), the window's end id
    #: (if bounded), the page size. Two reads where one row comparison would do: SQLite
    #: seeks an index by the value alone and walks all its ties.
    page: Callable[[list[str], Order, Literal["past", "tie"] | None, bool], str]
    #: How many jobs match every filter.
    counting: Callable[[list[str]], str]
    #: The lowest and highest job ids, in one row.
    id_range: str


#: The table's default order: newest first.
NEWEST = Order()


class JobListing(abc.ABC):
    """``Store.list_jobs`` and ``Store.count_jobs`` over an engine's SQL and reads."""

    @abc.abstractmethod
    def _listing_sql(self) -> ListingSql:
        """The engine's SQL module."""

    @abc.abstractmethod
    def _listing_filters(self, where: JobFilter, order: Order) -> tuple[list[str], list[Any]]:
        """The SQL conditions of ``where`` (of at most one status) and their values,
        for a read in ``order``."""

    @abc.abstractmethod
    def _listing_rows(self, sql: str, args: Sequence[Any]) -> list[tuple[Job, float]]:
        """The jobs a page query finds, each with its sort value (the last column)."""

    @abc.abstractmethod
    def _listing_row(self, sql: str, args: Sequence[Any]) -> tuple[Any, ...]:
        """The one row a query answers."""

    def list_jobs(
        self,
        where: JobFilter,
        *,
        order: Order = NEWEST,
        after: Position | None = None,
        limit: int = 50,
        scan: int | None = None,
    ) -> tuple[list[Job], Position | None]:
        """A page and the position the next page starts after (None: nothing
        follows); see ``Store.list_jobs``."""
        if order.by not in INDEXED_SORTS:
            held = self.count_jobs(JobFilter(statuses=where.statuses)) if where.statuses else None
            if held is None or held > UNINDEXED_SORT_MOST:
                raise SortTooWide(
                    f"sorting by {order.by} sorts every matching job: it takes a status filter"
                    f" whose statuses hold at most {UNINDEXED_SORT_MOST} jobs"
                    + ("" if held is None else f" (these hold {held})")
                )
        bound = None
        if scan is not None and order.by == "id" and _checked_by_rows(where):
            lowest, highest = self._listing_row(self._listing_sql().id_range, ())
            if lowest is None or highest is None:
                return [], None
            if order.descending:
                start = highest + 1 if after is None else after[1]
                bound = start - scan
                bound_is_last = bound <= lowest
            else:
                start = lowest - 1 if after is None else after[1]
                bound = start + scan
                bound_is_last = bound >= highest
        parts = [where]
        if len(where.statuses) > 1:
            parts = [attrs.evolve(where, statuses=(status,)) for status in where.statuses]
        found = [row for part in parts for row in self._page(part, order, after, bound, limit)]
        found.sort(key=lambda row: (row[1], row[0].id), reverse=order.descending)
        found = found[:limit]
        if len(found) == limit:
            last, value = found[-1]
            return [job for job, _ in found], (value, last.id)
        jobs = [job for job, _ in found]
        if bound is None or bound_is_last:
            return jobs, None
        return jobs, (bound, bound)

    def count_jobs(self, where: JobFilter) -> int:
        """How many jobs match ``where``."""
        filters, args = self._listing_filters(where, NEWEST)
        return int(self._listing_row(self._listing_sql().counting(filters), args)[0])

    def _page(
        self,
        where: JobFilter,
        order: Order,
        after: Position | None,
        bound: int | None,
        limit: int,
    ) -> list[tuple[Job, float]]:
        """One read: the jobs matching a filter of at most one status, in ``order``,
        past ``after``, not beyond the id ``bound``, up to ``limit``."""
        filters, args = self._listing_filters(where, order)
        page = self._listing_sql().page
        if after is None or order.by == "id":
            sql = page(filters, order, None if after is None else "past", bound is not None)
            given = [*args, *([] if after is None else [after[1]])]
            return self._listing_rows(sql, [*given, *([] if bound is None else [bound]), limit])
        value, job_id = after
        ties = self._listing_rows(page(filters, order, "tie", False), [*args, value, job_id, limit])
        if len(ties) == limit:
            return ties
        rest = self._listing_rows(
            page(filters, order, "past", False), [*args, value, limit - len(ties)]
        )
        return ties + rest


def _checked_by_rows(where: JobFilter) -> bool:
    """Whether ``where`` filters by something no index serves."""
    return any(v is not None for v in (where.queue, where.kind, where.tag, where.text))
