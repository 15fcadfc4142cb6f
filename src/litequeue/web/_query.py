"""The job table's query string: filters, order and the page's position.

``?status=failed&status=queued&queue=q&kind=k&tag=t&text=words&sort=priority
&order=asc&after=POSITION&limit=50``. The position is where the page starts: the id
of the last row shown (sorted by id), or its sort value and id (``5:1234``), so the
next page starts exactly after the last row shown whatever was added or deleted
meanwhile.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import attrs

from .._records import JobFilter
from ..engines.listing import NEWEST, SORTS, Order, Position
from ..errors import LitequeueError
from ..models import JobStatus

__all__ = ["BadQuery", "Page", "job_filter", "page_query", "position_text"]

#: Most rows a page may ask for.
MAX_PAGE = 500
_LONGEST = 500  # characters of a filter value
_LAST_ID = 2**63 - 1


class BadQuery(LitequeueError, ValueError):
    """A query string the job table cannot read: the message names the parameter."""


@attrs.frozen(kw_only=True)
class Page:
    """Which page of the job table to read."""

    where: JobFilter
    order: Order = NEWEST
    after: Position | None = None
    limit: int = 50


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "")
    if len(value) > _LONGEST:
        raise BadQuery(f"?{name}= takes up to {_LONGEST} characters")
    return value or None


def job_filter(params: Mapping[str, str], statuses: Sequence[str]) -> JobFilter:
    """The filter of a query string (``statuses``: every ``?status=`` given)."""
    known = {s.value for s in JobStatus}
    for status in statuses:
        if status not in known:
            raise BadQuery(f"?status={status[:50]!r} is not one of {', '.join(sorted(known))}")
    return JobFilter(
        statuses=tuple(dict.fromkeys(statuses)),
        queue=_text(params, "queue"),
        kind=_text(params, "kind"),
        tag=_text(params, "tag"),
        text=_text(params, "text"),
    )


def page_query(params: Mapping[str, str], statuses: Sequence[str]) -> Page:
    """The page a query string asks for."""
    direction = params.get("order", "desc")
    if direction not in ("asc", "desc"):
        raise BadQuery("?order= takes asc or desc")
    by = params.get("sort", "id")
    if by not in SORTS:
        raise BadQuery(f"?sort= takes one of {', '.join(SORTS)}, not {by[:60]!r}")
    limit = params.get("limit", "50")
    if not (limit.isascii() and limit.isdigit() and 0 < int(limit) <= MAX_PAGE):
        raise BadQuery(f"?limit= takes a number 1..{MAX_PAGE}")
    after = params.get("after", "")
    return Page(
        where=job_filter(params, statuses),
        order=Order(by, descending=direction == "desc"),
        after=_position(after, by) if after else None,
        limit=int(limit),
    )


def position_text(position: Position | None, by: str) -> int | str | None:
    """A position as ``?after=`` takes it back: the id alone when sorted by id."""
    if position is None:
        return None
    value, job_id = position
    return job_id if by == "id" else f"{value!r}:{job_id}"


def _position(text: str, by: str) -> Position:
    """The ``?after=`` position of a page sorted by ``by``."""
    value, _, job_id = text.rpartition(":")
    if by == "id":
        value = job_id
    elif not value:
        raise BadQuery(f"?after= takes VALUE:ID from a page sorted by {by}, not {text[:60]!r}")
    return _sort_value(value, by), _id(job_id)


def _id(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 19) or int(text) > _LAST_ID:
        raise BadQuery(f"?after= takes a job id 0..{_LAST_ID} from a page, not {text[:60]!r}")
    return int(text)


def _sort_value(text: str, by: str) -> float:
    """A position's sort value: a whole number, or a finite one for times."""
    try:
        value = float(text) if by in ("run_at", "updated_at") else int(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > _LAST_ID:
        raise BadQuery(f"?after= takes a {by} value from a page, not {text[:60]!r}")
    return value
