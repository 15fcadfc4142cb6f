"""litequeue side by side with other SQLite job queues and the raw sqlite3 floor.

Run on demand (``nox -s bench``), not in the test suite::

    python benchmarks/bench_queue.py [--quick] [--n 8000] [--rounds 3] [--json-out FILE]
    python benchmarks/bench_queue.py one SYSTEM OP --n N      # one measurement, JSON out

Every measurement runs in a fresh process on a fresh database; rounds are
interleaved and each figure is the median of the rounds. Every drain checks
that each enqueued id reached a handler exactly once (duplicates and lost ids
are reported, never hidden). Ratios compare systems measured in the same run
at the same durability; see benchmarks/README.md for what each operation is.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()

# -- helpers shared by the measurements -------------------------------------------------


def _tmpdb() -> Path:
    return Path(tempfile.mkdtemp(prefix="lq-bench-")) / "bench.db"


def _check(handled: list[int], expected: range) -> dict[str, Any]:
    """Exactly-once: every id handled once, none twice, none missing."""
    counts = Counter(handled)
    duplicates = sum(c - 1 for c in counts.values() if c > 1)
    lost = len(set(expected) - set(counts))
    return {"duplicates": duplicates, "lost": lost, "exactly_once": not duplicates and not lost}


def _each(n: int, fn: Callable[[int], object]) -> Callable[[], None]:
    """A loop calling ``fn(i)`` for every id, to be timed."""

    def loop() -> None:
        for i in range(n):
            fn(i)

    return loop


def _timed(fn: Callable[[], Any], n: int) -> dict[str, Any]:
    start = time.perf_counter()
    extra = fn() or {}
    seconds = time.perf_counter() - start
    return {"n": n, "seconds": seconds, "rate": n / seconds, **extra}


def _in_processes(count: int, code: str, *args: str) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return [
        subprocess.Popen(
            [sys.executable, "-c", code, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(count)
    ]


# -- raw sqlite3: the floor ---------------------------------------------------------------


def _raw(path: Path, durability: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {durability.upper()}")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, status TEXT, priority INT,"
        " payload TEXT)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS jobs_claim ON jobs (status, priority, id)")
    return conn


_RAW_CLAIM = (
    "UPDATE jobs SET status = 'running' WHERE id IN (SELECT id FROM jobs WHERE status = 'queued'"
    " ORDER BY priority, id LIMIT ?) RETURNING id, payload"
)


def raw_op(op: str, n: int, durability: str) -> dict[str, Any]:
    path = _tmpdb()
    conn = _raw(path, durability)
    insert = "INSERT INTO jobs (status, priority, payload) VALUES ('queued', 0, ?)"
    if op == "enqueue1":
        return _timed(_each(n, lambda i: conn.execute(insert, (json.dumps({"i": i}),))), n)
    if op == "batch":

        def batch() -> None:
            for start in range(0, n, 1000):
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    insert, [(json.dumps({"i": i}),) for i in range(start, min(n, start + 1000))]
                )
                conn.execute("COMMIT")

        return _timed(batch, n)
    conn.execute("BEGIN")
    conn.executemany(insert, [(json.dumps({"i": i}),) for i in range(n)])
    conn.execute("COMMIT")
    per_claim = 100 if op == "drain_batch" else 1
    handled: list[int] = []

    def drain() -> dict[str, Any]:
        while True:
            conn.execute("BEGIN IMMEDIATE")
            rows = conn.execute(_RAW_CLAIM, (per_claim,)).fetchall()
            conn.execute("COMMIT")
            if not rows:
                return _check(handled, range(n))
            handled.extend(json.loads(p)["i"] for _, p in rows)
            if per_claim == 1:
                conn.execute("UPDATE jobs SET status = 'done' WHERE id = ?", (rows[0][0],))
            else:
                ids = [r[0] for r in rows]
                conn.execute(
                    f"UPDATE jobs SET status = 'done' WHERE id IN ({','.join('?' * len(ids))})",
                    ids,
                )

    return _timed(drain, n)


# -- litequeue --------------------------------------------------------------------------------

_LQ_CONSUMER = """
import json, sys, litequeue
path, durability, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
queue = litequeue.Queue(path, durability=durability)
handled = []
queue.handler("noop")(lambda ctx, payload: handled.append(payload["i"]))
worker = litequeue.Worker(queue, concurrency=concurrency)
print("ready", flush=True)
sys.stdin.readline()  # start together, after start-up
worker.run(until_empty=True)
print(json.dumps(handled))
"""


def lq_op(op: str, n: int, durability: str) -> dict[str, Any]:
    import litequeue

    path = _tmpdb()
    queue = litequeue.Queue(path, durability=durability, autoload_plugins=False)
    if op == "enqueue1":
        return _timed(_each(n, lambda i: queue.enqueue("noop", {"i": i})), n)
    if op == "batch":

        def batch() -> None:
            for start in range(0, n, 1000):
                queue.enqueue_many([("noop", {"i": i}) for i in range(start, min(n, start + 1000))])

        return _timed(batch, n)
    for start in range(0, n, 1000):
        queue.enqueue_many([("noop", {"i": i}) for i in range(start, min(n, start + 1000))])
    if op in ("drain", "drain_batch"):
        handled: list[int] = []
        queue.handler("noop")(lambda ctx, payload: handled.append(payload["i"]))
        worker = litequeue.Worker(queue, concurrency=100 if op == "drain_batch" else 1)
        return _timed(lambda: (worker.run(until_empty=True), _check(handled, range(n)))[1], n)
    if op == "drain2":  # two worker processes, batch claims, timed from a common start
        queue.close()
        procs = _in_processes(2, _LQ_CONSUMER, str(path), durability, "100")
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"

        def two() -> dict[str, Any]:
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            results = [json.loads(p.communicate()[0]) for p in procs]
            return {**_check([i for r in results for i in r], range(n)),
                    "split": [len(r) for r in results]}  # fmt: skip

        return _timed(two, n)
    raise ValueError(op)


# -- huey ---------------------------------------------------------------------------------------


def huey_op(op: str, n: int, durability: str) -> dict[str, Any]:
    from huey import SqliteHuey
    from huey.storage import SqliteStorage

    class NormalStorage(SqliteStorage):  # huey's fsync option offers only FULL or OFF
        def _create_connection(self) -> Any:
            conn = super()._create_connection()
            conn.execute("PRAGMA synchronous = NORMAL")
            return conn

    path = _tmpdb()
    kwargs: dict[str, Any] = {"filename": str(path), "immediate": False}
    if durability == "normal":
        kwargs["storage_class"] = NormalStorage
    huey = SqliteHuey("bench", **kwargs)
    handled: list[int] = []

    @huey.task()
    def noop(i: int) -> None:
        handled.append(i)

    if op == "enqueue1":
        return _timed(_each(n, noop), n)
    for i in range(n):
        noop(i)

    def drain() -> dict[str, Any]:
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
        return _check(handled, range(n))

    return _timed(drain, n)


# -- persist-queue --------------------------------------------------------------------------------


def pq_op(op: str, n: int, durability: str) -> dict[str, Any]:
    import persistqueue

    path = _tmpdb()
    queue = persistqueue.SQLiteAckQueue(str(path.parent), multithreading=True, auto_commit=True)
    if op == "enqueue1":
        return _timed(_each(n, lambda i: queue.put({"i": i})), n)
    for i in range(n):
        queue.put({"i": i})
    handled: list[int] = []

    def drain() -> dict[str, Any]:
        while True:
            try:
                item = queue.get(block=False)
            except persistqueue.exceptions.Empty:
                return _check(handled, range(n))
            handled.append(item["i"])
            queue.ack(item)

    return _timed(drain, n)


# -- latency and table growth (litequeue only) -------------------------------------------------

_LQ_IDLE_WORKER = """
import sys, time, litequeue
path, out = sys.argv[1], sys.argv[2]
queue = litequeue.Queue(path, durability="full")
def record(ctx, payload):
    with open(out, "a") as f:
        f.write(f"{time.time() - payload['t']}\\n")
queue.handler("lat")(record)
open(out + ".ready", "w").close()
litequeue.Worker(queue).run()
"""


def lq_latency(samples: int) -> dict[str, Any]:
    """Enqueue one job at a time (committed at FULL) to an idle worker in another process."""
    import litequeue

    path = _tmpdb()
    out = path.with_suffix(".lat")
    litequeue.Queue(path).close()
    (worker,) = _in_processes(1, _LQ_IDLE_WORKER, str(path), str(out))
    ready = Path(str(out) + ".ready")
    while not ready.exists():
        time.sleep(0.01)
    time.sleep(0.5)
    with litequeue.Queue(path) as queue:
        for _ in range(samples):
            queue.enqueue("lat", {"t": time.time()})
            time.sleep(0.01 + random.random() * 0.005)
    time.sleep(0.3)
    worker.terminate()
    worker.wait(30)
    waits = sorted(float(line) * 1000 for line in out.read_text().splitlines())
    return {
        "n": len(waits),
        "p50_ms": waits[len(waits) // 2],
        "p99_ms": waits[min(len(waits) - 1, int(len(waits) * 0.99))],
        "max_ms": waits[-1],
        "lost": samples - len(waits),
    }


def lq_claim_vs_table(finished: int, n: int) -> dict[str, Any]:
    """Drain ``n`` jobs (one per claim, durability normal) beside ``finished`` old rows.

    The old rows are written straight into the jobs table with the values litequeue
    writes for a succeeded job (a recursive CTE: enqueuing and draining a million
    jobs first would take minutes).
    """
    import litequeue

    path = _tmpdb()
    litequeue.Queue(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)"
        " INSERT INTO jobs (kind, queue, status, payload, result, run_at, attempt, max_attempts,"
        " progress, handler_version, created_at, updated_at, started_at, finished_at)"
        " SELECT 'noop', 'default', 'succeeded', json_object('i', i), 'null', 0, 1, 3, 100,"
        " '1', 0, 0, 0, 0 FROM k",
        (finished,),
    )
    conn.close()
    result = lq_op_on(path, n)
    result["finished_rows"] = finished
    return result


def lq_op_on(path: Path, n: int) -> dict[str, Any]:
    import litequeue

    queue = litequeue.Queue(path, durability="normal", autoload_plugins=False)
    queue.enqueue_many([("noop", {"i": i}) for i in range(n)])
    handled: list[int] = []
    queue.handler("noop")(lambda ctx, payload: handled.append(payload["i"]))
    worker = litequeue.Worker(queue, concurrency=1)
    return _timed(lambda: (worker.run(until_empty=True), _check(handled, range(n)))[1], n)


_LQ_PRODUCER = """
import sys, litequeue
path, n = sys.argv[1], int(sys.argv[2])
queue = litequeue.Queue(path, durability="normal")
for start in range(0, n, 50):
    queue.enqueue_many([("noop", {"i": i}) for i in range(start, min(n, start + 50))])
print("[]")
"""

_LQ_FOREVER = """
import json, sys, signal, litequeue
path = sys.argv[1]
queue = litequeue.Queue(path, durability="normal")
handled = []
queue.handler("noop")(lambda ctx, payload: handled.append(payload["i"]))
litequeue.Worker(queue, concurrency=100).run()
print(json.dumps(handled))
"""


def lq_e2e(n: int) -> dict[str, Any]:
    """One producer and two consumer processes start together on an empty queue."""
    import litequeue

    path = _tmpdb()
    litequeue.Queue(path).close()

    def run() -> dict[str, Any]:
        consumers = _in_processes(2, _LQ_FOREVER, str(path))
        (producer,) = _in_processes(1, _LQ_PRODUCER, str(path), str(n))
        producer.communicate()
        with litequeue.Queue(path) as queue:
            while queue.stats().get("default", {}).get("succeeded", 0) < n:
                time.sleep(0.005)
        for proc in consumers:
            proc.send_signal(2)
        results = [json.loads(p.communicate()[0]) for p in consumers]
        return {**_check([i for r in results for i in r], range(n)),
                "split": [len(r) for r in results]}  # fmt: skip

    return _timed(run, n)


# -- the plan ---------------------------------------------------------------------------------

SYSTEMS: dict[str, tuple[Callable[[str, int, str], dict[str, Any]], str]] = {
    "raw-normal": (raw_op, "normal"),
    "raw-full": (raw_op, "full"),
    "litequeue-normal": (lq_op, "normal"),
    "litequeue-full": (lq_op, "full"),
    "huey-normal": (huey_op, "normal"),
    "huey-default": (huey_op, "full"),
    "pq-ack-default": (pq_op, "full"),
}

PLAN: list[tuple[str, str]] = [
    *((s, "enqueue1") for s in SYSTEMS),
    ("raw-normal", "batch"),
    ("raw-full", "batch"),
    ("litequeue-normal", "batch"),
    ("litequeue-full", "batch"),
    ("raw-full", "drain"),
    ("litequeue-full", "drain"),
    ("huey-default", "drain"),
    ("pq-ack-default", "drain"),
    ("raw-normal", "drain"),
    ("litequeue-normal", "drain"),
    ("huey-normal", "drain"),
    ("raw-normal", "drain_batch"),
    ("litequeue-normal", "drain_batch"),
    ("litequeue-normal", "drain2"),
]


def measure_one(system: str, op: str, n: int) -> dict[str, Any]:
    """Run one measurement in this process."""
    if system == "litequeue" and op == "latency":
        return lq_latency(n)
    if system == "litequeue" and op.startswith("table"):
        return lq_claim_vs_table(int(op.removeprefix("table")), n)
    if system == "litequeue" and op == "e2e":
        return lq_e2e(n)
    fn, durability = SYSTEMS[system]
    return fn(op, n, durability)


def _spawn(system: str, op: str, n: int) -> dict[str, Any]:
    env = {**os.environ, "LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [sys.executable, str(HERE), "one", system, op, "--n", str(n)],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_plan(n: int, rounds: int, big_table: int) -> dict[tuple[str, str], list[dict[str, Any]]]:
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for round_no in range(rounds):
        plan = list(PLAN)
        random.Random(round_no).shuffle(plan)
        extra = [
            ("litequeue", "e2e", n),
            ("litequeue", "latency", 300),
            ("litequeue", "table1000", 2000),
            ("litequeue", f"table{big_table}", 2000),
        ]
        for system, op, count in [*((s, o, n) for s, o in plan), *extra]:
            print(f"  round {round_no + 1}: {system} {op}", file=sys.stderr, flush=True)
            results.setdefault((system, op), []).append(_spawn(system, op, count))
    return results


# -- the report --------------------------------------------------------------------------------


def _median(runs: list[dict[str, Any]], key: str = "rate") -> float:
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else float("nan")


def _ratio(results: dict[tuple[str, str], list[dict[str, Any]]], a: tuple[str, str],
           b: tuple[str, str]) -> float:  # fmt: skip
    """Median over rounds of a/b, each round's pair measured in the same run."""
    pairs = zip(results.get(a, []), results.get(b, []), strict=False)
    ratios = [x["rate"] / y["rate"] for x, y in pairs if "rate" in x and "rate" in y]
    return statistics.median(ratios) if ratios else float("nan")


def report(results: dict[tuple[str, str], list[dict[str, Any]]], big_table: int) -> list[str]:
    lines = ["", "## Throughput (jobs/s, median of rounds [min-max]; exactly-once checked)", ""]
    lines.append(f"{'op':<12} {'system':<18} {'jobs/s':>10}  {'range':<17} exactly once")
    for (system, op), runs in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if (system == "litequeue" and op in ("latency",)) or op.startswith("table"):
            continue
        rates = [r["rate"] for r in runs if "rate" in r]
        if not rates:
            lines.append(f"{op:<12} {system:<18} {'error':>10}  {runs[0].get('error', '')}")
            continue
        checked = [r for r in runs if "exactly_once" in r]
        once = (
            "-"
            if not checked
            else "yes"
            if all(r["exactly_once"] for r in checked)
            else "NO: dup {} lost {}".format(
                [r["duplicates"] for r in checked], [r["lost"] for r in checked]
            )
        )
        lines.append(
            f"{op:<12} {system:<18} {statistics.median(rates):>10,.0f}  "
            f"[{min(rates):,.0f}-{max(rates):,.0f}]".ljust(47)
            + f" {once}"
        )
    lat = results.get(("litequeue", "latency"), [])
    small = results.get(("litequeue", "table1000"), [])
    big = results.get(("litequeue", f"table{big_table}"), [])
    claim_growth = _median(small) / _median(big) if small and big else float("nan")
    targets = [
        ("enqueue 1-by-1, full, vs raw INSERT", _ratio(results, ("litequeue-full", "enqueue1"),
         ("raw-full", "enqueue1")), ">= 0.70", lambda v: v >= 0.7),
        ("enqueue 1-by-1, normal, vs raw INSERT", _ratio(results, ("litequeue-normal", "enqueue1"),
         ("raw-normal", "enqueue1")), ">= 0.70", lambda v: v >= 0.7),
        ("enqueue_many jobs/s (normal)", _median(results.get(("litequeue-normal", "batch"), [])),
         ">= 150,000", lambda v: v >= 150_000),
        ("drain c=1 full vs raw claim+ack", _ratio(results, ("litequeue-full", "drain"),
         ("raw-full", "drain")), ">= 0.70", lambda v: v >= 0.7),
        ("drain c=1 full vs huey-default", _ratio(results, ("litequeue-full", "drain"),
         ("huey-default", "drain")), "> 1.00", lambda v: v > 1.0),
        ("batch drain normal jobs/s", _median(results.get(("litequeue-normal", "drain_batch"), [])),
         ">= 50,000", lambda v: v >= 50_000),
        ("batch drain normal vs huey-normal", _ratio(results, ("litequeue-normal", "drain_batch"),
         ("huey-normal", "drain")), ">= 5.0", lambda v: v >= 5.0),
        ("2 worker procs vs 1 (batch, normal)", _ratio(results, ("litequeue-normal", "drain2"),
         ("litequeue-normal", "drain_batch")), ">= 1.00", lambda v: v >= 1.0),
        ("enqueue->start p50 ms", _median(lat, "p50_ms"), "<= 5", lambda v: v <= 5),
        ("enqueue->start p99 ms", _median(lat, "p99_ms"), "<= 20", lambda v: v <= 20),
        (f"claim cost {big_table:,} vs 1k finished rows", claim_growth, "<= 1.5",
         lambda v: v <= 1.5),
    ]  # fmt: skip
    lines += ["", "## Targets", ""]
    for name, value, target, ok in targets:
        verdict = "PASS" if value == value and ok(value) else "MISS"
        lines.append(f"{name:<42} {value:>12,.2f}  target {target:<10} {verdict}")
    broken = [
        f"{s} {o}"
        for (s, o), runs in results.items()
        for r in runs
        if r.get("exactly_once") is False
    ]
    lines.append("")
    lines.append(
        "exactly-once violations: " + (", ".join(broken) if broken else "none (every run checked)")
    )
    return lines


def machine() -> str:
    import litequeue

    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, litequeue {litequeue.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "one":
        one = argparse.ArgumentParser(prog="bench_queue.py one")
        one.add_argument("system")
        one.add_argument("op")
        one.add_argument("--n", type=int, default=2000)
        ns = one.parse_args(args[1:])
        print(json.dumps(measure_one(ns.system, ns.op, ns.n)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8000, help="jobs per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="N=3000, 1 round, 100k-row table")
    parser.add_argument("--json-out", type=Path)
    ns = parser.parse_args(args)
    n, rounds, big = (3000, 1, 100_000) if ns.quick else (ns.n, ns.rounds, 1_000_000)
    print(f"machine: {machine()}; N={n}, rounds={rounds}", flush=True)
    results = run_plan(n, rounds, big)
    print("\n".join(report(results, big)))
    if ns.json_out:
        serial = {f"{s} {o}": runs for (s, o), runs in results.items()}
        ns.json_out.write_text(json.dumps({"machine": machine(), "results": serial}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
