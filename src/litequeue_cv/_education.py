# ruff: noqa: RUF001 -- typographic dashes and quotes are matched on purpose
"""Education entries: the school, the degree and its subject, and the dates.

Entries are split as work entries are (``_entries.split_blocks``); here each
heading fragment is given its role: a school word or the first name that is not
the degree, a degree name (in several languages) split from its subject, and
the lines that name the subject ("Majoring in ...").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ._entries import STRIP, Block, Frag, fragments, place_like, split_blocks
from ._result import Degree
from ._sections import Item
from ._vocab import CJK_DEGREE, DEGREE, INSTITUTION_WORDS

#: Fragments that are neither a school nor a subject: grades and date labels.
_NOT_NAME = re.compile(
    r"^(?:c?gpa|grade|note|percentage|expected|anticipated|graduat\w*)\b", re.IGNORECASE
)
#: What joins a degree to its subject: "in", "of", "en", "em", "de", "di", "im", "w", a dash.
_FIELD_LEAD = re.compile(r"^\s*(?:(?:in|of|en|em|de|di|im|w)\b|[-–—:,(])\s*", re.IGNORECASE)
_THESIS = re.compile(r"^(?:thesis|dissertation|project)\b", re.IGNORECASE)
_MAJOR = re.compile(
    r"^(?:majoring in|major(?:ed)? in|major\s*:|specializ\w+ in|specialis\w+ in|"
    r"concentration(?: in|\s*:))\s*",
    re.IGNORECASE,
)
_HONOURS = re.compile(r"\b(?:cum laude|with (?:honou?rs|distinction)|first class)\b", re.IGNORECASE)
#: "University of California", "Indian Institute of Technology": a name that a campus may follow.
_OF_NAME = re.compile(r"\b(?:university|institute|college|school)\s+of\s+\w+", re.IGNORECASE)


def _split_degree(text: str) -> tuple[str, str | None]:
    cjk = CJK_DEGREE.match(text)
    if cjk:  # "在读硕士研究生 信息与通信工程": status word dropped, the rest is the subject
        return cjk.group("degree"), text[cjk.end() :].strip(STRIP) or None
    m = DEGREE.match(text)
    if not m:
        return text, None
    degree = text[: m.end()].strip(STRIP)
    rest = text[m.end() :]
    if abbreviation := re.match(r"\s*\(([A-Z][\w.]{1,8})\)?", rest):
        degree = f"{degree} ({abbreviation.group(1)})"  # "Master of Business Administration (MBA)"
        rest = rest[abbreviation.end() :]
    rest = _FIELD_LEAD.sub("", rest)
    return degree, rest.strip(STRIP) or None


def _subject(text: str) -> str | None:
    """The subject a fragment names: "Majoring in X", "Major: X", "Specialization in X"."""
    m = _MAJOR.match(text)
    return text[m.end() :].strip(STRIP + ".") or None if m else None


def _field_of(text: str | None) -> str | None:
    """A field without status words ("candidate in Computer Science") or honours."""
    if text is None or _HONOURS.search(text) or _THESIS.match(text):
        return None
    return re.sub(r"^(?:candidate|student|in progress)\s+(?:in\s+)?", "", text).strip() or None


def _institution(frags: Sequence[Frag], used: Sequence[Frag]) -> Frag | None:
    """The first name on the first line that is not the degree, preferring one that is
    not a place ("CalTech" in "PhD in CS, CalTech, Pasadena, USA")."""
    others = [f for f in frags if f not in used]
    first_line = min((f.line for f in others), default=None)
    return next((f for f in others if not place_like(f.text)), None) or next(
        (f for f in others if f.line == first_line), None
    )


def _campus(inst: Frag, frags: Sequence[Frag]) -> str:
    """ "University of California, Berkeley": a campus after "X of Y" stays with it; a
    town after any other name ("Brunel University, London") does not."""
    after = frags[frags.index(inst) + 1 :] if inst in frags else []
    nxt = after[0] if after else None
    # "..., Los Angeles | USA" is a campus and a country; "..., Vancouver, BC, CA" an address
    short_tail = sum(f.line == inst.line for f in after) <= 2
    if (
        _OF_NAME.search(inst.text)
        and nxt is not None
        and nxt.line == inst.line
        and short_tail
        and place_like(nxt.text)
        and len(nxt.text.split()) <= 2
    ):
        return f"{inst.text}, {nxt.text}"
    return inst.text


def _whole_degree(text: str) -> bool:
    """The fragment is a degree name and nothing else ("High school")."""
    m = DEGREE.match(text)
    return m is not None and m.end() >= len(text.rstrip(" ."))


def _degree(block: Block) -> Degree:
    frags = [f for f in fragments(block, split_at=False) if not _NOT_NAME.match(f.text)]
    subjects = [f for f in frags if _subject(f.text)]
    subjects += [
        Frag(i.text, -1, False, False) for i in block.body[:1] if _subject(i.text)
    ]  # "Specializing in mathematics and physics." under the heading
    frags = [f for f in frags if f not in subjects]
    schools = [f for f in frags if INSTITUTION_WORDS.search(f.text) and not _whole_degree(f.text)]
    # a proper name of two words or more over a stray word ("University'" ending a title)
    inst = next((f for f in schools if len(f.text.split()) > 1), schools[0] if schools else None)
    degrees = [
        f for f in frags if f is not inst and (DEGREE.match(f.text) or CJK_DEGREE.match(f.text))
    ]
    # the longest names its subject too ("PhD in Computer Science" over a "PhD" gutter)
    deg = max(degrees, key=lambda f: len(f.text), default=None)
    degree = field = None
    inst = inst or _institution(frags, degrees)
    if deg is not None:
        degree, field = _split_degree(deg.text)
        field = _field_of(field)
        if field is None and not subjects:
            after = frags[frags.index(deg) + 1 :]
            nxt = after[0] if after else None
            if nxt is not None and nxt is not inst and nxt.line == deg.line:
                field = _field_of(nxt.text)
    if subjects:
        field = _subject(subjects[0].text)
    if degree is None and field is None:
        # a programme without a degree name ("International Business Management")
        field = next(
            (
                f.text
                for f in frags
                if f is not inst
                and f.line != (inst.line if inst else -1)
                and not place_like(f.text)
            ),
            None,
        )
    return Degree(
        institution=_campus(inst, frags) if inst else None,
        degree=degree,
        field=field,
        start=block.dates.start if block.dates else None,
        end=block.dates.end if block.dates else None,
    )


def parse_degrees(items: Sequence[Item]) -> list[Degree]:
    """Education entries in the order they appear."""
    out = []
    for block in split_blocks(items):
        entry = _degree(block)
        if entry.institution or entry.degree:
            out.append(entry)
    return out
