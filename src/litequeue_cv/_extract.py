"""The one function that touches files: read, parse, time, report progress."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._parse import parse
from ._result import CVResult

#: Called with ``"reading"``, ``"parsing"`` and ``"done"`` as extraction moves on.
Progress = Callable[[str], Any]


def extract(path: str | os.PathLike[str], progress: Progress | None = None) -> CVResult:
    """Read a PDF, DOCX or TXT CV and return what it says.

    Raises a :class:`~litequeue_cv.errors.CVError` subclass, naming the file and
    the reason, when the file cannot be read as a CV.
    """
    from .readers import read_document  # pdfplumber and python-docx load only when used

    started = time.perf_counter()
    if progress is not None:
        progress("reading")
    file_type, doc = read_document(path)
    if progress is not None:
        progress("parsing")
    result = parse(doc, file_name=Path(path).name, file_type=file_type)
    elapsed = round((time.perf_counter() - started) * 1000)
    if progress is not None:
        progress("done")
    return result.evolve(extract_time_ms=elapsed)


def extract_dict(path: str | os.PathLike[str], progress: Progress | None = None) -> dict[str, Any]:
    """``extract(path).to_dict()``: the JSON object of docs/cv-result.md."""
    return extract(path, progress).to_dict()
