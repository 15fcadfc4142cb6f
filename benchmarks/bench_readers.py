"""Enqueue latency and WAL size while other processes read the queue file in a loop.

Run on demand, never in the test suite (timings on shared machines are noisy)::

    python benchmarks/bench_readers.py [--n 3000] [--readers 2] [--reads api|cli]
                                       [--durability full|normal] [--tmp DIR]

One producer enqueues jobs one call at a time while ``--readers`` processes poll the
file as dashboards and scripts do: ``api`` loops over ``Queue.jobs()``, ``stats()`` and
``events()`` on one open queue; ``cli`` runs ``litequeue jobs`` again and again (a new
connection each time). Prints p50/p99/max enqueue latency and the WAL's size, largest
seen and at the end: readers that never let the log restart make it grow without bound
and every read and checkpoint slower.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD_ENV = {**os.environ, "LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD": "1"}


def read_loop(db: Path, stop: Path) -> None:
    """Helper process: read the way a dashboard polls, as fast as it can, until ``stop``."""
    import litequeue

    queue = litequeue.Queue(db, autoload_plugins=False)
    print("ready", flush=True)
    reads = 0
    while not stop.exists():
        queue.jobs(limit=100)
        queue.stats()
        seq = queue.last_event_seq()
        for _ in queue.events(after=max(0, seq - 200)):
            pass
        reads += 1
    queue.close()
    print(reads, flush=True)


def cli_loop(db: Path, stop: Path) -> None:
    """Helper process: ``litequeue jobs`` in a loop, as ``watch -n0 litequeue jobs`` would."""
    print("ready", flush=True)
    reads = 0
    while not stop.exists():
        subprocess.run(
            [sys.executable, "-m", "litequeue", "--db", str(db), "jobs", "--limit", "100"],
            env=CHILD_ENV,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        reads += 1
    print(reads, flush=True)


def _percentile(sorted_ms: list[float], share: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, round(share * (len(sorted_ms) - 1)))]


def measure(n: int, readers: int, reads: str, durability: str, tmp: Path) -> dict[str, float]:
    import litequeue

    db = tmp / "readers.db"
    stop = tmp / "stop"
    queue = litequeue.Queue(db, durability=durability, autoload_plugins=False)
    helper = "read" if reads == "api" else "cli"
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, helper, str(db), str(stop)],
            env=CHILD_ENV,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(readers)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    wal = Path(f"{db}-wal")
    latencies, wal_peak = [], 0
    started = time.perf_counter()
    for i in range(n):
        before = time.perf_counter()
        queue.enqueue("k", {"i": i, "pad": "x" * 200})
        latencies.append((time.perf_counter() - before) * 1000)
        if i % 50 == 0:
            wal_peak = max(wal_peak, wal.stat().st_size)
    seconds = time.perf_counter() - started
    wal_end = wal.stat().st_size
    stop.touch()
    loops = [int(proc.communicate(timeout=120)[0].split()[-1]) for proc in procs]
    queue.close()
    latencies.sort()
    return {
        "enqueues_per_s": n / seconds,
        "p50_ms": statistics.median(latencies),
        "p99_ms": _percentile(latencies, 0.99),
        "max_ms": latencies[-1],
        "wal_peak_mb": max(wal_peak, wal_end) / 1e6,
        "wal_end_mb": wal_end / 1e6,
        "reader_loops": sum(loops),
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("read", "cli"):
        (read_loop if args[0] == "read" else cli_loop)(Path(args[1]), Path(args[2]))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="jobs enqueued one at a time")
    parser.add_argument("--readers", type=int, default=2, help="reading processes")
    parser.add_argument("--reads", choices=["api", "cli"], default="api")
    parser.add_argument("--durability", choices=["full", "normal"], default="full")
    parser.add_argument("--tmp", type=Path, help="directory for the database (default: system)")
    ns = parser.parse_args(args)
    with tempfile.TemporaryDirectory(dir=ns.tmp) as tmp:
        out = measure(ns.n, ns.readers, ns.reads, ns.durability, Path(tmp))
    print(
        f"{ns.n} enqueues, durability={ns.durability}, {ns.readers} {ns.reads} reader(s):"
        f" {out['enqueues_per_s']:.0f}/s, p50 {out['p50_ms']:.2f} ms, p99 {out['p99_ms']:.2f} ms,"
        f" max {out['max_ms']:.1f} ms; WAL peak {out['wal_peak_mb']:.2f} MB,"
        f" end {out['wal_end_mb']:.2f} MB; {out['reader_loops']} reader loops"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
