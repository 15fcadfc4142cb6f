"""The history grid of a Japanese rirekisho (履歴書): one event per row.

Each row is ``year | month | text`` under a label row (学歴 education, 職歴 work,
インターンシップ・アルバイト internships and part-time work, 免許・資格 licences and
certificates). An education or a job spans two rows, its start (入学, 入社) and its
end (卒業, 退社), or ends "現在に至る" (to this day). The text's parts are joined by
"・": school, subject and degree, or place, company and title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from ._result import Certification, Degree, Job
from ._vocab import CJK_DEGREE, INSTITUTION_WORDS

_ROW = re.compile(r"^(?P<year>(?:19|20)\d\d)\s*\|\s*(?P<month>\d{1,2})\s*\|\s*(?P<text>.+)$")
_LABELS = {
    "学歴": "education",
    "職歴": "work",
    "インターンシップ・アルバイト": "work",
    "アルバイト": "work",
    "インターンシップ": "work",
    "免許・資格": "certifications",
    "資格": "certifications",
}
#: The grid's header row before a label ("年 | 月 | 免許・資格").
_HEADER = re.compile(r"^年\s*\|\s*月\s*\|\s*")
_STARTS = ("入学", "入社", "入職", "着任")
_ENDS = ("卒業", "退社", "退職", "修了", "中退")
_STILL = "現在に至る"
_COMPANY = re.compile(r"株式会社|有限会社|合同会社|会社|法人|Inc\.?|Ltd\.?|Corp", re.IGNORECASE)
_PLACE = re.compile(r"[都道府県市区町村]$")


@attrs.frozen
class Grid:
    """What the grid holds."""

    #: Education entries, in the order they appear.
    degrees: tuple[Degree, ...] = ()
    #: Jobs, in the order they appear.
    jobs: tuple[Job, ...] = ()
    #: Licences and certificates.
    certifications: tuple[Certification, ...] = ()


def _event(parts: list[str]) -> tuple[list[str], str | None]:
    """The entity's parts and what happened (入学, 卒業, ...), "present" when ongoing."""
    happened = None
    while parts and (parts[-1] in _STARTS or parts[-1] in _ENDS or parts[-1] == _STILL):
        last = parts.pop()
        happened = "present" if last == _STILL and happened is None else (happened or last)
    return parts, happened


def _degree(parts: list[str], start: str | None, end: str | None) -> Degree:
    school = next((p for p in parts if INSTITUTION_WORDS.search(p)), parts[0] if parts else None)
    degree = next((p for p in parts if CJK_DEGREE.match(p)), None)
    field = next((p for p in parts if p not in (school, degree)), None)
    return Degree(institution=school, degree=degree, field=field, start=start, end=end)


def _job(parts: list[str], start: str | None, end: str | None) -> Job:
    place = next((p for p in parts if _PLACE.search(p)), None)
    rest = [p for p in parts if p != place]
    company = next((p for p in rest if _COMPANY.search(p)), rest[0] if rest else None)
    others = [p for p in rest if p != company]
    title = others[0] if others else None
    description = "・".join(others[1:]) or None
    return Job(
        title=title, company=company, location=place, start=start, end=end, description=description
    )


def read_grid(texts: Sequence[str]) -> Grid:
    """Entries from the grid's rows; an empty Grid when the text has none."""
    kind = None
    order: list[tuple[str, tuple[str, ...]]] = []
    finished: dict[tuple[str, tuple[str, ...]], Degree | Job] = {}
    certs: list[Certification] = []
    for text in texts:
        label = _HEADER.sub("", text.strip())
        if label in _LABELS:
            kind = _LABELS[label]
            continue
        row = _ROW.match(text.strip())
        if row is None or kind is None:
            continue
        date = f"{row.group('year')}-{int(row.group('month')):02d}"
        if kind == "certifications":
            certs.append(Certification(name=row.group("text").strip(), year=row.group("year")))
            continue
        parts, happened = _event([p.strip() for p in row.group("text").split("・") if p.strip()])
        key = (kind, tuple(parts))
        if happened in _ENDS and key in finished:
            finished[key] = attrs.evolve(finished[key], end=date)
            continue
        end = "present" if happened == "present" else None
        entry = _degree(parts, date, end) if kind == "education" else _job(parts, date, end)
        if key not in finished:
            order.append(key)
        finished[key] = entry
    degrees = tuple(e for k in order if isinstance(e := finished[k], Degree))
    jobs = tuple(e for k in order if isinstance(e := finished[k], Job))
    return Grid(degrees=degrees, jobs=jobs, certifications=tuple(certs))
