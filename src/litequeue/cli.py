"""The ``litequeue`` command: look at and steer a queue file from a shell.

Every command takes ``--db FILE`` (or ``LITEQUEUE_DB``), ``--json``, ``--plugin MODULE``
and ``--durability``, before or after its name. Errors go to stderr as one line,
``litequeue: error: ...``, with exit status 1 when litequeue refused or failed and 2
for bad usage; never a traceback. The CLI uses only litequeue's public API.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import os
import re
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import attrs

import litequeue
from litequeue._checks import name as checked_name

from ._extras import install_command
from ._records import event_time
from .engines import is_postgres

__all__ = ["DB_ENV", "build_parser", "main"]

DB_ENV = "LITEQUEUE_DB"

Command = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad command-line input: exit status 2."""


class CommandError(Exception):
    """The command cannot do what was asked (e.g. no such file): exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    _escape_unencodable_text()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error argparse has printed (2)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        status: int = args.run(args)
    except UsageError as exc:
        return _fail(exc, 2)
    except (CommandError, litequeue.LitequeueError) as exc:
        return _fail(exc, 1)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``litequeue jobs | head``): say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status


def _escape_unencodable_text() -> None:
    """Print text the terminal's encoding cannot hold (a lone surrogate, which a job may
    hold: a file name that is not UTF-8) as a backslash escape, which in JSON output is
    the JSON escape of the same character, instead of failing after the work is done."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _fail(exc: Exception, status: int) -> int:
    print(f"litequeue: error: {exc}", file=sys.stderr)
    return status


# -- opening the file -------------------------------------------------------------------


def _db_path(args: argparse.Namespace, *, create: bool) -> str:
    """The queue file (or ``postgresql://`` URL) from ``--db`` or the environment;
    commands that only look at or change existing jobs refuse a missing file rather
    than create an empty one (and a database without litequeue's schema)."""
    db: str | None = args.db or os.environ.get(DB_ENV)
    if not db:
        raise UsageError(f"no queue file: give --db FILE or set {DB_ENV}")
    if not create and not is_postgres(db) and not Path(db).exists():
        raise CommandError(f"{db}: no such queue file")
    return db


def _plugin_modules(args: argparse.Namespace) -> list[str]:
    """The ``--plugin`` modules, importable from the current directory as with
    ``python -m litequeue`` (an installed ``litequeue`` script sees only its own)."""
    if args.plugin:
        here = os.getcwd()
        if "" not in sys.path and here not in sys.path:
            sys.path.insert(0, here)
    return list(args.plugin or ())


def _open(args: argparse.Namespace, *, create: bool = False) -> litequeue.Queue:
    """The queue; only commands that may create it (``create``) bring an older file's
    schema up to date: the others refuse a file that is not a current queue file
    rather than change it (an application's own database, given by mistake)."""
    return litequeue.Queue(
        _db_path(args, create=create),
        durability=args.durability,
        plugins=_plugin_modules(args),
        migrate=create,
        adopt=args.adopt,
    )


# -- output -----------------------------------------------------------------------------


def _emit_json(value: Any) -> None:
    """One JSON document on stdout."""
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _emit_json_line(value: Any) -> None:
    """One JSON object per line, for streams (``events --follow``, ``worker``)."""
    print(json.dumps(value, ensure_ascii=False), flush=True)


#: The widest a table cell is printed (``--json`` keeps every value whole): one long
#: name must not pad every row of a listing to its length.
CELL_WIDTH = 40
#: The last column (a note, an event's data) pads nothing, so it may be longer.
LAST_CELL_WIDTH = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def _table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> None:
    """Print rows as plain columns aligned on their widest cell, each cell cut to
    ``CELL_WIDTH`` characters (the last to ``LAST_CELL_WIDTH``) with an ellipsis."""
    last = len(headers) - 1
    text = [
        [_cell(v, LAST_CELL_WIDTH if i == last else CELL_WIDTH) for i, v in enumerate(row)]
        for row in rows
    ]
    widths = [max([len(h), *(len(r[i]) for r in text)]) for i, h in enumerate(headers)]
    for row in [list(headers), *text]:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: Any, width: int) -> str:
    """One line of at most ``width`` characters: line breaks and other control
    characters (which would break the row, or steer the terminal) become a space."""
    text = _CONTROL.sub(" ", "" if value is None else str(value))
    return text if len(text) <= width else text[: width - 1] + "…"


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_stand_in)


def _stand_in(value: Any) -> Any:
    """How a value that cannot be read back from the file is shown (``json.dumps``
    asks for what it cannot encode itself)."""
    if isinstance(value, litequeue.Undecodable):
        return value.to_dict()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _event_data(event: litequeue.Event) -> str:
    """An event's data as JSON, its ``run_at`` an ISO 8601 time to the second (an older
    litequeue wrote a POSIX number) and its ``error``, the one long value, last."""
    data = dict(event.data)
    run_at = event_time(data.get("run_at"))
    if run_at is not None:
        data["run_at"] = run_at.isoformat(timespec="seconds")
    if "error" in data:
        data["error"] = data.pop("error")
    return _compact(data) if data else ""


JOB_HEADERS = (
    "id", "kind", "queue", "status", "attempt", "progress", "created (UTC)", "run at", "note"
)  # fmt: skip


def _job_row(job: litequeue.Job, now: datetime) -> tuple[Any, ...]:
    return (
        job.id,
        job.kind,
        job.queue,
        job.status.value,
        f"{job.attempt}/{job.max_attempts}",
        f"{job.progress:.0f}%",
        _when(job.created_at),
        _due(job, now),
        _note(job),
    )


def _due(job: litequeue.Job, now: datetime) -> str:
    """When a queued job may run: "now", "in 5m", or its time (UTC) if a day or more
    away; nothing for a job that is not waiting to run."""
    if job.status is not litequeue.JobStatus.QUEUED:
        return ""
    wait = (job.run_at - now).total_seconds()
    if wait <= 0:
        return "now"
    if wait >= 86400:
        return _when(job.run_at)
    if wait <= 60:
        return f"in {math.ceil(wait)}s"
    hours, minutes = divmod(math.ceil(wait / 60), 60)
    return f"in {hours}h{minutes:02d}m" if hours else f"in {minutes}m"


def _note(job: litequeue.Job) -> str:
    """Why a job failed or waits (its error), or what a running one is doing; a
    finished job's last progress message is no longer news."""
    if job.error:
        return str(job.error)
    if job.status is litequeue.JobStatus.RUNNING:
        return job.progress_message or ""
    return ""


def _print_job(args: argparse.Namespace, job: litequeue.Job) -> int:
    if args.json:
        _emit_json(job.to_dict())
    else:
        _table([_job_row(job, datetime.now(UTC))], JOB_HEADERS)
    return 0


def _event_line(event: litequeue.Event) -> str:
    """One line per event, its data cut like a table's last cell (``--json`` has it whole)."""
    data = _cell(_event_data(event), LAST_CELL_WIDTH)
    return (
        f"{event.seq:>8}  {_when(event.at)}  job {event.job_id:<6} {event.type.value:<13} {data}"
    ).rstrip()


# -- enqueue ----------------------------------------------------------------------------


def cmd_enqueue(args: argparse.Namespace) -> int:
    """Add one job.

    So that a shell script, a cron line or a person testing a handler can queue work
    without writing Python.
    """
    payload = _parse_payload(args.payload)
    with _open(args, create=True) as queue:
        job = queue.enqueue(
            args.kind,
            payload,
            queue=args.queue,
            priority=args.priority,
            delay=args.delay,
            max_attempts=args.max_attempts,
            timeout=args.timeout,
            unique_key=args.unique_key,
            force=args.force,
            tags=args.tag,
            parent_id=args.parent,
            limit_key=args.limit_key,
            depends_on=args.depends_on,
        )
        return _print_job(args, job)


def _parse_payload(text: str | None) -> Any:
    """JSON text (``-`` reads stdin); NaN and Infinity are not JSON and are refused."""
    if text is None:
        return None
    source = "the payload"
    if text == "-":
        text, source = sys.stdin.read(), "the payload on stdin"

    def refuse(constant: str) -> NoReturn:
        raise UsageError(f"{source} is not valid JSON: {constant} is not a JSON value")

    try:
        return json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise UsageError(f"{source} is not valid JSON ({exc}): {shown!r}") from None
    except RecursionError:
        raise UsageError(f"{source} nests lists and objects too deep to read") from None


# -- worker -----------------------------------------------------------------------------


def cmd_worker(args: argparse.Namespace) -> int:
    """Run jobs with the handlers of the loaded plugins.

    So that handlers shipped as plugins need no worker script: it serves until Ctrl-C or
    SIGTERM (a graceful stop), or with --until-empty until nothing is due.
    """
    with _open(args, create=True) as queue:
        if not queue.handlers:
            print(
                "litequeue: warning: no handlers are registered (load them with --plugin "
                "MODULE or an installed plugin); it claims no jobs",
                file=sys.stderr,
            )
        worker = litequeue.Worker(
            queue,
            queues=args.queue or ["default"],
            concurrency=args.concurrency,
            lease=args.lease,
            grace=args.grace,
            claim_cooldown=args.claim_cooldown,
        )
        if not args.quiet:
            queue.subscribe(_Reporter(queue, as_json=args.json))
        with _worker_logging(reported=not args.quiet):
            done = worker.run(until_empty=args.until_empty)
    if not args.quiet and not args.json:
        print(f"worker stopped after {done} attempt(s)", file=sys.stderr)
    return 0


@contextlib.contextmanager
def _worker_logging(*, reported: bool) -> Iterator[None]:
    """Show litequeue's warnings on stderr as ``litequeue: WARNING: ...`` lines, unless
    the program already configured logging. Job outcomes the reporter prints are not
    logged a second time."""
    if logging.getLogger().handlers:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("litequeue: %(levelname)s: %(message)s"))
    if reported:
        handler.addFilter(lambda record: not record.name.startswith(JOB_LOGGER))
    logger = logging.getLogger("litequeue")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


JOB_LOGGER = "litequeue.jobs"  # where the built-in plugin logs each job event


class _Reporter:
    """Prints a line for each attempt this worker finishes (events of this process)."""

    REPORTED = frozenset({"succeeded", "failed", "cancelled", "retrying", "released"})

    def __init__(self, queue: litequeue.Queue, *, as_json: bool) -> None:
        self.queue = queue
        self.as_json = as_json
        self.lock = threading.Lock()  # handler threads commit too: keep lines whole

    def __call__(self, event: litequeue.Event) -> None:
        if event.type.value not in self.REPORTED:
            return
        line = _compact(event.to_dict()) if self.as_json else self.describe(event)
        with self.lock:
            print(line, flush=True)

    def describe(self, event: litequeue.Event) -> str:
        try:
            job: litequeue.Job | None = self.queue.get(event.job_id)
        except litequeue.LitequeueError:
            job = None
        words = [f"job {event.job_id}", job.kind if job else "", event.type.value]
        if job and job.started_at and job.finished_at:
            words.append(f"in {(job.finished_at - job.started_at).total_seconds():.2f}s")
        if job and "attempt" in event.data:
            words.append(f"(attempt {event.data['attempt']}/{job.max_attempts})")
        line = " ".join(w for w in words if w)
        error = event.data.get("error")
        return f"{line}: {error}" if error else line


# -- looking ----------------------------------------------------------------------------


def cmd_jobs(args: argparse.Namespace) -> int:
    """List jobs, newest first.

    To see at a glance what is waiting, running or broken, filtered like Queue.jobs().
    """
    with _open(args) as queue:
        jobs = queue.jobs(
            args.status, queue=args.queue, kind=args.kind, tag=args.tag, limit=args.limit
        )
        unhandled = queue.unhandled()
    if args.json:
        _emit_json([job.to_dict() for job in jobs])
    elif jobs:
        now = datetime.now(UTC)
        _table([_job_row(job, now) for job in jobs], JOB_HEADERS)
    else:
        print("no jobs")
    _warn_unhandled(unhandled)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Show one job in full, with its error, traceback and events.

    The first stop when a job failed: everything the queue knows about it.
    """
    with _open(args) as queue:
        job = queue.get(args.id)
        events = list(queue.events(job_id=args.id))
        waits = queue.why_waiting(args.id)
    if args.json:
        _emit_json({"job": job.to_dict(), "events": [e.to_dict() for e in events], "waits": waits})
        return 0
    for label, value in _job_fields(job):
        print(f"{label:>16}: {_CONTROL.sub(' ', value)}")
    for reason in waits:
        print(f"{'waits':>16}: {_CONTROL.sub(' ', reason)}")
    if job.error:
        print(f"{'error':>16}: {job.error}")
        if job.error.traceback:
            print(job.error.traceback.rstrip())
    print("events:")
    _table(
        [(e.seq, _when(e.at), e.type.value, _event_data(e)) for e in events],
        ("seq", "at (UTC)", "type", "data"),
    )
    return 0


def _job_fields(job: litequeue.Job) -> list[tuple[str, str]]:
    optional = {
        "progress message": job.progress_message,
        "parent": job.parent_id,
        "unique key": job.unique_key,
        "handler version": job.handler_version,
        "timeout": None if job.timeout is None else f"{job.timeout:g}s",
        "limit key": job.limit_key,
        "depends on": ", ".join(map(str, job.depends_on)) or None,
        "tags": ", ".join(job.tags) or None,
        "started": _when(job.started_at) or None,
        "finished": _when(job.finished_at) or None,
        "lease until": _when(job.lease_until) or None,
    }
    return [
        ("id", str(job.id)),
        ("kind", job.kind),
        ("queue", job.queue),
        ("status", job.status.value),
        ("attempt", f"{job.attempt}/{job.max_attempts}"),
        ("priority", str(job.priority)),
        ("progress", f"{job.progress:.0f}%"),
        ("created (UTC)", _when(job.created_at)),
        ("run at", _when(job.run_at)),
        *((label, str(value)) for label, value in optional.items() if value is not None),
        ("payload", _compact(job.payload)),
        ("result", _compact(job.result)),
    ]


def cmd_stats(args: argparse.Namespace) -> int:
    """Count jobs per queue and status.

    To tell whether work is piling up or failing, without listing it.
    """
    with _open(args) as queue:
        queue.check_integrity()  # counts alone would look healthy on a damaged file
        stats = queue.stats(tag=args.tag)
        unhandled = queue.unhandled()
    if args.json:
        _emit_json(stats)
    elif stats:
        statuses = [s.value for s in litequeue.JobStatus]
        rows = [[name, *(counts[s] for s in statuses)] for name, counts in stats.items()]
        _table(rows, ("queue", *statuses))
    else:
        print("no jobs")
    _warn_unhandled(unhandled)
    return 0


def _warn_unhandled(unhandled: dict[tuple[str, str], int]) -> None:
    """A line on stderr for each (queue, kind) whose queued jobs no live worker claims:
    they would wait for ever without a word."""
    for (queue_name, kind), count in unhandled.items():
        print(
            f"litequeue: warning: no live worker handles {count} queued {kind!r} job(s)"
            f" of queue {queue_name!r}",
            file=sys.stderr,
        )


def cmd_events(args: argparse.Namespace) -> int:
    """Print the event log after a sequence number; --follow waits for more.

    So a script can watch a queue that other processes work on, and resume from the
    last seq it saw without missing anything.
    """
    with _open(args) as queue:
        events = queue.events(after=args.after, follow=args.follow, job_id=args.job)
        if not args.follow:
            found = list(events)
            if args.json:
                _emit_json([event.to_dict() for event in found])
            else:
                for event in found:
                    print(_event_line(event))
            return 0
        with _sigterm_interrupts(), contextlib.suppress(KeyboardInterrupt):
            _stream_events(events, as_json=args.json)
    return 0


def _stream_events(events: Iterator[litequeue.Event], *, as_json: bool) -> None:
    for event in events:
        if as_json:
            _emit_json_line(event.to_dict())
        else:
            print(_event_line(event), flush=True)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While following, SIGTERM stops like Ctrl-C does (exit status 0)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def cmd_watch(args: argparse.Namespace) -> int:
    """A live dashboard: queue counts, running jobs with progress, failures, events.

    It follows the durable event log, so it shows the work of every worker in
    every process. Ctrl-C (or SIGTERM) quits; --once prints one screen and exits.
    """
    try:
        from rich.console import Console
        from rich.live import Live

        from ._watch import Dashboard
    except ImportError:
        raise CommandError(f"litequeue watch draws with rich: {install_command('watch')}") from None
    with _open(args) as queue:
        dashboard = Dashboard(queue, tag=args.tag)
        dashboard.poll()
        console = Console()  # its size is read again at each draw: a resize is followed
        if args.once:
            console.print(dashboard.render(console.size.height))
            return 0
        first = dashboard.render(console.size.height)
        # Once the screen is up, SIGTERM (or Ctrl-C) at any moment quits with status 0.
        with (
            Live(first, console=console, auto_refresh=False) as live,
            _sigterm_interrupts(),
            contextlib.suppress(KeyboardInterrupt),
        ):
            while True:
                dashboard.poll()
                live.update(dashboard.render(console.size.height), refresh=True)
                time.sleep(args.refresh)
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    """A live dashboard in the browser: queues, jobs, each job, workers, plugins' views.

    It binds 127.0.0.1 and prints a link with a token made for this start (open it;
    the token becomes a cookie). --read-only refuses every change. Ctrl-C (or
    SIGTERM) stops it with status 0.
    """
    try:
        from .web import create_app, link, listen, serve
    except ImportError:
        raise CommandError(f"litequeue web needs: {install_command('web')}") from None
    token = None if args.no_token else args.token or secrets.token_urlsafe(24)
    try:
        # Bound first, so a taken port or an unknown host is one error line, and the
        # link is printed only once connections can be made.
        sock = listen(args.host, args.port)
    except OSError as exc:
        raise CommandError(f"cannot listen: {exc.strerror or exc}") from None
    with sock, _open(args) as queue:
        app = create_app(
            queue, token=token, allowed_hosts=args.allow_host, read_only=args.read_only
        )
        mode = " (read-only)" if args.read_only else ""
        print(f"dashboard{mode} on {link(sock, token)}; Ctrl-C to stop", flush=True)
        serve(app, sock)
    return 0


# -- steering ---------------------------------------------------------------------------


def cmd_cancel(args: argparse.Namespace) -> int:
    """Cancel a queued or running job.

    For work that should not run or finish after all; unfinished children go too.
    """
    with _open(args) as queue:
        return _print_job(args, queue.cancel(args.id))


def cmd_retry(args: argparse.Namespace) -> int:
    """Queue a failed or cancelled job again.

    Once the cause of a failure is fixed, the job gets a fresh budget of attempts.
    """
    with _open(args) as queue:
        return _print_job(args, queue.retry(args.id))


def cmd_delete(args: argparse.Namespace) -> int:
    """Delete a job that is not running, with its children and their events.

    For data that must not be kept (a plugin removes the files it made for the job).
    """
    removed: list[litequeue.Job] = []
    with _open(args) as queue:
        for job_id in args.ids:  # in order: those before one refused stay deleted
            removed.extend(queue.delete(job_id))
    if args.json:
        _emit_json([job.to_dict() for job in removed])
    else:
        print(f"deleted {len(removed)} job(s): {', '.join(str(job.id) for job in removed)}")
    return 0


def cmd_queues(args: argparse.Namespace) -> int:
    """List queues, or set a limit, pause or resume one.

    Settings live in the file, so a change here binds every worker in every process.
    """
    action = args.action or "list"
    limit = _parse_limit(args.value) if action == "limit" else None  # before the file opens
    with _open(args, create=action != "list") as queue:
        if action == "limit":
            infos = [queue.set_queue(args.name, limit=limit)]
        elif action == "pause":
            infos = [queue.pause(args.name)]
        elif action == "resume":
            infos = [queue.resume(args.name)]
        else:
            infos = queue.queues()
    if args.json:
        _emit_json([attrs.asdict(info) for info in infos])
    elif infos:
        rows = [
            (i.name, _none(i.limit), "yes" if i.paused else "no", _none(i.rate),
             _none(i.per_key_rate), _none(i.per_key_limit))
            for i in infos
        ]  # fmt: skip
        _table(rows, ("queue", "limit", "paused", "rate", "per-key rate", "per-key limit"))
    else:
        print("no queues")
    return 0


def _none(value: object) -> object:
    return "none" if value is None else value


def cmd_schedules(args: argparse.Namespace) -> int:
    """List periodic jobs, or pause, resume or remove one.

    Schedules live in the file; every worker serving a schedule's queue runs it.
    """
    action = args.action or "list"
    with _open(args) as queue:
        if action == "pause":
            found = [queue.pause_schedule(args.name)]
        elif action == "resume":
            found = [queue.resume_schedule(args.name)]
        elif action == "remove":
            found = [queue.unschedule(args.name)]
        else:
            found = queue.schedules()
    if args.json:
        _emit_json([schedule.to_dict() for schedule in found])
    elif action == "remove":
        print(f"removed schedule {found[0].name}")
    elif found:
        rows = [
            (s.name, s.kind, s.cron, s.timezone, s.queue, s.catch_up,
             "yes" if s.paused else "no", _when(s.next_slot), _when(s.last_slot))
            for s in found
        ]  # fmt: skip
        headers = ("name", "kind", "cron", "zone", "queue", "catch-up", "paused", "next", "last")
        _table(rows, headers)
    else:
        print("no schedules")
    return 0


def _parse_limit(text: str) -> int | None:
    if text.lower() == "none":
        return None
    if not re.fullmatch(r"\d+", text.strip()):
        raise UsageError(f"a queue limit is a whole number >= 0 or 'none', not {text!r}")
    return int(text)


# -- maintenance ------------------------------------------------------------------------


def cmd_prune(args: argparse.Namespace) -> int:
    """Delete old finished jobs and events.

    To keep the file small; without --older-than, the queue's retention applies.
    """
    with _open(args) as queue:
        jobs, events = queue.prune(older_than=args.older_than)
    if args.json:
        _emit_json({"jobs": jobs, "events": events})
    else:
        print(f"deleted {jobs} finished job(s) and {events} event(s)")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Upgrade the file's schema and print from-version -> to-version.

    So an upgrade happens at a chosen moment rather than when an app next opens the
    file. Plugins are not loaded: this is about the file alone.
    """
    path = _db_path(args, create=False)
    before = _version_as_is(path, args.durability)
    with litequeue.Queue(
        path, durability=args.durability, autoload_plugins=False, adopt=args.adopt
    ) as queue:
        after = queue.schema_version()
    if args.json:
        _emit_json({"from": before, "to": after})
    else:
        note = "  (up to date)" if before == after else ""
        print(f"schema version {before} -> {after}{note}")
    return 0


def cmd_copy_to(args: argparse.Namespace) -> int:
    """Copy the queue (jobs, results, tags, events, queue settings) into an empty database.

    TARGET is a postgresql:// URL or a SQLite file path. The copy is written in one
    transaction, with every id and event number kept; a TARGET that already holds a
    queue is refused. Stop the workers first: what they do after the copy starts is
    not copied.
    """
    with _open(args) as queue:
        counts = queue.copy_to(args.target)
    if args.json:
        _emit_json(counts)
    else:
        print(
            f"copied {counts['jobs']} jobs, {counts['job_tags']} tags,"
            f" {counts['events']} events and {counts['queues']} queue settings"
        )
    return 0


def _version_as_is(path: str, durability: str) -> int:
    """The file's schema version, without migrating it."""
    try:
        with litequeue.Queue(
            path, durability=durability, autoload_plugins=False, migrate=False
        ) as queue:
            return queue.schema_version()
    except litequeue.SchemaTooOld as exc:
        return exc.version


# -- the parser -------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors in the same ``litequeue: error:`` form as the rest."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"litequeue: error: {message}\n")


def _name(text: str) -> str:
    """A kind, queue or tag name the file can hold, refused as a usage error before the
    file is opened: a command that fails must not leave a new file behind."""
    try:
        checked_name(text, "a name")
    except litequeue.ConfigurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _port(text: str) -> int:
    """A port a socket can bind, so ``--port 70000`` is bad usage."""
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, not {text!r}")
    return int(text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {text!r}")
    return value


def _seconds(text: str, *, zero: bool = True) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 if zero else value > 0):  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"expected seconds {'>= 0' if zero else '> 0'}, not {text!r}"
        )
    return value


def _positive_seconds(text: str) -> float:
    return _seconds(text, zero=False)


def _common_options(*, defaults: bool) -> _Parser:
    """``--db``, ``--json``, ``--plugin``, ``--durability``, ``--adopt``. After the command name
    they default to SUPPRESS, so they never reset what was given before it."""

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    common = _Parser(add_help=False)
    common.add_argument(
        "--db",
        default=default(None),
        metavar="FILE|URL",
        help=f"the queue file, or a postgresql:// URL (or ${DB_ENV})",
    )
    common.add_argument("--json", action="store_true", default=default(False), help="print JSON")
    common.add_argument(
        "--plugin",
        action="append",
        default=default(None),
        metavar="MODULE",
        help="load a plugin module with handlers (repeatable)",
    )
    common.add_argument(
        "--durability",
        choices=("full", "normal"),
        default=default("full"),
        help="as Queue(durability=...); default full",
    )
    common.add_argument(
        "--adopt",
        action="store_true",
        default=default(False),
        help="add litequeue's tables to another application's SQLite file (as Queue(adopt=True))",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = _Parser(
        prog="litequeue",
        description="Look at and steer a litequeue file.",
        parents=[_common_options(defaults=True)],
    )
    common = _common_options(defaults=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, run: Command) -> argparse.ArgumentParser:
        doc = (run.__doc__ or "").strip()
        summary = doc.splitlines()[0].rstrip(".")
        p = sub.add_parser(name, help=summary, description=doc, parents=[common])
        p.set_defaults(run=run)
        return p

    _add_enqueue(add("enqueue", cmd_enqueue))
    _add_worker(add("worker", cmd_worker))
    _add_jobs(add("jobs", cmd_jobs))
    for name, run in (("show", cmd_show), ("cancel", cmd_cancel), ("retry", cmd_retry)):
        add(name, run).add_argument("id", type=int, help="the job's id")
    add("delete", cmd_delete).add_argument("ids", type=int, nargs="+", metavar="ID")
    add("stats", cmd_stats).add_argument("--tag", help="only jobs with this tag")
    _add_queues(add("queues", cmd_queues), common)
    _add_schedules(add("schedules", cmd_schedules), common)
    _add_events(add("events", cmd_events))
    add("prune", cmd_prune).add_argument(
        "--older-than",
        type=_seconds,
        metavar="SECONDS",
        help="age of finished jobs and events to delete (default: the queue's retention)",
    )
    add("migrate", cmd_migrate)
    add("copy-to", cmd_copy_to).add_argument(
        "target", metavar="TARGET", help="an empty database: postgresql://... or a file path"
    )
    watch = add("watch", cmd_watch)
    watch.add_argument("--tag", help="only jobs with this tag, e.g. project:42")
    watch.add_argument(
        "--refresh", type=_positive_seconds, default=0.5, metavar="SECONDS", help="default 0.5"
    )
    watch.add_argument("--once", action="store_true", help="print one screen and exit")
    _add_web(add("web", cmd_web))
    return parser


def _add_enqueue(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", type=_name, help="which handler runs it")
    p.add_argument("payload", nargs="?", metavar="PAYLOAD_JSON", help="JSON; - reads stdin")
    p.add_argument("--queue", type=_name, default="default")
    p.add_argument("--priority", type=int, default=0, help="higher runs first")
    p.add_argument("--delay", type=_seconds, metavar="S", help="seconds before it may run")
    p.add_argument("--max-attempts", type=_positive_int, metavar="N")
    p.add_argument("--timeout", type=_seconds, metavar="S", help="seconds per attempt")
    p.add_argument("--unique-key", metavar="K", help="return the active job holding K")
    p.add_argument("--force", action="store_true", help="add a new job even if K is held")
    p.add_argument("--tag", type=_name, action="append", default=[], metavar="T", help="repeatable")
    p.add_argument("--parent", type=int, metavar="ID", help="the batch job it belongs to")
    p.add_argument("--limit-key", metavar="K", help="the key its queue's per-key limits count")
    p.add_argument(
        "--depends-on", type=int, action="append", default=[], metavar="ID",
        help="a job that must succeed first (repeatable)",
    )  # fmt: skip


def _add_worker(p: argparse.ArgumentParser) -> None:
    p.add_argument("--queue", type=_name, action="append", metavar="Q", help="repeatable, in order")
    p.add_argument("--concurrency", type=_positive_int, default=1, metavar="N")
    p.add_argument("--lease", type=_positive_seconds, default=30.0, metavar="S")
    p.add_argument("--grace", type=_seconds, default=30.0, metavar="S")
    p.add_argument("--claim-cooldown", type=_seconds, default=0.005, metavar="S")
    p.add_argument("--until-empty", action="store_true", help="stop when nothing is due")
    p.add_argument("--quiet", action="store_true", help="no line per finished job")


def _add_jobs(p: argparse.ArgumentParser) -> None:
    statuses = [s.value for s in litequeue.JobStatus]
    p.add_argument("--status", action="append", choices=statuses, help="repeatable")
    p.add_argument("--queue")
    p.add_argument("--kind")
    p.add_argument("--tag")
    p.add_argument("--limit", type=_positive_int, default=50, metavar="N")


def _add_queues(p: argparse.ArgumentParser, common: _Parser) -> None:
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="every queue and its settings", parents=[common])
    limit = actions.add_parser("limit", help="cap jobs running at once", parents=[common])
    limit.add_argument("name", type=_name)
    limit.add_argument("value", metavar="N|none")
    for name, what in (("pause", "hand out no jobs"), ("resume", "hand out jobs again")):
        actions.add_parser(name, help=what, parents=[common]).add_argument("name", type=_name)


def _add_schedules(p: argparse.ArgumentParser, common: _Parser) -> None:
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="every schedule, its next and last slot", parents=[common])
    for name, what in (
        ("pause", "enqueue none of its slots (those passing meanwhile are missed)"),
        ("resume", "enqueue its slots again, from the next one"),
        ("remove", "delete it (its jobs stay)"),
    ):
        actions.add_parser(name, help=what, parents=[common]).add_argument("name", type=_name)


def _add_web(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8766, help="(default 8766; 0: any free port)")
    p.add_argument("--token", help="the token the link carries (default: a new one per start)")
    p.add_argument(
        "--no-token", action="store_true", help="no token: anyone who reaches the port may use it"
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer to this host name (repeatable; '*' for any, behind a checking proxy)",
    )
    p.add_argument("--read-only", action="store_true", help="show everything, change nothing")


def _add_events(p: argparse.ArgumentParser) -> None:
    p.add_argument("--after", type=int, default=0, metavar="SEQ", help="events after SEQ")
    p.add_argument("--follow", action="store_true", help="wait for new events until Ctrl-C")
    p.add_argument("--job", type=int, metavar="ID", help="one job's events")


if __name__ == "__main__":
    sys.exit(main())
