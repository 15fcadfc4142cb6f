"""The cost of a claim with flow control on against the plain claim, and the CPU of a
worker held back by a rate limit. Run on demand, never in the test suite::

    python benchmarks/bench_flow.py [--n 3000] [--rounds 3] [--finished 1000,1000000]
    python benchmarks/bench_flow.py --start-pg           # on a throwaway PostgreSQL server
    python benchmarks/bench_flow.py --db postgresql://user@host:port/db

Each variant claims and finishes ``n`` jobs one claim at a time (the outcome of one
recorded in the transaction that claims the next, as a worker with concurrency 1
does), through the store, on a file that also holds ``finished`` old finished jobs:

- ``plain``: no limits (the claim statement of a queue without flow control);
- ``rate``: ``rate="1000000/s"`` (never binding: every claim counts the window and
  records its start);
- ``per-key``: ``per_key_limit=1`` with the jobs spread over 1,000 limit keys;
- ``both``: the two together.

Rounds are interleaved (each round runs every variant once, in a shuffled order) and
the ratio to ``plain`` is taken round by round, of wall-clock time and of this process's
CPU time (which a loaded machine disturbs less). The held-back worker runs in its own
process, waiting on a queue whose rate allows no more starts, and its CPU time over
five seconds from three seconds after its claim, and five from fifteen, is read from
``/proc`` (``--cpu-runs`` times).

On PostgreSQL (``--db URL``, whose user may ``CREATE DATABASE``, or ``--start-pg``) the
finished rows are made once per size in a template database (as ``bench_pg.py``'s
``claim_big`` makes them), and every run claims from a fresh copy of it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import contextlib
from collections.abc import Iterator

import litequeue
import pg_drivers
from bench_queue import _fill_finished_direct
from litequeue._records import Claim, Outcome

VARIANTS = {
    "plain": {},
    "rate": {"rate": "1000000/s"},
    "per-key": {"per_key_limit": 1},
    "both": {"rate": "1000000/s", "per_key_limit": 1},
}


def claim_loop(path: Path | str, variant: str, n: int) -> tuple[float, float]:
    """Seconds per claim (with the previous job's outcome) over ``n`` jobs: wall-clock,
    and this process's CPU (steadier on a loaded machine; on PostgreSQL, the server's
    share is not in it)."""
    q = litequeue.Queue(path, durability="normal")
    settings = VARIANTS[variant]
    if settings:
        q.set_queue("default", **settings)
    keyed = "per_key_limit" in settings
    q.enqueue_many(
        {"kind": "noop", "payload": i, **({"limit_key": f"k{i % 1000}"} if keyed else {})}
        for i in range(n)
    )
    store = q.store
    claim = Claim(worker="bench", queues=("default",), limit=1, lease=30.0, kinds=None)
    outcomes: list[Outcome] = []
    done = 0
    start, cpu = time.perf_counter(), time.process_time()
    while True:
        claimed, _, _ = store.claim(claim, outcomes)
        if not claimed:
            break
        (running,) = claimed
        outcomes = [
            Outcome(job_id=running.job_id, run_id=running.run_id, status="succeeded",
                    result="null", attempt=running.attempt)
        ]  # fmt: skip
        done += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    q.close()
    assert done == n, (variant, done)
    return elapsed / n, cpu / n


def held_back_cpu(path: Path | str) -> tuple[float, float]:
    """The CPU share of a worker process that waits on a rate limit: five seconds
    from three after its last claim (it looks every 20 ms), and five from fifteen
    after (every 50 ms: ``Worker.LONG_IDLE_AFTER``)."""
    with litequeue.Queue(path) as q:
        q.set_queue("default", rate="1/h")
        q.enqueue_many([("noop", i) for i in range(2)])
    code = (
        "import litequeue, sys\n"
        "q = litequeue.Queue(sys.argv[1])\n"
        "q.handler('noop')(lambda ctx, p: None)\n"
        "litequeue.Worker(q).run()\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", code, str(path)])
    try:
        # Started (which takes seconds on a loaded machine) and ran the one start its
        # window allows; then a second of quick looks after that claim, and the log
        # left alone for a second (see docs/workers.md, "Waking up"): settled.
        with litequeue.Queue(path) as q:
            deadline = time.monotonic() + 60
            while q.stats()["default"].get("succeeded", 0) < 1:
                assert time.monotonic() < deadline, "the held-back worker did not start"
                time.sleep(0.1)
        claimed = time.monotonic()
        shares = []
        for after in (3.0, 15.0):
            time.sleep(max(0.0, claimed + after - time.monotonic()))
            before, started = _cpu(worker.pid), time.monotonic()
            time.sleep(5.0)
            shares.append((_cpu(worker.pid) - before) / (time.monotonic() - started))
        return shares[0], shares[1]
    finally:
        worker.terminate()
        worker.wait()


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Files:
    """Queues in files: a base file per size of finished rows, copied for each run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def base(self, finished: int) -> Path:
        base = self.folder / f"base-{finished}.db"
        litequeue.Queue(base).close()
        _fill_finished_direct(base, finished)
        return base

    @contextlib.contextmanager
    def copy(self, base: Path | str, name: str) -> Iterator[Path | str]:
        path = self.folder / f"{name}.db"
        shutil.copy(base, path)
        try:
            yield path
        finally:
            path.unlink()

    @contextlib.contextmanager
    def empty(self, name: str) -> Iterator[Path | str]:
        yield self.folder / f"{name}.db"


class Databases:
    """Queues in PostgreSQL databases: a template database per size of finished rows,
    a fresh copy of it for each run (``CREATE DATABASE ... TEMPLATE``)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.admin = psycopg.connect(url, autocommit=True)
        self.made: list[str] = []

    def _dsn(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + "/" + name

    def _create(self, name: str, template: str | None = None) -> str:
        name = f"flow_{os.getpid()}_{name}"
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with_template = f' TEMPLATE "{template}"' if template else ""
        self.admin.execute(f'CREATE DATABASE "{name}"{with_template}')
        self.made.append(name)
        return name

    def _drop(self, name: str) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.remove(name)

    def base(self, finished: int) -> str:
        name = self._create(f"base_{finished}")
        dsn = self._dsn(name)
        queue = litequeue.Queue(dsn, autoload_plugins=False)
        queue.handler("noop")(lambda ctx, payload: None)
        pg_drivers._litequeue_finished(queue, litequeue, dsn, finished)
        queue.close()
        return name

    @contextlib.contextmanager
    def copy(self, base: Path | str, name: str) -> Iterator[Path | str]:
        made = self._create(name, str(base))
        try:
            yield self._dsn(made)
        finally:
            self._drop(made)

    @contextlib.contextmanager
    def empty(self, name: str) -> Iterator[Path | str]:
        made = self._create(name)
        try:
            yield self._dsn(made)
        finally:
            self._drop(made)

    def close(self) -> None:
        for name in list(self.made):
            self._drop(name)
        self.admin.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--finished", default="1000,1000000")
    parser.add_argument("--cpu-runs", type=int, default=1, help="held-back worker runs")
    parser.add_argument("--db", help="a postgresql:// URL whose user may CREATE DATABASE")
    parser.add_argument("--start-pg", action="store_true", help="a throwaway server: .ci/postgres")
    args = parser.parse_args()
    url = args.db
    if args.start_pg:
        from bench_pg import start_server

        url = start_server(durable=False)
    with tempfile.TemporaryDirectory() as tmp:
        where: Files | Databases = Files(Path(tmp)) if url is None else Databases(url)
        try:
            run(where, args)
        finally:
            if isinstance(where, Databases):
                where.close()
    if args.start_pg:
        from bench_pg import stop_server

        stop_server(url)


def run(where: Files | Databases, args: argparse.Namespace) -> None:
    print("engine:", "SQLite" if isinstance(where, Files) else "PostgreSQL")
    for finished in (int(x) for x in args.finished.split(",")):
        base = where.base(finished)
        per_claim: dict[str, list[float]] = {v: [] for v in VARIANTS}
        cpu_claim: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for _ in range(args.rounds):
            order = list(VARIANTS)
            random.shuffle(order)
            for variant in order:
                with where.copy(base, variant.replace("-", "_")) as target:
                    wall, cpu = claim_loop(target, variant, args.n)
                per_claim[variant].append(wall)
                cpu_claim[variant].append(cpu)
        print(f"finished rows: {finished:,}", flush=True)
        for label, measured in (("wall", per_claim), ("cpu", cpu_claim)):
            plain = measured["plain"]
            for variant, times in measured.items():
                ratios = [t / p for t, p in zip(times, plain, strict=True)]
                print(
                    f"  {label:4} {variant:8} {statistics.median(times) * 1e6:7.1f} µs a claim"
                    f"  x{statistics.median(ratios):.2f} plain"
                    f"  (rounds: {', '.join(f'{r:.2f}' for r in ratios)})",
                    flush=True,
                )
    shares = []
    for _ in range(args.cpu_runs):
        with where.empty("held") as target:
            shares.append(held_back_cpu(target))
    for label, at in (("3-8 s", 0), ("15-20 s", 1)):
        print(
            f"held-back worker, {label} after its claim:"
            f" {', '.join(f'{s[at] * 100:.2f}' for s in shares)}% of a core"
        )


if __name__ == "__main__":
    main()
