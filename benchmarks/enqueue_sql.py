"""litequeue's enqueue SQL alone, from plain sqlite3 on litequeue's schema: what each
B-tree and each statement of a one-by-one enqueue costs, with no litequeue Python.

A file is made by litequeue, then a variant drops one thing from a scratch copy of the
schema (an index, the event row, the version check) or folds a statement into another,
and a loop runs litequeue's own statements (``_sql``) as an enqueue at NORMAL does:
``BEGIN IMMEDIATE``, ``PRAGMA user_version``, the job row, its ``enqueued`` event,
``COMMIT``. It prints the CPU time a job and the WAL frames a commit (counted with
automatic checkpoints off).

    python benchmarks/enqueue_sql.py                      # every variant, 3,000 jobs each
    python benchmarks/enqueue_sql.py --only full,dashboard --n 5000
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python benchmarks/enqueue_sql.py --only full --n 2500 --no-frames   # and --n 500

Instructions a job: the difference of the two callgrind totals over 2,000.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import litequeue
from litequeue.engines.sqlite import _sql

#: Indexes an enqueue writes, each dropped by a variant of its name.
INDEXES = ["jobs_claimable", "jobs_by_priority", "jobs_by_run_at", "jobs_queued", "events_job"]
#: The dashboard's indexes among them.
DASHBOARD = ["jobs_by_priority", "jobs_by_run_at", "jobs_queued"]
VARIANTS = [
    "full",
    *(f"no-{name}" for name in INDEXES),
    "no-dashboard",
    "no-indexes",
    "no-event",
    "no-version",
    "trigger",
    "trigger-seq",
    "version-in-insert",
]
#: The event written by SQLite for each inserted job (the ``trigger`` variants).
TRIGGER = (
    "CREATE TRIGGER jobs_enqueued AFTER INSERT ON jobs BEGIN"
    " INSERT INTO events (job_id, type, at, data) VALUES (new.id, 'enqueued', new.created_at,"
    " json_object('kind', new.kind, 'queue', new.queue)); END"
)
#: The job's insert that also reads the number its trigger's event will get.
INSERT_READING_SEQ = (
    _sql.INSERT_JOB_PLAIN + " RETURNING id, (SELECT coalesce(max(seq), 0) + 1 FROM events)"
)
#: The job's insert that inserts nothing once the file is past a schema version.
INSERT_CHECKING_VERSION = (
    _sql.INSERT_JOB_PLAIN.replace(" VALUES (", " SELECT ")[:-1]
    + " WHERE (SELECT user_version FROM pragma_user_version) <= ?9"
)


def prepare(db: Path, variant: str) -> sqlite3.Connection:
    """A litequeue file at ``db``, changed as ``variant`` says; a connection set as
    litequeue's at NORMAL."""
    litequeue.Queue(db, durability="normal", autoload_plugins=False).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = OFF")
    dropped = {"no-dashboard": DASHBOARD, "no-indexes": INDEXES}.get(variant)
    if dropped is None and variant.removeprefix("no-") in INDEXES:
        dropped = [variant.removeprefix("no-")]
    for name in dropped or []:
        conn.execute(f"DROP INDEX {name}")
    if variant.startswith("trigger"):
        conn.execute(TRIGGER)
    return conn


def run(conn: sqlite3.Connection, variant: str, n: int) -> None:
    """``n`` enqueues of a ``noop`` job with a small payload, one transaction each."""
    execute, version = conn.execute, conn.execute(_sql.USER_VERSION).fetchone()[0]
    data = json.dumps({"kind": "noop", "queue": "default"}, separators=(",", ":"))
    for i in range(n):
        now = time.time()
        values = ("noop", "default", json.dumps({"i": i}), 0, now, 3, "[]", now)
        execute(_sql.BEGIN_IMMEDIATE)
        if variant == "version-in-insert":
            cursor = execute(INSERT_CHECKING_VERSION, (*values, version))
            assert cursor.rowcount == 1
            execute(_sql.INSERT_EVENTS[1], (cursor.lastrowid, "enqueued", now, data))
            execute(_sql.COMMIT)
            continue
        if variant != "no-version":
            execute(_sql.USER_VERSION).fetchone()
        if variant == "trigger":
            execute(_sql.INSERT_JOB_PLAIN, values)
        elif variant == "trigger-seq":
            execute(INSERT_READING_SEQ, values).fetchone()
        elif variant == "no-event":
            execute(_sql.INSERT_JOB_PLAIN, values)
        else:
            job_id = execute(_sql.INSERT_JOB_PLAIN, values).lastrowid
            execute(_sql.INSERT_EVENTS[1], (job_id, "enqueued", now, data))
        execute(_sql.COMMIT)


def measure(workdir: Path, variant: str, n: int, frames: bool) -> dict[str, Any]:
    conn = prepare(workdir / f"{variant}.db", variant)
    if frames:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
    cpu = time.process_time()
    run(conn, variant, n)
    result: dict[str, Any] = {"variant": variant, "n": n}
    result["cpu_us"] = round((time.process_time() - cpu) / n * 1e6, 1)
    if frames:
        logged = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        result["frames_per_commit"] = round(logged / n, 2)
    conn.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="enqueues a variant")
    parser.add_argument("--only", help=f"variants, comma-separated: {', '.join(VARIANTS)}")
    parser.add_argument(
        "--no-frames", action="store_true", help="checkpoint as usual; no frame count"
    )
    options = parser.parse_args()
    variants = options.only.split(",") if options.only else VARIANTS
    for variant in variants:
        if variant not in VARIANTS:
            parser.error(f"no variant {variant!r}; one of {', '.join(VARIANTS)}")
    with tempfile.TemporaryDirectory() as tmp:
        for variant in variants:
            print(json.dumps(measure(Path(tmp), variant, options.n, not options.no_frames)))


if __name__ == "__main__":
    main()
