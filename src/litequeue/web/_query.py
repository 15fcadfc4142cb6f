"""The job table's query string: filters, order and the page's position.

``?status=failed&status=queued&queue=q&kind=k&tag=t&text=words&sort=updated_at
&order=asc&after=VALUE:ID&limit=50``. A position is the stored sort value and the id
of the last row shown (``repr`` of a float reads back as the same float), so the
next page starts exactly after it whatever was added or changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .._records import SORT_KEYS, JobFilter
from ..errors import LitequeueError
from ..models import JobStatus

__all__ = ["BadQuery", "Page", "page_query", "parse_position", "show_position"]

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
    sort: str = "id"
    descending: bool = True
    after: tuple[float, int] | None = None
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
    sort = params.get("sort", "id")
    if sort not in SORT_KEYS:
        raise BadQuery(f"?sort= takes one of {', '.join(SORT_KEYS)}")
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise BadQuery("?order= takes asc or desc")
    limit_text = params.get("limit", "50")
    if not (limit_text.isascii() and limit_text.isdigit() and 0 < int(limit_text) <= MAX_PAGE):
        raise BadQuery(f"?limit= takes a number 1..{MAX_PAGE}")
    after = params.get("after")
    return Page(
        where=job_filter(params, statuses),
        sort=sort,
        descending=order == "desc",
        after=None if not after else parse_position(after),
        limit=int(limit_text),
    )


def parse_position(text: str) -> tuple[float, int]:
    """``VALUE:ID`` as a position (``BadQuery`` if it is not one)."""
    value, _, job_id = text.rpartition(":")
    try:
        number = float(value) if "." in value or "e" in value else int(value)
    except ValueError:
        number = None
    if number is None or not (job_id.isascii() and job_id.isdigit() and len(job_id) <= 19):
        raise BadQuery(f"?after= takes a position VALUE:ID from a page, not {text[:60]!r}")
    if int(job_id) > _LAST_ID or number != number or abs(number) == float("inf"):
        raise BadQuery(f"?after= takes a position VALUE:ID from a page, not {text[:60]!r}")
    return number, int(job_id)


def show_position(position: tuple[Any, int] | None) -> str | None:
    """A position as ``parse_position`` reads it back."""
    return None if position is None else f"{position[0]!r}:{position[1]}"
