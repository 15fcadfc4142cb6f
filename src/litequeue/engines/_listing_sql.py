"""The SQL of the dashboard's listing (``engines.listing``), one builder for both
engines: they differ in the jobs table's name, the parameter mark, and how they read
the lowest and highest ids.

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

if TYPE_CHECKING:
    from .listing import Order

__all__ = ["Bound", "ListingSql"]

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

    def nth(self, order: Order, bounds: Sequence[Bound]) -> str:
        """The sort value and id of the job at an offset (the last parameter) between
        ``bounds``, of any status: where a window of jobs ends."""
        where = self._where([], order, bounds)
        return (
            f"SELECT {order.by}, id FROM {self.table}{where}"
            f" ORDER BY {self._ordering(order)} LIMIT 1 OFFSET {self.mark}"
        )

    def counted(self, order: Order, bounds: Sequence[Bound]) -> str:
        """How many jobs lie between ``bounds``, counted up to a number (the last
        parameter)."""
        where = self._where([], order, bounds)
        return f"SELECT count(*) FROM (SELECT 1 FROM {self.table}{where} LIMIT {self.mark}) AS w"

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
