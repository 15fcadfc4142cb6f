"""Errors raised when a file cannot be read as a CV.

Every error names the file and says why in plain words, so a failed job tells
its owner what to fix. The tree::

    CVError(Exception)
    ├── FileUnreadable(CVError, OSError)   missing path, a directory, a named pipe, no permission
    ├── UnsupportedFileType(CVError, ValueError)   .doc, images, other zips, not PDF/DOCX/TXT
    ├── EmptyFile(CVError, ValueError)     zero bytes
    ├── CorruptFile(CVError, ValueError)   not the format its name claims, truncated, damaged
    ├── EncryptedFile(CVError, ValueError) password-protected PDF
    ├── NoTextLayer(CVError, ValueError)   scanned / image-only PDF, or no pages
    └── DocumentTooLarge(CVError, ValueError)  would inflate past the size cap
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CVError",
    "CorruptFile",
    "DocumentTooLarge",
    "EmptyFile",
    "EncryptedFile",
    "FileUnreadable",
    "NoTextLayer",
    "UnsupportedFileType",
]


class CVError(Exception):
    """Base of every CV reading error; ``path`` and ``reason`` are kept for callers."""

    #: Reading the same file again cannot help: a queue fails the job at once.
    retryable = False

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{Path(self.path).name}: {reason}")


class FileUnreadable(CVError, OSError):
    """The path does not exist, is not a regular file, or cannot be opened."""


class UnsupportedFileType(CVError, ValueError):
    """The file is of a type the extractor does not read."""


class EmptyFile(CVError, ValueError):
    """The file has no bytes at all."""


class CorruptFile(CVError, ValueError):
    """The bytes are not a valid file of the type its name claims."""


class EncryptedFile(CVError, ValueError):
    """The PDF needs a password."""


class NoTextLayer(CVError, ValueError):
    """The file holds no extractable text (scanned pages, no pages)."""


class DocumentTooLarge(CVError, ValueError):
    """The document would expand beyond the size cap (zip bomb guard)."""
