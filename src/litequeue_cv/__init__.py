"""litequeue_cv: read a CV (PDF, DOCX or TXT) into the result of docs/cv-result.md.

Layers: ``errors``, ``_document`` and ``_result`` are leaves; ``readers`` (the
only modules importing pdfplumber and python-docx) produce a ``SourceDoc``;
the pure parser modules (``_sections``, ``_contact``, ``_dates``, ``_entries``,
``_lists``, ``_parse``) turn it into a ``CVResult``; ``_extract`` joins the two;
``cli`` and ``samples`` sit on top. Readers load lazily, so importing this
package does not need pdfplumber.
"""

from __future__ import annotations

from ._contact import Contact
from ._extract import Progress, extract, extract_dict
from ._result import SCHEMA_VERSION, Certification, CVResult, Degree, Job, Language
from .errors import (
    CorruptFile,
    CVError,
    DocumentTooLarge,
    EmptyFile,
    EncryptedFile,
    FileUnreadable,
    NoTextLayer,
    UnsupportedFileType,
)

__all__ = [
    "SCHEMA_VERSION",
    "CVError",
    "CVResult",
    "Certification",
    "Contact",
    "CorruptFile",
    "Degree",
    "DocumentTooLarge",
    "EmptyFile",
    "EncryptedFile",
    "FileUnreadable",
    "Job",
    "Language",
    "NoTextLayer",
    "Progress",
    "UnsupportedFileType",
    "extract",
    "extract_dict",
]
