"""DOCX reader: body paragraphs and tables in document order, text boxes,
headers and footers, and hyperlink targets.

The zip directory is checked before python-docx sees the file: a small file
can inflate to gigabytes of XML, and python-docx would build all of it in
memory.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph

from .._document import Line, SourceDoc
from ..errors import CorruptFile, DocumentTooLarge, UnsupportedFileType
from . import SUPPORTED, WORD_SUFFIXES

#: Cap on the inflated size of all members together and of any one XML part.
MAX_TOTAL_BYTES = 50 * 1024 * 1024
MAX_XML_BYTES = 20 * 1024 * 1024
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(of|/)\s*\d+)?$", re.IGNORECASE)
_REQUIRED = ("[Content_Types].xml", "word/document.xml")


def check_zip(path: Path) -> None:
    """Refuse files that are not Word zips, or that would inflate past the caps."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise CorruptFile(path, "not a DOCX file (it is not a zip archive)") from exc
    names = {i.filename for i in infos}
    missing = [n for n in _REQUIRED if n not in names]
    if missing and path.suffix.lower() not in WORD_SUFFIXES:
        # Read as DOCX for its zip signature, but named as another zip format (.odt, .xlsx).
        raise UnsupportedFileType(
            path, f"unsupported file type (a zip archive, not a Word document); {SUPPORTED}"
        )
    if missing:
        raise CorruptFile(path, f"not a Word document (the archive has no {missing[0]})")
    total = sum(i.file_size for i in infos)
    biggest = max((i for i in infos if i.filename.endswith(".xml")), key=lambda i: i.file_size)
    if total > MAX_TOTAL_BYTES or biggest.file_size > MAX_XML_BYTES:
        raise DocumentTooLarge(
            path,
            f"the document is too large: it inflates to {total // (1024 * 1024)} MB "
            f"(limit {MAX_TOTAL_BYTES // (1024 * 1024)} MB)",
        )


def _style_chain(style: Any) -> Iterator[Any]:
    while style is not None:
        yield style
        style = style.base_style


def _style_attr(style: Any, attr: str) -> Any:
    for s in _style_chain(style):
        value = getattr(s.font, attr)
        if value is not None:
            return value
    return None


#: A row is joined only when each cell's line is at most this long (a label
#: cell beside a long list is a heading and its content, not one row).
_SHORT_CELL = 80
_PARAGRAPH = qn("w:p")
_RUN = qn("w:r")
_RUN_PROPS = qn("w:rPr")
_PARA_PROPS = qn("w:pPr")
_VANISH = qn("w:vanish")
_COLOR = qn("w:color")
_SHADING = qn("w:shd")
_SIZE = qn("w:sz")
_VAL = qn("w:val")
_FILL = qn("w:fill")
_TABLE = qn("w:tbl")
_CONTROL = qn("w:sdt")
_CONTROL_CONTENT = qn("w:sdtContent")
_TEXT = qn("w:t")
_BREAKS = {qn("w:br"), qn("w:cr")}
_TABS = {qn("w:tab"), qn("w:ptab")}
_SYM = qn("w:sym")
_HYPHEN = qn("w:noBreakHyphen")
#: Parts of a paragraph whose text is not the paragraph's own: text boxes (read
#: as paragraphs of their own), the same box again for old readers, field codes.
_INSTR = qn("w:instrText")
_FIELD = qn("w:fldSimple")
_FIELD_INSTR = qn("w:instr")
_HYPERLINK_FIELD = re.compile(r'HYPERLINK\s+"([^"]+)"')
_TEXT_BOX = qn("w:txbxContent")
_SKIP = {_TEXT_BOX, _MC_FALLBACK, _INSTR, qn("w:delText")}
#: A tab, a symbol glyph used as a separator, or both, with spaces around.
_GAPS = re.compile(r"\s*(?:[\t\x00]\s*)+")


def _shaded(props: Any) -> bool:
    """Properties (of a run or paragraph) with a coloured shading behind the text."""
    shading = props.find(_SHADING) if props is not None else None
    fill = (shading.get(_FILL) or "auto").lower() if shading is not None else "auto"
    return fill not in ("auto", "ffffff")


def _hidden(props: Any, white_shows: bool) -> bool:
    """Run properties that make text nobody sees: hidden, under 3 pt, or white
    where nothing dark can be behind it (keyword stuffing)."""
    if props is None:
        return False
    vanish = props.find(_VANISH)
    if vanish is not None and vanish.get(_VAL, "true") not in ("0", "false"):
        return True
    size = props.find(_SIZE)
    if size is not None and (size.get(_VAL) or "").isdigit() and int(size.get(_VAL)) < 6:
        return True
    color = props.find(_COLOR)
    white = color is not None and (color.get(_VAL) or "").lower() == "ffffff"
    return white and not white_shows and not _shaded(props)


def _raw_text(element: Any, white_shows: bool) -> Iterator[str]:
    """A paragraph's text as Word draws it: tabs as a tab, line breaks as a
    newline, a symbol glyph (a Wingdings dot between contact items) as NUL."""
    for child in element:
        tag = child.tag
        if tag in _SKIP or not isinstance(tag, str):
            continue
        if tag == _RUN and _hidden(child.find(_RUN_PROPS), white_shows):
            continue
        if tag == _TEXT:
            yield child.text or ""
        elif tag in _TABS:
            yield "\t"
        elif tag in _BREAKS:
            yield "\n"
        elif tag == _SYM:
            yield "\x00"
        elif tag == _HYPHEN:
            yield "-"
        else:
            yield from _raw_text(child, white_shows)


def field_links(element: Any) -> list[str]:
    """Targets of HYPERLINK fields (older Word writes links as field codes,
    not as hyperlink elements)."""
    codes = [node.text or "" for node in element.iter(_INSTR)]
    codes += [node.get(_FIELD_INSTR) or "" for node in element.iter(_FIELD)]
    return [m.group(1) for code in codes for m in _HYPERLINK_FIELD.finditer(code)]


def paragraph_lines(element: Any) -> list[str]:
    """The visible lines of a paragraph: split at line breaks, each run of tabs
    (or separator symbols) between words shown as ``" | "``."""
    # White text can show on a shaded paragraph, in a table (cell and table
    # styles may shade it) or in a text box (its shape may be filled): only
    # elsewhere is it taken as hidden.
    white_shows = _shaded(element.find(_PARA_PROPS)) or any(
        a.tag in (_TABLE, _TEXT_BOX) for a in element.iterancestors()
    )
    lines = []
    for piece in "".join(_raw_text(element, white_shows)).split("\n"):
        gapped = _GAPS.sub("\t", piece).strip("\t \x00")
        text = " | ".join(" ".join(part.split()) for part in gapped.split("\t"))
        if text.strip(" |"):
            lines.append(text)
    return lines


class _Walker:
    """Collects lines and links while walking the document tree."""

    def __init__(self, default_size: float | None) -> None:
        self.default_size = default_size
        self.lines: list[Line] = []
        self.links: list[str] = []

    def paragraph(self, para: Paragraph) -> None:
        style = para.style
        style_name = style.name if style is not None else ""
        style_bold = bool(_style_attr(style, "bold"))
        style_italic = bool(_style_attr(style, "italic"))
        style_size = _style_attr(style, "size")
        bold = italic = total = 0
        size = 0.0
        for run in para.iter_inner_content():
            for r in run.runs if isinstance(run, Hyperlink) else [run]:
                n = len(r.text.strip())
                total += n
                if r.bold if r.bold is not None else style_bold:
                    bold += n
                if r.italic if r.italic is not None else style_italic:
                    italic += n
                run_size = r.font.size or style_size
                if n and run_size is not None:
                    size = max(size, run_size.pt)
        if not size:
            size = style_size.pt if style_size is not None else (self.default_size or 0.0)
        heading = style_name.startswith("Heading") or style_name == "Title"
        numbered = para._p.pPr is not None and para._p.pPr.numPr is not None
        for link in para.hyperlinks:
            if link.address:
                self.links.append(link.address)
        self.links.extend(field_links(para._p))
        for text in paragraph_lines(para._p):
            self.lines.append(
                Line(
                    text=text,
                    bold=total > 0 and bold * 2 > total,
                    italic=total > 0 and italic * 2 > total,
                    size=size or None,
                    heading_style=heading,
                    list_item=numbered or "List" in style_name,
                )
            )
        self.text_boxes(para)

    def text_boxes(self, para: Paragraph) -> None:
        for box in para._p.iter(qn("w:txbxContent")):
            if any(a.tag == _MC_FALLBACK for a in box.iterancestors()):
                continue  # the same box again, for old readers
            for p in box.iter(qn("w:p")):
                self.paragraph(Paragraph(p, para._parent))

    def container(self, parent: Any) -> None:
        """The paragraphs and tables of a body, cell, header or footer."""
        body = getattr(parent, "_body", None)  # a Document keeps its blocks in its body
        self.blocks((body or parent)._element, body or parent)

    def blocks(self, element: Any, parent: Any) -> None:
        """Paragraphs and tables in order, also inside content controls (w:sdt),
        which Word's templates wrap whole sections in and python-docx skips."""
        for child in element:
            if child.tag == _PARAGRAPH:
                self.paragraph(Paragraph(child, parent))
            elif child.tag == _TABLE:
                self.table(Table(child, parent))
            elif child.tag == _CONTROL:
                content = child.find(_CONTROL_CONTENT)
                if content is not None:
                    self.blocks(content, parent)

    def table(self, table: Table) -> None:
        """Row by row, each cell in reading order; a row whose cells hold one
        short line each in the same weight and no table (a date cell beside a
        title cell) becomes one line; a bold label cell is a heading."""
        for row in table.rows:
            seen: set[int] = set()
            start = len(self.lines)
            counts = []
            for cell in row.cells:
                if id(cell._tc) in seen:
                    continue  # a merged cell appears once per grid column
                seen.add(id(cell._tc))
                before = len(self.lines)
                self.container(cell)
                counts.append(len(self.lines) - before + len(cell.tables))
            cells = self.lines[start:]
            short = all(len(line.text) <= _SHORT_CELL for line in cells)
            short = short and len({line.bold for line in cells}) == 1
            if max(counts, default=0) == 1 and sum(counts) > 1 and short:
                self.lines[start:] = [
                    attrs.evolve(cells[0], text=" | ".join(line.text for line in cells))
                ]


def _first_page_header(document: Any) -> Any:
    section = document.sections[0]
    if section.different_first_page_header_footer:
        return section.first_page_header
    return section.header


def read_docx(path: Path) -> SourceDoc:
    """Lines in document order, after the first page's header (a contact block
    often lives only there: a person reads it first); all header and footer
    text is also kept apart as margin lines."""
    check_zip(path)
    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise CorruptFile(path, f"the Word document is damaged ({type(exc).__name__})") from exc
    normal_size = None
    with contextlib.suppress(KeyError):
        normal_size = document.styles["Normal"].font.size
    walker = _Walker(normal_size.pt if normal_size is not None else None)
    try:
        head: list[Line] = []
        if document.sections and not _first_page_header(document).is_linked_to_previous:
            walker.container(_first_page_header(document))
            head = [line for line in walker.lines if not _PAGE_NUMBER.match(line.text)]
            walker.lines = []
        walker.container(document)
        body = head + walker.lines
        walker.lines = []
        for section in document.sections:
            parts = (section.first_page_header, section.header, section.footer)
            for part in parts if section.different_first_page_header_footer else parts[1:]:
                if not part.is_linked_to_previous:
                    walker.container(part)
    except (KeyError, ValueError, AttributeError) as exc:
        raise CorruptFile(path, f"the Word document is damaged ({type(exc).__name__})") from exc
    margin = list(dict.fromkeys(walker.lines))
    links = list(dict.fromkeys(walker.links))
    return SourceDoc(lines=tuple(body), links=tuple(links), margin_lines=tuple(margin))
