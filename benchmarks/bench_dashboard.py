"""Server time of the dashboard's pages on a queue of 1,000,000 jobs (``litequeue web``).

Run on demand, never in the test suite::

    python benchmarks/bench_dashboard.py [--jobs 1000000] [--db FILE] [--rounds 5]
    python benchmarks/bench_dashboard.py --tabs 100     # what open pages cost the server
    python benchmarks/bench_dashboard.py --bulk 100000  # a bulk action on that many jobs

The queue is made with ``enqueue_many`` (kept in ``--db`` and reused when it already
holds the jobs); then a share of the jobs is marked finished in one SQL statement, as
if workers had run them over the last hour: draining a million jobs here would
take an hour and measure the worker, not the page. Each figure is the median (and
the slowest) of ``--rounds`` requests made in process through the ASGI app, so it
is the server's time: the query, building the rows and the JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

import litequeue
from litequeue.web import create_app

KINDS = ("email.send", "report.build", "cv.extract", "image.resize")
CHUNK = 10_000


def build(path: Path | str, jobs: int) -> None:
    """A queue file of ``jobs`` jobs in two queues, a tenth tagged, then about 60%
    succeeded and 2% failed over the last hour (the rest queued)."""
    rng = random.Random(7)
    with litequeue.Queue(path, durability="normal") as queue:
        have = sum(sum(c.values()) for c in queue.stats().values())
        for start in range(have, jobs, CHUNK):
            size = min(CHUNK, jobs - start)
            queue.enqueue_many(
                [
                    {
                        "kind": KINDS[(start + i) % len(KINDS)],
                        "payload": {
                            "n": start + i,
                            "to": f"user{rng.randrange(10**6)}@example.org",
                        },
                        "tags": ["customer:acme"] if (start + i) % 10 == 0 else [],
                        "queue": "bulk" if (start + i) % 3 == 0 else "default",
                    }
                    for i in range(size)
                ]
            )
    finished = (
        "UPDATE {jobs} SET status = CASE WHEN id % 50 = 0 THEN 'failed' ELSE 'succeeded' END,"
        ' error = CASE WHEN id % 50 = 0 THEN \'{{"type":"SMTPError","message":"mailbox'
        " ' || id || ' full\"}}' END, attempt = 1, finished_at = {now} - (id % 3600),"
        " updated_at = {now} - (id % 3600) WHERE status = 'queued' AND id % 5 < 3"
    )
    now = time.time()
    if str(path).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(str(path)) as pg:  # setup only: the runs workers would make
            pg.execute(finished.format(jobs="litequeue_jobs", now=now))  # type: ignore[arg-type]
            pg.execute("ANALYZE litequeue_jobs")
        return
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(finished.format(jobs="jobs", now=now))


def measure(client: TestClient, path: str, rounds: int) -> tuple[float, float, int]:
    """Median and slowest milliseconds of ``rounds`` requests, and the rows answered
    (-1: the page was refused, a sort no index serves over too many jobs)."""
    times, rows = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code == 400 and "sorts every matching job" in response.text:
            return statistics.median(times), max(times), -1
        assert response.status_code == 200, response.text
        body = response.json()
        rows = len(body["jobs"]) if "jobs" in body else body.get("count", len(body))
    return statistics.median(times), max(times), rows


def _cpu_and_memory(pid: int) -> tuple[float, int]:
    """CPU seconds (user + system) a process used so far, and its resident memory (KB)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    found = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return (int(fields[11]) + int(fields[12])) / ticks, int(found.group(1)) if found else 0


def tabs(count: int) -> None:
    """``count`` open pages (event streams) on one ``litequeue web`` server: its CPU
    while they idle, and while 2,000 jobs are enqueued and run, and its memory."""
    folder = Path(tempfile.mkdtemp())
    db = folder / "tabs.db"
    litequeue.Queue(db).close()
    command = [sys.executable, "-m", "litequeue", "--db", str(db), "web", "--port", "0"]
    server = subprocess.Popen([*command, "--no-token"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(re.search(r":(\d+)/", server.stdout.readline()).group(1))  # type: ignore[union-attr]
        _, before = _cpu_and_memory(server.pid)
        streams = []
        for _ in range(count):
            stream = socket.create_connection(("127.0.0.1", port), 10)
            stream.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            streams.append(stream)
        for stream in streams:
            while b"retry: 1000" not in stream.recv(4096):
                pass
            stream.setblocking(False)
        cpu, memory = _cpu_and_memory(server.pid)
        time.sleep(10)
        idle, _ = _cpu_and_memory(server.pid)
        print(f"{count} open pages: {memory - before} KB more memory ({memory} KB in all)")
        print(f"idle for 10 s: {idle - cpu:.2f} s of CPU")
        with litequeue.Queue(db) as queue:
            queue.handler("noop")(lambda ctx, payload: None)
            queue.enqueue_many([("noop", {"n": n}) for n in range(2000)])
            started = time.perf_counter()
            litequeue.Worker(queue, concurrency=8).run(until_empty=True)
            drained = queue.last_event_seq()
        while time.perf_counter() - started < 10:
            for stream in streams:
                try:
                    while stream.recv(1 << 16):
                        pass
                except BlockingIOError:
                    pass
            time.sleep(0.1)
        busy, _ = _cpu_and_memory(server.pid)
        print(f"{drained} events in 10 s, to each page: {busy - idle:.2f} s of CPU")
    finally:
        server.terminate()
        server.wait(30)


def bulk(count: int) -> None:
    """Retry, cancel and delete ``count`` jobs through the dashboard's bulk actions
    (500 to a transaction), and cancel 2,000 one transaction each, as before."""
    path = Path(tempfile.mkdtemp()) / "bulk.db"
    with litequeue.Queue(path) as queue, TestClient(create_app(queue)) as client:
        for start in range(0, count, CHUNK):
            queue.enqueue_many([("noop", {"n": n}) for n in range(start, start + CHUNK)])
        for action, status in (("cancel", "queued"), ("retry", "cancelled"), ("delete", "queued")):
            started = time.perf_counter()
            answer = client.post(
                f"/api/jobs/bulk/{action}?status={status}&expected={count}",
                headers={"x-litequeue": "1"},
            )
            assert answer.json()["done"] == count, answer.text
            print(f"bulk {action} of {count} jobs: {time.perf_counter() - started:.1f} s")
        jobs = queue.enqueue_many([("noop", {"n": n}) for n in range(2000)])
        started = time.perf_counter()
        for job in jobs:
            queue.cancel(job.id)
        print(f"2000 jobs cancelled one by one: {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--db", help="queue file (or postgresql:// URL) to make or reuse")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tabs", type=int, help="measure this many open pages instead")
    parser.add_argument("--bulk", type=int, help="measure bulk actions on this many jobs")
    args = parser.parse_args()
    if args.tabs:
        tabs(args.tabs)
        return
    if args.bulk:
        bulk(args.bulk)
        return
    path: Path | str = args.db or Path(tempfile.mkdtemp()) / "dashboard.db"
    started = time.perf_counter()
    with litequeue.Queue(path) as queue:
        fresh = sum(sum(c.values()) for c in queue.stats().values()) < args.jobs
    if fresh:
        build(path, args.jobs)
        print(f"made {args.jobs} jobs in {time.perf_counter() - started:.0f} s: {path}")
    with litequeue.Queue(path) as queue, TestClient(create_app(queue)) as client:
        second = client.get("/api/jobs?limit=50&order=asc").json()["next"]
        pages = {
            "first page (newest 50)": "/api/jobs?limit=50",
            "a page in the middle": f"/api/jobs?limit=50&after={args.jobs // 2}",
            "second page, oldest first": f"/api/jobs?limit=50&order=asc&after={second}",
            "failed": "/api/jobs?limit=50&status=failed",
            "failed, in the middle": f"/api/jobs?limit=50&status=failed&after={args.jobs // 2}",
            "queued + running": "/api/jobs?limit=50&status=queued&status=running",
            "queued": "/api/jobs?limit=50&status=queued",
            "running": "/api/jobs?limit=50&status=running",
            "succeeded": "/api/jobs?limit=50&status=succeeded",
            "succeeded, oldest first": "/api/jobs?limit=50&status=succeeded&order=asc",
            "one kind in one queue": "/api/jobs?limit=50&kind=cv.extract&queue=bulk",
            "failed of one kind": "/api/jobs?limit=50&kind=cv.extract&status=failed",
            "a tag": "/api/jobs?limit=50&tag=customer:acme",
            "text, common": "/api/jobs?limit=50&text=example.org",
            "text, in errors": "/api/jobs?limit=50&text=mailbox",
            "text, found nowhere": "/api/jobs?limit=50&text=no-such-text",
            "by priority (first page)": "/api/jobs?limit=50&sort=priority",
            "by priority, deep": f"/api/jobs?limit=50&sort=priority&after=0:{args.jobs // 2}",
            "by due time, earliest first": "/api/jobs?limit=50&sort=run_at&order=asc",
            "by due time, deep": f"/api/jobs?limit=50&sort=run_at&after={time.time()}:1",
            "queued by priority": "/api/jobs?limit=50&status=queued&sort=priority",
            "queued by due time, deep": f"/api/jobs?limit=50&status=queued&sort=run_at"
            f"&after={time.time()}:{args.jobs // 2}",
            "succeeded by priority": "/api/jobs?limit=50&status=succeeded&sort=priority",
            "failed by due time": "/api/jobs?limit=50&status=failed&sort=run_at",
            "one kind by priority": "/api/jobs?limit=50&kind=cv.extract&sort=priority",
            "failed by last change": "/api/jobs?limit=50&status=failed&sort=updated_at",
            "failed by attempts": "/api/jobs?limit=50&status=failed&sort=attempt",
            "text found nowhere, by priority": "/api/jobs?limit=50&text=no-such&sort=priority",
            "a job's page": f"/api/jobs/{args.jobs // 2}",
            "queues overview": "/api/state",
            "count of failed (bulk)": "/api/jobs/count?status=failed",
            "count of queued (bulk)": "/api/jobs/count?status=queued",
        }
        print(f"{'page':<28} {'median ms':>10} {'max ms':>8} {'rows':>7}")
        for name, page in pages.items():
            median, slowest, rows = measure(client, page, args.rounds)
            answered = "refused" if rows < 0 else rows
            print(f"{name:<28} {median:>10.1f} {slowest:>8.1f} {answered:>7}")


if __name__ == "__main__":
    main()
