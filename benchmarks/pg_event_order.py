"""Three ways to make PostgreSQL event numbers follow commit order, measured side by side.

``lock``: each transaction takes one advisory lock just before it writes its events
(its last statement) and holds it to the commit; numbers are handed out in commit
order and a reader reads ``seq > after`` plainly. ``watermark``: no lock; each event
row carries its transaction's id (``xid8``), and a reader reads only the rows of
transactions older than every one still running
(``xid < pg_snapshot_xmin(pg_current_snapshot())``).

``inflight``: no lock held to the commit; each transaction reserves its first number
and announces it with a transaction-level advisory lock keyed by that number (taken
under a brief shared registration lock, so that a reader never looks between the two),
and a reader reads only numbers below the lowest one still announced (``pg_locks``,
read under the registration lock taken exclusively) and up to the last one handed out
when it looked: writers do not wait for each other, a reader pays a look at the lock
table.

Writers are processes, each committing a job row and two event rows per transaction
(a claim's shape), for a few seconds; a reader follows the log meanwhile and counts
the events it would have skipped (read past a number, then a lower one appears):
with the watermark that can happen whenever a transaction with an older xid takes
its number after a younger one, because numbers and xids are handed out at
different moments.

    python benchmarks/pg_event_order.py postgresql://postgres@127.0.0.1:5432/postgres
    python benchmarks/pg_event_order.py URL lock,inflight     # some of the modes
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from typing import Any

import psycopg

SECONDS = 4.0
MODES = ("lock", "watermark", "inflight")
SETUP = """
DROP TABLE IF EXISTS order_jobs, order_events;
CREATE TABLE order_jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n int);
CREATE TABLE order_events (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id bigint, xid xid8 NOT NULL DEFAULT pg_current_xact_id(), data text);
CREATE OR REPLACE FUNCTION order_reserve() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE s bigint;
BEGIN
    PERFORM pg_advisory_lock_shared(7001, 0);
    s := nextval(pg_get_serial_sequence('order_events', 'seq'));
    PERFORM pg_advisory_xact_lock(7002, s::int);
    PERFORM pg_advisory_unlock_shared(7001, 0);
    RETURN s;
END $$;
CREATE OR REPLACE FUNCTION order_horizon() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE h bigint;
BEGIN
    PERFORM pg_advisory_lock(7001, 0);
    -- a writer that reserves after this look takes a number above the last one
    -- handed out so far
    SELECT least(min(objid::bigint), coalesce(pg_sequence_last_value(
            pg_get_serial_sequence('order_events', 'seq')::regclass), 0) + 1)
        INTO h FROM pg_locks WHERE locktype = 'advisory'
        AND classid = 7002 AND objsubid = 2;
    PERFORM pg_advisory_unlock(7001, 0);
    RETURN h;
END $$;
"""
LOCK = "SELECT pg_advisory_xact_lock(hashtext('bench:events'))"
INSERT_JOB = "INSERT INTO order_jobs (n) VALUES (1) RETURNING id"
INSERT_EVENTS = "INSERT INTO order_events (job_id, data) VALUES (%s, '{}'), (%s, '{}')"
RESERVE = "SELECT order_reserve()"
INSERT_RESERVED = (
    "INSERT INTO order_events (seq, job_id, data) OVERRIDING SYSTEM VALUE"
    " VALUES (%s, %s, '{}'), (DEFAULT, %s, '{}')"
)
READ = {
    "lock": "SELECT seq FROM order_events WHERE seq > %s ORDER BY seq",
    "watermark": "SELECT seq FROM order_events WHERE seq > %s"
    " AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY seq",
    # the horizon is read first, the rows in a later snapshot
    "inflight": "SELECT seq FROM order_events WHERE seq > %s AND seq < %s ORDER BY seq",
}


def writer(url: str, mode: str, sync: str, until: float, out: Any) -> None:
    commits = 0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET synchronous_commit = {sync}")
        while time.time() < until:
            with conn.transaction():
                (job,) = conn.execute(INSERT_JOB).fetchone()  # type: ignore[misc]
                if mode == "lock":
                    conn.execute(LOCK)
                if mode == "inflight":
                    (first,) = conn.execute(RESERVE).fetchone()  # type: ignore[misc]
                    conn.execute(INSERT_RESERVED, (first, job, job))
                else:
                    conn.execute(INSERT_EVENTS, (job, job))
            commits += 1
    out.put(commits)


def reader(url: str, mode: str, until: float, out: Any) -> None:
    """Follows the log; counts rows that appear below a number already read past."""
    after, seen, skipped = 0, set(), 0
    with psycopg.connect(url, autocommit=True) as conn:
        while time.time() < until + 0.5:
            if mode == "inflight":
                (horizon,) = conn.execute("SELECT order_horizon()").fetchone()  # type: ignore[misc]
                rows = [r[0] for r in conn.execute(READ[mode], (after, horizon))]
            else:
                rows = [r[0] for r in conn.execute(READ[mode], (after,))]
            if rows:
                seen.update(rows)
                after = rows[-1]
        everything = [r[0] for r in conn.execute("SELECT seq FROM order_events")]
        # below the last number read yet never seen: read past (one committed after
        # the follower's last read is not counted)
        skipped = sum(1 for seq in everything if seq < after and seq not in seen)
    out.put(skipped)


def run(url: str, mode: str, sync: str, writers: int) -> tuple[float, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SETUP)
    context = multiprocessing.get_context("spawn")
    counts, misses = context.Queue(), context.Queue()
    until = time.time() + 1.0 + SECONDS
    procs = [context.Process(target=writer, args=(url, mode, sync, until, counts))]
    procs += [
        context.Process(target=writer, args=(url, mode, sync, until, counts))
        for _ in range(writers - 1)
    ]
    procs.append(context.Process(target=reader, args=(url, mode, until, misses)))
    for p in procs:
        p.start()
    total = sum(counts.get() for _ in range(writers))
    skipped = misses.get()
    for p in procs:
        p.join()
    return total / (SECONDS + 1.0), skipped


def main() -> None:
    url = sys.argv[1]
    modes = sys.argv[2].split(",") if len(sys.argv) > 2 else MODES
    print("mode       sync  writers  commits/s  skipped by a follower")
    for sync in ("on", "off"):
        for writers in (1, 4, 8):
            for mode in modes:
                rate, skipped = run(url, mode, sync, writers)
                print(f"{mode:<10} {sync:<5} {writers:>7}  {rate:>9.0f}  {skipped:>6}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS order_jobs, order_events")
        conn.execute("DROP FUNCTION IF EXISTS order_reserve, order_horizon")


if __name__ == "__main__":
    main()
