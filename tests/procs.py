"""Programs the multi-process tests start as real processes.

``python procs.py worker DB RECORD [options]`` runs a worker whose handler
(``plugins.handlers.record``) appends ``start|end job_id attempt pid time`` to
RECORD; ``python procs.py schedules DB ...`` runs scheduler rounds over a simulated
clock.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime

import litequeue
from plugins import handlers


def worker(args: argparse.Namespace) -> None:
    queue = litequeue.Queue(args.db, durability=args.durability)
    os.environ[handlers.RECORD_ENV] = args.record  # child processes inherit it
    queue.handler("record", process=args.process)(handlers.record)
    if args.ready:
        open(args.ready, "w").close()
    w = litequeue.Worker(
        queue,
        queues=args.queue,
        concurrency=args.concurrency,
        lease=args.lease,
        grace=args.grace,
        name=args.name,
    )
    w.run(until_empty=args.until_empty)
    queue.close()


def follow(args: argparse.Namespace) -> None:
    """Print every event's seq and type as it arrives, until told how many to see."""
    queue = litequeue.Queue(args.db)
    if args.ready:
        open(args.ready, "w").close()
    events = queue.events(after=0, follow=True, timeout=20, poll_interval=0.01)
    for seen, event in enumerate(events, start=1):
        print(event.seq, event.job_id, event.type.value, flush=True)
        if seen >= args.count:
            return


def schedules(args: argparse.Namespace) -> None:
    """Run scheduler rounds over a simulated clock: ``--count`` rounds from ``--start``
    (POSIX seconds), ``--step`` seconds apart, each at once after the last."""
    queue = litequeue.Queue(args.db)
    if args.ready:
        open(args.ready, "w").close()
    for round_ in range(args.count):
        at = datetime.fromtimestamp(args.start + round_ * args.step, UTC)
        queue.run_schedules(now=at)
    queue.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker")
    w.add_argument("db")
    w.add_argument("record")
    w.add_argument("--queue", action="append", default=None)
    w.add_argument("--concurrency", type=int, default=1)
    w.add_argument("--lease", type=float, default=30.0)
    w.add_argument("--grace", type=float, default=30.0)
    w.add_argument("--durability", default="normal")
    w.add_argument("--until-empty", action="store_true")
    w.add_argument("--process", action="store_true", help="run the handler in child processes")
    w.add_argument("--ready")
    w.add_argument("--name")
    f = sub.add_parser("follow")
    f.add_argument("db")
    f.add_argument("--count", type=int, required=True)
    f.add_argument("--ready")
    s = sub.add_parser("schedules")
    s.add_argument("db")
    s.add_argument("--start", type=float, required=True)
    s.add_argument("--step", type=float, required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--ready")
    args = parser.parse_args()
    if args.command == "worker":
        args.queue = args.queue or ["default"]
        worker(args)
    elif args.command == "schedules":
        schedules(args)
    else:
        follow(args)


if __name__ == "__main__":
    sys.exit(main())
