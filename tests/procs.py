"""Programs the multi-process tests start as real processes, and the helpers the tests
use to start them and read what they did.

``python procs.py worker DB RECORD [options]`` runs a worker whose handler
(``plugins.handlers.record``) appends ``start|end job_id attempt pid time`` to
RECORD; ``follow DB`` prints the event log as it grows; ``enqueue-keys DB GO KEY...``
waits for the named pipe GO to open, enqueues one job per unique key and prints the
ids it got back; ``schedules DB ...`` runs scheduler rounds over a simulated clock.
DB is a file path or a database URL.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import litequeue
from plugins import handlers

PROCS = Path(__file__)


def start_worker(db: Path | str, record: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(PROCS), "worker", str(db), str(record), *args])


def wait_for(predicate: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def read_record(record: Path) -> list[tuple[str, int, int, int, float]]:
    if not record.exists():
        return []
    rows = []
    for line in record.read_text().splitlines():
        what, job_id, attempt, pid, at = line.split()
        rows.append((what, int(job_id), int(attempt), int(pid), float(at)))
    return rows


def ends(record: Path) -> collections.Counter[int]:
    return collections.Counter(r[1] for r in read_record(record) if r[0] == "end")


def max_overlap(record: Path) -> int:
    """The most attempts that ran at once, by their start and end times."""
    points = []
    for what, _, _, _, at in read_record(record):
        points.append((at, 1 if what == "start" else -1))
    running = peak = 0
    for _, step in sorted(points, key=lambda p: (p[0], p[1])):
        running += step
        peak = max(peak, running)
    return peak


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (an orphan's zombie may linger
    where nothing reaps it, as in some containers)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


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
    """Print every event's seq, job and type as it arrives, until told how many to see,
    or an event of job ``--until-job`` (or none came for ``--idle`` seconds)."""
    queue = litequeue.Queue(args.db)
    if args.ready:
        open(args.ready, "w").close()
    events = queue.events(after=0, follow=True, timeout=args.idle, poll_interval=0.01)
    for seen, event in enumerate(events, start=1):
        print(event.seq, event.job_id, event.type.value, flush=True)
        if seen >= args.count or event.job_id == args.until_job:
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


def enqueue_keys(args: argparse.Namespace) -> None:
    """Enqueue one job per key as soon as GO opens (every racer at once); print the ids
    got back as one JSON object."""
    queue = litequeue.Queue(args.db)
    open(f"{args.go}.{os.getpid()}", "w").close()  # ready
    os.close(os.open(args.go, os.O_RDONLY))  # a named pipe: blocks until the test opens it
    got = {key: queue.enqueue("record", {"key": key}, unique_key=key).id for key in args.keys}
    print(json.dumps(got), flush=True)
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
    f.add_argument("--count", type=int, default=sys.maxsize)
    f.add_argument("--until-job", type=int)
    f.add_argument("--ready")
    f.add_argument("--idle", type=float, default=20.0)
    k = sub.add_parser("enqueue-keys")
    k.add_argument("db")
    k.add_argument("go")
    k.add_argument("keys", nargs="+")
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
    elif args.command == "follow":
        follow(args)
    else:
        enqueue_keys(args)


if __name__ == "__main__":
    sys.exit(main())
