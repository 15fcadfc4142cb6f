"""What the CV page knows of files before and after they are read: whether a file
was read before (by its SHA-256), and the results exported as JSON Lines or CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

import litequeue

from .. import KIND, VERSION, content_key_of

__all__ = ["LABELS", "export_csv", "export_jsonl", "file_states", "summary_line"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
#: How the page names each state of a file's key.
LABELS = {
    litequeue.KeyState.NEW: "new",
    litequeue.KeyState.DONE: "already processed",
    litequeue.KeyState.OUTDATED: "needs re-run",
    litequeue.KeyState.ACTIVE: "being read",
    litequeue.KeyState.FAILED: "failed before",
}
#: The columns of the CSV export, one CV a row.
CSV_COLUMNS = (
    "job_id", "file_name", "name", "email", "phone", "location", "title", "company",
    "skills", "languages", "parse_confidence", "warnings",
)  # fmt: skip
_PAGE = 500


def is_digest(text: object) -> bool:
    return isinstance(text, str) and bool(_SHA256.fullmatch(text))


def file_states(queue: litequeue.Queue, digests: Sequence[str]) -> list[litequeue.KeyState]:
    """What the queue knows of each file, by its SHA-256 (hex): read before with the
    current handler (``done``), with an older one (``outdated``), never, ..."""
    keys = [content_key_of(d) for d in digests]
    states = queue.key_states(keys, kind=KIND, version=VERSION)
    return [states[key] for key in keys]


def summary_line(states: Sequence[litequeue.KeyState]) -> str:
    """ "5 new, 2 already processed, 1 needs re-run": the states present, in order."""
    counts = {state: states.count(state) for state in LABELS}
    return ", ".join(f"{n} {LABELS[state]}" for state, n in counts.items() if n)


def _results(queue: litequeue.Queue, tag: str | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every extracted CV (with its tag), newest first."""
    before = None
    while True:
        jobs = queue.jobs("succeeded", kind=KIND, tag=tag, before_id=before, limit=_PAGE)
        for job in jobs:
            if isinstance(job.result, dict):
                yield job.id, job.result
        if len(jobs) < _PAGE:
            return
        before = jobs[-1].id


def export_jsonl(queue: litequeue.Queue, tag: str | None) -> str:
    """One extracted CV a line, as ``docs/cv-result.md`` describes it, with its job id."""
    return "".join(
        json.dumps({"job_id": job_id, **cv}, ensure_ascii=False) + "\n"
        for job_id, cv in _results(queue, tag)
    )


def export_csv(queue: litequeue.Queue, tag: str | None) -> str:
    """One extracted CV a row (``CSV_COLUMNS``): the latest job, skills and languages
    joined with "; "."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for job_id, cv in _results(queue, tag):
        contact = cv.get("contact") or {}
        latest = (cv.get("work_history") or [{}])[0]
        languages = [
            " ".join(filter(None, [lang.get("name"), lang.get("level")]))
            for lang in cv.get("languages") or []
        ]
        writer.writerow(
            _cell(value)
            for value in [
                job_id,
                cv.get("file_name"),
                contact.get("name"),
                contact.get("email"),
                contact.get("phone"),
                contact.get("location"),
                latest.get("title"),
                latest.get("company"),
                "; ".join(cv.get("skills") or []),
                "; ".join(languages),
                cv.get("parse_confidence"),
                "; ".join(cv.get("warnings") or []),
            ]
        )
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first)
    is kept as text, behind a ``'``: a CV is written by whoever sent it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
