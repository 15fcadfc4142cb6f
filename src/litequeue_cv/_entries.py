# ruff: noqa: RUF001 -- typographic dashes and quotes are matched on purpose
"""Work history and education entries from a section's items.

Entries are anchored on their dates: each line holding a date range (or a
single date) is one entry, its heading lines are the short lines just above
it, and its description runs to the next entry. The heading text is then cut
into fragments (at separators like ``|``, ``,``, `` — ``, `` at ``) and each
fragment is given a role by what it looks like: a job-title noun, an
organisation word, a place, a degree, a school.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from ._dates import DateSpan, find_dates
from ._result import Degree, Job
from ._sections import Item
from ._vocab import DEGREE, INSTITUTION_WORDS, ORG_WORDS, REMOTE_WORDS, ROLE_NOUNS

_SPLIT = re.compile(r"\s+[|–—-]\s+|\s*\|\s*|[,;]\s+|\s{2,}|\s+[•·]\s+|\s+[–—]|[–—]\s+")
_AT = re.compile(r"\s+(?:at|@)\s+", re.IGNORECASE)
_EMPTY_BRACKETS = re.compile(r"[(\[]\s*[|,]?\s*[)\]]")
_STRIP = " ,;:|–—-()[]"
#: Longest heading line (in words) of an entry; longer lines are descriptions.
_MAX_HEADER_WORDS = 14
_ABBREVIATION = re.compile(
    r"(?:\b(?:inc|ltd|co|corp|llc|plc|bros|jr|sr|st|dept|univ)|\.[^\W\d_]{1,2})\.$", re.IGNORECASE
)
_PLACE = re.compile(r"^[^\W\d_][\w.'’-]*(?:\s+[^\W\d_][\w.'’-]*){0,2}$")


@attrs.frozen
class _Frag:
    text: str
    line: int
    bold: bool
    italic: bool
    title: bool = False


@attrs.frozen
class _Block:
    header: list[Item]
    dates: DateSpan | None
    anchor: int | None
    body: list[Item]


def _entry_dates(item: Item) -> DateSpan | None:
    if item.bullet:
        return None
    found = find_dates(item.text)
    if found is None:
        return None
    rest = item.text[: found.span[0]] + item.text[found.span[1] :]
    return found if len(rest.split()) <= _MAX_HEADER_WORDS else None


def sentence_end(text: str) -> bool:
    """Ends like a sentence, not like "Inc." or "S.A."."""
    t = text.rstrip()
    return t.endswith((".", ":")) and not _ABBREVIATION.search(t)


def _header_like(item: Item) -> bool:
    return (
        not item.bullet
        and len(item.text.split()) <= _MAX_HEADER_WORDS
        and not sentence_end(item.text)
    )


def _own_text(item: Item, dates: DateSpan) -> str:
    return (item.text[: dates.span[0]] + item.text[dates.span[1] :]).strip(_STRIP)


def _blocks_by_dates(items: Sequence[Item], anchors: list[tuple[int, DateSpan]]) -> list[_Block]:
    starts: list[int] = []
    for k, (a, dates) in enumerate(anchors):
        floor = anchors[k - 1][0] + 1 if k else 0
        own = len(_own_text(items[a], dates).split()) >= 2
        start = a
        while start - 1 >= floor and a - (start - 1) <= 2:
            cand = items[start - 1]
            before = items[start - 2] if start - 2 >= floor else None
            boundary = before is None or before.bullet or sentence_end(before.text)
            styled = cand.line.bold or cand.line.italic
            if not _header_like(cand) or (own and not styled and not boundary):
                break
            start -= 1
        starts.append(start)
    blocks = []
    if starts and starts[0] > 0:
        blocks.append(_Block(list(items[: starts[0]]), None, None, []))
    for k, (a, dates) in enumerate(anchors):
        end = starts[k + 1] if k + 1 < len(anchors) else len(items)
        header = list(items[starts[k] : a + 1])
        body = list(items[a + 1 : end])
        if not _own_text(items[a], dates) and len(header) == 1:
            while body and _header_like(body[0]) and len(header) < 3 and body[0].line.bold:
                header.append(body.pop(0))
        blocks.append(_Block(header, dates, len(header) - 1 if a >= starts[k] else None, body))
    return blocks


def _blocks_by_style(items: Sequence[Item]) -> list[_Block]:
    """No dates at all: a bold line (or a line after bullets) starts an entry."""
    has_bold = any(i.line.bold for i in items)
    blocks: list[_Block] = []
    for item in items:
        starts = not item.bullet and (
            item.line.bold if has_bold else (not blocks or blocks[-1].body[-1:] != [])
        )
        if starts and (not blocks or blocks[-1].body or not has_bold):
            blocks.append(_Block([item], None, None, []))
        elif blocks and not blocks[-1].body and _header_like(item) and not item.bullet:
            blocks[-1].header.append(item)
        elif blocks:
            blocks[-1].body.append(item)
        else:
            blocks.append(_Block([item], None, None, []))
    return blocks


def split_blocks(items: Sequence[Item]) -> list[_Block]:
    """Entries of a section, each a header, its dates and a body."""
    anchors = [(i, d) for i, item in enumerate(items) if (d := _entry_dates(item)) is not None]
    return _blocks_by_dates(items, anchors) if anchors else _blocks_by_style(items)


def _fragments(block: _Block, split_at: bool) -> list[_Frag]:
    frags: list[_Frag] = []
    for n, item in enumerate(block.header):
        text = item.text
        if n == block.anchor and block.dates is not None:
            s, e = block.dates.span
            text = f"{text[:s]} | {text[e:]}"
        text = _EMPTY_BRACKETS.sub(" ", text)
        title_part = None
        if split_at and (m := _AT.search(text)):
            title_part, text = text[: m.start()], text[m.end() :]
        bold, italic = item.line.bold, item.line.italic
        if title_part and title_part.strip(_STRIP):
            frags.append(_Frag(title_part.strip(_STRIP), n, bold, italic, title=True))
        for piece in _SPLIT.split(text):
            piece = piece.strip(_STRIP)
            if piece:
                frags.append(_Frag(piece, n, bold, italic))
    return frags


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z.'-]*", text.casefold())


def _role_score(text: str) -> int:
    words = _words(text)
    if not words:
        return 0
    score = 3 if words[-1] in ROLE_NOUNS else (1 if any(w in ROLE_NOUNS for w in words) else 0)
    if words[0] in {"head", "director", "vp", "chief", "senior", "junior", "lead", "principal"}:
        score += 1
    if words[-1] in ORG_WORDS or INSTITUTION_WORDS.search(text):
        score -= 3
    return score


def _place_like(text: str) -> bool:
    words = _words(text)
    if not words or any(w in ORG_WORDS or w in ROLE_NOUNS for w in words):
        return bool(words) and words[0] in REMOTE_WORDS
    return words[0] in REMOTE_WORDS or bool(_PLACE.match(text))


def _description(items: Sequence[Item]) -> str | None:
    parts: list[str] = []
    prev_bullet = True
    for item in items:
        if parts and not item.bullet and not prev_bullet:
            parts[-1] = f"{parts[-1]} {item.text}"
        else:
            parts.append(item.text)
        prev_bullet = item.bullet
    return "\n".join(parts) or None


def _job(block: _Block, previous: Job | None) -> Job:
    frags = _fragments(block, split_at=True)
    title = next((f for f in frags if f.title), None)
    if title is None and frags:
        scored = [(_role_score(f.text), -i, f) for i, f in enumerate(frags)]
        best = max(scored, key=lambda t: (t[0], t[1]))
        if best[0] > 0:
            title = best[2]
        else:
            styles = {f.italic for f in frags}
            title = next((f for f in frags if f.italic), frags[0]) if len(styles) > 1 else frags[0]
    rest = [f for f in frags if f is not title]
    company = next((f for f in rest if f.text.casefold() not in REMOTE_WORDS), None)
    location = None
    for f in rest:
        if f is company:
            continue
        if _place_like(f.text):
            location = f.text
            break
    body = list(block.body)
    first = body[0] if body else None
    short_place = first is not None and _place_like(first.text) and len(first.text.split()) <= 3
    if location is None and first and not first.bullet and first.line.italic and short_place:
        location = body.pop(0).text
    company_text = company.text if company else None
    if company_text is None and previous is not None and len(block.header) == 1:
        company_text = previous.company
    return Job(
        title=title.text if title else None,
        company=company_text,
        location=location,
        start=block.dates.start if block.dates else None,
        end=block.dates.end if block.dates else None,
        description=_description(body),
    )


def _split_degree(text: str) -> tuple[str, str | None]:
    m = DEGREE.match(text)
    if not m:
        return text, None
    degree = text[: m.end()].strip(_STRIP)
    rest = re.sub(r"^\s*(?:in|of|[-–—:,(])\s*", "", text[m.end() :], flags=re.IGNORECASE)
    return degree, rest.strip(_STRIP) or None


def _degree(block: _Block) -> Degree:
    frags = _fragments(block, split_at=False)
    inst = next((f for f in frags if INSTITUTION_WORDS.search(f.text)), None)
    deg = next((f for f in frags if f is not inst and DEGREE.match(f.text)), None)
    degree = field = None
    if deg is not None:
        degree, field = _split_degree(deg.text)
        if field is None:
            after = frags[frags.index(deg) + 1 :]
            nxt = after[0] if after else None
            if nxt is not None and nxt is not inst and nxt.line == deg.line:
                field = nxt.text
    if inst is None:
        used = {id(deg)}
        inst = next(
            (f for f in frags if id(f) not in used and f.text != field and not _place_like(f.text)),
            None,
        )
    return Degree(
        institution=inst.text if inst else None,
        degree=degree,
        field=field,
        start=block.dates.start if block.dates else None,
        end=block.dates.end if block.dates else None,
    )


def parse_jobs(items: Sequence[Item]) -> list[Job]:
    """Work history entries in the order they appear."""
    jobs: list[Job] = []
    for block in split_blocks(items):
        undated_intro = block.dates is None and not any(
            _role_score(i.text) > 0 for i in block.header
        )
        if undated_intro and not jobs:
            continue  # lines before the first entry
        jobs.append(_job(block, jobs[-1] if jobs else None))
    return [j for j in jobs if j.title or j.company]


def parse_degrees(items: Sequence[Item]) -> list[Degree]:
    """Education entries in the order they appear."""
    out = []
    for block in split_blocks(items):
        entry = _degree(block)
        if entry.institution or entry.degree:
            out.append(entry)
    return out
