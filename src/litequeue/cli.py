"""The ``litequeue`` command: look at and steer a queue file from a shell.

Every command takes ``--db FILE`` (or ``LITEQUEUE_DB``) and ``--json``; errors go
to stderr as ``litequeue: error: ...`` with exit status 1 (2 for usage errors).
It uses only litequeue's public API.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import litequeue

__all__ = ["main"]

DB_ENV = "LITEQUEUE_DB"


class UsageError(Exception):
    """Bad command-line input (exit status 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"litequeue: error: {exc}", file=sys.stderr)
        return 2
    except litequeue.LitequeueError as exc:
        print(f"litequeue: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


# -- output -----------------------------------------------------------------------------


def _emit_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> None:
    """Print rows as aligned columns."""
    text = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in text)]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in text:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _when(value: Any) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _job_rows(jobs: Iterable[litequeue.Job]) -> list[tuple[Any, ...]]:
    return [
        (
            job.id,
            job.kind,
            job.queue,
            job.status.value,
            f"{job.attempt}/{job.max_attempts}",
            f"{job.progress:.0f}%",
            _when(job.created_at),
            str(job.error) if job.error else (job.progress_message or ""),
        )
        for job in jobs
    ]


JOB_HEADERS = ("id", "kind", "queue", "status", "attempt", "progress", "created", "note")


def _open(args: argparse.Namespace, *, migrate: bool = True) -> litequeue.Queue:
    db = args.db or os.environ.get(DB_ENV)
    if not db:
        raise UsageError(f"give the queue file with --db FILE or the {DB_ENV} variable")
    return litequeue.Queue(
        db, durability=args.durability, plugins=args.plugin or (), migrate=migrate
    )


def _print_job(args: argparse.Namespace, job: litequeue.Job) -> int:
    if args.json:
        _emit_json(job.to_dict())
    else:
        _table(_job_rows([job]), JOB_HEADERS)
    return 0


# -- commands ---------------------------------------------------------------------------


def cmd_enqueue(args: argparse.Namespace) -> int:
    """Add one job; the payload is JSON."""
    try:
        payload = json.loads(args.payload) if args.payload is not None else None
    except json.JSONDecodeError as exc:
        raise UsageError(f"the payload is not valid JSON ({exc}): {args.payload!r}") from None
    with _open(args) as queue:
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
        )
        return _print_job(args, job)


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a worker with the handlers of the loaded plugins until Ctrl-C or SIGTERM."""
    with _open(args) as queue:
        if not queue.handlers:
            print(
                "litequeue: warning: no handlers are registered (load them with --plugin "
                "MODULE or an installed plugin); jobs will fail with UnknownKind",
                file=sys.stderr,
            )
        if not args.quiet:
            queue.subscribe(lambda event: _report_finished(queue, event, args.json))
        worker = litequeue.Worker(
            queue,
            queues=args.queue or ["default"],
            concurrency=args.concurrency,
            lease=args.lease,
            grace=args.grace,
        )
        done = worker.run(until_empty=args.until_empty)
        if not args.quiet and not args.json:
            print(f"worker stopped after {done} attempt(s)", file=sys.stderr)
    return 0


_FINISHED = {"succeeded", "failed", "cancelled", "retrying"}


def _report_finished(queue: litequeue.Queue, event: litequeue.Event, as_json: bool) -> None:
    if event.type.value not in _FINISHED:
        return
    if as_json:
        print(json.dumps(event.to_dict(), ensure_ascii=False), flush=True)
        return
    detail = event.data.get("error", "")
    print(f"job {event.job_id} {event.type.value} {detail}".rstrip(), flush=True)


def cmd_jobs(args: argparse.Namespace) -> int:
    """List jobs, newest first."""
    with _open(args) as queue:
        jobs = queue.jobs(
            args.status, queue=args.queue, kind=args.kind, tag=args.tag, limit=args.limit
        )
    if args.json:
        _emit_json([job.to_dict() for job in jobs])
    else:
        _table(_job_rows(jobs), JOB_HEADERS)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """One job in full, with its error, traceback and events."""
    with _open(args) as queue:
        job = queue.get(args.id)
        events = list(queue.events(job_id=args.id))
    if args.json:
        _emit_json({"job": job.to_dict(), "events": [e.to_dict() for e in events]})
        return 0
    for name, value in job.to_dict().items():
        if name not in ("error", "payload", "result"):
            print(f"{name:>16}: {'' if value is None else value}")
    print(f"{'payload':>16}: {json.dumps(job.payload, ensure_ascii=False)}")
    print(f"{'result':>16}: {json.dumps(job.result, ensure_ascii=False)}")
    if job.error:
        print(f"{'error':>16}: {job.error}")
        if job.error.traceback:
            print(job.error.traceback.rstrip())
    print("events:")
    _table(((e.seq, _when(e.at), e.type.value, json.dumps(e.data)) for e in events),
           ("seq", "at", "type", "data"))  # fmt: skip
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    """Cancel a queued or running job."""
    with _open(args) as queue:
        return _print_job(args, queue.cancel(args.id))


def cmd_retry(args: argparse.Namespace) -> int:
    """Queue a failed or cancelled job again."""
    with _open(args) as queue:
        return _print_job(args, queue.retry(args.id))


def cmd_stats(args: argparse.Namespace) -> int:
    """Counts of jobs per queue and status."""
    with _open(args) as queue:
        stats = queue.stats(tag=args.tag)
    if args.json:
        _emit_json(stats)
        return 0
    statuses = [s.value for s in litequeue.JobStatus]
    _table(([name, *(counts[s] for s in statuses)] for name, counts in stats.items()),
           ("queue", *statuses))  # fmt: skip
    return 0


def cmd_queues(args: argparse.Namespace) -> int:
    """List queues, or change one: ``limit NAME N|none``, ``pause NAME``, ``resume NAME``."""
    if args.action not in (None, "list") and not args.name:
        raise UsageError(f"queues {args.action} needs a queue name")
    with _open(args) as queue:
        if args.action == "limit":
            if args.value is None:
                raise UsageError("queues limit needs a number or 'none'")
            limit = _parse_limit(args.value)
            info = [queue.set_queue(args.name, limit=limit)]
        elif args.action == "pause":
            info = [queue.pause(args.name)]
        elif args.action == "resume":
            info = [queue.resume(args.name)]
        else:
            info = queue.queues()
    if args.json:
        _emit_json([{"name": q.name, "limit": q.limit, "paused": q.paused} for q in info])
    else:
        _table(((q.name, "none" if q.limit is None else q.limit, q.paused) for q in info),
               ("queue", "limit", "paused"))  # fmt: skip
    return 0


def _parse_limit(text: str) -> int | None:
    if text.lower() in ("none", "off", "unlimited"):
        return None
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"a queue limit is a whole number or 'none', not {text!r}") from None


def cmd_events(args: argparse.Namespace) -> int:
    """Print the event log from ``--after``; ``--follow`` waits for new events."""
    with _open(args) as queue:
        try:
            for event in queue.events(after=args.after, follow=args.follow, job_id=args.job):
                if args.json:
                    print(json.dumps(event.to_dict(), ensure_ascii=False), flush=True)
                else:
                    data = json.dumps(event.data, ensure_ascii=False) if event.data else ""
                    print(
                        f"{event.seq:>8}  {_when(event.at)}  job {event.job_id:<6} "
                        f"{event.type.value:<13} {data}".rstrip(),
                        flush=True,
                    )
        except KeyboardInterrupt:
            return 0
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    """Delete finished jobs and events older than ``--older-than`` seconds."""
    with _open(args) as queue:
        jobs, events = queue.prune(older_than=args.older_than)
    if args.json:
        _emit_json({"jobs": jobs, "events": events})
    else:
        print(f"deleted {jobs} finished job(s) and {events} event(s)")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the file's schema up to date (opening a queue does this too)."""
    try:
        with _open(args, migrate=False) as queue:
            before = after = queue.schema_version()
    except litequeue.SchemaTooNew:
        raise
    except litequeue.StoreError as exc:
        if "older than" not in str(exc):
            raise
        with _open(args) as queue:
            after = queue.schema_version()
        before = None
    if args.json:
        _emit_json({"from": before, "to": after})
    elif before == after:
        print(f"schema version {after}: up to date")
    else:
        print(f"migrated to schema version {after}")
    return 0


# -- the parser -----------------------------------------------------------------------


def _common_options(*, defaults: bool) -> argparse.ArgumentParser:
    """``--db``, ``--json``, ``--plugin``, ``--durability``, accepted before or after the
    command name."""

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=default(None), help=f"the queue file (or ${DB_ENV})")
    common.add_argument("--json", action="store_true", default=default(False), help="print JSON")
    common.add_argument(
        "--plugin",
        action="append",
        default=default(None),
        metavar="MODULE",
        help="load a plugin module (repeatable)",
    )
    common.add_argument(
        "--durability", choices=("full", "normal"), default=default("full"), help="default full"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = argparse.ArgumentParser(
        prog="litequeue",
        description="Look at and steer a litequeue file.",
        parents=[_common_options(defaults=True)],
    )
    # The same options after the command; there they must not reset what was given before it.
    common = _common_options(defaults=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        doc = (run.__doc__ or "").strip().splitlines()[0]
        p = sub.add_parser(name, help=doc, description=doc, parents=[common])
        p.set_defaults(run=run)
        return p

    p = add("enqueue", cmd_enqueue)
    p.add_argument("kind")
    p.add_argument("payload", nargs="?", help="JSON (default: null)")
    p.add_argument("--queue", default="default")
    p.add_argument("--priority", type=int, default=0)
    p.add_argument("--delay", type=float, help="seconds before it may run")
    p.add_argument("--max-attempts", type=int)
    p.add_argument("--timeout", type=float, help="seconds per attempt, from its claim")
    p.add_argument("--unique-key")
    p.add_argument("--force", action="store_true", help="add even if the key is held")
    p.add_argument("--tag", action="append", default=[])
    p.add_argument("--parent", type=int, help="id of the batch job it belongs to")

    p = add("worker", cmd_worker)
    p.add_argument("--queue", action="append", help="queue to serve (repeatable, in order)")
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--lease", type=float, default=30.0)
    p.add_argument("--grace", type=float, default=30.0)
    p.add_argument("--until-empty", action="store_true", help="stop when nothing is due")
    p.add_argument("--quiet", action="store_true", help="no line per finished job")

    p = add("jobs", cmd_jobs)
    p.add_argument("--status", action="append", choices=[s.value for s in litequeue.JobStatus])
    p.add_argument("--queue")
    p.add_argument("--kind")
    p.add_argument("--tag")
    p.add_argument("--limit", type=int, default=50)

    for name, run in (("show", cmd_show), ("cancel", cmd_cancel), ("retry", cmd_retry)):
        add(name, run).add_argument("id", type=int)

    add("stats", cmd_stats).add_argument("--tag")

    p = add("queues", cmd_queues)
    p.add_argument("action", nargs="?", choices=("list", "limit", "pause", "resume"))
    p.add_argument("name", nargs="?")
    p.add_argument("value", nargs="?", help="for limit: a number or 'none'")

    p = add("events", cmd_events)
    p.add_argument("--after", type=int, default=0, help="only events with a higher seq")
    p.add_argument("--follow", action="store_true", help="keep waiting for new events")
    p.add_argument("--job", type=int, help="one job's events")

    add("prune", cmd_prune).add_argument("--older-than", type=float, help="seconds")
    add("migrate", cmd_migrate)
    return parser


if __name__ == "__main__":
    sys.exit(main())
