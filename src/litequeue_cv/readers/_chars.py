"""Words from a PDF page's characters: what a reader can see, spaced as it looks.

pdfplumber's own word grouping joins characters closer than 3 points, which
glues the words of LaTeX and Typst PDFs together (they draw no space glyphs,
only a gap of a fifth of an em). Here a gap is a word space when it is wide
for the font size, and characters nobody can see (white on white, a two-point
font, outside the page, icon glyphs) are left out before any word is made. A
page whose text runs sideways is turned upright first.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._layout import boxes_in_rows

#: A gap wider than this share of the font size separates two words.
WORD_GAP_SHARE = 0.12
#: Text smaller than this (points) is not meant to be read (keyword stuffing).
MIN_VISIBLE_SIZE = 3.0
#: A fill at least this light counts as white (0 black, 1 white).
_WHITE = 0.92
#: A white character is visible on a filled shape at most this light.
_DARK_BACKGROUND = 0.8
#: Glyph ids pdfminer cannot map that are bullets in the standard fonts.
CID_BULLETS = frozenset({"(cid:127)", "(cid:149)", "(cid:183)"})
#: Icon fonts draw pictures with letter codes ("z" is a calendar): not text.
_ICON_FONTS = ("fontawesome", "academicons", "simpleicons", "materialicons", "icons")


def lightness(color: Any) -> float | None:
    """0 (black) to 1 (white) for a gray, RGB or CMYK fill; None when unknown."""
    if not isinstance(color, tuple | list) or not color:
        return None
    try:
        values = [float(v) for v in color]
    except (TypeError, ValueError):
        return None  # a pattern name, not a colour
    if len(values) == 1:
        return values[0]
    if len(values) == 3:
        r, g, b = values
        return 0.299 * r + 0.587 * g + 0.114 * b
    if len(values) == 4:
        c, m, y, k = values
        return (1 - k) * (1 - max(c, m, y))
    return None


def _is_icon_code(text: str) -> bool:
    """Private-use code points: icon glyphs (a phone, a pin), not letters."""
    return bool(text) and all(
        0xE000 <= ord(ch) <= 0xF8FF or ord(ch) >= 0xF0000 or ch in "\ufffe\uffff" for ch in text
    )


#: Ligature glyphs, spelled out as the letters they stand for.
LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb06": "st",
    }
)


_Box = tuple[float, float, float, float]
#: Side of the grid cells that index dark shapes, in points.
_CELL = 50.0


class _DarkShapes:
    """Filled shapes dark enough to show white text, indexed by grid cell so a
    page of many shapes and many white characters stays linear."""

    def __init__(self, shapes: Iterable[Mapping[str, Any]], width: float, height: float) -> None:
        self.cells: dict[tuple[int, int], list[_Box]] = {}
        for r in shapes:
            shade = lightness(r.get("non_stroking_color"))
            if not r.get("fill") or shade is None or shade > _DARK_BACKGROUND:
                continue
            x0, x1 = max(float(r["x0"]), 0.0), min(float(r["x1"]), width)
            top, bottom = max(float(r["top"]), 0.0), min(float(r["bottom"]), height)
            if x1 < x0 or bottom < top:
                continue  # off the page
            box = (x0, top, x1, bottom)
            for ix in range(int(box[0] // _CELL), int(box[2] // _CELL) + 1):
                for iy in range(int(box[1] // _CELL), int(box[3] // _CELL) + 1):
                    self.cells.setdefault((ix, iy), []).append(box)

    def under(self, x: float, y: float) -> bool:
        """Whether a dark shape lies under the point."""
        boxes = self.cells.get((int(x // _CELL), int(y // _CELL)), ())
        return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)


def visible_chars(
    chars: Iterable[Mapping[str, Any]],
    shapes: Iterable[Mapping[str, Any]],
    width: float,
    height: float,
) -> list[Mapping[str, Any]]:
    """The characters a person sees on the page: on the page, big enough,
    not from an icon font, and not white unless they sit on a filled shape (rect
    or curve) dark enough to show them."""
    dark: _DarkShapes | None = None
    out = []
    for c in chars:
        x0, x1, top, bottom = (float(c[k]) for k in ("x0", "x1", "top", "bottom"))
        # pdfplumber's size of a sideways character is its advance, not its height
        size = float(c.get("size") or 0.0) if c.get("upright", True) else x1 - x0
        if size < MIN_VISIBLE_SIZE:
            continue
        if x1 <= 0 or x0 >= width or bottom <= 0 or top >= height:
            continue
        if any(k in str(c.get("fontname") or "").lower() for k in _ICON_FONTS):
            continue
        text = str(c["text"])
        if text.startswith("(cid:"):
            if text not in CID_BULLETS:
                continue  # a glyph with no letter behind it (an icon)
            c = {**c, "text": "•"}
        if _is_icon_code(text):
            continue
        shade = lightness(c.get("non_stroking_color"))
        if shade is not None and shade >= _WHITE:
            if dark is None:
                dark = _DarkShapes(shapes, width, height)
            if not dark.under((x0 + x1) / 2, (top + bottom) / 2):
                continue
        out.append(c)
    return out


def upright_text(
    chars: Sequence[Mapping[str, Any]], width: float, height: float
) -> tuple[list[Mapping[str, Any]], float]:
    """The page's text in an upright frame, and that frame's width. Most pages
    are upright and their few sideways characters (a vertical banner) are left
    out; a page whose text mostly runs sideways (a landscape page stored turned,
    /Rotate 90) is turned so its lines run left to right again."""
    upright = [c for c in chars if c.get("upright", True)]
    sideways = [c for c in chars if not c.get("upright", True)]
    if len(sideways) <= len(upright):
        return upright, width
    steps = [float(b["top"]) - float(a["top"]) for a, b in itertools.pairwise(sideways)]
    downwards = sum(1 for d in steps if d > 0) >= sum(1 for d in steps if d < 0)
    turned: list[Mapping[str, Any]] = []
    for c in sideways:
        x0, x1, top, bottom = (float(c[k]) for k in ("x0", "x1", "top", "bottom"))
        if downwards:  # read top to bottom, lines from right to left
            box = {"x0": top, "x1": bottom, "top": width - x1, "bottom": width - x0}
        else:  # read bottom to top, lines from left to right
            box = {"x0": height - bottom, "x1": height - top, "top": x0, "bottom": x1}
        turned.append({**c, **box, "size": x1 - x0, "upright": True})
    return turned, height


def _word(chars: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One word from its characters, left to right; the font most of them use."""
    first = chars[0]
    if len(chars) == 1:
        fontname = first.get("fontname") or ""
    else:
        fonts = [str(c.get("fontname") or "") for c in chars]
        fontname = (
            fonts[0]
            if fonts.count(fonts[0]) * 2 >= len(fonts)
            else max(set(fonts), key=fonts.count)
        )
    return {
        "text": "".join([str(c["text"]) for c in chars]).translate(LIGATURES),
        "x0": float(first["x0"]),
        "x1": max([float(c["x1"]) for c in chars]),
        "top": min([float(c["top"]) for c in chars]),
        "bottom": max([float(c["bottom"]) for c in chars]),
        "size": max([float(c.get("size") or 0.0) for c in chars]),
        "fontname": fontname,
    }


def words_from_chars(chars: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Words (dicts shaped like pdfplumber's) split at spaces and at gaps wider
    than a small share of the font size; a character drawn twice in place (fake
    bold) counts once."""
    words: list[dict[str, Any]] = []
    for row in boxes_in_rows(chars):
        current: list[Mapping[str, Any]] = []
        for c in row:
            text = str(c["text"])
            if current:
                prev = current[-1]
                if text == prev["text"] and float(c["x0"]) - float(prev["x0"]) < 0.3 * max(
                    float(prev["x1"]) - float(prev["x0"]), 0.1
                ):
                    continue
                gap = float(c["x0"]) - float(prev["x1"])
                if gap > WORD_GAP_SHARE * float(c.get("size") or 10.0):
                    words.append(_word(current))
                    current = []
            if text.isspace():
                if current:
                    words.append(_word(current))
                    current = []
                continue
            current.append(c)
        if current:
            words.append(_word(current))
    return words
