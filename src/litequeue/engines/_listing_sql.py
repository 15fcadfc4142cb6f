"""The SQL of the dashboard's listing (``engines.listing``), one builder for both
engines: they differ in the jobs table's name, the parameter mark, how they read the
lowest and highest ids, and which statuses their indexes hold in which order.

A read walks the order (a sort column, ties by id) between bounds: each bound is a
condition on the sort value or the id, ``equal`` to a value, strictly ``past`` it in
the reading order, ``up_to`` it (included) or ``short_of`` it (excluded). Each read is
a seek in an index on (column, id) between its bounds, never an OFFSET over the rows
before a page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import attrs

from ..models import JobStatus

if TYPE_CHECKING:
    from .listing import Order

__all__ = ["Bound", "ListingSql", "status_literal"]

#: A condition of a read along the order (see the module's docstring).
Bound = tuple[Literal["value", "id"], Literal["equal", "past", "up_to", "short_of"]]


@attrs.frozen(kw_only=True)
class ListingSql:
    """An engine's listing SQL."""

    #: The jobs table.
    table: str
    #: The parameter mark (``?`` or ``%s``).
    mark: str
    #: The columns a ``Job`` is read from, in order.
    columns: str
    #: The tags table.
    tags: str
    #: The dashboard's filters (``JobFilter``: queue, kind, tag, text), each a
    #: condition whose every parameter takes the field's value (text: a LIKE pattern).
    filters: Mapping[str, str]
    #: The lowest and highest job ids, in one row.
    id_range: str
    #: Per status, the condition that reads its jobs through the index that holds them
    #: (a status missing here: ``status = '...'``).
    status_reads: Mapping[str, str] = attrs.field(factory=dict)
    #: The statuses whose jobs an index holds by id: a page of another status checks
    #: the jobs along the ids, one by one.
    listed_statuses: frozenset[str] = frozenset()
    #: The statuses whose jobs the priority and due-time indexes hold (None: every job).
    sorted_statuses: frozenset[str] | None = None
    #: The sorts whose index leaves out the jobs that hold 0 (most jobs, whose stretch
    #: of the order is the ids'): a read in such an order is cut at 0 (``listing``).
    zero_apart: frozenset[str] = frozenset()

    def status_read(self, status: str) -> str:
        """The condition for the jobs of one status, read through its index."""
        return self.status_reads.get(status) or f"status = {status_literal(status)}"

    def statuses_are(self, statuses: Sequence[str]) -> str:
        """The condition for jobs in any of ``statuses``."""
        return f"status IN ({', '.join(status_literal(s) for s in statuses)})"

    def field(self, name: str) -> str:
        """``Store.jobs``'s condition on a field (queue, kind, parent_id, unique_key,
        tag, before_id), with one parameter."""
        if name == "tag":
            return f"id IN (SELECT job_id FROM {self.tags} WHERE tag = {self.mark})"
        if name == "before_id":
            return f"id < {self.mark}"
        return f"{name} = {self.mark}"

    def page(self, filters: list[str], order: Order, bounds: Sequence[Bound]) -> str:
        """The jobs matching every filter between ``bounds`` in ``order``, the sort value
        last (``sort_key``). Parameters: the filters', each bound's, the page size."""
        where = self._where(filters, order, bounds)
        return (
            f"SELECT {self.columns}, {order.by} AS sort_key FROM {self.table}{where}"
            f" ORDER BY {self._ordering(order)} LIMIT {self.mark}"
        )

    def nth(self, order: Order, bounds: Sequence[Bound], filters: Sequence[str] = ()) -> str:
        """The sort value and id of the job at an offset (the last parameter) between
        ``bounds``, of any status (or those ``filters`` keep: the statuses the order's
        index holds): where a window of jobs ends."""
        where = self._where([*filters], order, bounds)
        return (
            f"SELECT {order.by}, id FROM {self.table}{where}"
            f" ORDER BY {self._ordering(order)} LIMIT 1 OFFSET {self.mark}"
        )

    def counted(self, order: Order, bounds: Sequence[Bound], filters: Sequence[str] = ()) -> str:
        """How many jobs (those ``filters`` keep) lie between ``bounds``, counted up to
        a number (the last parameter)."""
        where = self._where([*filters], order, bounds)
        return f"SELECT count(*) FROM (SELECT 1 FROM {self.table}{where} LIMIT {self.mark}) AS w"

    def holding(self, filters: list[str]) -> str:
        """How many jobs match every filter, counted up to a number (the last parameter)."""
        where = self._where(filters, None, ())
        return f"SELECT count(*) FROM (SELECT 1 FROM {self.table}{where} LIMIT {self.mark}) AS h"

    def counting(self, filters: list[str]) -> str:
        """How many jobs match every filter."""
        return f"SELECT count(*) FROM {self.table}{self._where(filters, None, ())}"

    def _where(self, filters: list[str], order: Order | None, bounds: Sequence[Bound]) -> str:
        conditions = [*filters]
        if order is not None:
            descending = order.descending
            relation = {
                "equal": "=",
                "past": "<" if descending else ">",
                "up_to": ">=" if descending else "<=",
                "short_of": ">" if descending else "<",
            }
            for field, how in bounds:
                column = order.by if field == "value" else "id"  # by: one of listing.SORTS
                conditions.append(f"{column} {relation[how]} {self.mark}")
        return f" WHERE {' AND '.join(conditions)}" if conditions else ""

    @staticmethod
    def _ordering(order: Order) -> str:
        direction = "DESC" if order.descending else "ASC"
        return f"id {direction}" if order.by == "id" else f"{order.by} {direction}, id {direction}"


def status_literal(status: str) -> str:
    """A status as an SQL literal. Written into the statement, not passed as a
    parameter, so that the planner sees it and can read a partial index whose
    predicate names it; a name that is no status becomes one no job holds."""
    known = {s.value for s in JobStatus}
    return f"'{status}'" if status in known else "NULL"
