"""The cost of a claim with flow control on against the plain claim, and the CPU of a
worker held back by a rate limit. Run on demand, never in the test suite::

    python benchmarks/bench_flow.py [--n 3000] [--rounds 3] [--finished 1000,1000000]
    python benchmarks/bench_flow.py --start-pg           # on a throwaway PostgreSQL server
    python benchmarks/bench_flow.py --db postgresql://user@host:port/db
    python benchmarks/bench_flow.py --backlog 10000,100000 [--n 1000]

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
process, waiting on a queue whose rate allows no more starts, and its CPU time and its
wake-ups (voluntary context switches of all its threads) over five seconds from three
seconds after its claim, and five from fifteen, are read from ``/proc`` (``--cpu-runs``
times). ``--latency N`` then has a worker serve that held queue and a free one, and
times N jobs enqueued to the free one by this process, a few tenths of a second apart
(from just before the enqueue to the handler), ``--cpu-runs`` times. ``--baseline
SRC`` runs each held-back measure twice, alternating in a shuffled order, the second
time with the worker's ``litequeue`` from ``SRC`` (the ``src`` folder of another tree:
old code against new); ``--skip-claims`` measures only the held-back worker.

``--backlog 10000,100000`` measures instead a queue with ``per_key_limit=1`` where one
key ("hot") is at its limit, one job running elsewhere, with that many of its jobs
queued in front of ``n + 1000`` jobs spread over 1,000 other keys: each of ``n``
claims (one job, the previous one's outcome recorded with it; every key keeps a job
queued) must pass the held key's backlog, and is
timed against the same claims with no backlog (``0`` is always run), rounds
interleaved as above.

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


def backlog_loop(path: Path | str, backlog: int, n: int) -> tuple[float, float]:
    """Seconds per claim, wall-clock and CPU, of ``n`` jobs of the ``n + 1000`` queued
    over 1,000 keys (every key keeps a job queued) behind ``backlog`` jobs of a key held
    at ``per_key_limit=1``."""
    q = litequeue.Queue(path, durability="normal")
    q.set_queue("default", per_key_limit=1)
    store = q.store
    if backlog:
        q.enqueue_many(
            {"kind": "noop", "payload": i, "limit_key": "hot"} for i in range(backlog + 1)
        )
        held = Claim(worker="elsewhere", queues=("default",), limit=1, lease=3600.0)
        assert store.claim(held)[0], "the held key's first job was not claimed"
    q.enqueue_many(
        {"kind": "noop", "payload": i, "limit_key": f"k{i % 1000}"} for i in range(n + 1000)
    )
    claim = Claim(worker="bench", queues=("default",), limit=1, lease=30.0, kinds=None)
    outcomes: list[Outcome] = []
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        claimed, _, _ = store.claim(claim, outcomes)
        (running,) = claimed
        assert running.job.limit_key != "hot"
        outcomes = [
            Outcome(job_id=running.job_id, run_id=running.run_id, status="succeeded",
                    result="null", attempt=running.attempt)
        ]  # fmt: skip
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    q.close()
    return elapsed / n, cpu / n


def backlogs(where: Files | Databases, args: argparse.Namespace) -> None:
    sizes = [0, *(int(x) for x in args.backlog.split(","))]
    wall: dict[int, list[float]] = {size: [] for size in sizes}
    cpu: dict[int, list[float]] = {size: [] for size in sizes}
    for _ in range(args.rounds):
        for size in random.sample(sizes, len(sizes)):
            with where.empty(f"backlog_{size}") as target:
                took, used = backlog_loop(target, size, args.n)
            wall[size].append(took)
            cpu[size].append(used)
    print(f"{args.n:,} claims behind a held key's backlog, beside 1,000 keys", flush=True)
    for label, measured in (("wall", wall), ("cpu", cpu)):
        for size, times in measured.items():
            ratios = [t / b for t, b in zip(times, measured[0], strict=True)]
            print(
                f"  {label:4} backlog {size:>7,} {statistics.median(times) * 1e6:9.1f} µs a claim"
                f"  x{statistics.median(ratios):.2f} no backlog"
                f"  (rounds: {', '.join(f'{r:.2f}' for r in ratios)})",
                flush=True,
            )


#: The held-back worker: serves the queues named in its second argument.
WORKER = (
    "import litequeue, sys, time\n"
    "q = litequeue.Queue(sys.argv[1])\n"
    "q.handler('noop')(lambda ctx, p: None)\n"
    "q.handler('lat')(lambda ctx, p: time.time() - p['t'])\n"
    "litequeue.Worker(q, queues=sys.argv[2].split(',')).run()\n"
)


@contextlib.contextmanager
def held_worker(path: Path | str, queues: str, src: str | None) -> Iterator[int]:
    """A worker process (with ``litequeue`` from ``src``, else this tree's) serving
    ``queues``, whose first queue has a rate of ``1/h``; yields its pid once it has
    run the one start the window allows."""
    with litequeue.Queue(path) as q:
        q.set_queue("default", rate="1/h")
        q.enqueue_many([("noop", i) for i in range(2)])
    env = dict(os.environ, PYTHONPATH=src) if src else None
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(path), queues], env=env)
    try:
        # Started (which takes seconds on a loaded machine) and ran the one start its
        # window allows.
        with litequeue.Queue(path) as q:
            deadline = time.monotonic() + 60
            while q.stats()["default"].get("succeeded", 0) < 1:
                assert time.monotonic() < deadline, "the held-back worker did not start"
                time.sleep(0.1)
        yield worker.pid
    finally:
        worker.terminate()
        worker.wait()


def held_back_cpu(path: Path | str, src: str | None) -> list[tuple[float, float]]:
    """The CPU share and wake-ups a second of a worker process that waits on a rate
    limit: five seconds from three after its last claim, and five from fifteen after
    (past ``Worker.LONG_IDLE_AFTER``)."""
    with held_worker(path, "default", src) as pid:
        claimed = time.monotonic()
        measured = []
        for after in (3.0, 15.0):
            time.sleep(max(0.0, claimed + after - time.monotonic()))
            cpu, wakes, started = _cpu(pid), _wakeups(pid), time.monotonic()
            time.sleep(5.0)
            took = time.monotonic() - started
            measured.append(((_cpu(pid) - cpu) / took, (_wakeups(pid) - wakes) / took))
        return measured


def free_queue_latency(path: Path | str, src: str | None, n: int) -> list[float]:
    """Seconds from just before an enqueue to the handler, for ``n`` jobs of a free
    queue served beside a held one, each enqueued 0.2-0.4 s after the last ended,
    from three seconds after the held queue's claim."""
    with held_worker(path, "default,free", src), litequeue.Queue(path) as q:
        time.sleep(3.0)
        waits = []
        for _ in range(n):
            time.sleep(0.2 + random.random() * 0.2)
            job = q.enqueue("lat", {"t": time.time()}, queue="free")
            deadline = time.monotonic() + 30
            while (done := q.get(job.id)).result is None:
                assert time.monotonic() < deadline, "the free queue's job did not run"
                time.sleep(0.01)
            waits.append(float(done.result))
        return waits


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wakeups(pid: int) -> int:
    """Voluntary context switches of all the process's threads: how often they slept."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
    return total


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
        path = self.folder / f"{name}.db"
        try:
            yield path
        finally:
            for each in self.folder.glob(f"{name}.db*"):
                each.unlink()


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
    parser.add_argument("--latency", type=int, default=0, help="free-queue jobs to time")
    parser.add_argument("--baseline", help="another tree's src folder, for the held-back worker")
    parser.add_argument("--skip-claims", action="store_true", help="the held-back worker only")
    parser.add_argument("--backlog", help="held keys' backlogs to claim behind, e.g. 10000,100000")
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
    if args.backlog:
        backlogs(where, args)
        return
    if not args.skip_claims:
        claims(where, args)
    held_back(where, args)


def claims(where: Files | Databases, args: argparse.Namespace) -> None:
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


def held_back(where: Files | Databases, args: argparse.Namespace) -> None:
    trees = {"this tree": None} if args.baseline is None else {"new": None, "old": args.baseline}
    measured: dict[str, list[list[tuple[float, float]]]] = {tree: [] for tree in trees}
    for _ in range(args.cpu_runs):
        for tree in random.sample(list(trees), len(trees)):
            with where.empty("held") as target:
                measured[tree].append(held_back_cpu(target, trees[tree]))
    for tree, runs in measured.items():
        for label, at in (("3-8 s", 0), ("15-20 s", 1)):
            print(
                f"held-back worker ({tree}), {label} after its claim:"
                f" {', '.join(f'{run[at][0] * 100:.2f}' for run in runs)}% of a core;"
                f" wake-ups a second {', '.join(f'{run[at][1]:.1f}' for run in runs)}",
                flush=True,
            )
    if args.latency:
        waits: dict[str, list[float]] = {tree: [] for tree in trees}
        for _ in range(max(1, args.cpu_runs)):
            for tree in random.sample(list(trees), len(trees)):
                with where.empty("latency") as target:
                    waits[tree] += free_queue_latency(target, trees[tree], args.latency)
        for tree, times in waits.items():
            ms = sorted(t * 1000 for t in times)
            print(
                f"free queue beside the held one ({tree}), {len(ms)} jobs: p50"
                f" {statistics.median(ms):.1f} / mean {statistics.fmean(ms):.1f}"
                f" / max {ms[-1]:.1f} ms",
                flush=True,
            )


if __name__ == "__main__":
    main()
