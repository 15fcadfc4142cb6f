# ruff: noqa: RUF001, RUF002 -- typographic dashes and quotes are matched on purpose
"""Entries of a work or education section, and the work entries themselves.

Entries are split by the signals CVs use: each line holding a date range (or a
single date) is one entry. Where the first entry opens with its dates, every
entry does and takes the short lines under it; otherwise an entry's heading is
the short lines above its dated line (and a few set-apart lines after it). The
heading text is then cut into fragments (at separators like ``|``, ``,``,
`` — ``, `` at ``) and each fragment is given a role by what it looks like: a
job-title noun, an organisation word, a place. ``_education`` does the same
for schools and degrees.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from ._dates import DateSpan, find_dates, leading_date, open_start
from ._result import Job
from ._sections import Item
from ._vocab import INSTITUTION_WORDS, ORG_WORDS, REMOTE_WORDS, ROLE_NOUNS

_SPLIT = re.compile(
    r"\s+\((?=[^()]*,[^()]*\)\s*$)|\s+[|–—-]\s+|\s*\|\s*|[,;]\s+|\s{2,}|\s+[•·]\s+|\s+[–—]|[–—]\s+"
)
_AT = re.compile(r"\s+(?:at|@)\s+", re.IGNORECASE)
_EMPTY_BRACKETS = re.compile(r"[(\[]\s*[|,]?\s*[)\]]")
STRIP = " ,;:|–—-()[]"
#: Longest heading line (in words, in characters) of an entry; longer lines are descriptions.
_MAX_HEADER_WORDS = 14
_MAX_HEADER_CHARS = 100
#: Most lines an entry's heading spans ("Title" / "Dates" / "Company" / "City").
_MAX_HEADER_LINES = 4
#: Legal forms that follow a company name after a comma ("ABC Company, Inc.").
_LEGAL = re.compile(
    r"^(?:inc|ltd|llc|llp|plc|gmbh|ag|sa|s\.a|bv|nv|co|corp|pty(?: ltd)?|limited|s\.?r\.?l)\.?$",
    re.IGNORECASE,
)
_ABBREVIATION = re.compile(
    r"(?:\b(?:inc|ltd|co|corp|llc|plc|bros|jr|sr|st|dept|univ)|\.[^\W\d_]{1,2})\.$", re.IGNORECASE
)
_SENTENCE_BREAK = re.compile(r"[a-z]{3}\.\s+[A-Z]")
#: "2 years 10 months", "4 mos": how long a job lasted, printed beside its dates.
_DURATION = re.compile(
    r"\b\d+\+?\s*(?:years?|yrs?|y)\b(?:\s*\d+\s*(?:months?|mos?)\b)?|\b\d+\s*(?:months?|mos?)\b",
    re.IGNORECASE,
)
#: Sub-headings of a work section that say how, not where ("Full Time").
_EMPLOYMENT_TYPES = frozenset(
    {
        "full time",
        "part time",
        "full-time",
        "part-time",
        "contract",
        "freelance",
        "permanent",
        "temporary",
        "seasonal",
        "self-employed",
    }
)
#: A role with its area ("Vice President of Location & Services", "Head of Sales").
_ROLE_OF = re.compile(
    r"\b(?:president|director|head|vp|chief|manager|lead|officer|professor|dean)\s+of\b",
    re.IGNORECASE,
)
#: Entries marked as one's own projects are not jobs.
_OWN_PROJECT = re.compile(r"personal project|side project|个人项目|個人プロジェクト", re.IGNORECASE)
_EXPECTED = re.compile(r"(?:expected|anticipated|预计|予定|voraussichtlich|prévu)", re.IGNORECASE)
_PLACE = re.compile(r"^[^\W\d_][\w.'’-]*(?:\s+[^\W\d_][\w.'’-]*){0,2}$")


@attrs.frozen
class Frag:
    text: str
    line: int
    bold: bool
    italic: bool
    title: bool = False


@attrs.frozen
class Block:
    header: list[Item]
    dates: DateSpan | None
    anchor: int | None
    body: list[Item]


def _entry_dates(item: Item, bullets: bool = False) -> DateSpan | None:
    if item.bullet and not bullets:
        return None
    found = find_dates(item.text)
    if found is None:
        return None
    rest = _DURATION.sub(" ", item.text[: found.span[0]] + item.text[found.span[1] :])
    return found if _word_count(rest) <= _MAX_HEADER_WORDS else None


def _word_count(text: str) -> int:
    """Words, not separators ("|", "–")."""
    return sum(1 for w in text.split() if any(c.isalnum() for c in w))


def sentence_end(text: str) -> bool:
    """Ends like a sentence, not like "Inc." or "S.A."."""
    t = text.rstrip()
    return t.endswith((".", ":")) and not _ABBREVIATION.search(t)


def _header_like(item: Item) -> bool:
    return (
        not item.bullet
        and any(c.isalpha() for c in item.text)
        and len(item.text.split()) <= _MAX_HEADER_WORDS
        and len(item.text) <= _MAX_HEADER_CHARS
        and not sentence_end(item.text)
        and not _SENTENCE_BREAK.search(item.text)
    )


def mend_wrapped_ranges(items: Sequence[Item]) -> list[Item]:
    """A date column too narrow for "June 2020 – Present" puts "Present" at the start
    of the next line: the end goes back to its range."""
    out = list(items)
    for i in range(len(out) - 1):
        cut = open_start(out[i].text)
        if cut is None or out[i].bullet:
            continue
        nxt = out[i + 1].text
        end = leading_date(nxt)
        if end is None:
            continue
        text = out[i].text
        out[i] = attrs.evolve(out[i], text=f"{text[:cut]}{nxt[:end].strip()} {text[cut:]}")
        out[i + 1] = attrs.evolve(out[i + 1], text=nxt[end:].strip())
    return [item for item in out if item.text]


def _own_text(item: Item, dates: DateSpan) -> str:
    return (item.text[: dates.span[0]] + item.text[dates.span[1] :]).strip(STRIP)


def _pull_after(
    items: Sequence[Item], start: int, stop: int, room: int, loose: bool = False
) -> int:
    """How many lines after an entry's dated line still belong to its heading: short,
    not bullets, set apart (bold, italic) or a few words ("Resident Advisor"); any
    short line when the entry opens with its dates (``loose``)."""
    taken = 0
    while taken < room and start + taken < stop:
        item = items[start + taken]
        styled = item.line.bold or item.line.italic
        if not _header_like(item) or not (loose or styled or len(item.text.split()) <= 8):
            break
        taken += 1
    return taken


def _blocks_dates_first(items: Sequence[Item], anchors: list[tuple[int, DateSpan]]) -> list[Block]:
    """Entries that open with their dated line; the short lines under it complete it."""
    blocks = [Block(list(items[: anchors[0][0]]), None, None, [])] if anchors[0][0] else []
    for k, (a, dates) in enumerate(anchors):
        end = anchors[k + 1][0] if k + 1 < len(anchors) else len(items)
        extra = _pull_after(items, a + 1, end, _MAX_HEADER_LINES - 1, loose=True)
        header = list(items[a : a + 1 + extra])
        blocks.append(Block(header, dates, 0, list(items[a + 1 + extra : end])))
    return blocks


def _blocks_by_dates(items: Sequence[Item], anchors: list[tuple[int, DateSpan]]) -> list[Block]:
    starts: list[int] = []
    for k, (a, dates) in enumerate(anchors):
        floor = anchors[k - 1][0] + 1 if k else 0
        own = len(_own_text(items[a], dates).split()) >= 2
        start = a
        reach = 3 if k == 0 else 2  # nothing above the first entry to leave alone
        while start - 1 >= floor and a - (start - 1) <= reach:
            cand = items[start - 1]
            before = items[start - 2] if start - 2 >= floor else None
            boundary = before is None or before.bullet or sentence_end(before.text)
            styled = cand.line.bold or cand.line.italic
            if not _header_like(cand) or (k and own and not styled and not boundary):
                break
            start -= 1
        starts.append(start)
    blocks = []
    if starts and starts[0] > 0:
        blocks.append(Block(list(items[: starts[0]]), None, None, []))
    for k, (a, dates) in enumerate(anchors):
        end = starts[k + 1] if k + 1 < len(anchors) else len(items)
        header = list(items[starts[k] : a + 1])
        room = _MAX_HEADER_LINES - len(header)
        extra = _pull_after(items, a + 1, end, room) if room > 0 else 0
        header += items[a + 1 : a + 1 + extra]
        body = list(items[a + 1 + extra : end])
        blocks.append(Block(header, dates, len(header) - 1 - extra, body))
    return blocks


def _blocks_by_style(items: Sequence[Item]) -> list[Block]:
    """No dates at all: a bold line (or a line after bullets) starts an entry."""
    has_bold = any(i.line.bold for i in items)
    blocks: list[Block] = []
    for item in items:
        starts = not item.bullet and (
            item.line.bold if has_bold else (not blocks or blocks[-1].body[-1:] != [])
        )
        if starts and (not blocks or blocks[-1].body or not has_bold):
            blocks.append(Block([item], None, None, []))
        elif blocks and not blocks[-1].body and _header_like(item) and not item.bullet:
            blocks[-1].header.append(item)
        elif blocks:
            blocks[-1].body.append(item)
        else:
            blocks.append(Block([item], None, None, []))
    return blocks


def _drop_details(
    items: Sequence[Item], anchors: list[tuple[int, DateSpan]]
) -> list[tuple[int, DateSpan]]:
    """An expected date on the line right under a range is a detail of that entry
    ("预计 2016 年 3 月毕业", expected to graduate), not an entry of its own."""
    out: list[tuple[int, DateSpan]] = []
    for i, dates in anchors:
        expected = _EXPECTED.search(items[i].text[: dates.span[0]])
        if out and out[-1][0] == i - 1 and out[-1][1].start is not None and expected:
            continue
        out.append((i, dates))
    return out


def split_blocks(items: Sequence[Item]) -> list[Block]:
    """Entries of a section, each a header, its dates and a body. Where the first
    entry opens with its dates, every entry does; otherwise the heading lines sit
    above the dated line."""
    items = mend_wrapped_ranges(items)
    anchors = _drop_details(
        items, [(i, d) for i, item in enumerate(items) if (d := _entry_dates(item)) is not None]
    )
    if not anchors:
        # jobs written as bullets ("• Title, Company (2021-2023)") with sub-bullets
        anchors = [
            (i, d)
            for i, item in enumerate(items)
            if len(item.text.split()) <= _MAX_HEADER_WORDS
            and (d := _entry_dates(item, bullets=True)) is not None
        ]
    if not anchors:
        return _blocks_by_style(items)
    if anchors[0][0] == 0:
        return _blocks_dates_first(items, anchors)
    return _blocks_by_dates(items, anchors)


def fragments(block: Block, split_at: bool) -> list[Frag]:
    frags: list[Frag] = []
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
        if title_part and title_part.strip(STRIP):
            frags.append(Frag(title_part.strip(STRIP), n, bold, italic, title=True))
        for piece in _SPLIT.split(text):
            piece = piece.strip(STRIP.replace(".", "") if _LEGAL.match(piece.strip()) else STRIP)
            if not piece:
                continue
            last = frags[-1] if frags else None
            if _LEGAL.match(piece) and last is not None and last.line == n:
                frags[-1] = attrs.evolve(last, text=f"{last.text}, {piece}")
            else:
                frags.append(Frag(piece, n, bold, italic))
    return frags


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z.'-]*", text.casefold())


def _role_score(text: str) -> int:
    words = _words(text)
    if not words:
        return 0
    if _ROLE_OF.search(text):
        return 4
    score = 3 if words[-1] in ROLE_NOUNS else (1 if any(w in ROLE_NOUNS for w in words) else 0)
    if words[0] in {"head", "director", "vp", "chief", "senior", "junior", "lead", "principal"}:
        score += 1
    if words[-1] in ORG_WORDS or INSTITUTION_WORDS.search(text):
        score -= 3
    return score


def _org_like(text: str) -> bool:
    words = _words(text)
    return bool(words) and (words[-1] in ORG_WORDS or bool(INSTITUTION_WORDS.search(text)))


def place_like(text: str) -> bool:
    words = _words(text)
    if not words or any(w in ORG_WORDS or w in ROLE_NOUNS for w in words):
        return bool(words) and words[0] in REMOTE_WORDS
    return words[0] in REMOTE_WORDS or bool(_PLACE.match(text))


def _location(frags: Sequence[Frag]) -> str | None:
    """The first run of place-like fragments on one line, joined ("Kent, Ohio")."""
    run: list[Frag] = []
    for f in frags:
        if place_like(f.text) and (not run or (f.line == run[-1].line and len(run) < 3)):
            run.append(f)
        elif run:
            break
    return ", ".join(f.text for f in run) or None


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


def _styled_title(frags: Sequence[Frag]) -> Frag:
    """No role word: the fragment set apart in italics (not a place), else in bold."""
    if len({f.italic for f in frags}) > 1:
        italic = next((f for f in frags if f.italic and not place_like(f.text)), None)
        if italic is not None:
            return italic
    if len({f.bold for f in frags}) > 1:
        return next(f for f in frags if f.bold)
    return frags[0]


def _job(block: Block, previous: Job | None) -> Job:
    frags = [
        f
        for f in fragments(block, split_at=True)
        if not _DURATION.fullmatch(f.text) and f.text.casefold() not in _EMPLOYMENT_TYPES
    ]
    title = next((f for f in frags if f.title), None)
    if title is None and frags:
        scored = [(_role_score(f.text), -i, f) for i, f in enumerate(frags)]
        best = max(scored, key=lambda t: (t[0], t[1]))
        title = best[2] if best[0] > 0 else _styled_title(frags)
    rest = [f for f in frags if f is not title]
    company = next((f for f in rest if f.text.casefold() not in REMOTE_WORDS), None)
    company_text = company.text if company else None
    if company is not None:
        # "Microscopic Circus, Schrodinger's University": a comma inside the employer's name
        for f in rest[rest.index(company) + 1 :]:
            if f.line != company.line or not (_org_like(f.text) and not place_like(f.text)):
                break
            company_text = f"{company_text}, {f.text}"
            rest = [r for r in rest if r is not f]
    location = _location([f for f in rest if f is not company])
    body = list(block.body)
    first = body[0] if body else None
    short_place = first is not None and place_like(first.text) and len(first.text.split()) <= 3
    if location is None and first and not first.bullet and first.line.italic and short_place:
        location = body.pop(0).text
    if company_text is None and previous is not None and len(block.header) == 1:
        company_text = previous.company
    start, end = (block.dates.start, block.dates.end) if block.dates else (None, None)
    if start is None and end != "present":
        start, end = end, None  # a job with one date: when it started
    return Job(
        title=title.text if title else None,
        company=company_text,
        location=location,
        start=start,
        end=end,
        description=_description(body),
    )


def own_project(block: Block) -> bool:
    """The entry is marked as the person's own project, not a job."""
    return any(_OWN_PROJECT.search(i.text) for i in [*block.header, *block.body[:2]])


def own_projects(items: Sequence[Item]) -> int:
    """How many entries of a work section are the person's own projects."""
    return sum(1 for block in split_blocks(items) if own_project(block))


def parse_jobs(items: Sequence[Item]) -> list[Job]:
    """Work history entries in the order they appear."""
    jobs: list[Job] = []
    for block in split_blocks(items):
        undated_intro = block.dates is None and not any(
            _role_score(i.text) > 0 for i in block.header
        )
        if undated_intro and not jobs:
            continue  # lines before the first entry
        if own_project(block):
            continue
        jobs.append(_job(block, jobs[-1] if jobs else None))
    return [j for j in jobs if j.title or j.company]
