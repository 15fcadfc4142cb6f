# ruff: noqa: RUF001, RUF002 -- typographic dashes and quotes are matched on purpose
"""Date grammar for CV entries: single dates and ranges in the common formats.

Results follow the schema: ``"YYYY-MM"`` when a month is shown, ``"YYYY"``
when only the year is, ``"present"`` for an open end.
"""

from __future__ import annotations

import re

import attrs

#: Month names and abbreviations in the languages CVs are commonly written in.
_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: (
        "jan",
        "january",
        "janv",
        "janvier",
        "januar",
        "jän",
        "jänner",
        "enero",
        "ene",
        "janeiro",
        "gennaio",
        "gen",
        "januari",
        "styczeń",
        "stycznia",
        "sty",
    ),
    2: (
        "feb",
        "february",
        "févr",
        "fév",
        "février",
        "februar",
        "febrero",
        "fevereiro",
        "fev",
        "febbraio",
        "februari",
        "luty",
        "lutego",
        "lut",
    ),
    3: ("mar", "march", "mars", "märz", "mär", "marzo", "março", "maart", "mrt", "marzec", "marca"),
    4: ("apr", "april", "avr", "avril", "abril", "abr", "aprile", "kwiecień", "kwietnia", "kwi"),
    5: ("may", "mai", "mayo", "maio", "maggio", "mag", "mei", "maj", "maja"),
    6: (
        "jun",
        "june",
        "juin",
        "juni",
        "junio",
        "junho",
        "giugno",
        "giu",
        "czerwiec",
        "czerwca",
        "cze",
    ),
    7: (
        "jul",
        "july",
        "juil",
        "juillet",
        "juli",
        "julio",
        "julho",
        "luglio",
        "lug",
        "lipiec",
        "lipca",
        "lip",
    ),
    8: (
        "aug",
        "august",
        "août",
        "aout",
        "agosto",
        "ago",
        "augustus",
        "sierpień",
        "sierpnia",
        "sie",
    ),
    9: (
        "sep",
        "sept",
        "september",
        "septembre",
        "septiembre",
        "setiembre",
        "setembro",
        "settembre",
        "wrzesień",
        "września",
        "wrz",
    ),
    10: (
        "oct",
        "october",
        "octobre",
        "oktober",
        "okt",
        "octubre",
        "outubro",
        "ottobre",
        "ott",
        "październik",
        "października",
        "paź",
    ),
    11: ("nov", "november", "novembre", "noviembre", "novembro", "listopad", "listopada", "lis"),
    12: (
        "dec",
        "december",
        "déc",
        "décembre",
        "dezember",
        "dez",
        "diciembre",
        "dic",
        "dezembro",
        "dicembre",
        "grudzień",
        "grudnia",
        "gru",
    ),
}
_MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names}
_MON = (
    "(?:"
    + "|".join(sorted((re.escape(n) for n in _MONTHS), key=len, reverse=True))
    + r")(?![^\W\d_])\.?"
)
_SEASON = r"(?:spring|summer|fall|autumn|winter)"
_YEAR = r"(?:18[5-9]\d|19\d\d|20[0-4]\d)"
#: 2015 年 3 月, 2015年03月 (Chinese and Japanese).
_CJK_DATE = rf"{_YEAR}\s*年(?:\s*\d{{1,2}}\s*月)?"
_DATE = (
    rf"(?:{_CJK_DATE}"
    rf"|{_MON},?\s*(?:de\s+)?(?:{_YEAR}|['’‘]\d\d)"
    rf"|{_SEASON}\s+{_YEAR}"
    rf"|(?:0?[1-9]|1[0-2])\s*[/.]\s*{_YEAR}"
    rf"|{_YEAR}\s*[-/.]\s*(?:0[1-9]|1[0-2])(?![\d/])"
    rf"|{_YEAR})(?!\d)"
)
_PRESENT = (
    r"(?:present|now|current(?:ly)?|today|ongoing|to\s+date|date|heute|aktuell|jetzt"
    r"|présent|aujourd'hui|actuel(?:lement)?|actualidad|presente|actual|hoy|atual|oggi"
    r"|heden|nu|obecnie|teraz)(?![^\W\d_])|至今|現在(?:に至る)?|今"
)
_SEP = r"\s*(?:[-‐‑‒–—―−~〜～→]+>?|to|until|till|bis|au|hasta|até|al|tot|至)\s*"
_RANGE = re.compile(
    rf"(?<![\w/.])(?P<start>{_DATE}){_SEP}(?P<end>{_DATE}|{_PRESENT})", re.IGNORECASE
)
_SINCE = re.compile(
    rf"\b(?:since|seit|depuis|desde|dal|sinds|od)\s+(?P<start>{_DATE})", re.IGNORECASE
)
_SINGLE = re.compile(rf"(?<![\w/.])(?P<date>{_DATE})", re.IGNORECASE)
_PRESENT_ONLY = re.compile(rf"^(?:{_PRESENT})$", re.IGNORECASE)
_YEAR_RE = re.compile(_YEAR)
_CJK_MONTH = re.compile(r"年\s*(\d{1,2})\s*月")


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
    cjk = _CJK_MONTH.search(t)
    if cjk and years and 1 <= int(cjk.group(1)) <= 12:
        return f"{years[0]}-{int(cjk.group(1)):02d}"
    month_word = re.match(r"([^\W\d_]+)", t)
    if month_word and month_word.group(1) in _MONTHS:
        month = _MONTHS[month_word.group(1)]
        if years:
            return f"{years[0]}-{month:02d}"
        short = re.search(r"['’‘](\d\d)", t)
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


_OPEN_START = re.compile(rf"^\s*(?:{_DATE}){_SEP}(?!\s*(?:{_DATE}|{_PRESENT}))", re.IGNORECASE)
_LEADING = re.compile(rf"^\s*(?:{_DATE}|{_PRESENT})(?![^\W\d_])", re.IGNORECASE)


def open_start(text: str) -> int | None:
    """Where "June 2020 – " ends when a line starts with a range whose end is missing
    (a narrow date column wraps it onto the next line), else None."""
    m = _OPEN_START.match(text)
    return m.end() if m else None


def leading_date(text: str) -> int | None:
    """Where a date (or "Present") that starts the text ends, else None."""
    m = _LEADING.match(text)
    return m.end() if m else None


#: A month alone after an opening bracket, a comma, a dash or a "|", at the end of a line.
_MONTH_END = re.compile(rf"(?:^|[(\[,|–—-])\s*(?:{_MON})\s*$", re.IGNORECASE)


def ends_with_month(text: str) -> bool:
    """The text ends with a month whose year is on the next line ("(September" / "2013")."""
    return _MONTH_END.search(text) is not None
