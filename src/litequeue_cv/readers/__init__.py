"""File readers: the only modules that import pdfplumber and python-docx.

``read_document`` checks the path, sniffs the first bytes, and hands the file
to the reader for its real type; every refusal is a typed ``CVError``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .._document import SourceDoc
from ..errors import (
    CorruptFile,
    DocumentTooLarge,
    EmptyFile,
    FileUnreadable,
    UnsupportedFileType,
)
from ._text import decode_text

__all__ = ["read_document"]

#: Largest plain-text file read whole.
MAX_TEXT_BYTES = 5 * 1024 * 1024
#: Names that claim a Word document (a zip under another name may be another format).
WORD_SUFFIXES = frozenset({".docx", ".docm", ".dotx"})
#: Ends every "unsupported file type" message.
SUPPORTED = "PDF, DOCX and TXT are supported"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_TEXT_SUFFIXES = {".txt", ".text", ".md"}


def _check_regular(path: Path) -> None:
    """Refuse before opening: opening a named pipe blocks until something writes to it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise FileUnreadable(path, "file not found") from exc
    except PermissionError as exc:
        raise FileUnreadable(path, "permission denied: the file cannot be read") from exc
    except OSError as exc:
        raise FileUnreadable(path, f"the file cannot be read ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(mode):
        raise FileUnreadable(path, "is a directory, not a file")
    if not stat.S_ISREG(mode):
        what = "a named pipe" if stat.S_ISFIFO(mode) else "a socket or a device"
        raise FileUnreadable(path, f"not a regular file (it is {what})")


def _head(path: Path) -> bytes:
    _check_regular(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except PermissionError as exc:
        raise FileUnreadable(path, "permission denied: the file cannot be read") from exc
    except OSError as exc:
        raise FileUnreadable(path, f"the file cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise EmptyFile(path, "the file is empty (0 bytes)")
    return head


def _kind(path: Path, head: bytes) -> str:
    """The file's type from its first bytes; the name only tells what a file without
    a known signature claims to be (so a DOCX saved as ``.doc`` is read as DOCX)."""
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(_OLE2):
        raise UnsupportedFileType(
            path, f"unsupported file type (legacy Word .doc or other OLE2 file); {SUPPORTED}"
        )
    if head.startswith(_ZIP):
        return "docx"
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        what = "it is plain text" if decode_text(head) is not None else "no %PDF header"
        raise CorruptFile(path, f"not a PDF file ({what})")
    if suffix in WORD_SUFFIXES:
        return "docx"  # the archive check says what is wrong with it
    if suffix in _TEXT_SUFFIXES:
        return "txt"
    label = suffix or "no extension"
    raise UnsupportedFileType(path, f"unsupported file type ({label}); {SUPPORTED}")


def read_document(path: str | os.PathLike[str]) -> tuple[str, SourceDoc]:
    """The file's type and its lines in reading order."""
    p = Path(path)
    kind = _kind(p, _head(p))
    if kind == "pdf":
        from ._pdf import read_pdf

        return kind, read_pdf(p)
    if kind == "docx":
        from ._docx import read_docx

        return kind, read_docx(p)
    from ._text import read_text

    if p.stat().st_size > MAX_TEXT_BYTES:
        raise DocumentTooLarge(p, f"the text file is larger than {MAX_TEXT_BYTES // 1048576} MB")
    return kind, read_text(p, p.read_bytes())
