"""PDF reader: one pass over the visible characters of each page, laid out in reading order."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import attrs
import pdfplumber
from pdfplumber.utils.exceptions import PdfminerException

from .._document import Line, SourceDoc
from ..errors import CorruptFile, CVError, EncryptedFile, NoTextLayer
from ._chars import upright_text, visible_chars, words_from_chars
from ._layout import ROW_GAP, Segment, reading_order, segments_from_words

#: Share of the page height at the top and bottom where running heads live.
_MARGIN_SHARE = 0.09
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(of|/)\s*\d+)?$", re.IGNORECASE)
#: What a browser prints in the page margins: the date and time, and the
#: page's address beside "1/2".
_TIME_STAMP = re.compile(
    r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4},?\s+\d{1,2}:\d{2}(\s*[AP]M)?$", re.IGNORECASE
)
_ADDRESS = re.compile(r"^(https?|file)://\S+$")


def _clean(text: str) -> str:
    pieces = (" ".join(p.split()) for p in text.split(ROW_GAP))
    return ROW_GAP.join(p for p in pieces if p)


def _is_banner(text: str) -> bool:
    """A browser's print banner: a row with a time stamp, or with an address and
    a page count."""
    pieces = text.split(ROW_GAP)
    if any(_TIME_STAMP.match(p) for p in pieces):
        return True
    return any(_ADDRESS.match(p) for p in pieces) and any(_PAGE_NUMBER.match(p) for p in pieces)


def _damage(path: Path, exc: Exception) -> CVError:
    """The typed error for what pdfplumber or pdfminer raised on this file."""
    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    name = type(cause).__name__
    if "Password" in name or "Encrypt" in name:
        return EncryptedFile(path, "the PDF is encrypted (password-protected) and cannot be read")
    return CorruptFile(path, f"the PDF is corrupt or truncated ({name})")


def _line(seg: Segment, page_no: int) -> Line:
    return Line(
        text=_clean(seg.text),
        bold=seg.bold,
        italic=seg.italic,
        size=round(seg.size, 2),
        x0=seg.x0,
        x1=seg.x1,
        top=seg.top,
        page=page_no,
    )


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", _clean(text).casefold())


@attrs.frozen
class _Page:
    number: int
    height: float
    flow: list[Segment]
    aside: list[Segment]


def _lines(pages: list[_Page]) -> tuple[list[Line], list[Line]]:
    """Body lines (every page's flow, then the right sidebars) and the running
    heads, footers and page numbers that were dropped."""

    def in_margin(seg: Segment, height: float) -> bool:
        return seg.top < _MARGIN_SHARE * height or seg.bottom > (1 - _MARGIN_SHARE) * height

    seen: Counter[str] = Counter()
    for page in pages:
        seen.update(
            {_running_key(s.text) for s in page.flow + page.aside if in_margin(s, page.height)}
        )
    flow: list[Line] = []
    aside: list[Line] = []
    margin: list[Line] = []
    for page in pages:
        for segs, out in ((page.flow, flow), (page.aside, aside)):
            for seg in segs:
                line = _line(seg, page.number)
                if not line.text:
                    continue
                repeated = len(pages) > 1 and seen[_running_key(seg.text)] > 1
                dropped = repeated or _PAGE_NUMBER.match(line.text) or _is_banner(line.text)
                if in_margin(seg, page.height) and dropped:
                    margin.append(line)
                else:
                    out.append(line)
    return flow + aside, margin


def _link_targets(page: pdfplumber.page.Page) -> list[str]:
    out = []
    for link in page.hyperlinks:
        uri = link.get("uri")
        if isinstance(uri, bytes):
            uri = uri.decode("latin-1")
        if isinstance(uri, str) and uri.strip():
            out.append(uri.strip())
    return out


def read_pdf(path: Path) -> SourceDoc:
    """Lines of every page in reading order, with link annotations."""
    pages: list[_Page] = []
    links: list[str] = []
    try:
        with pdfplumber.open(path) as pdf:
            if not pdf.pages:
                raise NoTextLayer(path, "the PDF has no pages")
            for number, page in enumerate(pdf.pages, start=1):
                width, height = float(page.width), float(page.height)
                chars = visible_chars(page.chars, page.rects + page.curves, width, height)
                chars, width = upright_text(chars, width, height)
                words = words_from_chars(chars)
                flow, aside = reading_order(segments_from_words(words), width)
                pages.append(_Page(number, float(page.height), flow, aside))
                links.extend(_link_targets(page))
                page.close()
    except CVError:
        raise
    except (OSError, MemoryError):
        raise  # the disk or the memory limit, not the file's bytes: a retry may help
    except Exception as exc:
        # On bytes they cannot follow, pdfminer and pdfplumber raise their own errors
        # (PSEOF, MalformedPDFException, ...) and builtin ones alike (KeyError,
        # RecursionError, ...): all of them mean the file is damaged.
        raise _damage(path, exc) from exc
    body, margin = _lines(pages)
    if not body and not margin:
        raise NoTextLayer(
            path, "the PDF has no text layer (scanned or image-only pages; OCR is not supported)"
        )
    return SourceDoc(lines=tuple(body), links=tuple(links), margin_lines=tuple(margin))
