"""The litequeue plugin: runs ``cv.extract`` jobs.

Registered through the ``litequeue`` entry-point group, so any ``litequeue.Queue``
opened where this package is installed can run CV jobs. Each file is parsed in
a child process with a time and memory limit, so no file can hang or exhaust
the worker; the child is replaced after a number of jobs, since PDF parsing
keeps memory per page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import litequeue

__all__ = [
    "KIND",
    "MEMORY_LIMIT",
    "QUEUE",
    "TIMEOUT",
    "UPLOADS_MARKER",
    "VERSION",
    "QueueError",
    "content_key_of",
    "extract_job",
    "uploaded_file",
]

#: The job kind.
KIND = "cv.extract"
#: The queue ``litequeue-cv`` puts its jobs in.
QUEUE = "cv"
#: Bumped whenever extraction changes enough that earlier results should be redone.
VERSION = "2"
#: Seconds one file may take, counted from the moment its job is claimed.
TIMEOUT = 120.0
#: Address-space limit of the child process that parses a file.
MEMORY_LIMIT = 1536 * 2**20

#: The file that marks a folder as the web page's uploads. Only a file in such a
#: folder, under a name the server made, is removed with its job: never a user's
#: own file given by path to ``litequeue-cv run``.
UPLOADS_MARKER = ".litequeue-cv-uploads"
_SERVER_MADE_NAME = re.compile(r"[0-9a-f]{32}\.(?:pdf|docx|txt)")

#: What the queue raises when it refuses its file or a setting (a folder, a file that
#: is not a queue): the command line, which does not import litequeue, reports it.
QueueError = litequeue.LitequeueError

_STAGES = {"reading": (10.0, "reading the file"), "parsing": (60.0, "finding sections")}


def content_key_of(sha256_hex: str) -> str:
    """The unique key of a CV job: its file's SHA-256, so a file read before (by
    ``litequeue-cv run`` or the web page, under any name) is known again."""
    return f"cv:{sha256_hex}"


class BadPayload(ValueError):
    """The job's payload is not ``{"path": "<file>"}``."""

    retryable = False


def extract_job(ctx: litequeue.Context, payload: Any) -> dict[str, Any]:
    """``{"path": FILE}`` -> the CV result of ``docs/cv.md``; reports its stages as progress."""
    if not isinstance(payload, dict) or not isinstance(payload.get("path"), str):
        raise BadPayload(f'a {KIND} job needs a payload {{"path": "<file>"}}, not {payload!r}')
    from .. import extract  # the readers import pdfplumber and python-docx: only in the child

    def report(stage: str) -> None:
        if stage in _STAGES:
            ctx.progress(*_STAGES[stage])

    result: dict[str, Any] = extract(Path(payload["path"]), progress=report).to_dict()
    if isinstance(payload.get("name"), str):
        result["file_name"] = payload["name"]  # an upload: the name it was dropped with
    return result


def uploaded_file(job: litequeue.Job) -> Path | None:
    """The file the web page saved for ``job``, or None if the job has none."""
    payload = job.payload
    if (
        job.kind != KIND
        or not isinstance(payload, dict)
        or not isinstance(payload.get("path"), str)
    ):
        return None
    path = Path(payload["path"])
    if not path.is_absolute() or not _SERVER_MADE_NAME.fullmatch(path.name):
        return None
    return path if (path.parent / UPLOADS_MARKER).is_file() else None


@litequeue.hookimpl
def litequeue_jobs_removed(jobs: list[litequeue.Job]) -> None:
    """Remove the uploaded CV of each deleted or pruned job: personal data is kept
    no longer than its job."""
    for job in jobs:
        path = uploaded_file(job)
        if path is not None:
            path.unlink(missing_ok=True)


@litequeue.hookimpl
def litequeue_register_handlers(register: litequeue.hookspecs.Register) -> None:
    """Register ``cv.extract``, run in child processes."""
    register(
        KIND,
        extract_job,
        version=VERSION,
        max_attempts=2,
        timeout=TIMEOUT,
        process=True,
        memory_limit=MEMORY_LIMIT,
    )


@litequeue.hookimpl
def litequeue_web_views(register: Any, queue: litequeue.Queue, read_only: bool) -> None:
    """The CV page as a view of ``litequeue web`` (which has the web extra)."""
    from .web import view

    register(view(queue, read_only))
