"""``litequeue-cv run``: persist a job for every CV under some paths, then work through
them with live progress, and end with a summary.

Every file becomes a ``cv.extract`` job keyed by its content hash, all of them
children of one batch job, committed before any work starts: interrupt the run
(Ctrl-C or SIGTERM: the worker stops gracefully, and the run ends there) and the
next one picks up where it stopped. Files already extracted by the same handler
version are skipped; those done by an older version run again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

import litequeue

from . import KIND, QUEUE, VERSION, content_key_of

__all__ = ["CV_SUFFIXES", "RunSummary", "find_cv_files", "run_cvs"]

#: Files ``run`` picks up under a folder (others can be named one by one).
CV_SUFFIXES = frozenset({".pdf", ".docx", ".doc", ".txt"})


def find_cv_files(paths: Iterable[Path]) -> list[Path]:
    """Every CV-looking file under ``paths`` (files given by name are always kept)."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                # Not only regular files: a named pipe called cv.pdf fails its job, visibly.
                if not child.is_dir() and child.suffix.lower() in CV_SUFFIXES:
                    found[child.resolve()] = None
        else:
            found[path.resolve()] = None
    return list(found)


def content_key(path: Path) -> str:
    """The unique key of a file's job: its content hash, so a renamed copy is known."""
    if not path.is_file():
        return _unreadable_key(path)  # reading a named pipe would block; the job says why
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return _unreadable_key(path)  # the job itself reports why
    return content_key_of(digest.hexdigest())


def _unreadable_key(path: Path) -> str:
    """A file that cannot be read is known by its path, hashed: a path may be longer
    than a unique key may be."""
    return f"cv:unreadable:{hashlib.sha256(os.fsencode(path)).hexdigest()}"


@attrs.frozen(kw_only=True)
class RunSummary:
    """What a run did, file by file."""

    batch: litequeue.Job | None
    jobs: tuple[tuple[Path, litequeue.Job], ...]
    skipped: tuple[tuple[Path, litequeue.Job], ...]

    @property
    def failed(self) -> list[tuple[Path, litequeue.Job]]:
        return [
            (p, j)
            for p, j in self.jobs
            if j.status.finished and j.status is not litequeue.JobStatus.SUCCEEDED
        ]

    @property
    def left(self) -> list[tuple[Path, litequeue.Job]]:
        """Files not done because the run was interrupted; the next run does them."""
        return [(p, j) for p, j in self.jobs if not j.status.finished]


def run_cvs(
    paths: Sequence[Path],
    *,
    db: Path | str,
    tags: Sequence[str] = (),
    workers: int = 2,
    console: Console | None = None,
) -> RunSummary:
    """Enqueue every CV under ``paths`` (one transaction), run them, return the summary."""
    console = console or Console()
    files = find_cv_files(paths)
    from .. import plugin

    with litequeue.Queue(db, plugins=[plugin]) as queue:
        keys = {path: content_key(path) for path in files}
        states = queue.key_states(list(keys.values()), kind=KIND, version=VERSION)
        todo = [p for p in files if states[keys[p]] is not litequeue.KeyState.DONE]
        skipped = tuple((p, _latest(queue, keys[p])) for p in files if p not in todo)
        batch, children = queue.batch(
            [{"kind": KIND, "payload": {"path": str(p)}, "unique_key": keys[p]} for p in todo],
            kind="cv.run",
            payload={"paths": [str(p) for p in paths], "files": len(todo)},
            queue=QUEUE,
            tags=tags,
        )
        for path, job in skipped:
            console.print(_line(path, job, note="already extracted"))
        if todo:
            _work(queue, dict(zip((c.id for c in children), todo, strict=True)), workers, console)
        jobs = tuple((p, queue.get(c.id)) for p, c in zip(todo, children, strict=True))
        return RunSummary(batch=queue.get(batch.id), jobs=jobs, skipped=skipped)


def _latest(queue: litequeue.Queue, key: str) -> litequeue.Job:
    return queue.jobs(unique_key=key, kind=KIND, limit=1)[0]


def _work(queue: litequeue.Queue, files: dict[int, Path], workers: int, console: Console) -> None:
    """Run the queue until every one of ``files``' jobs has finished, or until the
    worker is stopped by Ctrl-C or SIGTERM, showing progress."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:>3.0f}%"),
        TextColumn("{task.fields[message]}", style="dim"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    overall = progress.add_task(f"[bold]{len(files)} CVs", total=len(files), message="")
    rows: dict[int, TaskID] = {}
    lock = threading.Lock()

    def on_event(event: litequeue.Event) -> None:
        path = files.get(event.job_id)
        if path is None:
            return
        with lock:
            if event.type is litequeue.EventType.STARTED:
                rows[event.job_id] = progress.add_task(f"  {path.name}", total=100, message="")
            elif event.type is litequeue.EventType.PROGRESS and event.job_id in rows:
                progress.update(
                    rows[event.job_id],
                    completed=event.data.get("progress") or 0,
                    message=event.data.get("message") or "",
                )
            elif event.type in _ENDED:
                task = rows.pop(event.job_id, None)
                if task is not None:
                    progress.remove_task(task)
                if event.type is litequeue.EventType.RETRYING:
                    progress.console.print(f"[yellow]↻ {path.name}: retrying[/] ({event.data})")
                    return
                progress.advance(overall)
                progress.console.print(_line(path, queue.get(event.job_id)))

    unsubscribe = queue.subscribe(on_event)
    worker = litequeue.Worker(queue, queues=[QUEUE], concurrency=workers)
    ended = threading.Event()
    watcher = threading.Thread(target=_stop_when_finished, args=(queue, files, worker, ended))
    try:
        with progress:
            watcher.start()
            worker.run()  # returns once the watcher stops it, or after a signal's graceful stop
    finally:
        ended.set()
        watcher.join()
        unsubscribe()


def _stop_when_finished(
    queue: litequeue.Queue, files: dict[int, Path], worker: litequeue.Worker, ended: threading.Event
) -> None:
    """Stop ``worker`` once every job of ``files`` has finished (polled: another
    process may run some of them), or at once if this thread fails."""
    pending = list(files)
    try:
        while pending and not ended.wait(0.1):
            while pending and queue.get(pending[-1]).status.finished:
                pending.pop()  # the last job tends to finish last: one read per poll
    finally:
        worker.stop()


_ENDED = frozenset(
    {
        litequeue.EventType.SUCCEEDED,
        litequeue.EventType.FAILED,
        litequeue.EventType.CANCELLED,
        litequeue.EventType.RETRYING,
    }
)


def _line(path: Path, job: litequeue.Job, note: str = "") -> Text:
    """One finished file, as a line of the live view."""
    if job.status is litequeue.JobStatus.SUCCEEDED:
        result: dict[str, Any] = job.result or {}
        name = (result.get("contact") or {}).get("name") or "(no name found)"
        sections = len(result.get("section_order") or [])
        confidence = result.get("parse_confidence") or 0.0
        text = Text("✓ ", style="green")
        text.append(f"{path.name}  ", style="bold")
        text.append(f"{name} · {sections} sections · confidence {confidence:.2f}")
        text.append(f" · {result.get('extract_time_ms', 0)} ms", style="dim")
    else:
        text = Text("✗ ", style="red")
        text.append(f"{path.name}  ", style="bold")
        text.append(job.error.message if job.error else job.status.value, style="red")
    if note:
        text.append(f"  ({note})", style="dim")
    return text


def summary_table(summary: RunSummary) -> Table:
    """The table printed at the end of a run; failures get their reason in full."""
    table = Table(title="CV extraction", title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("status")
    table.add_column("name / reason", overflow="fold")
    for column in ("jobs", "skills", "conf.", "ms"):
        table.add_column(column, justify="right")
    rows = [
        *((p, j, "") for p, j in summary.jobs if j.status.finished),
        *((p, j, " (kept)") for p, j in summary.skipped),
    ]
    for path, job, note in rows:
        result: dict[str, Any] = job.result if isinstance(job.result, dict) else {}
        if job.status is litequeue.JobStatus.SUCCEEDED:
            table.add_row(
                path.name,
                Text("done" + note, style="green"),
                (result.get("contact") or {}).get("name") or "(no name found)",
                str(len(result.get("work_history") or [])),
                str(len(result.get("skills") or [])),
                f"{result.get('parse_confidence', 0):.2f}",
                str(result.get("extract_time_ms", "")),
            )
        else:
            reason = job.error.message if job.error else job.status.value
            table.add_row(
                path.name,
                Text(job.status.value, style="red"),
                Text(reason.removeprefix(f"{path.name}: "), style="red"),
            )
    return table
