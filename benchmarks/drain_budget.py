"""Where a drained job's time goes, part by part: the worker's own Python, the store's
statements, the commit, the hand-offs between threads.

    python benchmarks/drain_budget.py                  # 100 slots and 1 slot, 6,000 jobs
    taskset -c 1 python benchmarks/drain_budget.py --concurrency 100 --n 20000
    python benchmarks/drain_budget.py --e2e 4000       # a producer beside two workers
    python benchmarks/drain_budget.py --e2e 300 --gap 0.01   # ... one job every 10 ms
    PYTHONPATH=/path/to/other/src python benchmarks/drain_budget.py   # another revision

A pre-filled queue file (``enqueue_many``, untimed) is drained by one ``Worker`` with
no-op handlers, at NORMAL, twice: once plain, for the CPU time a job
(``time.process_time``, every thread) and the context switches; once with its parts
timed (wall time, and the CPU time of the thread that makes the call), so the parts are
shares of the second drain, which the timers themselves slow down by about the last
line's figure a timed call. Parts are listed in the order they nest: the indented ones
are inside the store's call. Statements are timed through a proxy of the store's
connection: ``execute``, and the ``fetchall`` or ``fetchone`` of its rows (``RETURNING``
rows are made while they are fetched).

``--e2e N``: one producer process enqueues N jobs one by one while two worker processes
(100 slots, NORMAL) run them, as ``bench_queue.py``'s ``e2e``; each worker reports its
CPU a job and its store calls: write transactions, the jobs each claimed, claims that
only read (nothing to take), and ``next_due``; then how long the jobs waited from
before their enqueue to their handler's start. ``--gap S`` spaces the enqueues (idle
workers woken one job at a time); ``--claim-cooldown S`` sets the workers'
``claim_cooldown`` (by default, the ``Worker``'s own, so an older revision runs too).
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import litequeue
from litequeue import _worker
from litequeue.engines.sqlite import _store, _transaction

#: Statements by how they start, named as the report lists them (under the part of
#: the transaction that runs them).
_KINDS = (
    ("BEGIN IMMEDIATE", "    sql: BEGIN IMMEDIATE"),
    ("PRAGMA user_version", "    sql: schema check (PRAGMA user_version)"),
    ("SAVEPOINT", "    sql: SAVEPOINT, RELEASE"),
    ("RELEASE", "    sql: SAVEPOINT, RELEASE"),
    ("UPDATE jobs SET status = 'succeeded'", "    sql: success UPDATE"),
    ("SELECT id, attempt, max_attempts", "    sql: lease check"),
    ("SELECT rate_count", "    sql: queue limits"),
    ("UPDATE jobs SET status = 'running'", "    sql: claim UPDATE ... RETURNING"),
    ("INSERT INTO events", "      sql: event rows INSERT"),
    ("COMMIT", "    sql: COMMIT"),
)
_OTHER = "sql: other statements (start-up, prune, next_due)"
#: The report's lines, in the order they nest.
_ORDER = [
    "store.claim (one transaction, all of it)",
    "  turn, lock, BEGIN, schema check",
    "    sql: BEGIN IMMEDIATE",
    "    sql: schema check (PRAGMA user_version)",
    "  record the outcomes",
    "    sql: SAVEPOINT, RELEASE",
    "    sql: success UPDATE",
    "  claim",
    "    sql: lease check",
    "    sql: queue limits",
    "    sql: claim UPDATE ... RETURNING",
    "  events, COMMIT, unlock, turn",
    "    events (flush)",
    "      sql: event rows INSERT",
    "    sql: COMMIT",
    "  claimed rows to Running",
    _OTHER,
    "worker: register attempts",
    "worker: deliver events",
    "worker: hand to the pool",
    "worker: next_due",
    "pool: Context, handler, Outcome",
    "loop: wait for answers",
]


def _kind(sql: str) -> str:
    for start, name in _KINDS:
        if sql.startswith(start):
            return name
    return _OTHER


class _Timed:
    """Wall and CPU seconds (of the calling thread) and calls by part, added to from
    any thread."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()
        self.cpu: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()

    def add(self, part: str, start: tuple[float, float], *, call: bool = True) -> None:
        self.seconds[part] += time.perf_counter() - start[0]
        self.cpu[part] += time.thread_time() - start[1]
        self.calls[part] += call


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.thread_time()


class _Cursor:
    """A cursor whose rows, fetched, count to its statement's time."""

    def __init__(self, cursor: Any, timed: _Timed, part: str) -> None:
        self._cursor, self._timed, self._part = cursor, timed, part

    def fetchall(self) -> Any:
        start = _now()
        rows = self._cursor.fetchall()
        self._timed.add(self._part, start, call=False)
        return rows

    def fetchone(self) -> Any:
        start = _now()
        row = self._cursor.fetchone()
        self._timed.add(self._part, start, call=False)
        return row

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class _Connection:
    """The store's connection, each statement timed by kind."""

    def __init__(self, conn: Any, timed: _Timed) -> None:
        self._conn, self._timed = conn, timed

    def execute(self, sql: str, params: Any = ()) -> _Cursor:
        start, part = _now(), _kind(sql)
        cursor = self._conn.execute(sql, params)
        self._timed.add(part, start)
        return _Cursor(cursor, self._timed, part)

    def executemany(self, sql: str, rows: Any) -> _Cursor:
        start, part = _now(), _kind(sql)
        cursor = self._conn.executemany(sql, rows)
        self._timed.add(part, start)
        return _Cursor(cursor, self._timed, part)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _wrap(owner: Any, name: str, part: str, timed: _Timed) -> Callable[[], None]:
    original = getattr(owner, name)

    def timed_call(*args: Any, **kwargs: Any) -> Any:
        start = _now()
        try:
            return original(*args, **kwargs)
        finally:
            timed.add(part, start)

    setattr(owner, name, timed_call)
    return lambda: setattr(owner, name, original)


def _switches() -> int:
    total = 0
    for status in glob.glob("/proc/self/task/*/status"):
        try:
            with open(status) as lines:
                total += sum(int(line.split()[1]) for line in lines if "ctxt_switches:" in line)
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total


def _queue(workdir: Path, n: int) -> litequeue.Queue:
    queue = litequeue.Queue(
        Path(tempfile.mkdtemp(dir=workdir)) / "q.db", durability="normal", autoload_plugins=False
    )
    queue.handler("noop")(lambda ctx, payload: None)
    for start in range(0, n, 1000):
        queue.enqueue_many([("noop", {"i": i}) for i in range(start, min(n, start + 1000))])
    return queue


def plain(workdir: Path, n: int, concurrency: int) -> dict[str, float]:
    queue = _queue(workdir, n)
    worker = litequeue.Worker(queue, concurrency=concurrency)
    switches, cpu, wall = _switches(), time.process_time(), time.perf_counter()
    worker.run(until_empty=True)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    switches = _switches() - switches
    queue.close()
    return {"cpu_us": cpu / n * 1e6, "wall_us": wall / n * 1e6, "switches": switches / n}


def parts(workdir: Path, n: int, concurrency: int) -> tuple[float, _Timed]:
    """The drain's wall time a job and its timed parts (nested parts are inside the
    store's call; see ``report``)."""
    queue = _queue(workdir, n)
    timed = _Timed()
    store = queue.store
    store._conn = _Connection(store._conn, timed)  # type: ignore[assignment]
    undo = [
        _wrap(_store.SQLiteStore, "claim", "store.claim (one transaction, all of it)", timed),
        _wrap(_store._WriteTx, "__enter__", "  turn, lock, BEGIN, schema check", timed),
        _wrap(_store.lifecycle, "record_outcomes", "  record the outcomes", timed),
        _wrap(_store.SQLiteStore, "_claim", "  claim", timed),
        _wrap(_store._WriteTx, "__exit__", "  events, COMMIT, unlock, turn", timed),
        _wrap(_transaction.SQLiteTransaction, "flush", "    events (flush)", timed),
        _wrap(_store._rows, "running", "  claimed rows to Running", timed),
        _wrap(_worker.Worker, "_register", "worker: register attempts", timed),
        _wrap(queue.bus, "committed", "worker: deliver events", timed),
        _wrap(_worker.Worker, "_start", "worker: hand to the pool", timed),
        _wrap(_worker.Worker, "_run_sync", "pool: Context, handler, Outcome", timed),
        _wrap(_worker.Worker, "_wait", "loop: wait for answers", timed),
        _wrap(_worker.Worker, "_next_due", "worker: next_due", timed),
    ]
    worker = litequeue.Worker(queue, concurrency=concurrency)
    wall = time.perf_counter()
    worker.run(until_empty=True)
    wall = time.perf_counter() - wall
    for each in undo:
        each()
    queue.close()
    return wall / n * 1e6, timed


def timer_cost() -> float:
    """Microseconds one timed call adds (the clocks read twice, and the wrapper)."""
    timed = _Timed()

    class Probe:
        def call(self) -> None:
            return None

    _wrap(Probe, "call", "probe", timed)
    probe = Probe()
    start = time.perf_counter()
    for _ in range(100_000):
        probe.call()
    return (time.perf_counter() - start) / 100_000 * 1e6


def report(concurrency: int, n: int, workdir: Path) -> None:
    base = plain(workdir, n, concurrency)
    wall, timed = parts(workdir, n, concurrency)
    print(
        f"\n{concurrency} slot(s), {n} jobs: CPU {base['cpu_us']:.1f} us a job"
        f" (wall {base['wall_us']:.1f}), {base['switches']:.3f} context switches a job;"
        f" timed drain {wall:.1f} us a job"
    )
    width = max(len(part) for part in timed.seconds)
    print(f"  {'':<{width}}  wall us a job (share)  CPU us a job  calls a job")
    for part in sorted(timed.seconds, key=_ORDER.index):
        share = timed.seconds[part] / n * 1e6
        print(
            f"  {part:<{width}}  {share:7.2f} ({100 * share / wall:4.1f}%)"
            f"  {timed.cpu[part] / n * 1e6:12.2f}  {timed.calls[part] / n:11.3f}"
        )
    print(f"  (each timed call adds ~{timer_cost():.2f} us)")


def e2e_worker(db: str, go: Path, done: Path, cooldown: str) -> None:
    """A worker process of ``--e2e``: runs until the producer is done and nothing is
    queued or running; prints its figures as JSON. ``cooldown``: its ``claim_cooldown``
    in seconds, or empty for the default (a revision without the setting)."""
    queue = litequeue.Queue(db, durability="normal", autoload_plugins=False)
    ran: list[int] = []
    waits: list[float] = []  # from before the producer's enqueue to the handler's start

    @queue.handler("noop")
    def noop(ctx: Any, payload: dict[str, Any]) -> None:
        waits.append(time.time() - payload["t"])
        ran.append(payload["i"])

    store = queue.store
    claims: list[tuple[int, int, float, bool]] = []  # claimed, recorded, CPU s, read only
    due = [0, 0.0]
    claim, next_due, worth = store.claim, store.next_due, store._worth_claiming
    read_only = [False]

    def timed_claim(asked: Any, outcomes: Any = ()) -> Any:
        read_only[0], start = False, time.thread_time()
        result = claim(asked, outcomes)
        claims.append((len(result[0]), len(outcomes), time.thread_time() - start, read_only[0]))
        return result

    def timed_worth(asked: Any) -> bool:
        found = worth(asked)
        read_only[0] = not found
        return found

    def timed_next_due(*args: Any) -> float:
        start = time.thread_time()
        try:
            return next_due(*args)
        finally:
            due[0] += 1
            due[1] += time.thread_time() - start

    store.claim, store._worth_claiming, store.next_due = timed_claim, timed_worth, timed_next_due  # type: ignore[method-assign]
    settings = {"claim_cooldown": float(cooldown)} if cooldown else {}
    worker = litequeue.Worker(queue, concurrency=100, **settings)

    def stop_when_done() -> None:
        while not done.exists():
            time.sleep(0.005)
        while any(queue.stats().get("default", {}).get(s) for s in ("queued", "running")):
            time.sleep(0.005)
        worker.stop()

    threading.Thread(target=stop_when_done, daemon=True).start()
    while not go.exists():
        time.sleep(0.0005)
    cpu = time.process_time()
    worker.run()
    cpu = time.process_time() - cpu
    print(json.dumps({"jobs": len(ran), "cpu": cpu, "claims": claims, "due": due, "waits": waits}))


def e2e_producer(db: str, n: int, go: Path, done: Path, gap: float) -> None:
    """Enqueue ``n`` jobs one by one, ``gap`` seconds apart (0: as fast as it can)."""
    queue = litequeue.Queue(db, durability="normal", autoload_plugins=False)
    while not go.exists():
        time.sleep(0.0005)
    start = time.perf_counter()
    for i in range(n):
        queue.enqueue("noop", {"i": i, "t": time.time()})
        if gap:
            time.sleep(gap)
    print(json.dumps({"rate": n / (time.perf_counter() - start)}))
    done.touch()


def e2e(n: int, workdir: Path, cooldown: float | None, gap: float) -> None:
    db, go, done = workdir / "e2e.db", workdir / "go", workdir / "done"
    litequeue.Queue(db, durability="normal", autoload_plugins=False).close()
    me = [sys.executable, __file__]
    workers = [
        subprocess.Popen(
            [
                *me,
                "e2e-worker",
                str(db),
                str(go),
                str(done),
                "" if cooldown is None else str(cooldown),
            ],
            stdout=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    producer = subprocess.Popen(
        [*me, "e2e-producer", str(db), str(n), str(go), str(done), str(gap)],
        stdout=subprocess.PIPE,
    )
    time.sleep(1.0)  # the interpreters start
    go.touch()
    made = json.loads(producer.communicate()[0])
    print(f"\ne2e, {n} jobs: the producer enqueued {made['rate']:,.0f} jobs/s")
    waits: list[float] = []
    for process in workers:
        got = json.loads(process.communicate()[0])
        jobs, claims = got["jobs"], got["claims"]
        waits.extend(got["waits"])
        reads = [c for c in claims if c[3]]
        writes = [c for c in claims if not c[3]]
        taken = [c[0] for c in writes]
        if not jobs or not writes:
            print(f"  a worker: {jobs} jobs, {len(writes)} write transactions")
            continue
        print(
            f"  a worker: {jobs} jobs, CPU {got['cpu'] / jobs * 1e6:.1f} us a job;"
            f" {len(writes) / jobs:.3f} write transactions a job"
            f" ({statistics.median(c[2] for c in writes) * 1e6:.0f} us CPU each at the median,"
            f" {sum(c[2] for c in writes) / jobs * 1e6:.1f} us a job),"
            f" jobs claimed a transaction: mean {statistics.mean(taken):.1f},"
            f" median {statistics.median(taken)}, exactly one {taken.count(1)},"
            f" none {taken.count(0)} ({sum(1 for c in writes if not c[0] and c[1])} of them"
            f" recording answers); claims that only read: {len(reads) / jobs:.3f} a job,"
            f" {statistics.mean(c[2] for c in reads) * 1e6 if reads else 0:.0f} us each;"
            f" next_due {got['due'][0] / jobs:.2f} calls a job,"
            f" {got['due'][1] / jobs * 1e6:.1f} us a job"
        )
    ms = sorted(wait * 1000 for wait in waits)
    print(
        f"  enqueue to start: p50 {statistics.median(ms):.2f} ms,"
        f" p99 {ms[round(0.99 * (len(ms) - 1))]:.2f} ms, max {ms[-1]:.2f} ms"
    )


def main() -> None:
    if sys.argv[1:2] == ["e2e-worker"]:
        return e2e_worker(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5])
    if sys.argv[1:2] == ["e2e-producer"]:
        return e2e_producer(
            sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]), float(sys.argv[6])
        )
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, action="append")
    parser.add_argument("--e2e", type=int, metavar="N", help="a producer beside two workers")
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument(
        "--claim-cooldown", type=float, metavar="S", help="the e2e workers' claim_cooldown"
    )
    parser.add_argument(
        "--gap", type=float, default=0.0, metavar="S", help="seconds between the e2e enqueues"
    )
    args = parser.parse_args()
    print(f"litequeue {Path(litequeue.__file__).parent}, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(dir=args.tmp) as workdir:
        if args.e2e:
            e2e(args.e2e, Path(workdir), args.claim_cooldown, args.gap)
            return
        for concurrency in args.concurrency or [100, 1]:
            report(concurrency, args.n, Path(workdir))


if __name__ == "__main__":
    main()
