"""PDF reader: one pass of positioned words per page, laid out in reading order."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pdfplumber
from pdfplumber.utils.exceptions import PdfminerException

from .._document import Line, SourceDoc
from ..errors import CorruptFile, CVError, EncryptedFile, NoTextLayer
from ._layout import Segment, reading_order, segments_from_words

_CID = re.compile(r"\(cid:(\d+)\)")
#: Glyph ids pdfminer cannot map that are bullets in the standard fonts.
_CID_BULLETS = {"127", "149", "183"}
#: Share of the page height at the top and bottom where running heads live.
_MARGIN_SHARE = 0.09
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(of|/)\s*\d+)?$", re.IGNORECASE)


def _clean(text: str) -> str:
    text = _CID.sub(lambda m: "•" if m.group(1) in _CID_BULLETS else "", text)
    return " ".join(text.split())


def _open_error(path: Path, exc: Exception) -> Exception:
    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    name = type(cause).__name__
    if "Password" in name or "Encrypt" in name:
        return EncryptedFile(path, "the PDF is encrypted (password-protected) and cannot be read")
    return CorruptFile(path, f"the PDF is corrupt or truncated ({name})")


def _page_lines(segments: list[Segment], page_no: int) -> list[Line]:
    lines = []
    for seg in segments:
        text = _clean(seg.text)
        if text:
            lines.append(
                Line(
                    text=text,
                    bold=seg.bold,
                    italic=seg.italic,
                    size=round(seg.size, 2),
                    x0=seg.x0,
                    page=page_no,
                )
            )
    return lines


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.casefold())


def _split_margins(
    pages: list[tuple[list[Line], list[Segment], float]],
) -> tuple[list[Line], list[Line]]:
    """Drop page numbers and text repeated in the top or bottom margin of several pages."""
    seen: Counter[str] = Counter()
    for lines, segs, height in pages:
        keys = {
            _running_key(line.text)
            for line, seg in zip(lines, segs, strict=True)
            if seg.top < _MARGIN_SHARE * height or seg.bottom > (1 - _MARGIN_SHARE) * height
        }
        seen.update(keys)
    body: list[Line] = []
    margin: list[Line] = []
    for lines, segs, height in pages:
        for line, seg in zip(lines, segs, strict=True):
            in_margin = seg.top < _MARGIN_SHARE * height or seg.bottom > (1 - _MARGIN_SHARE) * height
            repeated = len(pages) > 1 and seen[_running_key(line.text)] > 1
            if in_margin and (repeated or _PAGE_NUMBER.match(line.text)):
                margin.append(line)
            else:
                body.append(line)
    return body, margin


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
    try:
        pdf = pdfplumber.open(path)
    except PdfminerException as exc:
        raise _open_error(path, exc) from exc
    except Exception as exc:
        raise CorruptFile(path, f"the PDF is corrupt ({type(exc).__name__})") from exc
    pages: list[tuple[list[Line], list[Segment], float]] = []
    links: list[str] = []
    try:
        with pdf:
            if not pdf.pages:
                raise NoTextLayer(path, "the PDF has no pages")
            for number, page in enumerate(pdf.pages, start=1):
                words = page.extract_words(extra_attrs=["fontname", "size"])
                ordered = reading_order(segments_from_words(words), float(page.width))
                kept = [s for s in ordered if _clean(s.text)]
                pages.append((_page_lines(kept, number), kept, float(page.height)))
                links.extend(_link_targets(page))
                page.close()
    except CVError:
        raise
    except PdfminerException as exc:
        raise _open_error(path, exc) from exc
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise CorruptFile(path, f"the PDF is damaged ({type(exc).__name__})") from exc
    if not any(lines for lines, _, _ in pages):
        raise NoTextLayer(
            path, "the PDF has no text layer (scanned or image-only pages; OCR is not supported)"
        )
    body, margin = _split_margins(pages)
    return SourceDoc(lines=tuple(body), links=tuple(links), margin_lines=tuple(margin))
