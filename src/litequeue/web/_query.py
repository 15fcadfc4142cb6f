"""The job table's query string: filters, order and the page's position.

``?status=failed&status=queued&queue=q&kind=k&tag=t&text=words&order=asc
&after=ID&limit=50``. The position is the id the page starts after, so the next
page starts exactly after the last row shown whatever was added or deleted meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from .._records import JobFilter
from ..errors import LitequeueError
from ..models import JobStatus

__all__ = ["BadQuery", "Page", "job_filter", "page_query"]

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
    descending: bool = True
    after: int | None = None
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
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise BadQuery("?order= takes asc or desc")
    limit = params.get("limit", "50")
    if not (limit.isascii() and limit.isdigit() and 0 < int(limit) <= MAX_PAGE):
        raise BadQuery(f"?limit= takes a number 1..{MAX_PAGE}")
    after = params.get("after", "")
    if after and not (after.isascii() and after.isdigit() and len(after) <= 19):
        raise BadQuery(f"?after= takes a job id from a page, not {after[:60]!r}")
    if after and int(after) > _LAST_ID:
        raise BadQuery(f"?after= takes a job id 0..{_LAST_ID}")
    return Page(
        where=job_filter(params, statuses),
        descending=order == "desc",
        after=int(after) if after else None,
        limit=int(limit),
    )
