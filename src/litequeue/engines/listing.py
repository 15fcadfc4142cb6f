"""The dashboard's job listing and counting, written once for every engine: an engine
gives its SQL (``_listing_sql.ListingSql``), its filters' conditions and its reads.

A page is read past a position (keyset paging): the sort value and id of the last row
shown, so every page costs the same at any depth. Several statuses are read one by one
and merged: each is read through the index that holds it (``status IN (...)`` would
sort every matching job). The indexes hold what the dashboard needs and no more, as
every index entry that moves at a claim or a finish costs each of them: queued jobs
by id, failed and cancelled ones by status and id, running ones through the leases
(few, read whole); succeeded jobs are checked along the ids. Sorted by id, priority or
due time, a filter no index serves (queue, kind, tag, text, succeeded) is checked over
a window of at most ``scan`` jobs a page (ids; along the order, jobs the order's index
holds): a page found short there ends where the window does, and the next page reads
on from there, so no page reads the whole table. A sort no index serves for the
statuses asked (the last change and the attempts, which every claim and finish
changes; on an engine whose priority and due-time indexes hold queued jobs only, those
for the other statuses) sorts the matching jobs, which may number at most
``UNINDEXED_SORT_MOST`` (``SortTooWide`` otherwise).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from .._checks import INT64_MAX
from .._records import JobFilter
from ..errors import LitequeueError
from ..models import Job, JobStatus
from ._listing_sql import Bound, ListingSql

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
#: The sorts an index serves: the id, and priority and due time (for the statuses
#: ``ListingSql.sorted_statuses`` names).
INDEXED_SORTS = ("id", "priority", "run_at")
#: Most jobs a page sorted by a column no index serves for them may sort (20,000 in
#: some 130 ms on this machine).
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


#: The table's default order: newest first.
NEWEST = Order()


class JobListing(abc.ABC):
    """``Store.list_jobs`` and ``Store.count_jobs`` over an engine's SQL and reads."""

    @abc.abstractmethod
    def _listing_sql(self) -> ListingSql:
        """The engine's SQL module."""

    @abc.abstractmethod
    def _listing_statuses(
        self, statuses: Sequence[str], order: Order
    ) -> tuple[list[str], list[Any]]:
        """The condition (none for no status) for jobs in any of ``statuses``, read in
        ``order``, and its parameters."""

    @abc.abstractmethod
    def _listing_rows(self, sql: str, args: Sequence[Any]) -> list[tuple[Job, float]]:
        """The jobs a page query finds, each with its sort value (the last column)."""

    @abc.abstractmethod
    def _listing_row(self, sql: str, args: Sequence[Any]) -> tuple[Any, ...]:
        """The one row a query answers."""

    @abc.abstractmethod
    def _listing_rows_raw(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows a query answers, as tuples."""

    def jobs(
        self,
        *,
        status: Iterable[str] = (),
        queue: str | None = None,
        kind: str | None = None,
        tag: str | None = None,
        parent_id: int | None = None,
        unique_key: str | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[Job]:
        """Jobs matching every given filter, newest first (``Store.jobs``)."""
        sql = self._listing_sql()
        filters, args = self._listing_statuses(list(status), NEWEST)
        for name, value in (
            ("queue", queue),
            ("kind", kind),
            ("parent_id", parent_id),
            ("unique_key", unique_key),
            ("tag", tag),
            ("before_id", before_id),
        ):
            if value is not None:
                filters.append(sql.field(name))
                args.append(value)
        rows = self._listing_rows(sql.page(filters, NEWEST, ()), [*args, min(limit, INT64_MAX)])
        return [job for job, _ in rows]

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
        indexed = self._listing_sql().sorted_statuses
        if order.by in INDEXED_SORTS[1:] and indexed is not None and not where.statuses:
            # Every status, each read apart: queued jobs along the index, the rest sorted.
            where = attrs.evolve(where, statuses=tuple(JobStatus))
        unsorted = self._unsorted(where, order)
        if unsorted is not None:
            held = self._holding(unsorted, UNINDEXED_SORT_MOST + 1)
            if held > UNINDEXED_SORT_MOST:
                but = indexed if order.by in INDEXED_SORTS else None
                raise SortTooWide(
                    f"sorting by {order.by} sorts every matching job"
                    + (f" but {', '.join(sorted(but))} ones" if but else "")
                    + f": it takes a status filter whose statuses hold at most"
                    f" {UNINDEXED_SORT_MOST} jobs (these hold more)"
                )
        bound: Position | None = None  # where the window of a bounded scan ends
        if scan is not None and order.by in INDEXED_SORTS and self._checked_by_rows(where, order):
            bound = self._window_end(order, after, scan)
            if bound == _NOTHING:
                return [], None
        parts = [where]
        if len(where.statuses) > 1:
            parts = [attrs.evolve(where, statuses=(status,)) for status in where.statuses]
        found = [row for part in parts for row in self._page(part, order, after, bound, limit)]
        found.sort(key=lambda row: (row[1], row[0].id), reverse=order.descending)
        found = found[:limit]
        jobs = [job for job, _ in found]
        if len(found) == limit:
            last, value = found[-1]
            return jobs, (value, last.id)
        return jobs, bound  # None: the window reached the end

    def count_jobs(self, where: JobFilter) -> int:
        """How many jobs match ``where``: a count per status, each through its index."""
        if len(where.statuses) > 1:
            return sum(self.count_jobs(attrs.evolve(where, statuses=(s,))) for s in where.statuses)
        filters, args = self._filters(where, NEWEST)
        return int(self._listing_row(self._listing_sql().counting(filters), args)[0])

    def _unsorted(self, where: JobFilter, order: Order) -> tuple[str, ...] | None:
        """The statuses of ``where`` no index holds in ``order`` (``()``: every job),
        which a page sorts; None when an index serves them all."""
        indexed = self._listing_sql().sorted_statuses
        if order.by == "id" or (order.by in INDEXED_SORTS and indexed is None):
            return None
        if order.by not in INDEXED_SORTS:
            return where.statuses
        left = tuple(s for s in where.statuses if s not in (indexed or ()))
        return left if left or not where.statuses else None

    def _holding(self, statuses: tuple[str, ...], most: int) -> int:
        """How many jobs ``statuses`` hold (``()``: every job), counted up to ``most``."""
        sql = self._listing_sql()
        held = 0
        parts: list[tuple[str, ...]] = [(s,) for s in statuses] or [()]
        for part in parts:
            filters, args = self._listing_statuses(part, NEWEST)
            held += int(self._listing_row(sql.holding(filters), [*args, most - held])[0])
            if held >= most:
                break
        return held

    def _checked_by_rows(self, where: JobFilter, order: Order) -> bool:
        """Whether a page of ``where`` checks rows one by one along ``order``: a
        filter no index serves, or (by id) a status no index lists."""
        if any(v is not None for v in (where.queue, where.kind, where.tag, where.text)):
            return True
        listed = self._listing_sql().listed_statuses
        return order.by == "id" and any(s not in listed for s in where.statuses)

    def _filters(self, where: JobFilter, order: Order) -> tuple[list[str], list[Any]]:
        """The SQL conditions of ``where`` for a read in ``order``, and their parameters."""
        sql = self._listing_sql()
        filters, args = self._listing_statuses(where.statuses, order)
        text = None if where.text is None else f"%{_escape_like(where.text)}%"
        for name, value in (
            ("queue", where.queue),
            ("kind", where.kind),
            ("tag", where.tag),
            ("text", text),
        ):
            if value is not None:
                condition = sql.filters[name]
                filters.append(condition)
                args.extend([value] * condition.count(sql.mark))
        return filters, args

    def _window_end(self, order: Order, after: Position | None, scan: int) -> Position | None:
        """Where a bounded scan past ``after`` ends: ``scan`` ids on (by id), or the
        ``scan``-th job along the order (of any status); None when the window reaches
        the last job, ``_NOTHING`` when there is no job at all."""
        sql = self._listing_sql()
        if order.by == "id":
            lowest, highest = self._listing_row(sql.id_range, ())
            if lowest is None or highest is None:
                return _NOTHING
            if order.descending:
                end = (highest + 1 if after is None else after[1]) - scan
                return None if end <= lowest else (end, end)
            end = (lowest - 1 if after is None else after[1]) + scan
            return None if end >= highest else (end, end)
        held: list[str] = []  # the window counts the jobs the order's index holds
        held_args: list[Any] = []
        if sql.sorted_statuses is not None:
            held, held_args = self._listing_statuses(tuple(sorted(sql.sorted_statuses)), order)
        left = scan
        for bounds, values, apart in _stretches(sql, order, after, None):
            kept = [*held, *apart]
            rows = self._listing_rows_raw(
                sql.nth(order, bounds, kept), [*held_args, *values, left - 1]
            )
            if rows:
                value, job_id = rows[0]
                return value, job_id
            counted = sql.counted(order, bounds, kept)
            left -= self._listing_row(counted, [*held_args, *values, left])[0]
        return None

    def _page(
        self,
        where: JobFilter,
        order: Order,
        after: Position | None,
        bound: Position | None,
        limit: int,
    ) -> list[tuple[Job, float]]:
        """The jobs matching a filter of at most one status, in ``order``, past
        ``after``, up to ``bound`` (included), up to ``limit``: a read per stretch
        of the order (``_segments``)."""
        filters, args = self._filters(where, order)
        sql = self._listing_sql()
        found: list[tuple[Job, float]] = []
        for bounds, values, apart in _stretches(sql, order, after, bound):
            found += self._listing_rows(
                sql.page([*filters, *apart], order, bounds), [*args, *values, limit - len(found)]
            )
            if len(found) == limit:
                break
        return found


#: ``_window_end``'s answer for a table with no job.
_NOTHING: Position = (-1.0, -1)


def _stretches(
    sql: ListingSql, order: Order, start: Position | None, end: Position | None
) -> list[tuple[list[Bound], list[float], list[str]]]:
    """``_segments`` of ``order``, each with the conditions its read adds. In an order
    whose index leaves out the value 0 (``ListingSql.zero_apart``), a stretch across 0
    is cut in three: the jobs before 0 and after it are read with ``column <> 0``
    written out (the planner reads the partial index only for a query that says so;
    without it, it would walk the table), those at 0 with ``column = 0``, along the
    ids or a status's index. A stretch that excludes 0 is one read of the index."""
    segments = _segments(start, end, by_id=order.by == "id")
    if order.by not in sql.zero_apart:
        return [(bounds, values, []) for bounds, values in segments]
    nonzero, zero = [f"{order.by} <> 0"], [f"{order.by} = 0"]

    def before(a: float, b: float) -> bool:  # a is read before b
        return a > b if order.descending else a < b

    cut: list[tuple[list[Bound], list[float], list[str]]] = []
    for bounds, values in segments:
        if ("value", "equal") in bounds:
            value = values[bounds.index(("value", "equal"))]
            cut.append((bounds, values, zero if value == 0 else nonzero))
            continue
        past = values[bounds.index(("value", "past"))] if ("value", "past") in bounds else None
        short = (
            values[bounds.index(("value", "short_of"))] if ("value", "short_of") in bounds else None
        )
        if (past is not None and not before(past, 0)) or (
            short is not None and not before(0, short)
        ):
            cut.append((bounds, values, nonzero))
            continue
        first: list[Bound] = [("value", "past")] if past is not None else []
        last: list[Bound] = [("value", "short_of")] if short is not None else []
        head = [past] if past is not None else []
        tail = [short] if short is not None else []
        cut.append(([*first, ("value", "short_of")], [*head, 0], nonzero))
        cut.append(([("value", "equal")], [0], zero))
        cut.append(([("value", "past"), *last], [0, *tail], nonzero))
    return cut


def _segments(
    start: Position | None, end: Position | None, *, by_id: bool = False
) -> list[tuple[list[Bound], list[float]]]:
    """The stretches of the order from past ``start`` up to ``end`` (included), each
    a seek in an index on (column, id), with its bounds' values: the ties of
    ``start``'s value past its id, the values between, the ties of ``end``'s value up
    to its id. One row comparison, ``(value, id) < (?, ?)``, would do, but SQLite seeks
    by the value alone and walks all its ties."""
    if by_id:
        bounds: list[Bound] = []
        values: list[float] = []
        if start is not None:
            bounds.append(("id", "past"))
            values.append(start[1])
        if end is not None:
            bounds.append(("id", "up_to"))
            values.append(end[1])
        return [(bounds, values)]
    segments: list[tuple[list[Bound], list[float]]] = []
    if start is not None:
        if end is not None and end[0] == start[0]:
            return [([("value", "equal"), ("id", "past"), ("id", "up_to")], [*start, end[1]])]
        segments.append(([("value", "equal"), ("id", "past")], [*start]))
    between: list[Bound] = []
    values = []
    if start is not None:
        between.append(("value", "past"))
        values.append(start[0])
    if end is not None:
        between.append(("value", "short_of"))
        values.append(end[0])
    segments.append((between, values))
    if end is not None:
        segments.append(([("value", "equal"), ("id", "up_to")], [*end]))
    return segments


def _escape_like(text: str) -> str:
    """``text`` matched literally by LIKE or ILIKE ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
