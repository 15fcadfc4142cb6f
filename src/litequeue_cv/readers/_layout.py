"""Reading order for one PDF page, from positioned words.

pdfplumber's plain text interleaves side-by-side columns line by line. Here the
words are grouped into segments (runs of words on one baseline with no wide
gap), a vertical gutter free of segments is looked for, and the page is read
either column by column (a sidebar), row by row with labels first (a grid of
headings in a left gutter), or simply top to bottom.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

#: A gap wider than this many points (or this share of the font size) splits a segment.
_GAP_MIN = 8.0
_GAP_SIZE_SHARE = 0.9
#: The smaller column needs at least this many segments to be a column at all.
_MIN_COLUMN_SEGMENTS = 3
#: Segments whose tops are this close (points) are side by side on one row.
_ROW_ALIGN = 3.0
#: Fonts whose glyphs are pictures (bullets), not letters.
_SYMBOL_FONTS = ("Dingbat", "Symbol", "Wingding")
#: Bullet marks as pdfminer reports them.
_MARKERS = {"(cid:127)", "(cid:149)", "(cid:183)"}


@attrs.frozen(kw_only=True)
class Segment:
    """Words on one baseline with no wide gap between them."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    italic: bool


def _is_bold(fontname: str) -> bool:
    name = fontname.lower()
    return any(k in name for k in ("bold", "black", "heavy", "semibold", ",b"))


def _is_italic(fontname: str) -> bool:
    name = fontname.lower()
    return "italic" in name or "oblique" in name or name.endswith(",i")


def _make_segment(words: Sequence[Mapping[str, Any]]) -> Segment:
    parts: list[str] = []
    prev_x1: float | None = None
    bold_chars = italic_chars = total = 0
    size = 0.0
    for w in words:
        text = str(w["text"])
        if any(k in str(w.get("fontname") or "") for k in _SYMBOL_FONTS):
            text = "•"
        size_w = float(w.get("size") or 0.0)
        if prev_x1 is not None:
            gap = float(w["x0"]) - prev_x1
            parts.append(" " if gap > max(0.8, 0.15 * size_w) else "")
        parts.append(text)
        prev_x1 = float(w["x1"])
        n = len(text)
        total += n
        font = str(w.get("fontname") or "")
        if _is_bold(font):
            bold_chars += n
        if _is_italic(font):
            italic_chars += n
        size = max(size, size_w)
    return Segment(
        text="".join(parts),
        x0=float(words[0]["x0"]),
        x1=float(words[-1]["x1"]),
        top=min(float(w["top"]) for w in words),
        bottom=max(float(w["bottom"]) for w in words),
        size=size,
        bold=bold_chars * 2 > total,
        italic=italic_chars * 2 > total,
    )


def _is_marker(words: Sequence[Mapping[str, Any]]) -> bool:
    """A lone bullet glyph, which sits a wide gap before its text."""
    if len(words) != 1:
        return False
    text = str(words[0]["text"])
    return text in _MARKERS or (len(text) == 1 and not text.isalnum())


def segments_from_words(words: Iterable[Mapping[str, Any]]) -> list[Segment]:
    """Group words into rows (boxes overlapping the row's first word by half their
    height), then split rows at wide gaps."""
    ordered = sorted(words, key=lambda w: (float(w["top"]), float(w["x0"])))
    rows: list[list[Mapping[str, Any]]] = []
    row_top = row_bottom = 0.0
    for w in ordered:
        top, bottom = float(w["top"]), float(w["bottom"])
        overlap = min(bottom, row_bottom) - max(top, row_top)
        if rows and overlap >= 0.5 * min(bottom - top, row_bottom - row_top):
            rows[-1].append(w)
            continue
        rows.append([w])
        row_top, row_bottom = top, bottom
    segments: list[Segment] = []
    for row in rows:
        row.sort(key=lambda w: float(w["x0"]))
        current: list[Mapping[str, Any]] = [row[0]]
        for w in row[1:]:
            size = float(w.get("size") or 10.0)
            gap = float(w["x0"]) - float(current[-1]["x1"])
            wide = gap > max(_GAP_MIN, _GAP_SIZE_SHARE * size)
            if wide and (not _is_marker(current) or gap > 2.5 * size):
                segments.append(_make_segment(current))
                current = []
            current.append(w)
        segments.append(_make_segment(current))
    return _attach_markers(segments)


def _attach_markers(segments: list[Segment]) -> list[Segment]:
    """A bullet mark that landed on a row of its own, joined to the text beside it."""
    merged = list(segments)
    dropped: set[int] = set()
    for i, seg in enumerate(merged):
        if not (seg.text in _MARKERS or (len(seg.text) == 1 and not seg.text.isalnum())):
            continue
        j = next(
            (
                k
                for k, s in enumerate(merged)
                if k != i
                and k not in dropped
                and 0 <= s.x0 - seg.x1 <= 2.5 * seg.size
                and abs(s.top - seg.top) < 0.6 * seg.size
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


def _find_split(segments: Sequence[Segment], width: float) -> _Split | None:
    """The gutter that best separates two columns. Segments above the band where
    both columns have text (a full-width header) are read first; no segment may
    cross the gutter inside the band."""
    candidates = {round(s.x1 + 1.0) for s in segments} | {round(s.x0 - 1.0) for s in segments}
    best: _Split | None = None
    best_score = (0, 0)
    for g in sorted(c for c in candidates if 0.15 * width < c < 0.85 * width):
        left = [s for s in segments if s.x1 <= g]
        right = [s for s in segments if s.x0 >= g]
        if min(len(left), len(right)) < _MIN_COLUMN_SEGMENTS:
            continue
        band_top = max(min(s.top for s in left), min(s.top for s in right)) - 1.0
        band_bottom = min(max(s.bottom for s in left), max(s.bottom for s in right)) + 1.0
        above = [s for s in segments if s.bottom <= band_top]
        below = [s for s in segments if s.top >= band_bottom and s.x0 < g < s.x1]
        inside = [s for s in segments if s.bottom > band_top and s not in below]
        left = [s for s in inside if s.x1 <= g]
        right = [s for s in inside if s.x0 >= g]
        score = (min(len(left), len(right)), -len(below))
        if score[0] < _MIN_COLUMN_SEGMENTS or score <= best_score:
            continue
        if len(left) + len(right) != len(inside):
            continue
        best, best_score = _Split(g, left, right, above, below), score
    return best


def _aligned_share(small: Sequence[Segment], other: Sequence[Segment]) -> float:
    tops = sorted(s.top for s in other)
    hits = sum(1 for s in small if any(abs(s.top - t) <= _ROW_ALIGN for t in tops))
    return hits / len(small)


def _by_rows(segments: Iterable[Segment]) -> list[Segment]:
    """Top to bottom; segments on one row left to right."""
    rows: list[list[Segment]] = []
    for s in sorted(segments, key=lambda s: s.top):
        if rows and abs(rows[-1][0].top - s.top) <= _ROW_ALIGN:
            rows[-1].append(s)
        else:
            rows.append([s])
    return [s for row in rows for s in sorted(row, key=lambda s: s.x0)]


def _label_rows(labels: Sequence[Segment], content: Sequence[Segment]) -> list[Segment]:
    """A left gutter of headings: each label block, then the content beside it."""
    labels = sorted(labels, key=lambda s: s.top)
    blocks: list[list[Segment]] = []
    for s in labels:
        if blocks and s.top - blocks[-1][-1].bottom < 0.8 * s.size:
            blocks[-1].append(s)
        else:
            blocks.append([s])
    content = sorted(content, key=lambda s: s.top)
    starts = [b[0].top - max(_ROW_ALIGN, 0.5 * b[0].size) for b in blocks] + [float("inf")]
    out = [s for s in content if s.top < starts[0]]
    for i, block in enumerate(blocks):
        out.append(_join(block))
        out.extend(s for s in content if starts[i] <= s.top < starts[i + 1])
    return out


def _join(block: Sequence[Segment]) -> Segment:
    """A heading wrapped over several lines of a narrow cell, as one segment."""
    return attrs.evolve(
        block[0],
        text=" ".join(s.text for s in block),
        x1=max(s.x1 for s in block),
        bottom=block[-1].bottom,
    )


def reading_order(segments: Sequence[Segment], width: float) -> tuple[list[Segment], list[Segment]]:
    """Segments of one page in the order a person reads them, as (flow, aside).

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
    label_like = all(s.bold for s in small)
    row_aligned = _aligned_share(small, other) > 0.85
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
