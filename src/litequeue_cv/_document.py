"""The neutral shape every reader produces and the parser consumes.

Readers know file formats; the parser knows CVs. This module is the only thing
they share, so the parser can be tested on hand-made lines without any file.
"""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Line:
    """One line of text in reading order, with the style hints the parser uses."""

    #: The text, whitespace collapsed, bullet marks still in place. Pieces of
    #: one visual row that a wide gap or a tab separates are joined by " | "
    #: (a title and its right-aligned dates; a date column and its entry).
    text: str
    #: Most of the characters are bold.
    bold: bool = False
    #: Most of the characters are italic.
    italic: bool = False
    #: Font size in points when known.
    size: float | None = None
    #: The source marks it as a heading (a Word heading style or the title).
    heading_style: bool = False
    #: The source marks it as a list item (a Word list paragraph).
    list_item: bool = False
    #: Left edge of the text in points (PDF only), to tell wrapped lines apart.
    x0: float | None = None
    #: Page number, starting at 1 (1 for formats without pages).
    page: int = 1
    #: Right edge of the text in points (PDF only), to tell right-aligned text apart.
    x1: float | None = None
    #: Top of the row in points from the top of its page (PDF only).
    top: float | None = None


@attrs.frozen(kw_only=True)
class SourceDoc:
    """What a reader found in a file: lines in reading order plus link targets."""

    #: Body lines in reading order.
    lines: tuple[Line, ...]
    #: Hyperlink targets found in the file (annotations, relationships).
    links: tuple[str, ...] = ()
    #: Text from page headers and footers, kept apart from the body.
    margin_lines: tuple[Line, ...] = ()
    #: Plain-words notes from the reader about what it could not read.
    warnings: tuple[str, ...] = ()
