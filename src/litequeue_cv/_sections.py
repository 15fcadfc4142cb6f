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

from ._document import Line
from ._vocab import exact_section_key, section_key

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
_INLINE = re.compile(r"^(?P<head>[^:]{2,40}):\s*(?P<rest>\S.*)$")


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
    )


def _plausible(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 6
        and len(text) <= 50
        and not any(c in text for c in "@,|")
        and not text.endswith(".")
    )


def heading_of(line: Line, body: float, has_style: bool, first: bool) -> str | None:
    """The heading text if this line is a section heading, else None."""
    text, bullet = strip_bullet(line.text)
    if bullet or line.list_item:
        return None
    text = text.rstrip(":").strip()
    if not _plausible(text):
        return None
    key = section_key(text)
    if key is not None and (_styled(line, body) or not has_style):
        return text
    if first or key is not None or any(c.isdigit() for c in text) or "/" in text:
        return None
    big = bool(line.size and body and line.size >= body + 1.5)
    caps = text.isupper() and sum(c.isalpha() for c in text) > 2
    if line.heading_style or (big and (line.bold or caps)) or (caps and line.bold):
        return text
    return None


def _inline(line: Line) -> tuple[str, str] | None:
    """``Skills: a, b, c`` -> (heading, content) when the label is a known section."""
    m = _INLINE.match(line.text)
    if m and not line.list_item and exact_section_key(m.group("head")) not in (None, "contact"):
        return m.group("head").strip(), m.group("rest").strip()
    return None


def _continues(prev: Item, line: Line) -> bool:
    """A wrapped line: the rest of a bullet (indented past its mark), or a date
    range broken in a narrow column ("Sep 2018 – Jun" / "2022")."""
    if _DANGLING_DATE.search(prev.text) and _YEAR_START.match(line.text):
        return True
    if not prev.bullet or prev.line.x0 is None or line.x0 is None or line.list_item:
        return False
    return line.x0 > prev.line.x0 + 2.0 and not line.bold and prev.line.page == line.page


def split_sections(lines: Sequence[Line]) -> list[Section]:
    """The contact block first, then one section per heading, in reading order."""
    body = body_size(lines)
    has_style = any(line.bold or line.heading_style for line in lines)
    sections = [Section(key="contact", heading=None)]
    for index, line in enumerate(lines):
        heading = heading_of(line, body, has_style, first=index == 0)
        inline = None if heading else _inline(line)
        if heading or inline:
            title = heading or (inline[0] if inline else "")
            last = sections[-1]
            wrapped = f"{last.heading} {title}"
            if heading and last.heading and not last.items and section_key(wrapped):
                title = wrapped  # one heading set over two lines
                sections.pop()
            sections.append(Section(key=_canonical(title), heading=title))
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
