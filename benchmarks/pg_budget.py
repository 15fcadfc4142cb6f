"""What one job of a batch drain costs on PostgreSQL, side by side with the floor.

Three loops claim 100 jobs a call and acknowledge the call before's, in one process, on
a fresh database each, until the queue is empty:

- ``litequeue``: the store's claim (``queue.store.claim``, the call a ``Worker`` makes:
  the claim function, its rows read back as ``Running`` attempts), no handler;
- ``floor``: litequeue's tables, rows and indexes written by two plain statements that
  do only what the contract asks of a drain: the claim's ``UPDATE`` with a ``started``
  event a job, then the success's ``UPDATE`` with a ``succeeded`` event a job (no event
  lock, no wake-up, no fencing, no lease check, no ``Job``; three columns back);
- ``raw``: ``bench_pg.py``'s raw psycopg floor (claim + ack, no events);
- ``raw-events``: ``bench_pg.py``'s raw-events floor (raw, plus a ``started`` and a
  ``succeeded`` event row a job, each written by the statement of its change).

Per job: wall time, the client's CPU (this process), the CPU of the server process
serving the loop (``/proc/PID/stat``; the server must run on this machine), of the
server's other processes (those ``pg_stat_activity`` lists when the loop starts: the
WAL writer, the checkpointer...), and the WAL written
(``pg_current_wal_lsn``). ``--pg-wal DIR`` (the server's ``pg_wal`` folder, readable
by ``pg_waldump``, with ``wal_keep_size`` large enough to keep the run's segments) adds
the WAL records a job writes, by kind.

    python benchmarks/pg_budget.py URL                      # 20,000 jobs, 3 rounds
    python benchmarks/pg_budget.py URL --systems litequeue --rounds 5
    PYTHONPATH=/path/to/other/src python benchmarks/pg_budget.py URL   # another revision
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
import pg_drivers  # the raw floor's statements, as bench_pg.py runs them

Result = dict[str, Any]
#: A drain loop: given its database and what to call once connected, the calls it made.
Loop = Callable[[str, Callable[[], None]], int]
PER_CLAIM = 100

FLOOR_CLAIM = """
WITH picked AS (SELECT id FROM litequeue_jobs WHERE status = 'queued' AND queue = 'default'
    AND run_at <= %(now)s AND blockers = 0 ORDER BY priority DESC, run_at, id LIMIT 100
    FOR UPDATE SKIP LOCKED),
claimed AS (UPDATE litequeue_jobs AS j SET status = 'running', attempt = j.attempt + 1,
    run_id = nextval('litequeue_run_ids'), worker = 'w', lease_until = %(now)s + 60,
    started_at = %(now)s, updated_at = %(now)s, progress = 0, progress_message = NULL,
    error = NULL FROM picked WHERE j.id = picked.id
    RETURNING j.id, j.run_id, j.payload, j.attempt),
started AS (INSERT INTO litequeue_events (job_id, type, at, data)
    SELECT id, 'started', %(now)s, '{"attempt":' || attempt || ',"worker":"w"}' FROM claimed)
SELECT id, run_id, payload FROM claimed"""
FLOOR_SUCCEED = """
WITH done AS (UPDATE litequeue_jobs SET status = 'succeeded', result = 'null', error = NULL,
    lease_until = NULL, worker = NULL, progress = 100, finished_at = %(now)s,
    updated_at = %(now)s WHERE id = ANY(%(ids)s) AND status = 'running' RETURNING id, attempt)
INSERT INTO litequeue_events (job_id, type, at, data)
SELECT id, 'succeeded', %(now)s, '{"attempt":' || attempt || '}' FROM done"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_of(pids: list[int]) -> dict[int, float]:
    """The CPU of each of ``pids`` still running."""
    seconds = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # ended meanwhile
            seconds[pid] = cpu_seconds(pid)
    return seconds


class Budget:
    """One server, a fresh database per loop, and the counters read around it."""

    def __init__(self, url: str, n: int, pg_wal: str | None) -> None:
        self.url, self.n, self.pg_wal = url, n, pg_wal
        self.admin = psycopg.connect(url, autocommit=True)

    def lsn(self) -> str:
        row = self.admin.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        return str(row[0])

    def measure(self, name: str, setup: Callable[[str], None], loop: Loop) -> Result:
        db = f"budget_{os.getpid()}_{name}"
        self.admin.execute(f'DROP DATABASE IF EXISTS "{db}"')
        self.admin.execute(f'CREATE DATABASE "{db}"')
        dsn = self.url.rsplit("/", 1)[0] + "/" + db
        try:
            setup(dsn)
            return self._timed(name, db, dsn, loop)
        finally:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    def _timed(self, name: str, db: str, dsn: str, loop: Loop) -> Result:
        pids: list[int] = []

        def started() -> None:  # called by the loop once connected, before its first claim
            rows = self.admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (db,)
            ).fetchall()
            pids.extend(r[0] for r in rows)
            every = self.admin.execute("SELECT pid FROM pg_stat_activity").fetchall()
            marks.update(
                lsn=self.lsn(),
                backend=sum(cpu_seconds(p) for p in pids),
                server=cpu_of([r[0] for r in every]),
                client=time.process_time(),
                wall=time.perf_counter(),
            )

        marks: dict[str, Any] = {}
        calls = loop(dsn, started)
        wall = time.perf_counter() - marks["wall"]
        client = time.process_time() - marks["client"]
        backend = sum(cpu_seconds(p) for p in pids) - marks["backend"]
        now = cpu_of(list(marks["server"]))
        server = sum(now[p] - marks["server"][p] for p in now)
        end = self.lsn()
        row = self.admin.execute("SELECT %s::pg_lsn - %s::pg_lsn", (end, marks["lsn"])).fetchone()
        assert row is not None
        n = self.n
        result: Result = {
            "system": name,
            "calls": calls,
            "wall_us": round(wall / n * 1e6, 1),
            "client_us": round(client / n * 1e6, 1),
            "backend_us": round(backend / n * 1e6, 1),
            "other_server_us": round((server - backend) / n * 1e6, 1),
            "wal_bytes": round(int(row[0]) / n),
        }
        if self.pg_wal:
            result["wal_records"] = wal_records(self.pg_wal, marks["lsn"], end, n)
        return result


def wal_records(pg_wal: str, start: str, end: str, n: int) -> dict[str, list[float]]:
    """``pg_waldump --stats=record`` between two positions: records and bytes a job, by kind."""
    waldump = shutil.which("pg_waldump") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_waldump"), reverse=True)), None
    )
    if waldump is None:
        return {"error": [0.0]}
    out = subprocess.run(
        [str(waldump), "-p", pg_wal, "-s", start, "-e", end, "--stats=record"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    kinds: dict[str, list[float]] = {}
    for line in out.splitlines():
        # "Heap/UPDATE   39228 ( 13.93)   8852613 ( 32.85) ...": kind, records, bytes
        found = re.match(r"(\S+/\S+)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)", line)
        if found and int(found[2]) >= n // 10:
            count, size = int(found[2]), int(found[3])
            kinds[found[1]] = [round(count / n, 2), round(size / count, 1)]
    return kinds


def litequeue_setup(n: int) -> Callable[[str], None]:
    def setup(dsn: str) -> None:
        import litequeue

        queue = litequeue.Queue(dsn, durability="full", autoload_plugins=False)
        try:
            for start in range(0, n, 1000):
                queue.enqueue_many([("noop", {"i": i}) for i in range(start, min(n, start + 1000))])
        finally:
            queue.close()

    return setup


def litequeue_loop(dsn: str, started: Callable[[], None]) -> int:
    import litequeue
    from litequeue._records import Claim, Outcome

    queue = litequeue.Queue(dsn, durability="full", autoload_plugins=False)
    store = queue.store
    claim = Claim(worker="w", queues=("default",), limit=PER_CLAIM, lease=60.0, kinds=("noop",))
    outcomes: list[Outcome] = []
    store.claim(Claim(worker="w", queues=("default",), limit=0, lease=60.0))  # connects
    started()
    calls = 0
    while True:
        got, _, _ = store.claim(claim, outcomes)
        calls += 1
        if not got and not outcomes:
            break
        outcomes = [
            Outcome(r.job_id, r.run_id, "succeeded", "null", None, None, None, r.attempt, None)
            for r in got
        ]
    queue.close()
    return calls


def floor_loop(dsn: str, started: Callable[[], None]) -> int:
    conn = psycopg.connect(dsn, autocommit=True)
    started()
    calls = 0
    while True:
        now = time.time()
        rows = conn.execute(FLOOR_CLAIM, {"now": now}, binary=True).fetchall()
        calls += 1
        if not rows:
            break
        for _id, _run, payload in rows:
            json.loads(payload)
        conn.execute(FLOOR_SUCCEED, {"now": now, "ids": [r[0] for r in rows]})
    conn.close()
    return calls


def raw_setup(n: int) -> Callable[[str], None]:
    def setup(dsn: str) -> None:
        from psycopg.types.json import Jsonb

        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(pg_drivers.RAW_SCHEMA)
            for start in range(0, n, 1000):
                payloads = [Jsonb({"i": i}) for i in range(start, min(n, start + 1000))]
                conn.execute(pg_drivers.RAW_ENQUEUE_MANY, (payloads,))

    return setup


def raw_loop(claim: str, ack: str) -> Loop:
    """A loop of a raw floor's claim and acknowledgement statements."""

    def loop(dsn: str, started: Callable[[], None]) -> int:
        conn = psycopg.connect(dsn, autocommit=True)
        started()
        calls = 0
        while True:
            rows = conn.execute(claim, (PER_CLAIM,)).fetchall()
            calls += 1
            if not rows:
                break
            for _id, payload in rows:
                payload["i"]
            conn.execute(ack, ([r[0] for r in rows],))
        conn.close()
        return calls

    return loop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", help="a PostgreSQL URL whose user may CREATE DATABASE")
    ap.add_argument("--n", type=int, default=20_000, help="jobs a loop")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--systems", default="litequeue,floor,raw,raw-events")
    ap.add_argument("--pg-wal", help="the server's pg_wal folder, for WAL records by kind")
    a = ap.parse_args()
    budget = Budget(a.url, a.n, a.pg_wal)
    runs = {
        "litequeue": (litequeue_setup(a.n), litequeue_loop),
        "floor": (litequeue_setup(a.n), floor_loop),
        "raw": (raw_setup(a.n), raw_loop(pg_drivers.RAW_CLAIM, pg_drivers.RAW_ACK_MANY)),
        "raw-events": (
            raw_setup(a.n),
            raw_loop(pg_drivers.RAW_EVENTS_CLAIM, pg_drivers.RAW_EVENTS_ACK_MANY),
        ),
    }
    for _ in range(a.rounds):
        for name in a.systems.split(","):
            setup, loop = runs[name]
            print(json.dumps(budget.measure(name, setup, loop)), flush=True)


if __name__ == "__main__":
    main()
