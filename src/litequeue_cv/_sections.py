# ruff: noqa: RUF001, RUF002 -- typographic dashes and quotes are matched on purpose
"""Split a CV's lines into sections, whatever the heading style or synonym.

A heading is found by what it says (a known section name) backed by how it
looks (bold, capitals, bigger, a Word heading style, a trailing colon), or by
a strong look alone for headings the vocabulary does not know.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import attrs

from ._dates import ends_with_month
from ._document import Line
from ._vocab import (
    SPOKEN_LANGUAGES,
    exact_section_key,
    normalise_heading,
    respelled,
    section_key,
)

_BULLET = re.compile(r"^\s*(?:[•▪●◦‣∙·*■□➢➤►▶✓✔\uf0b7\uf0a7]|[-–—](?=\s))\s*")
_DANGLING_DATE = re.compile(
    r"(?:\b(?:19|20)\d\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?)"
    r"\s*(?:[-–—]|to)(?:\s*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?)?\s*$",
    re.IGNORECASE,
)
_YEAR_START = re.compile(
    r"^(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*)?(?:19|20)\d\d\b"
    r"|^(?:present|now|current)\b",
    re.IGNORECASE,
)
_INLINE = re.compile(
    r"^(?P<head>[^:：|]{2,40}?)(?:\s*[:：]|\s+\|)\s*(?P<rest>\S.*)$"  # "Skills: a" or "Skills | a"
)
_BRACKETED = re.compile(r"^【[^【】]{1,30}】$")
#: Private-use glyphs (icon fonts) and pictographs: pictures, not text.
_ICON = re.compile("[\ue000-\uf8ff\U0001f000-\U0001faff\u2600-\u27bf]")
#: Private-use glyphs that Word's Symbol and Wingdings fonts use as bullets.
_ICON_BULLETS = "\uf0b7\uf0a7\uf0d8\uf076\uf0fc\uf0a8"


@attrs.frozen(kw_only=True)
class Item:
    """A logical line: a bullet or a wrapped line joined back together."""

    #: Text without the bullet mark.
    text: str
    #: It was marked as a list item.
    bullet: bool
    #: The line it starts on (style hints come from it).
    line: Line


@attrs.define
class Section:
    """Lines under one heading; the contact block has no heading."""

    #: Canonical name, or None for another section.
    key: str | None
    #: The heading as written (trailing colon dropped), None for the contact block.
    heading: str | None
    #: Its logical lines.
    items: list[Item] = attrs.Factory(list)
    #: Opened by a labelled line ("Skills: a, b") rather than a heading of its own.
    inline: bool = False


def clean_text(text: str) -> str:
    """Icons dropped (a leading Word bullet glyph becomes "•"), spaces collapsed; an
    icon between two items separates them like a pipe."""
    t = text.strip()
    if t[:1] and t[0] in _ICON_BULLETS:
        t = "• " + t[1:]
    t = _ICON.sub("\x00", t)
    parts = [p.strip() for p in t.split("\x00")]
    t = " | ".join(p for p in parts if p)
    t = re.sub(r"(?:\|\s*){2,}", "| ", t)
    return " ".join(t.split())


def strip_bullet(text: str) -> tuple[str, bool]:
    """The text without a leading bullet mark, and whether there was one."""
    m = _BULLET.match(text)
    if m and m.end() < len(text):
        return text[m.end() :].strip(), True
    return text, False


def body_size(lines: Sequence[Line]) -> float:
    """The font size most of the text is set in (0 when unknown)."""
    chars: Counter[float] = Counter()
    for line in lines:
        if line.size:
            chars[line.size] += len(line.text)
    return chars.most_common(1)[0][0] if chars else 0.0


def _styled(line: Line, body: float) -> bool:
    text = line.text.rstrip()
    return (
        line.bold
        or line.heading_style
        or text.endswith(":")
        or (text.isupper() and len(text) > 2)
        or bool(line.size and body and line.size >= body + 1.0)
        or bool(_BRACKETED.match(text))
    )


def _plausible(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 6
        and len(text) <= 50
        and not any(c in text for c in "@,|")
        and not text.endswith(".")
    )


def _signature(line: Line, text: str) -> tuple[float, bool, bool, bool, bool]:
    caps = text.isupper() and sum(c.isalpha() for c in text) > 2
    return (round(line.size or 0.0), line.bold, line.italic, caps, line.heading_style)


def _distinctive(signature: tuple[float, bool, bool, bool, bool], body: float) -> bool:
    """A look body text cannot have by accident: bigger, capitals or a heading style."""
    size, _, _, caps, style = signature
    return caps or style or bool(size and body and size >= body + 1.0)


def _known_heading(line: Line, body: float, has_style: bool) -> str | None:
    text, bullet = strip_bullet(line.text)
    if bullet or line.list_item:
        return None
    text = text.rstrip(":：").strip()
    known = _plausible(text) and section_key(text) is not None
    return text if known and (_styled(line, body) or not has_style) else None


def has_style(lines: Sequence[Line], body: float) -> bool:
    """The CV sets its headings apart somehow (bold, a heading style, or capitals or a
    bigger size for the headings it names), so a plain line naming a section is text."""
    if any(line.bold or line.heading_style for line in lines):
        return True
    for line in lines:
        text = strip_bullet(line.text)[0].rstrip(":：").strip()
        if _plausible(text) and section_key(text) is not None and _styled(line, body):
            return True
    return False


def heading_looks(lines: Sequence[Line], body: float) -> set[tuple[float, bool, bool, bool, bool]]:
    """How this CV sets its known headings, to find its other headings by the same look."""
    styled = has_style(lines, body)
    looks = set()
    for line in lines:
        text = _known_heading(line, body, styled)
        if text is not None and (sig := _signature(line, text)) and _distinctive(sig, body):
            looks.add(sig)
    top = max((sig[0] for sig in looks), default=0.0)
    return {sig for sig in looks if sig[0] == top}  # not the look of sub-headings


def heading_of(
    line: Line,
    body: float,
    has_style: bool,
    first: bool,
    looks: set[tuple[float, bool, bool, bool, bool]] | None = None,
) -> str | None:
    """The heading text if this line is a section heading, else None. A heading the
    vocabulary does not know needs the look of the CV's known headings, or (when
    there are none) a strong look of its own."""
    known = _known_heading(line, body, has_style)
    if known is not None:
        return known
    text, bullet = strip_bullet(line.text)
    if bullet or line.list_item:
        return None
    text = text.rstrip(":：").strip()
    if not _plausible(text) or section_key(text) is not None:
        return None
    if first or any(c.isdigit() for c in text) or "/" in text:
        return None
    if _BRACKETED.match(text):
        return text.strip("【】")  # 【自己PR】: brackets that Japanese CVs set headings in
    if looks:
        return text if _signature(line, text) in looks else None
    big = bool(line.size and body and line.size >= body + 1.5)
    caps = text.isupper() and sum(c.isalpha() for c in text) > 2
    if line.heading_style or (big and (line.bold or caps)) or (caps and line.bold):
        return text
    return None


def spoken(text: str) -> bool:
    """Most of a list names spoken languages ("English (native), French")."""
    names = [normalise_heading(p).split()[:1] for p in re.split(r"[,;|•·/]", text)]
    words = [n[0] for n in names if n]
    return bool(words) and sum(w in SPOKEN_LANGUAGES for w in words) * 2 > len(words)


def label_of(text: str) -> tuple[str, str] | None:
    """("Computer skills", "Windows, Mac") for a labelled line, bullet or not."""
    m = _INLINE.match(strip_bullet(text)[0])
    return (m.group("head").strip(), m.group("rest").strip()) if m else None


def _inline(line: Line, current: Section) -> tuple[str, str] | None:
    """``Skills: a, b, c`` -> (heading, content) when the label is a known section.
    Under a Skills heading, labelled lines are its groups ("Languages: Python, C++",
    "Languages | English | French"): the parser sends each where it belongs."""
    m = _INLINE.match(line.text)
    if not m or line.list_item or strip_bullet(line.text)[1]:
        return None
    head, rest = m.group("head").strip(), m.group("rest").strip()
    key = exact_section_key(head)
    if key in (None, "contact"):
        return None
    if current.key == "skills" and not current.inline:
        return None
    if current.key == "skills" and key in ("skills", "languages") and not spoken(rest):
        return None
    return head, rest


def _continues(prev: Item, line: Line) -> bool:
    """A wrapped line: the rest of a bullet (indented past its mark), or a date
    range broken in a narrow column ("Sep 2018 – Jun" / "2022", "(September" / "2013 to")."""
    dangling = _DANGLING_DATE.search(prev.text) or ends_with_month(prev.text)
    if dangling and _YEAR_START.match(line.text):
        return True
    if not prev.bullet or prev.line.x0 is None or line.x0 is None or line.list_item:
        return False
    return line.x0 > prev.line.x0 + 2.0 and not line.bold and prev.line.page == line.page


def clean_lines(lines: Sequence[Line]) -> list[Line]:
    """The lines with icons dropped, empty ones left out."""
    out = []
    for line in lines:
        text = clean_text(line.text)
        if text and text != "•":
            out.append(line if text == line.text else attrs.evolve(line, text=text))
    return out


def split_sections(lines: Sequence[Line]) -> list[Section]:
    """The contact block first, then one section per heading, in reading order."""
    lines = clean_lines(lines)
    body = body_size(lines)
    styled = has_style(lines, body)
    looks = heading_looks(lines, body)
    sections = [Section(key="contact", heading=None)]
    for index, line in enumerate(lines):
        heading = heading_of(line, body, styled, first=index == 0, looks=looks)
        inline = None if heading else _inline(line, sections[-1])
        if heading or inline:
            title = heading or (inline[0] if inline else "")
            last = sections[-1]
            wrapped = f"{last.heading} {title}"
            # one heading set over two lines ("Relevant Work" / "Experience"), not two
            # headings in a row ("EXPERIENCE" / "EDUCATION" of a label column)
            two_lines = bool(last.heading) and section_key(wrapped) is not None
            if two_lines and last.heading and section_key(last.heading) is not None:
                two_lines = exact_section_key(wrapped) is not None
            if heading and two_lines and not last.items:
                title = wrapped
                sections.pop()
            key = _canonical(title)
            if key and exact_section_key(title) is None and any(s.key == key for s in sections):
                key = None  # "Communication skills" after the skills: a section of its own
            title = respelled(title)
            sections.append(Section(key=key, heading=title, inline=inline is not None))
            if inline:
                sections[-1].items.append(Item(text=inline[1], bullet=False, line=line))
            continue
        items = sections[-1].items
        if items and _continues(items[-1], line):
            items[-1] = attrs.evolve(items[-1], text=f"{items[-1].text} {line.text}")
            continue
        text, bullet = strip_bullet(line.text)
        bullet = bullet or line.list_item
        items.append(Item(text=text, bullet=bullet, line=line))
    return _merge(sections)


def _canonical(heading: str) -> str | None:
    key = section_key(heading)
    return None if key == "other" else key


def _merge(sections: list[Section]) -> list[Section]:
    """One section per canonical name (a sidebar "Contact" joins the top block)."""
    out: list[Section] = []
    by_key: dict[str, Section] = {}
    for section in sections:
        if section.key is not None and section.key in by_key:
            by_key[section.key].items.extend(section.items)
            continue
        if section.key is not None:
            by_key[section.key] = section
        out.append(section)
    return out
