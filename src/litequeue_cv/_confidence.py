"""How sure the parser is: the doubts it has about a CV, as warnings and as one number.

Each doubt is a plain-words note and a factor below 1; ``parse_confidence`` is the
product of the factors, so every point lost is explained by a warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from ._contact import Contact
from ._dates import find_dates
from ._document import SourceDoc
from ._entries import own_projects
from ._result import Degree, Job
from ._sections import Section

#: Sections a CV is expected to have.
CORE = ("work_history", "education", "skills")
#: Lines before the first heading beyond which the top block is probably not contact details.
_LONG_TOP = 12
#: Fewer characters than this and the file has hardly any text layer.
_LITTLE_TEXT = 200


#: Company marks in Chinese and Japanese, and legal forms, that a job title never has.
_COMPANY_MARK = re.compile(r"公司|株式会社|有限会社|集团")
_LEGAL = frozenset({"inc", "ltd", "llc", "gmbh", "plc", "corp", "corporation", "limited"})


@attrs.frozen
class Doubt:
    """Something the parser is unsure of, and how much it lowers the confidence."""

    #: Plain words for the user.
    note: str
    #: 0..1, multiplied into the confidence.
    factor: float


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _of(count: int, total: int, one: str, many: str) -> str:
    """ "2 of 5 work history entries", or "the one work history entry"."""
    return f"the one {one}" if count == total == 1 else f"{count} of {total} {many}"


def _odd_name(text: str | None) -> bool:
    """A title or employer that does not read like one: no letters, or a sentence."""
    if text is None:
        return False
    return not re.search(r"[^\W\d_]", text) or len(text.split()) > 10


def _employer_as_title(title: str | None) -> bool:
    """A job title that names a company ("Acme Corp", "黑科技公司"): title and employer
    were probably taken the wrong way round."""
    if title is None:
        return False
    words = title.casefold().split()
    return bool(_COMPANY_MARK.search(title)) or bool(words and words[-1].strip(".") in _LEGAL)


def _share_doubt(count: int, total: int, weight: float, note: str) -> list[Doubt]:
    if not count or not total:
        return []
    return [Doubt(note, 1.0 - weight * count / total)]


def _entry_doubts(jobs: Sequence[Job], degrees: Sequence[Degree]) -> list[Doubt]:
    doubts: list[Doubt] = []
    n = len(jobs)
    no_company = sum(1 for j in jobs if not j.company)
    no_title = sum(1 for j in jobs if not j.title)
    odd = sum(
        1 for j in jobs if _odd_name(j.title) or _odd_name(j.company) or _employer_as_title(j.title)
    )
    undated = sum(1 for j in jobs if not (j.start or j.end))
    one, many = "work history entry", "work history entries"
    doubts += _share_doubt(
        no_company, n, 0.1, f"no employer found for {_of(no_company, n, one, many)}"
    )
    doubts += _share_doubt(
        no_title, n, 0.4, f"no job title found for {_of(no_title, n, one, many)}"
    )
    doubts += _share_doubt(
        odd,
        n,
        0.5,
        f"a title or employer that does not read like one in {_of(odd, n, one, many)}",
    )
    doubts += _share_doubt(undated, n, 0.3, f"no dates found for {_of(undated, n, one, many)}")
    m = len(degrees)
    one, many = "education entry", "education entries"
    no_school = sum(1 for d in degrees if not d.institution or _odd_name(d.institution))
    bare = sum(1 for d in degrees if not (d.degree or d.field))
    doubts += _share_doubt(no_school, m, 0.4, f"no school found for {_of(no_school, m, one, many)}")
    doubts += _share_doubt(
        bare, m, 0.2, f"no degree or subject found for {_of(bare, m, one, many)}"
    )
    return doubts


def _layout_doubts(sections: Sequence[Section]) -> list[Doubt]:
    doubts: list[Doubt] = []
    empty = [s.heading for s in sections[1:] if s.heading and not s.items]
    if len(empty) >= 2:
        doubts.append(
            Doubt(
                f"{len(empty)} section headings have nothing under them; a column of labels "
                "or a grid may have been read out of order",
                max(0.4, 1.0 - 0.12 * len(empty)),
            )
        )
    if len(sections[0].items) > _LONG_TOP:
        doubts.append(
            Doubt(
                f"{len(sections[0].items)} lines come before the first section heading; "
                "headings may have been missed",
                0.8,
            )
        )
    return doubts


def _detached_dates(sections: Sequence[Section], jobs: int, degrees: int) -> list[Doubt]:
    # own projects in a work section are dated entries too, left out on purpose
    """More date ranges in a section than entries read from it: dates set apart from
    their entries (a date column read on its own) were not matched up."""
    out = []
    for key, read in (("work_history", jobs), ("education", degrees)):
        section = next((s for s in sections if s.key == key), None)
        if section is None:
            continue
        if key == "work_history":
            read += own_projects(section.items)
        ranges = sum(
            1
            for item in section.items
            if not item.bullet and (d := find_dates(item.text)) is not None and d.start
        )
        if ranges > read:
            what = key.replace("_", " ")
            out.append(
                Doubt(
                    f"{ranges} date ranges in the {what} section but only "
                    f"{_plural(read, 'entry', 'entries')} read from it",
                    max(0.5, read / ranges),
                )
            )
    return out


def doubts(
    doc: SourceDoc,
    sections: Sequence[Section],
    contact: Contact,
    jobs: Sequence[Job],
    degrees: Sequence[Degree],
    skills: Sequence[str],
) -> list[Doubt]:
    """Everything the parser is unsure of, most basic first."""
    found = {s.key for s in sections if s.key and s.items}
    found |= {
        key
        for key, got in (("skills", skills), ("education", degrees), ("work_history", jobs))
        if got
    }
    out = [Doubt(note, 0.9) for note in doc.warnings]
    if not contact.name:
        out.append(Doubt("no name found at the top of the CV", 0.85))
    if not contact.email:
        out.append(Doubt("no email address found", 0.9))
    out += [
        Doubt(f"no {key.replace('_', ' ')} section found", 0.85 if key != "skills" else 0.92)
        for key in CORE
        if key not in found
    ]
    if "work_history" in found and not jobs:
        out.append(Doubt("a work history section was found but no entries in it", 0.6))
    out += _entry_doubts(jobs, degrees)
    out += _layout_doubts(sections)
    out += _detached_dates(sections, len(jobs), len(degrees))
    if sum(len(line.text) for line in doc.lines) < _LITTLE_TEXT:
        out.append(Doubt("very little text was found in the file", 0.3))
    return out


def confidence(found: Sequence[Doubt]) -> float:
    """0..1: the product of the doubts' factors."""
    score = 1.0
    for doubt in found:
        score *= doubt.factor
    return round(max(0.0, min(1.0, score)), 3)
