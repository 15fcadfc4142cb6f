"""File readers: the only modules that import pdfplumber and python-docx.

``read_document`` checks the path, sniffs the first bytes, and hands the file
to the reader for its real type; every refusal is a typed ``CVError``.
"""

from __future__ import annotations

import os
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
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_TEXT_SUFFIXES = {".txt", ".text", ".md"}
_SUPPORTED = "PDF, DOCX and TXT are supported"


def _head(path: Path) -> bytes:
    if not path.exists():
        raise FileUnreadable(path, "file not found")
    if path.is_dir():
        raise FileUnreadable(path, "is a directory, not a file")
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
    """The file's real type from its first bytes, with its name as a tie-breaker."""
    suffix = path.suffix.lower()
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(_OLE2):
        raise UnsupportedFileType(
            path, f"unsupported file type (legacy Word .doc or other OLE2 file); {_SUPPORTED}"
        )
    if head.startswith(_ZIP) and suffix in {".docx", ".docm", ".dotx", ""}:
        return "docx"
    if suffix == ".pdf":
        what = "it is plain text" if decode_text(head) is not None else "no %PDF header"
        raise CorruptFile(path, f"not a PDF file ({what})")
    if suffix in {".docx", ".docm", ".dotx"}:
        return "docx"
    if suffix in _TEXT_SUFFIXES:
        return "txt"
    label = suffix or "no extension"
    raise UnsupportedFileType(path, f"unsupported file type ({label}); {_SUPPORTED}")


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
