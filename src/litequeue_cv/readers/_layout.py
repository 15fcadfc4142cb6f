"""Reading order for one PDF page, from positioned words.

pdfplumber's plain text interleaves side-by-side columns line by line. Here the
words are grouped into segments (runs of words on one baseline with no wide
gap), a vertical gutter is looked for where the x-coverage of the segments has
a gap, and the page is read either column by column (a sidebar), row by row
with labels first (a grid of headings in a left gutter), or simply top to
bottom. Within a column the segments of one visual row become one row, their
pieces joined by ``ROW_GAP`` (a title and its right-aligned dates stay
together). Every step is ``O(n log n)`` in the number of words.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

#: Joins the pieces of one visual row that a wide gap separates.
ROW_GAP = " | "
#: A gap wider than this many points (or this share of the font size) splits a segment.
_GAP_MIN = 8.0
_GAP_SIZE_SHARE = 0.9
#: A gap of this share of the font size splits a segment before a tab stop.
_TAB_GAP_SHARE = 0.5
#: The smaller column needs at least this many segments to be a column at all.
_MIN_COLUMN_SEGMENTS = 3
#: Segments whose tops are this close (points) are side by side on one row.
_ROW_ALIGN = 3.0
#: At most this many gutter candidates are tried per page (the emptiest first).
_MAX_GUTTERS = 12
#: Fonts whose glyphs are pictures (bullets), not letters.
_SYMBOL_FONTS = ("Dingbat", "Symbol", "Wingding")
#: Bullet marks as pdfminer reports them.
_MARKERS = {"(cid:127)", "(cid:149)", "(cid:183)"}
#: Marks that start a list item.
_BULLETS = tuple("•◦▪▫●○■□-*·►▸➢✓\u2013")


@attrs.frozen(kw_only=True)
class Segment:
    """Words on one baseline with no wide gap between them (or a row of such
    pieces joined by ``ROW_GAP``)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    italic: bool


@functools.lru_cache(maxsize=256)
def _font_style(fontname: str) -> tuple[bool, bool, bool]:
    """(bold, italic, symbol) for a font name; a page uses a handful of fonts."""
    name = fontname.lower()
    bold = any(k in name for k in ("bold", "black", "heavy", "semibold", ",b"))
    italic = "italic" in name or "oblique" in name or name.endswith((",i", "-it"))
    symbol = any(k in fontname for k in _SYMBOL_FONTS)
    return bold, italic, symbol


def _make_segment(words: Sequence[Mapping[str, Any]]) -> Segment:
    parts: list[str] = []
    prev_x1: float | None = None
    bold_chars = italic_chars = total = 0
    size = 0.0
    top, bottom = math.inf, -math.inf
    for w in words:
        bold, italic, symbol = _font_style(str(w.get("fontname") or ""))
        text = "•" if symbol else str(w["text"])
        size_w = float(w.get("size") or 0.0)
        if prev_x1 is not None:
            gap = float(w["x0"]) - prev_x1
            parts.append(" " if gap > max(0.8, 0.1 * size_w) else "")
        parts.append(text)
        prev_x1 = float(w["x1"])
        n = len(text)
        total += n
        bold_chars += n if bold else 0
        italic_chars += n if italic else 0
        if len(words) == 1 or not _is_marker_text(text):  # a big bullet is not the line's height
            size = max(size, size_w)
            top, bottom = min(top, float(w["top"])), max(bottom, float(w["bottom"]))
    if top == math.inf:  # only marks
        top, bottom = min(float(w["top"]) for w in words), max(float(w["bottom"]) for w in words)
        size = max(float(w.get("size") or 0.0) for w in words)
    return Segment(
        text="".join(parts),
        x0=float(words[0]["x0"]),
        x1=float(words[-1]["x1"]),
        top=top,
        bottom=bottom,
        size=size,
        bold=bold_chars * 2 > total,
        italic=italic_chars * 2 > total,
    )


def _is_marker_text(text: str) -> bool:
    return text in _MARKERS or (len(text) == 1 and not text.isalnum())


def _is_marker(words: Sequence[Mapping[str, Any]]) -> bool:
    """A lone bullet glyph, which sits a wide gap before its text."""
    return len(words) == 1 and _is_marker_text(str(words[0]["text"]))


def overlap_rows(items: Iterable[Any], top: Any, bottom: Any) -> list[list[Any]]:
    """Items, top to bottom, in rows: each item joins the row when its box and
    the row's band overlap by half the smaller height. The band is the first
    item's box, narrowed to a much shorter item that joins, so a tall glyph
    (an icon beside two lines) does not pull the line under it into its row."""
    rows: list[list[Any]] = []
    row_top = row_bottom = 0.0
    for item in sorted(items, key=top):
        t, b = float(top(item)), float(bottom(item))
        overlap = min(b, row_bottom) - max(t, row_top)
        if rows and overlap >= 0.5 * min(b - t, row_bottom - row_top):
            rows[-1].append(item)
            if b - t < 0.7 * (row_bottom - row_top):
                row_top, row_bottom = t, b
            continue
        rows.append([item])
        row_top, row_bottom = t, b
    return rows


def boxes_in_rows(boxes: Iterable[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """pdfplumber characters or words (dicts with ``top``, ``bottom``, ``x0``) in
    visual rows, top to bottom, each row left to right."""
    rows = overlap_rows(
        sorted(boxes, key=lambda b: (float(b["top"]), float(b["x0"]))),
        lambda b: float(b["top"]),
        lambda b: float(b["bottom"]),
    )
    for row in rows:
        row.sort(key=lambda b: float(b["x0"]))
    return rows


def segments_from_words(words: Iterable[Mapping[str, Any]]) -> list[Segment]:
    """Group words into rows, then split rows at wide gaps, and at narrower ones
    before a word that starts where other rows start (a tab stop: the text
    beside a date column)."""
    rows = boxes_in_rows(words)
    starts = Counter(round(float(row[0]["x0"])) for row in rows)
    segments: list[Segment] = []
    for row in rows:
        justified = _is_justified(row)
        current: list[Mapping[str, Any]] = [row[0]]
        for w in row[1:]:
            size = float(w.get("size") or 10.0)
            gap = float(w["x0"]) - float(current[-1]["x1"])
            x = round(float(w["x0"]))
            tab_stop = (
                gap > _TAB_GAP_SHARE * size and starts[x - 1] + starts[x] + starts[x + 1] >= 3
            )
            wide = not justified and (gap > max(_GAP_MIN, _GAP_SIZE_SHARE * size) or tab_stop)
            if wide and (not _is_marker(current) or gap > 2.5 * size):
                segments.append(_make_segment(current))
                current = []
            current.append(w)
        segments.append(_make_segment(current))
    return _attach_markers(segments)


def _is_justified(row: Sequence[Mapping[str, Any]]) -> bool:
    """A justified line stretched wide: five or more words, every gap between
    them alike (within 30%) and under 1.5 em. Pieces set apart on purpose (tags,
    a date column) have ordinary word spaces inside them or wider gaps."""
    if len(row) < 5:
        return False
    gaps = [float(b["x0"]) - float(a["x1"]) for a, b in itertools.pairwise(row)]
    size = max(float(w.get("size") or 10.0) for w in row)
    smallest, widest = min(gaps), max(gaps)
    return smallest > 0 and widest <= 1.3 * smallest and widest < 1.5 * size


def _attach_markers(segments: list[Segment]) -> list[Segment]:
    """A bullet mark that landed on a row of its own, joined to the text beside it."""
    order = sorted(range(len(segments)), key=lambda k: segments[k].top)
    tops = [segments[k].top for k in order]
    merged = list(segments)
    dropped: set[int] = set()
    for i, seg in enumerate(segments):
        if not _is_marker_text(seg.text):
            continue
        lo = bisect.bisect_left(tops, seg.top - 0.6 * seg.size)
        hi = bisect.bisect_right(tops, seg.top + 0.6 * seg.size)
        j = next(
            (
                k
                for k in order[lo:hi]
                if k != i
                and k not in dropped
                and 0 <= merged[k].x0 - seg.x1 <= 2.5 * seg.size
                and abs(merged[k].top - seg.top) < 0.6 * seg.size
            ),
            None,
        )
        if j is not None:
            merged[j] = attrs.evolve(merged[j], text=f"{seg.text} {merged[j].text}", x0=seg.x0)
            dropped.add(i)
    return [s for k, s in enumerate(merged) if k not in dropped]


@attrs.frozen
class _Split:
    gutter: float
    left: list[Segment]
    right: list[Segment]
    above: list[Segment]
    below: list[Segment]


def _gutters(segments: Sequence[Segment], width: float) -> list[float]:
    """Candidate gutters: in each run of x positions (in the middle 70% of the
    page) that few segments cross, the middle of its emptiest stretch; the
    emptiest runs first."""
    size = max(1, math.ceil(width) + 1)
    diff = [0] * (size + 1)
    for s in segments:
        a, b = max(0, math.ceil(s.x0)), min(size, math.floor(s.x1) + 1)
        if b > a:
            diff[a] += 1
            diff[b] -= 1
    limit = max(4, len(segments) // 10)
    lo, hi = math.ceil(0.15 * width), math.floor(0.85 * width)
    runs: list[tuple[int, float]] = []  # (crossings, middle of the emptiest stretch)
    cover = 0
    best: list[int] | None = None  # [crossings, start, end] of the run's emptiest stretch
    for x in range(size):
        cover += diff[x]
        inside = lo < x < hi and cover <= limit
        if inside and (best is None or cover < best[0]):
            best = [cover, x, x]
        elif inside and best is not None and cover == best[0] and best[2] == x - 1:
            best[2] = x
        if best is not None and (not inside or x == size - 1):
            runs.append((best[0], (best[1] + best[2]) / 2))
            best = None
    runs.sort()
    return [g for _, g in runs[:_MAX_GUTTERS]]


def _split_at(segments: Sequence[Segment], g: float) -> _Split | None:
    """The page cut at gutter ``g``. Text that crosses the gutter near the top
    (a full-width header) and everything above it is read first; text that
    crosses it below the band where both columns have text is read last; a few
    other crossing pieces (a chart label) go to the side that holds most of them."""
    if sum(1 for s in segments if s.x1 <= g) < _MIN_COLUMN_SEGMENTS:
        return None
    if sum(1 for s in segments if s.x0 >= g) < _MIN_COLUMN_SEGMENTS:
        return None
    top = min(s.top for s in segments)
    height = max(s.bottom for s in segments) - top
    crossers = [s for s in segments if s.x0 < g < s.x1]
    head = [s.bottom for s in crossers if s.bottom <= top + 0.25 * height]
    cut = max(head) + 0.5 if head else top - 1.0
    cut = max(cut, _header_cut(segments, g, top + 0.25 * height))
    above = [s for s in segments if s.bottom <= cut]
    rest = [s for s in segments if s.bottom > cut]
    left = [s for s in rest if s.x1 <= g]
    right = [s for s in rest if s.x0 >= g]
    if min(len(left), len(right)) < _MIN_COLUMN_SEGMENTS:
        return None
    band_bottom = min(max(s.bottom for s in left), max(s.bottom for s in right)) + 1.0
    below = [s for s in rest if s.top >= band_bottom and s.x0 < g < s.x1]
    below_ids = {id(s) for s in below}
    stray = [s for s in rest if s.x0 < g < s.x1 and id(s) not in below_ids]
    if len(stray) > max(2, (len(left) + len(right)) // 30):
        return None
    for s in stray:
        (left if g - s.x0 > s.x1 - g else right).append(s)
    if below:
        first = min(s.top for s in below)
        below = [s for s in rest if s.top >= first]
        below_ids = {id(s) for s in below}
        left = [s for s in left if id(s) not in below_ids]
        right = [s for s in right if id(s) not in below_ids]
    return _Split(g, left, right, above, below)


def _header_cut(segments: Sequence[Segment], g: float, limit: float) -> float:
    """The bottom of a header block: the widest empty band across the page above
    ``limit``, when a title (the name, in a large font) lies above it and what
    lies above it on one side of the gutter only shares rows with the other
    side and is set well apart from what follows on that side (a location at
    the end of the contact row, not the first line of a paragraph)."""
    ordered = sorted(segments, key=lambda s: s.top)
    best_gap, cut = 0.0, -math.inf
    reach = ordered[0].bottom
    for s in ordered[1:]:
        if reach > limit:
            break
        if s.top - reach > best_gap:
            best_gap, cut = s.top - reach, reach
        reach = max(reach, s.bottom)
    sizes = sorted(s.size for s in segments)
    median = sizes[len(sizes) // 2]
    if best_gap < 1.2 * median or cut == -math.inf:
        return -math.inf
    above = [s for s in segments if s.bottom <= cut]
    if max(s.size for s in above) < 1.9 * median:
        return -math.inf  # no title (the name) above: not a page header
    left = [s for s in above if s.x1 <= g]
    right = [s for s in above if s.x0 >= g]
    fewer, more = (left, right) if len(left) <= len(right) else (right, left)
    if not fewer:
        return cut
    if len(fewer) > 2 or max(s.size for s in more) < 1.9 * median:
        return -math.inf  # a column of its own beside the header, not a piece of its rows
    on_left = fewer is left
    side_below = [s.top for s in segments if s.top >= cut and (s.x1 <= g if on_left else s.x0 >= g)]
    interrupted = not side_below or min(side_below) - max(s.bottom for s in fewer) >= 2 * median
    return cut if interrupted and _aligned_share(fewer, more) == 1.0 else -math.inf


def _find_split(segments: Sequence[Segment], width: float) -> _Split | None:
    """The gutter that best separates two columns."""
    best: _Split | None = None
    best_score = (0, 0)
    for g in _gutters(segments, width):
        split = _split_at(segments, g)
        if split is None:
            continue
        score = (min(len(split.left), len(split.right)), -len(split.below))
        if score[0] >= _MIN_COLUMN_SEGMENTS and score > best_score:
            best, best_score = split, score
    return best


def _aligned_share(small: Sequence[Segment], other: Sequence[Segment]) -> float:
    tops = sorted(s.top for s in other)
    hits = 0
    for s in small:
        k = bisect.bisect_left(tops, s.top - _ROW_ALIGN)
        hits += k < len(tops) and tops[k] <= s.top + _ROW_ALIGN
    return hits / len(small)


def _starts_with_bullet(text: str) -> bool:
    return text.startswith(_BULLETS)


def _join_row(row: Sequence[Segment]) -> Segment:
    """One row's pieces, left to right, as one segment."""
    if len(row) == 1:
        return row[0]
    total = sum(len(s.text) for s in row)
    return Segment(
        text=ROW_GAP.join(s.text for s in row),
        x0=row[0].x0,
        x1=max(s.x1 for s in row),
        top=min(s.top for s in row),
        bottom=max(s.bottom for s in row),
        size=max(s.size for s in row),
        bold=sum(len(s.text) for s in row if s.bold) * 2 > total,
        italic=sum(len(s.text) for s in row if s.italic) * 2 > total,
    )


def _lift_right_stacks(rows: list[list[Segment]]) -> None:
    """Right-aligned pieces stacked under a title's right-aligned piece (location,
    then dates, then a duration) move up to the title's row when the rows they
    sit on are the entry's body (bullets or indented text wrapping around them)."""
    if not rows:
        return
    left = min(r[0].x0 for r in rows)
    right = max(s.x1 for r in rows for s in r)
    middle = left + 0.55 * (right - left)
    anchor: list[Segment] | None = None
    last: Segment | None = None
    for row in rows:
        piece = row[-1] if len(row) > 1 and row[-1].x0 >= middle else None
        if piece is None:
            continue
        body = _starts_with_bullet(row[0].text) or (
            anchor is not None and row[0].x0 > anchor[0].x0 + 1.5
        )
        stacked = (
            anchor is not None
            and last is not None
            and piece.top - last.bottom < 0.9 * piece.size
            and abs(piece.x1 - last.x1) <= 4.0
        )
        if anchor is not None and body and stacked:
            row.remove(piece)
            anchor.append(piece)
        else:
            anchor = row
        last = piece


def _gutter_heading(row: Sequence[Segment], starts: Counter[int]) -> bool:
    """The row's first piece is a heading in a left gutter: bold, a fifth bigger
    than the rest, and the rest starts where other rows start (the content
    column), not right-aligned like a title's dates."""
    first, second = row[0], row[1]
    x = round(second.x0)
    return (
        first.bold
        and first.size >= 1.2 * max(s.size for s in row[1:])
        and starts[x - 1] + starts[x] + starts[x + 1] >= 1
    )


def _by_rows(segments: Iterable[Segment]) -> list[Segment]:
    """Top to bottom, the pieces of one visual row joined left to right; a
    heading in a left gutter stays a line of its own, before the content
    beside it."""
    rows = overlap_rows(segments, lambda s: s.top, lambda s: s.bottom)
    for row in rows:
        row.sort(key=lambda s: s.x0)
    _lift_right_stacks(rows)
    starts = Counter(round(row[0].x0) for row in rows if row)
    out = []
    for row in rows:
        if len(row) > 1 and _gutter_heading(row, starts):
            out.append(row.pop(0))
        if row:
            out.append(_join_row(row))
    return out


def _blocks(labels: Iterable[Segment], *, same_weight: bool = True) -> list[list[Segment]]:
    """Labels top to bottom, those closer than most of a line apart in one
    block (a heading wrapped over two lines); with ``same_weight`` only lines
    of one weight join (a plain contact line is not part of a bold heading)."""
    blocks: list[list[Segment]] = []
    for s in sorted(labels, key=lambda s: s.top):
        last = blocks[-1][-1] if blocks else None
        close = last is not None and s.top - last.bottom < 0.8 * s.size
        if last is not None and close and (s.bold == last.bold or not same_weight):
            blocks[-1].append(s)
        else:
            blocks.append([s])
    return blocks


def _label_rows(labels: Sequence[Segment], content: Sequence[Segment]) -> list[Segment]:
    """A left gutter of headings: each label block, then the content beside it."""
    blocks = _blocks(labels)
    content = sorted(content, key=lambda s: s.top)
    starts = [b[0].top - max(_ROW_ALIGN, 0.5 * b[0].size) for b in blocks] + [float("inf")]
    k = bisect.bisect_left([s.top for s in content], starts[0])
    out = _by_rows(content[:k])
    for i, block in enumerate(blocks):
        out.append(_join(block))
        end = k
        while end < len(content) and content[end].top < starts[i + 1]:
            end += 1
        out.extend(_by_rows(content[k:end]))
        k = end
    return out


def _join(block: Sequence[Segment]) -> Segment:
    """A heading wrapped over several lines of a narrow cell, as one segment."""
    return attrs.evolve(
        block[0],
        text=" ".join(s.text for s in block),
        x1=max(s.x1 for s in block),
        bottom=block[-1].bottom,
    )


def _bold_labels(small: Sequence[Segment]) -> bool:
    """A gutter of bold headings, maybe under the end of the page header (a
    contact line that stops short of the gutter)."""
    bold = [s for s in small if s.bold]
    if not bold:
        return False
    first = min(s.top for s in bold)
    plain = [s for s in small if not s.bold]
    return len(bold) >= 4 * len(plain) and all(s.bottom <= first for s in plain)


def reading_order(segments: Sequence[Segment], width: float) -> tuple[list[Segment], list[Segment]]:
    """Rows of one page in the order a person reads them, as (flow, aside).

    ``aside`` is a narrow right-hand sidebar: the main column goes on to the
    next page before anyone reads it, so the caller puts it after the flow.
    """
    split = _find_split(segments, width)
    if split is None:
        return _by_rows(segments), []
    small, other = (
        (split.left, split.right)
        if len(split.left) <= len(split.right)
        else (split.right, split.left)
    )
    # A gutter of labels (all bold, or one-line labels far apart: a Europass
    # CV's headings and dates) rather than a sidebar of its own paragraphs.
    # Far apart means by spacing alone: a main column's bold titles sit right
    # above their plain lines and are not labels.
    row_aligned = _aligned_share(small, other) > 0.85
    blocks = len(_blocks(small, same_weight=False))
    label_like = _bold_labels(small) or (
        small is split.left and not row_aligned and blocks >= 3 and blocks >= 0.6 * len(small)
    )
    above, below = _by_rows(split.above), _by_rows(split.below)
    if not (label_like or row_aligned):
        left_width = max(s.x1 for s in split.left) - min(s.x0 for s in split.left)
        right_width = max(s.x1 for s in split.right) - min(s.x0 for s in split.right)
        if right_width < left_width:
            return above + _by_rows(split.left) + below, _by_rows(split.right)
        return above + _by_rows(split.left) + _by_rows(split.right) + below, []
    if small is split.left and label_like:
        return above + _label_rows(split.left, split.right) + below, []
    return _by_rows(segments), []
