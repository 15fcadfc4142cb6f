# ruff: noqa: RUF001 -- typographic dashes and quotes are matched on purpose
"""Date grammar for CV entries: single dates and ranges in the common formats.

Results follow the schema: ``"YYYY-MM"`` when a month is shown, ``"YYYY"``
when only the year is, ``"present"`` for an open end.
"""

from __future__ import annotations

import re

import attrs

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MON = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])\.?"
)
_YEAR = r"(?:19[5-9]\d|20[0-4]\d)"
_DATE = (
    rf"(?:{_MON},?\s*(?:{_YEAR}|['’]\d\d)"
    rf"|(?:0?[1-9]|1[0-2])\s*[/.]\s*{_YEAR}"
    rf"|{_YEAR}\s*[-/.]\s*(?:0[1-9]|1[0-2])(?![\d/])"
    rf"|{_YEAR})(?!\d)"
)
_PRESENT = r"(?:present|now|current(?:ly)?|today|ongoing|to\s+date|date)(?![a-z])"
_SEP = r"\s*(?:[-‐‑‒–—―−~→]+|to|until|till)\s*"
_RANGE = re.compile(
    rf"(?<![\w/.])(?P<start>{_DATE}){_SEP}(?P<end>{_DATE}|{_PRESENT})", re.IGNORECASE
)
_SINCE = re.compile(rf"\bsince\s+(?P<start>{_DATE})", re.IGNORECASE)
_SINGLE = re.compile(rf"(?<![\w/.])(?P<date>{_DATE})", re.IGNORECASE)
_PRESENT_ONLY = re.compile(rf"^{_PRESENT}$", re.IGNORECASE)
_YEAR_RE = re.compile(_YEAR)


@attrs.frozen(kw_only=True)
class DateSpan:
    """Dates found in a piece of text and where they were."""

    #: Start date, or None when only one date is shown.
    start: str | None
    #: End date (the only date when one is shown), ``"present"`` when open.
    end: str | None
    #: Character span of the dates in the text.
    span: tuple[int, int]


def normalise_date(text: str) -> str | None:
    """One date as the schema writes it, or None if it is not a date."""
    t = text.strip().lower()
    if _PRESENT_ONLY.match(t):
        return "present"
    years = _YEAR_RE.findall(t)
    month_word = re.match(r"([a-z]{3})", t)
    if month_word and month_word.group(1) in _MONTHS:
        month = _MONTHS[month_word.group(1)]
        if years:
            return f"{years[0]}-{month:02d}"
        short = re.search(r"['’](\d\d)", t)
        return f"20{short.group(1)}-{month:02d}" if short else None
    m = re.match(rf"^(\d{{1,2}})\s*[/.]\s*({_YEAR})$", t)
    if m:
        return f"{m.group(2)}-{int(m.group(1)):02d}"
    m = re.match(rf"^({_YEAR})\s*[-/.]\s*(\d\d)$", t)
    if m:
        return f"{m.group(1)}-{m.group(2)}"
    return years[0] if years else None


def find_dates(text: str) -> DateSpan | None:
    """The first date range in the text, else a "since" date, else a single date."""
    m = _RANGE.search(text)
    if m:
        return DateSpan(
            start=normalise_date(m.group("start")),
            end=normalise_date(m.group("end")),
            span=m.span(),
        )
    m = _SINCE.search(text)
    if m:
        return DateSpan(start=normalise_date(m.group("start")), end="present", span=m.span())
    m = _SINGLE.search(text)
    if m:
        return DateSpan(start=None, end=normalise_date(m.group("date")), span=m.span())
    return None


def is_well_formed(value: str | None) -> bool:
    """True for None, ``"present"``, ``"YYYY"`` and ``"YYYY-MM"`` with a real month."""
    if value is None or value == "present":
        return True
    m = re.fullmatch(r"(\d{4})(?:-(\d\d))?", value)
    if m is None:
        return False
    return m.group(2) is None or 1 <= int(m.group(2)) <= 12
