"""litequeue against an earlier litequeue, alternating in one run: is a change slower?

    python benchmarks/ab_queue.py [--old REV] [--new REV] [--rounds 5] [--n 8000]
                                  [--big 200000] [--ops OP,...] [--tmp DIR]

The old code is ``git archive REV`` (default ``main``) unpacked in a temporary directory; the
new one is this checkout's ``src``, or another revision's (``--new``). Each measurement is one
``bench_queue.py one SYSTEM OP`` in a fresh interpreter with ``PYTHONPATH`` pointing at one side's
``src``, so both sides run the same harness. Every round measures every litequeue row of
``bench_queue.py`` on both sides, back to back, the rows in an order shuffled per round, so a
shared machine's drift hits both alike; the ratio new/old is taken within each round (for
latencies and CPU time per job, old/new: above 1 is faster either way), and the table shows
the median ratio over the rounds and its spread.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCH = HERE / "bench_queue.py"
ROOT = HERE.parent
#: The litequeue rows of bench_queue.py: (system, op).
ROWS = [
    ("litequeue-full", "enqueue1"),
    ("litequeue-full", "batch"),
    ("litequeue-full", "drain"),
    ("litequeue-full", "latency"),
    ("litequeue-normal", "enqueue1"),
    ("litequeue-normal", "batch"),
    ("litequeue-normal", "drain"),
    ("litequeue-normal", "drain_batch"),
    ("litequeue-normal", "drain2"),
    ("litequeue-normal", "e2e"),
    ("litequeue-normal", "table-1k"),
    ("litequeue-normal", "table-big"),
]
SIDES = ("old", "new")


def unpack(rev: str, into: Path) -> Path:
    """``rev``'s tree unpacked in ``into``; returns its ``src``."""
    archive = into.with_suffix(".tar")
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), rev], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def measure(src: Path, system: str, op: str, args: argparse.Namespace) -> dict[str, Any]:
    """One measurement of one side, in a fresh interpreter."""
    n = 300 if op == "latency" else 2000 if op.startswith("table") else args.n
    cmd = [sys.executable, str(BENCH), "one", system, op, "--n", str(n), "--big", str(args.big)]
    if args.tmp:
        cmd += ["--tmp", str(args.tmp)]
    env = {**os.environ, "PYTHONPATH": str(src), "LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def speed(result: dict[str, Any], key: str) -> float:
    """Higher is faster: a rate as it is, a latency or a CPU time per job inverted."""
    value = float(result[key])
    return 1 / value if key.endswith(("_ms", "_us")) else value


def keys(op: str) -> list[str]:
    if op == "latency":
        return ["p50_ms", "p99_ms"]
    if op == "e2e":  # and the producer's enqueue latency while two workers drain
        return ["rate", "cpu_us", "enqueue_p99_ms", "enqueue_max_ms"]
    return ["rate", "cpu_us"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--old", default="main", help="git revision of the old side (main)")
    parser.add_argument("--new", help="git revision of the new side (default: this checkout)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=8000, help="jobs per measurement")
    parser.add_argument("--big", type=int, default=200_000, help="finished rows for table-big")
    parser.add_argument("--ops", help="only these ops, comma-separated")
    parser.add_argument("--tmp", type=Path, help="directory for the databases")
    args = parser.parse_args(argv)
    rows = [r for r in ROWS if args.ops is None or r[1] in args.ops.split(",")]
    ratios: dict[tuple[str, str, str], list[float]] = {}
    values: dict[tuple[str, str, str, str], list[float]] = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lq-ab-") as tmp:
        srcs = {
            "old": unpack(args.old, Path(tmp) / "old"),
            "new": ROOT / "src" if args.new is None else unpack(args.new, Path(tmp) / "new"),
        }
        for round_no in range(args.rounds):
            # Rows in a shuffled order, the two sides of a row back to back (in a random
            # order): the pair is measured seconds apart, so the load of a shared
            # machine, which drifts over minutes, weighs on both alike.
            plan = [
                (system, op, side)
                for system, op in random.sample(rows, len(rows))
                for side in random.sample(SIDES, 2)
            ]
            got: dict[tuple[str, str, str], dict[str, Any]] = {}
            for k, (system, op, side) in enumerate(plan, 1):
                step = f"round {round_no + 1}/{args.rounds} [{k}/{len(plan)}]"
                print(f"  {step} {side} {system} {op}", file=sys.stderr, flush=True)
                got[system, op, side] = measure(srcs[side], system, op, args)
            for system, op in rows:
                old, new = got[system, op, "old"], got[system, op, "new"]
                for result, side in ((old, "old"), (new, "new")):
                    if "error" in result or result.get("exactly_once") is False:
                        failures.append(f"round {round_no + 1} {side} {system} {op}: {result}")
                if "error" in old or "error" in new:
                    continue
                for key in keys(op):
                    ratios.setdefault((system, op, key), []).append(
                        speed(new, key) / speed(old, key)
                    )
                    for result, side in ((old, "old"), (new, "new")):
                        values.setdefault((system, op, key, side), []).append(float(result[key]))
    new_side = args.new or "this checkout"
    print(f"old = {args.old}, new = {new_side}; rounds={args.rounds}, n={args.n}, big={args.big};"
          " ratio = new speed / old speed, median over rounds (min-max)")  # fmt: skip
    print(f"{'system':<17} {'op':<12} {'metric':<14} {'old':>12} {'new':>12} {'ratio':>7}  spread")
    slow = []
    for (system, op, key), found in ratios.items():
        ratio = statistics.median(found)
        old = statistics.median(values[system, op, key, "old"])
        new = statistics.median(values[system, op, key, "new"])
        print(f"{system:<17} {op:<12} {key:<14} {old:>12,.2f} {new:>12,.2f} {ratio:>6.3f}x"
              f"  {min(found):.3f}-{max(found):.3f}")  # fmt: skip
        if ratio < 0.95:
            slow.append(f"{system} {op} {key}")
    print(f"rows below 0.95x: {', '.join(slow) if slow else 'none'}")
    for failure in failures:
        print("FAILED", failure)
    return 1 if slow or failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
