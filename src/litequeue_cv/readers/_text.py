"""Plain-text reader: one line per line, no style hints."""

from __future__ import annotations

from pathlib import Path

from .._document import Line, SourceDoc
from ..errors import CorruptFile


def decode_text(data: bytes) -> str | None:
    """The text if the bytes look like text (UTF-8, UTF-16 or Latin-1 without controls)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n\f")
    return text if controls <= len(text) // 200 else None


def read_text(path: Path, data: bytes) -> SourceDoc:
    """Lines of a plain-text file."""
    text = decode_text(data)
    if text is None:
        raise CorruptFile(path, "the file is not readable text (binary content)")
    lines = tuple(
        Line(text=" ".join(raw.replace("\t", " | ").split()))
        for raw in text.splitlines()
        if raw.strip()
    )
    return SourceDoc(lines=lines)
