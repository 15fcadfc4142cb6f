"""litequeue side by side with huey, persist-queue and the raw sqlite3 floor, in one run.

Run on demand (``nox -s bench``), never in the test suite: timings on shared machines are noisy::

    python benchmarks/bench_queue.py [--n 8000] [--rounds 3] [--quick] [--only SYSTEM,...]
                                     [--ops OP,...] [--json-out FILE] [--tmp DIR]
    python benchmarks/bench_queue.py selftest          # the exactly-once checker catches bad queues
    python benchmarks/bench_queue.py one SYSTEM OP --n N   # one measurement, JSON on stdout

Why it is built this way: every measurement runs in a fresh interpreter on a fresh database, so no
cache, connection or import state leaks between systems; rounds are interleaved (order shuffled per
round) so slow drift of a shared machine hits every system alike; ratios are taken round by round
between systems measured in the same round at the same ``synchronous`` level. Every drain, in one
process or several, checks that each enqueued id reached a handler exactly once and reports
duplicates and lost ids. See benchmarks/README.md for what each operation means.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
CHUNK = 1000  # jobs per enqueue_many call / raw batch transaction
CLAIM_BATCH = 100  # jobs per claim in the batch drains (litequeue Worker concurrency)
FOLLOW_CAP = 180.0  # seconds a multi-process consumer may run before giving up
CHILD_ENV = {**os.environ, "LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD": "1"}

Result = dict[str, Any]


# -- exactly-once ---------------------------------------------------------------------------------


def check_once(expected: Iterable[int], seen: Iterable[Iterable[int]]) -> Result:
    """Every expected id handled exactly once: count duplicates, lost and unexpected ids.

    ``seen`` holds one list per consumer, so a job run by two processes counts as a duplicate.
    """
    want = set(expected)
    counts = Counter(i for ids in seen for i in ids)
    duplicates = sum(c - 1 for c in counts.values() if c > 1)
    lost = sorted(want - counts.keys())
    unexpected = sorted(counts.keys() - want)
    return {
        "duplicates": duplicates,
        "lost": len(lost),
        "unexpected": len(unexpected),
        "lost_sample": lost[:5],
        "dup_sample": sorted(i for i, c in counts.items() if c > 1)[:5],
        "exactly_once": not duplicates and not lost and not unexpected,
    }


class Recorder:
    """What a no-op handler does: note the id, and when (to time multi-process runs)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.last = 0.0

    def add(self, i: int) -> None:
        self.ids.append(i)
        self.last = time.time()


# -- adapters: one per system, the same small surface ---------------------------------------------


class Adapter:
    """One queue library driven through its public API; ``workdir`` is a fresh directory."""

    has_batch = False

    def __init__(self, workdir: Path, durability: str) -> None:
        self.workdir = workdir
        self.durability = durability
        self.rec = Recorder()

    def enqueue(self, i: int) -> None:
        raise NotImplementedError

    def enqueue_batch(self, ids: Sequence[int]) -> None:
        raise NotImplementedError

    def claim(self, batch: bool) -> int:
        """Claim (one, or up to CLAIM_BATCH), handle and acknowledge; 0 when empty."""
        raise NotImplementedError

    def drain(self, batch: bool) -> None:
        """Consume until the queue reports empty."""
        while self.claim(batch):
            pass

    def follow(self, batch: bool, done: Path, deadline: float) -> None:
        """Consume while a producer runs; stop once it is done and the queue is empty.

        ``done`` appears after the producer's last commit, so an empty claim that started
        after seeing it means every produced job has been claimed.
        """
        while time.time() < deadline:
            finished = done.exists()
            if self.claim(batch):
                continue
            if finished:
                return
            time.sleep(0.001)

    def prefill(self, n: int) -> None:
        """Untimed: put ids 0..n-1 in the queue the fastest way the library offers."""
        if self.has_batch:
            for start in range(0, n, CHUNK):
                self.enqueue_batch(range(start, min(n, start + CHUNK)))
        else:
            for i in range(n):
                self.enqueue(i)

    def settings(self) -> str:
        return ""

    def close(self) -> None:
        pass


def _pragmas(conn: sqlite3.Connection) -> str:
    """Journal mode and synchronous level as the library's own connection has them."""
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    sync = conn.execute("PRAGMA synchronous").fetchone()[0]
    level = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(sync, sync)
    return f"{mode}/{level}"


class RawAdapter(Adapter):
    """The floor: stdlib sqlite3 in autocommit, one statement per transaction.

    Claim is one ``UPDATE … RETURNING`` (atomic across processes), ack a guarded ``UPDATE``:
    two commits per job, like a queue that records a claim before running the job.
    """

    has_batch = True
    CLAIM = (
        "UPDATE jobs SET status = 'running' WHERE id IN (SELECT id FROM jobs"
        " WHERE status = 'queued' ORDER BY priority, id LIMIT ?) RETURNING id, payload"
    )
    ACK = "UPDATE jobs SET status = 'done' WHERE id = ? AND status = 'running'"
    ACK_MANY = (
        "UPDATE jobs SET status = 'done' WHERE id IN (SELECT value FROM json_each(?))"
        " AND status = 'running'"
    )
    INSERT = "INSERT INTO jobs (status, priority, payload) VALUES ('queued', 0, ?)"

    def __init__(self, workdir: Path, durability: str) -> None:
        super().__init__(workdir, durability)
        self.conn = sqlite3.connect(workdir / "raw.db", isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute(f"PRAGMA synchronous = {durability.upper()}")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, status TEXT NOT NULL,"
            " priority INTEGER NOT NULL, payload TEXT NOT NULL)"
        )
        self.conn.execute("CREATE INDEX IF NOT EXISTS jobs_claim ON jobs (status, priority, id)")

    def enqueue(self, i: int) -> None:
        self.conn.execute(self.INSERT, (json.dumps({"i": i}),))

    def enqueue_batch(self, ids: Sequence[int]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(self.INSERT, [(json.dumps({"i": i}),) for i in ids])
        self.conn.execute("COMMIT")

    def claim(self, batch: bool) -> int:
        rows = self.conn.execute(self.CLAIM, (CLAIM_BATCH if batch else 1,)).fetchall()
        for _, payload in rows:
            self.rec.add(json.loads(payload)["i"])
        if len(rows) == 1:
            self.conn.execute(self.ACK, (rows[0][0],))
        elif rows:
            self.conn.execute(self.ACK_MANY, (json.dumps([r[0] for r in rows]),))
        return len(rows)

    def settings(self) -> str:
        return _pragmas(self.conn)

    def close(self) -> None:
        self.conn.close()


class RawEventsAdapter(RawAdapter):
    """The floor for a queue with an event log: ``raw``, plus what DESIGN.md's event
    contract adds to every state change, in the same transaction: one row in an
    ``events`` table (seq = rowid) with an index on ``job_id``. No Python layer.

    It shows how much of the gap between litequeue and ``raw`` is the log itself
    (two more B-trees written per change), not litequeue's code.
    """

    EVENT = "INSERT INTO events (job_id, type, at, data) VALUES (?, ?, ?, ?)"

    def __init__(self, workdir: Path, durability: str) -> None:
        super().__init__(workdir, durability)
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, job_id INTEGER NOT NULL,"
            " type TEXT NOT NULL, at REAL NOT NULL, data TEXT NOT NULL)"
        )
        self.conn.execute("CREATE INDEX IF NOT EXISTS events_job ON events (job_id)")

    def _events(self, ids: Iterable[int], type_: str) -> None:
        now = time.time()
        self.conn.executemany(self.EVENT, [(i, type_, now, '{"attempt":1}') for i in ids])

    def enqueue(self, i: int) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        job_id = self.conn.execute(self.INSERT, (json.dumps({"i": i}),)).lastrowid
        self.conn.execute(self.EVENT, (job_id, "enqueued", time.time(), '{"queue":"default"}'))
        self.conn.execute("COMMIT")

    def enqueue_batch(self, ids: Sequence[int]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(self.INSERT, [(json.dumps({"i": i}),) for i in ids])
        self.conn.execute(
            "INSERT INTO events (job_id, type, at, data) SELECT id, 'enqueued', ?,"
            ' \'{"queue":"default"}\' FROM jobs WHERE id > ? ORDER BY id',
            (time.time(), self.conn.execute("SELECT last_insert_rowid()").fetchone()[0] - len(ids)),
        )
        self.conn.execute("COMMIT")

    def claim(self, batch: bool) -> int:
        self.conn.execute("BEGIN IMMEDIATE")
        rows = self.conn.execute(self.CLAIM, (CLAIM_BATCH if batch else 1,)).fetchall()
        self._events((r[0] for r in rows), "started")
        self.conn.execute("COMMIT")
        for _, payload in rows:
            self.rec.add(json.loads(payload)["i"])
        if rows:
            ids = [r[0] for r in rows]
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(self.ACK_MANY, (json.dumps(ids),))
            self._events(ids, "succeeded")
            self.conn.execute("COMMIT")
        return len(rows)


class RacyAdapter(RawAdapter):
    """Selftest only, deliberately broken: claims with SELECT then an unguarded UPDATE (two
    processes can take the same job) and silently drops every job with ``i % 50 == 7``."""

    def claim(self, batch: bool) -> int:
        row = self.conn.execute(
            "SELECT id, payload FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1"
        ).fetchone()
        if row is None:
            return 0
        time.sleep(0.0005)
        self.conn.execute("UPDATE jobs SET status = 'done' WHERE id = ?", (row[0],))
        i = json.loads(row[1])["i"]
        if i % 50 != 7:
            self.rec.add(i)
        return 1


class VanishAdapter(RawAdapter):
    """Selftest only, deliberately broken: never hands out ``i % 50 == 7`` and reports empty."""

    CLAIM = RawAdapter.CLAIM.replace(
        "status = 'queued'", "status = 'queued' AND payload ->> '$.i' % 50 != 7"
    )


class LitequeueAdapter(Adapter):
    """litequeue's public API: ``enqueue``, ``enqueue_many``, ``Worker(...).run()``."""

    has_batch = True

    def __init__(self, workdir: Path, durability: str) -> None:
        super().__init__(workdir, durability)
        import litequeue

        self.lq = litequeue
        self.queue = litequeue.Queue(
            workdir / "litequeue.db", durability=durability, autoload_plugins=False
        )
        self.queue.handler("noop")(self._handle)

    def _handle(self, ctx: Any, payload: dict[str, int]) -> None:
        self.rec.add(payload["i"])

    def enqueue(self, i: int) -> None:
        self.queue.enqueue("noop", {"i": i})

    def enqueue_batch(self, ids: Sequence[int]) -> None:
        self.queue.enqueue_many([("noop", {"i": i}) for i in ids])

    def drain(self, batch: bool) -> None:
        self.lq.Worker(self.queue, concurrency=CLAIM_BATCH if batch else 1).run(until_empty=True)

    def follow(self, batch: bool, done: Path, deadline: float) -> None:
        """A plain ``Worker.run()`` (idle polling as shipped); a watcher thread stops it once
        the producer is done and no job is queued or running anywhere."""
        worker = self.lq.Worker(self.queue, concurrency=CLAIM_BATCH if batch else 1)
        returned = threading.Event()

        def watch() -> None:
            while not done.exists() and time.time() < deadline:
                time.sleep(0.005)
            while time.time() < deadline:
                counts = self.queue.stats().get("default", {})
                if not counts.get("queued") and not counts.get("running"):
                    break
                time.sleep(0.005)
            while not returned.is_set():  # repeat: a stop() before run() starts would be lost
                worker.stop()
                returned.wait(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            worker.run()
        finally:
            returned.set()
            watcher.join()

    def settings(self) -> str:
        conn = sqlite3.connect(self.queue.path)
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        conn.close()
        return f"{mode}/{self.durability.upper()} (Queue(durability={self.durability!r}))"

    def close(self) -> None:
        self.queue.close()


class HueyAdapter(Adapter):
    """huey ``SqliteHuey(immediate=False)``; consumer = the body of huey's worker loop,
    ``dequeue()`` then ``execute()``. Dequeue deletes the row: one commit per job, no ack.

    huey leaves ``synchronous`` at SQLite's default (FULL) and its ``fsync`` option offers
    only FULL or OFF, so ``normal`` adds the pragma through a storage subclass.
    """

    def __init__(self, workdir: Path, durability: str) -> None:
        super().__init__(workdir, durability)
        from huey import SqliteHuey  # type: ignore[import-untyped]
        from huey.storage import SqliteStorage  # type: ignore[import-untyped]

        class NormalStorage(SqliteStorage):  # type: ignore[misc]
            def _create_connection(self) -> sqlite3.Connection:
                conn: sqlite3.Connection = super()._create_connection()
                conn.execute("PRAGMA synchronous = NORMAL")
                return conn

        kwargs: dict[str, Any] = {"storage_class": NormalStorage} if durability == "normal" else {}
        self.huey = SqliteHuey(
            "bench", filename=str(workdir / "huey.db"), immediate=False, **kwargs
        )
        rec = self.rec

        def noop(i: int) -> None:
            rec.add(i)

        # huey names a task "<module>.<name>": fix the module so every process agrees.
        noop.__module__ = "bench_queue_tasks"
        self.task = self.huey.task(name="noop")(noop)

    def enqueue(self, i: int) -> None:
        self.task(i)

    def claim(self, batch: bool) -> int:
        task = self.huey.dequeue()
        if task is None:
            return 0
        self.huey.execute(task)
        return 1

    def settings(self) -> str:
        return _pragmas(self.huey.storage.conn)

    def close(self) -> None:
        self.huey.storage.close()


class PQAckAdapter(Adapter):
    """persist-queue ``SQLiteAckQueue(dir)`` as shipped (WAL, synchronous untouched = FULL):
    ``put``, ``get(block=False)``, ``ack``. No batch API."""

    def __init__(self, workdir: Path, durability: str) -> None:
        super().__init__(workdir, durability)
        import persistqueue

        self.empty = persistqueue.exceptions.Empty
        self.q: Any = persistqueue.SQLiteAckQueue(str(workdir / "pq"))

    def enqueue(self, i: int) -> None:
        self.q.put({"i": i})

    def claim(self, batch: bool) -> int:
        try:
            item = self.q.get(block=False)
        except self.empty:
            return 0
        self.rec.add(item["i"])
        self.q.ack(item)
        return 1

    def settings(self) -> str:
        return _pragmas(self.q._putter)

    def close(self) -> None:
        self.q.close()


@dataclass(frozen=True)
class System:
    """A system under test: its adapter, the durability it runs at, and what it measures."""

    adapter: type[Adapter]
    durability: str
    ops: tuple[str, ...]
    note: str


SYSTEMS: dict[str, System] = {
    "litequeue-full": System(
        LitequeueAdapter, "full", ("enqueue1", "batch", "drain", "latency"), "library default"
    ),
    "litequeue-normal": System(
        LitequeueAdapter,
        "normal",
        ("enqueue1", "batch", "drain", "drain_batch", "drain2", "e2e", "table-1k", "table-big"),
        "Queue(durability='normal')",
    ),
    "raw-full": System(RawAdapter, "full", ("enqueue1", "batch", "drain"), "set by harness"),
    "raw-normal": System(
        RawAdapter,
        "normal",
        ("enqueue1", "batch", "drain", "drain_batch", "drain2", "e2e"),
        "set by harness",
    ),
    "raw-events-full": System(
        RawEventsAdapter, "full", ("enqueue1", "drain"), "raw + an event row per change"
    ),
    "raw-events-normal": System(
        RawEventsAdapter,
        "normal",
        ("enqueue1", "batch", "drain", "drain_batch"),
        "raw + an event row per change",
    ),
    "huey-default": System(HueyAdapter, "full", ("enqueue1", "drain"), "library default"),
    "huey-normal": System(
        HueyAdapter, "normal", ("enqueue1", "drain", "drain2", "e2e"), "storage subclass"
    ),
    "pq-ack-default": System(
        PQAckAdapter, "full", ("enqueue1", "drain", "drain2", "e2e"), "library default"
    ),
}
BROKEN: dict[str, System] = {
    "broken-racy": System(RacyAdapter, "normal", (), "selftest only"),
    "broken-vanish": System(VanishAdapter, "normal", (), "selftest only"),
}
OPS = ("enqueue1", "batch", "drain", "drain_batch", "drain2", "e2e", "latency", "table-1k",
       "table-big")  # fmt: skip


def make(system: str, workdir: Path) -> Adapter:
    spec = SYSTEMS.get(system) or BROKEN[system]
    return spec.adapter(workdir, spec.durability)


# -- child processes ------------------------------------------------------------------------------


def _start(args: list[str]) -> subprocess.Popen[str]:
    """A helper process of this script; it prints "ready" and waits for a line on stdin."""
    return subprocess.Popen(
        [sys.executable, str(HERE), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=CHILD_ENV,
    )


def _together(procs: list[subprocess.Popen[str]]) -> float:
    """Release processes that are all past start-up at once; returns the start time."""
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"helper process failed to start (said {line!r})")
    start = time.time()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    return start


def _collect(proc: subprocess.Popen[str], timeout: float) -> Result:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        return {"error": "helper timed out"}
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return dict(json.loads(lines[-1])) if lines else {"error": f"helper exit {proc.returncode}"}


def _wait_go() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def child_consume(system: str, workdir: Path, mode: str, done: Path) -> None:
    """Helper process: drain a pre-filled queue (``drain``) or follow a producer (``follow``)."""
    adapter = make(system, workdir)
    batch = system.startswith(("litequeue", "raw"))  # batch claims where the library has them
    _wait_go()
    cpu = time.process_time()
    if mode == "drain":
        adapter.drain(batch)
    else:
        adapter.follow(batch, done, time.time() + FOLLOW_CAP)
    cpu = time.process_time() - cpu
    adapter.close()
    print(json.dumps({"ids": adapter.rec.ids, "last": adapter.rec.last, "cpu": cpu}))


def child_produce(system: str, workdir: Path, n: int, done: Path) -> None:
    """Helper process: enqueue ids 0..n-1 one call at a time, then mark ``done``."""
    adapter = make(system, workdir)
    _wait_go()
    latencies = []
    start = time.time()
    for i in range(n):
        before = time.perf_counter()
        adapter.enqueue(i)
        latencies.append(time.perf_counter() - before)
    end = time.time()
    adapter.close()
    done.touch()
    print(json.dumps({"rate": n / (end - start), **_tails(latencies)}))


def child_idle_worker(workdir: Path) -> None:
    """Helper process for ``latency``: a default ``Worker.run()`` that records how long each job
    waited between its producer's ``time.time()`` (taken before ``enqueue``) and its start."""
    import litequeue

    queue = litequeue.Queue(workdir / "litequeue.db", autoload_plugins=False)
    waits: list[tuple[int, float]] = []

    @queue.handler("lat")
    def record(ctx: Any, payload: dict[str, Any]) -> None:
        waits.append((payload["i"], time.time() - payload["t"]))

    worker = litequeue.Worker(queue)
    print("ready", flush=True)
    worker.run()  # until SIGTERM
    queue.close()
    print(json.dumps({"waits": waits}))


# -- measurements ---------------------------------------------------------------------------------


def _timed(fn: Callable[[], object], n: int) -> Result:
    """Wall time, and the CPU time of the whole process (every thread) per job: the figure
    the machine's load moves least."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"n": n, "seconds": seconds, "rate": n / seconds, "cpu_us": cpu / n * 1e6}


def _tails(latencies: list[float]) -> Result:
    """p50, p99 and max of latencies in seconds, as milliseconds."""
    ms = sorted(x * 1000 for x in latencies)
    at = lambda q: ms[min(len(ms) - 1, round(q * (len(ms) - 1)))]  # noqa: E731
    return {"p50_ms": statistics.median(ms), "p99_ms": at(0.99), "max_ms": ms[-1]}


def _enqueue_each(adapter: Adapter, n: int) -> None:
    for i in range(n):
        adapter.enqueue(i)


def _enqueue_chunks(adapter: Adapter, n: int) -> None:
    for start in range(0, n, CHUNK):
        adapter.enqueue_batch(range(start, min(n, start + CHUNK)))


def measure_single(system: str, op: str, n: int, workdir: Path) -> Result:
    """enqueue1, batch, drain, drain_batch: one process, timed in-process."""
    adapter = make(system, workdir)
    out: Result = {"settings": adapter.settings()}
    if op == "enqueue1":
        out.update(_timed(lambda: _enqueue_each(adapter, n), n))
    elif op == "batch":
        out.update(_timed(lambda: _enqueue_chunks(adapter, n), n))
    else:
        adapter.prefill(n)
        out.update(_timed(lambda: adapter.drain(op == "drain_batch"), n))
        out.update(check_once(range(n), [adapter.rec.ids]))
    adapter.close()
    return out


def measure_multi(system: str, op: str, n: int, workdir: Path) -> Result:
    """drain2: two consumer processes on a pre-filled file; e2e: one producer and two
    consumers start together on an empty queue. Timed from the common start to the last
    handled job; every id checked across both consumers."""
    adapter = make(system, workdir)  # creates the schema before the race
    settings = adapter.settings()
    if op == "drain2":
        adapter.prefill(n)
    adapter.close()
    done = workdir / "producer.done"
    mode = "drain" if op == "drain2" else "follow"
    consumers = [_start(["consume", system, str(workdir), mode, str(done)]) for _ in range(2)]
    producer = [_start(["produce", system, str(workdir), str(n), str(done)])] if op == "e2e" else []
    start = _together([*producer, *consumers])
    reports = [_collect(p, FOLLOW_CAP + 60) for p in consumers]
    made = [_collect(p, FOLLOW_CAP + 60) for p in producer]
    errors = [r["error"] for r in [*reports, *made] if "error" in r]
    if errors:
        return {"error": "; ".join(errors), "settings": settings}
    end = max(r["last"] for r in reports)
    out: Result = {
        "settings": settings,
        "n": n,
        "seconds": end - start,
        "rate": n / (end - start),
        "split": [len(r["ids"]) for r in reports],
        "cpu_us": sum(r["cpu"] for r in reports) / n * 1e6,  # both consumers' CPU per job
        **check_once(range(n), [r["ids"] for r in reports]),
    }
    if made:
        out["producer_rate"] = made[0]["rate"]
        for key in ("p50_ms", "p99_ms", "max_ms"):
            out[f"enqueue_{key}"] = made[0][key]
    return out


def measure_latency(samples: int, workdir: Path) -> Result:
    """Enqueue one job at a time, ~10 ms apart, to an idle worker in another process."""
    import litequeue

    queue = litequeue.Queue(workdir / "litequeue.db", autoload_plugins=False)  # default: full
    worker = _start(["idle-worker", str(workdir)])
    assert worker.stdout is not None
    if worker.stdout.readline().strip() != "ready":
        return {"error": "idle worker failed to start"}
    time.sleep(0.3)  # let it settle into idle polling
    for k in range(samples):
        queue.enqueue("lat", {"i": k, "t": time.time()})
        time.sleep(0.01 + random.random() * 0.002)
    deadline = time.time() + 10
    while queue.stats().get("default", {}).get("succeeded", 0) < samples:
        if time.time() > deadline:
            break
        time.sleep(0.01)
    queue.close()
    worker.send_signal(signal.SIGTERM)
    report = _collect(worker, 60)
    if "error" in report:
        return report
    waits = [w for _, w in report["waits"]]
    if not waits:
        return {"error": "no job ran", **check_once(range(samples), [])}
    return {
        "n": len(waits),
        **_tails(waits),
        **check_once(range(samples), [[i for i, _ in report["waits"]]]),
    }


def _fill_finished_direct(path: Path, count: int) -> None:
    """Write ``count`` succeeded jobs (and their three events each) straight through sqlite3,
    with the column values litequeue itself writes for a finished no-op job; enqueuing and
    draining a million jobs first would take minutes per round."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    t = time.time() - 3600  # an hour old: inside the default event retention, so not pruned
    conn.execute("BEGIN")
    conn.execute(
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < ? - 1)"
        " INSERT INTO jobs (kind, queue, status, payload, result, priority, run_at, attempt,"
        " max_attempts, progress, tags, handler_version, run_id, children, children_finished,"
        " created_at, updated_at, started_at, finished_at)"
        " SELECT 'noop', 'default', 'succeeded', json_object('i', i), 'null', 0, ?, 1, 3, 100.0,"
        " '[]', '1', random(), 0, 0, ?, ?, ?, ? FROM k",
        (count, t, t, t, t, t),
    )
    conn.execute(
        "INSERT INTO events (job_id, type, at, data) SELECT id, 'enqueued', created_at,"
        ' \'{"kind":"noop","queue":"default"}\' FROM jobs ORDER BY id'
    )
    conn.execute(
        "INSERT INTO events (job_id, type, at, data) SELECT id, type, at, data FROM jobs,"
        ' (SELECT 0 AS o, \'started\' AS type, \'{"attempt":1,"worker":"bench"}\' AS data'
        "  UNION ALL SELECT 1, 'succeeded', '{\"attempt\":1}') JOIN (SELECT ? AS at)"
        " ORDER BY id, o",
        (t,),
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def measure_table(finished: int, n: int, workdir: Path) -> Result:
    """Claim and finish ``n`` new jobs one per claim (durability normal) beside ``finished``
    old finished jobs: claims read a partial index, so old rows should not slow them."""
    adapter = make("litequeue-normal", workdir)
    assert isinstance(adapter, LitequeueAdapter)
    fill_start = time.perf_counter()
    if finished <= 10_000:  # real rows: enqueue_many, then a batch drain
        adapter.prefill(finished)
        adapter.drain(batch=True)
        adapter.rec = Recorder()
        fill = "enqueue_many + Worker drain"
    else:
        adapter.close()
        _fill_finished_direct(workdir / "litequeue.db", finished)
        adapter = make("litequeue-normal", workdir)
        fill = "sqlite3 INSERT of litequeue's finished-row values"
    fill_seconds = time.perf_counter() - fill_start
    offset = 10_000_000  # new ids, apart from the old rows' payloads
    adapter.enqueue_batch(range(offset, offset + n))
    out = _timed(lambda: adapter.drain(batch=False), n)
    out.update(check_once(range(offset, offset + n), [adapter.rec.ids]))
    adapter.close()
    return {**out, "finished_rows": finished, "fill": fill, "fill_seconds": fill_seconds}


def measure_one(system: str, op: str, n: int, tmp: Path | None, big: int) -> Result:
    """One measurement in a fresh directory (and, run from the CLI, a fresh process)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"lq-bench-{system}-{op}-", dir=tmp))
    try:
        if op == "latency":
            return measure_latency(n, workdir)
        if op == "table-1k":
            return measure_table(1000, n, workdir)
        if op == "table-big":
            return measure_table(big, n, workdir)
        if op in ("drain2", "e2e"):
            return measure_multi(system, op, n, workdir)
        return measure_single(system, op, n, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# -- orchestration --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    n: int
    rounds: int
    big: int
    latency_samples: int
    table_jobs: int
    tmp: Path | None


def _count(op: str, cfg: Config) -> int:
    if op == "latency":
        return cfg.latency_samples
    if op.startswith("table"):
        return cfg.table_jobs
    return cfg.n


def spawn_one(system: str, op: str, cfg: Config) -> Result:
    """Run one measurement in a fresh interpreter; its last stdout line is the JSON result."""
    cmd = [sys.executable, str(HERE), "one", system, op, "--n", str(_count(op, cfg)),
           "--big", str(cfg.big)]  # fmt: skip
    if cfg.tmp:
        cmd += ["--tmp", str(cfg.tmp)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=CHILD_ENV, timeout=900)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 900 s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return {"error": tail[0]}
    return dict(json.loads(lines[-1]))


Results = dict[tuple[str, str], list[Result]]


def run_rounds(plan: list[tuple[str, str]], cfg: Config) -> Results:
    results: Results = {}
    for round_no in range(cfg.rounds):
        order = list(plan)
        random.Random(round_no).shuffle(order)
        for k, (system, op) in enumerate(order, 1):
            print(f"  round {round_no + 1}/{cfg.rounds} [{k}/{len(order)}] {system} {op}",
                  file=sys.stderr, flush=True)  # fmt: skip
            result = spawn_one(system, op, cfg)
            result["round"] = round_no
            results.setdefault((system, op), []).append(result)
    return results


# -- report ---------------------------------------------------------------------------------------


def _values(runs: list[Result], key: str) -> list[float]:
    return [float(r[key]) for r in runs if key in r]


def _by_round(runs: list[Result], key: str) -> dict[int, float]:
    return {r["round"]: float(r[key]) for r in runs if key in r}


def ratio(results: Results, a: tuple[str, str], b: tuple[str, str]) -> list[float]:
    """Per-round rate ratios a/b, each pair measured in the same round."""
    ra, rb = _by_round(results.get(a, []), "rate"), _by_round(results.get(b, []), "rate")
    return [ra[k] / rb[k] for k in sorted(ra.keys() & rb.keys())]


@dataclass(frozen=True)
class Row:
    """One line of the final table: a measurement, the reference it is compared to, a target."""

    op: str
    system: str
    ref: tuple[str, str] | None = None  # (system, op) whose same-round rate divides this one
    target: str = ""
    check: Callable[[float], bool] | None = None
    #: What the target applies to: "ratio", "once", or a key of the results ("rate",
    #: "p50_ms", "enqueue_p99_ms"...).
    on: str = "ratio"
    cost: bool = False  # ratio of time per job (ref rate / this rate) instead of rates


ROWS: list[Row] = [
    Row("enqueue1", "raw-full"),
    Row("enqueue1", "litequeue-full", ("raw-full", "enqueue1"), ">= 0.70x", lambda v: v >= 0.70),
    Row("enqueue1", "raw-events-full", ("raw-full", "enqueue1")),
    Row("enqueue1", "litequeue-full", ("raw-events-full", "enqueue1")),
    Row("enqueue1", "huey-default", ("raw-full", "enqueue1")),
    Row("enqueue1", "pq-ack-default", ("raw-full", "enqueue1")),
    Row("enqueue1", "raw-normal"),
    Row("enqueue1", "litequeue-normal", ("raw-normal", "enqueue1")),
    Row("enqueue1", "raw-events-normal", ("raw-normal", "enqueue1")),
    Row("enqueue1", "litequeue-normal", ("raw-events-normal", "enqueue1"), ">= 0.75x",
        lambda v: v >= 0.75),
    Row("enqueue1", "huey-normal", ("raw-normal", "enqueue1")),
    Row("enqueue1", "litequeue-normal", ("huey-normal", "enqueue1"), "> 1.00x (ahead)",
        lambda v: v > 1.0),
    Row("batch", "raw-full"),
    Row("batch", "litequeue-full", ("raw-full", "batch"), ">= 150,000/s", lambda v: v >= 150_000,
        "rate"),
    Row("batch", "raw-normal"),
    Row("batch", "raw-events-normal", ("raw-normal", "batch")),
    Row("batch", "litequeue-normal", ("raw-normal", "batch"), ">= 150,000/s",
        lambda v: v >= 150_000, "rate"),
    Row("drain", "raw-full"),
    Row("drain", "litequeue-full", ("raw-full", "drain"), ">= 0.70x", lambda v: v >= 0.70),
    Row("drain", "litequeue-full", ("huey-default", "drain"), "> 1.00x (ahead)",
        lambda v: v > 1.0),
    Row("drain", "raw-events-full", ("raw-full", "drain")),
    Row("drain", "litequeue-full", ("raw-events-full", "drain")),
    Row("drain", "huey-default", ("raw-full", "drain")),
    Row("drain", "pq-ack-default", ("raw-full", "drain")),
    Row("drain", "raw-normal"),
    Row("drain", "raw-events-normal", ("raw-normal", "drain")),
    Row("drain", "litequeue-normal", ("raw-events-normal", "drain")),
    Row("drain", "litequeue-normal", ("raw-normal", "drain")),
    Row("drain", "huey-normal", ("raw-normal", "drain")),
    Row("drain_batch", "raw-normal"),
    Row("drain_batch", "raw-events-normal", ("raw-normal", "drain_batch")),
    Row("drain_batch", "litequeue-normal", ("raw-events-normal", "drain_batch")),
    Row("drain_batch", "litequeue-normal", ("raw-normal", "drain_batch"), ">= 50,000/s",
        lambda v: v >= 50_000, "rate"),
    Row("drain_batch", "litequeue-normal", ("huey-normal", "drain"), ">= 5.0x huey",
        lambda v: v >= 5.0),
    Row("drain2", "raw-normal", ("raw-normal", "drain_batch")),
    Row("drain2", "litequeue-normal", ("litequeue-normal", "drain_batch"), ">= 1.00x (1 proc)",
        lambda v: v >= 1.0),
    Row("drain2", "litequeue-normal", None, "0 dup, 0 lost", lambda v: v == 0, "once"),
    Row("drain2", "huey-normal", ("huey-normal", "drain")),
    Row("drain2", "pq-ack-default", ("pq-ack-default", "drain")),
    Row("e2e", "raw-normal"),
    Row("e2e", "litequeue-normal", ("raw-normal", "e2e")),
    Row("e2e", "litequeue-normal", ("litequeue-normal", "enqueue1"), ">= 0.80x (own enqueue1)",
        lambda v: v >= 0.80),
    Row("e2e", "litequeue-normal", None, "0 dup, 0 lost", lambda v: v == 0, "once"),
    Row("e2e", "litequeue-normal", None, "enqueue p99 <= 10 ms", lambda v: v <= 10,
        "enqueue_p99_ms"),
    Row("e2e", "litequeue-normal", None, "enqueue max <= 100 ms", lambda v: v <= 100,
        "enqueue_max_ms"),
    Row("e2e", "huey-normal", ("raw-normal", "e2e")),
    Row("e2e", "litequeue-normal", ("huey-normal", "e2e"), "> 1.00x (ahead)", lambda v: v > 1.0),
    Row("e2e", "pq-ack-default", ("raw-normal", "e2e")),
    Row("latency", "litequeue-full", None, "p50 <= 5 ms", lambda v: v <= 5, "p50_ms"),
    Row("latency", "litequeue-full", None, "p99 <= 20 ms", lambda v: v <= 20, "p99_ms"),
    Row("table-1k", "litequeue-normal"),
    Row("table-big", "litequeue-normal", ("litequeue-normal", "table-1k"),
        "<= 1.50x time/job", lambda v: v <= 1.5, cost=True),
]  # fmt: skip


def _num(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:,.2f}"


def _spread(vals: list[float], unit: str = "") -> str:
    """Median, then (min-max) when there is more than one round."""
    if not vals:
        return "-"
    mid = f"{_num(statistics.median(vals))}{unit}"
    return mid if len(vals) == 1 else f"{mid} ({_num(min(vals))}-{_num(max(vals))})"


def _once(runs: list[Result]) -> str:
    checked = [r for r in runs if "exactly_once" in r]
    if not checked:
        return "-"
    if all(r["exactly_once"] for r in checked):
        return f"ok {len(checked)}/{len(checked)}"
    return "NO dup {} lost {}".format(
        [r["duplicates"] for r in checked], [r["lost"] for r in checked]
    )


def _table_name(rows: int) -> str:
    return f"table-{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"table-{rows // 1000}k"


def report(results: Results, cfg: Config) -> tuple[list[str], list[Result]]:
    """The final table (one line per Row whose measurement ran) and its rows as data."""
    head = f"{'op':<11} {'system':<17} {'jobs/s median (min-max)':<46} "
    head += f"{'ratio to ref, same round':<52} "
    head += f"{'target':<30} {'verdict':<7} once"
    lines, data = [head, "-" * len(head)], []
    shown: set[tuple[str, str]] = set()
    rows = ROWS + [Row(op, s) for (s, op) in sorted(results) if not any(
        r.op == op and r.system == s for r in ROWS)]  # fmt: skip
    for row in rows:
        runs = results.get((row.system, row.op))
        if not runs:
            continue
        errors = [r["error"] for r in runs if "error" in r]
        if row.op == "latency":
            p50, p99 = _spread(_values(runs, "p50_ms")), _spread(_values(runs, "p99_ms"))
            value = f"ms: p50 {p50}, p99 {p99}"
        elif row.on.startswith("enqueue_"):
            value = f"enqueue ms: {row.on[8:-3]} {_spread(_values(runs, row.on))}"
        else:
            value = _spread(_values(runs, "rate"))
        here = (row.system, row.op)
        ratios = (
            []
            if not row.ref
            else ratio(results, *((row.ref, here) if row.cost else (here, row.ref)))
        )
        what = "time/job vs" if row.cost else "vs"
        ratio_text = (
            f"{_spread(ratios, 'x')} {what} {row.ref[0]} {row.ref[1]}"
            if ratios and row.ref
            else "-"
        )
        measured: float | None = None
        if row.on == "ratio" and ratios:
            measured = statistics.median(ratios)
        elif row.on not in ("ratio", "once") and _values(runs, row.on):
            measured = statistics.median(_values(runs, row.on))
        elif row.on == "once":
            checked = [r for r in runs if "exactly_once" in r]
            if checked and len(checked) == len(runs):
                measured = sum(r["duplicates"] + r["lost"] + r["unexpected"] for r in checked)
        verdict = ""
        if row.check is not None:
            verdict = "PASS" if measured is not None and row.check(measured) else "MISS"
        if (row.system, row.op) in shown and row.on != "ratio" and not row.ref:
            ratio_text = "-"
        shown.add((row.system, row.op))
        note = f"  ERRORS: {'; '.join(errors)}" if errors else ""
        op = _table_name(cfg.big) if row.op == "table-big" else row.op
        lines.append(
            f"{op:<11} {row.system:<17} {value:<46} {ratio_text:<52} "
            f"{row.target or '-':<30} {verdict or '-':<7} {_once(runs)}{note}"
        )
        data.append({"op": op, "system": row.system, "value": value, "ratio": ratio_text,
                     "target": row.target, "measured": measured, "verdict": verdict,
                     "once": _once(runs), "errors": errors})  # fmt: skip
    return lines, data


def cpu_report(results: Results) -> list[str]:
    """CPU time per job of the process that did the work (for drain2 and e2e, both
    consumers' together), median (min-max) over the rounds."""
    lines = []
    for (system, op), runs in sorted(results.items()):
        if _values(runs, "cpu_us"):
            lines.append(f"  {op:<11} {system:<17} {_spread(_values(runs, 'cpu_us'))} us")
    return lines


def _detail(results: Results) -> list[str]:
    """Multi-process splits, settings read back, table fill: what a reader needs to trust it."""
    lines = []
    for (system, op), runs in sorted(results.items()):
        extra = []
        settings = {r["settings"] for r in runs if r.get("settings")}
        if settings:
            extra.append(f"settings {', '.join(sorted(settings))}")
        if any("split" in r for r in runs):
            extra.append(f"jobs per consumer {[r.get('split') for r in runs]}")
        if any("producer_rate" in r for r in runs):
            extra.append(f"producer jobs/s {_spread(_values(runs, 'producer_rate'))}, enqueue"
                         f" ms p50 {_spread(_values(runs, 'enqueue_p50_ms'))},"
                         f" p99 {_spread(_values(runs, 'enqueue_p99_ms'))},"
                         f" max {_spread(_values(runs, 'enqueue_max_ms'))}")  # fmt: skip
        if any("finished_rows" in r for r in runs):
            r0 = runs[0]
            extra.append(f"{r0['finished_rows']:,} finished rows by {r0['fill']} "
                         f"(fill {_spread(_values(runs, 'fill_seconds'))} s)")  # fmt: skip
        if op == "latency":
            extra.append(f"{_spread(_values(runs, 'n'))} samples, "
                         f"max {_spread(_values(runs, 'max_ms'))} ms")  # fmt: skip
        if extra:
            lines.append(f"  {op:<11} {system:<17} " + "; ".join(extra))
    return lines


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def machine() -> Result:
    return {
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "litequeue": _version("litequeue-jobs"),
        "huey": _version("huey"),
        "persist-queue": _version("persist-queue"),
    }


# -- selftest -------------------------------------------------------------------------------------


def selftest(tmp: Path | None) -> int:
    """Show the exactly-once checker catches broken queues, through the real process paths."""
    assert check_once(range(4), [[0, 1], [2, 3]])["exactly_once"]
    bad = check_once(range(4), [[0, 1, 2], [2, 2]])
    assert (bad["duplicates"], bad["lost"], bad["exactly_once"]) == (2, 1, False), bad
    bad = check_once(range(3), [[0, 1, 2, 9]])
    assert (bad["unexpected"], bad["exactly_once"]) == (1, False), bad
    assert check_once(range(3), [[], []])["lost"] == 3
    n = 400
    cases: list[tuple[str, str, Callable[[Result], bool]]] = [
        ("broken-racy", "drain2", lambda r: r["duplicates"] > 0 and r["lost"] > 0),
        ("broken-racy", "e2e", lambda r: r["lost"] > 0 and not r["exactly_once"]),
        ("broken-racy", "drain", lambda r: r["lost"] == n // 50 and not r["exactly_once"]),
        ("broken-vanish", "drain", lambda r: r["lost"] == n // 50 and not r["exactly_once"]),
        ("raw-normal", "drain2", lambda r: r["exactly_once"]),
        ("litequeue-normal", "drain2", lambda r: r["exactly_once"]),
        ("litequeue-normal", "e2e", lambda r: r["exactly_once"]),
    ]
    failed = 0
    for system, op, expect in cases:
        result = measure_one(system, op, n, tmp, 0)
        ok = "error" not in result and expect(result)
        failed += not ok
        summary = {k: result.get(k) for k in ("duplicates", "lost", "exactly_once", "error")}
        print(f"{'ok  ' if ok else 'FAIL'} {system:<17} {op:<7} {summary}")
    print("selftest " + ("ok: broken queues caught, good ones clean" if not failed else "FAILED"))
    return 1 if failed else 0


# -- CLI ------------------------------------------------------------------------------------------


def _helper(args: list[str]) -> int:
    """Subcommands the harness runs in its own child processes."""
    cmd = args[0]
    if cmd == "consume":
        child_consume(args[1], Path(args[2]), args[3], Path(args[4]))
    elif cmd == "produce":
        child_produce(args[1], Path(args[2]), int(args[3]), Path(args[4]))
    elif cmd == "idle-worker":
        child_idle_worker(Path(args[1]))
    else:
        one = argparse.ArgumentParser(prog="bench_queue.py one")
        one.add_argument("system", choices=[*SYSTEMS, *BROKEN])
        one.add_argument("op", choices=OPS)
        one.add_argument("--n", type=int, default=2000)
        one.add_argument("--big", type=int, default=1_000_000)
        one.add_argument("--tmp", type=Path)
        ns = one.parse_args(args[1:])
        print(json.dumps(measure_one(ns.system, ns.op, ns.n, ns.tmp, ns.big)))
    return 0


def _csv(value: str | None, allowed: Iterable[str], what: str) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = set(items) - set(allowed)
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(sorted(unknown))}")
    return items


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("one", "consume", "produce", "idle-worker"):
        return _helper(args)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["run", "selftest"], default="run")
    parser.add_argument("--n", type=int, help="jobs per measurement (default 8000; quick 3000)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3; quick 1)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="N=3000, 1 round, 100k-row table instead of 1M (about 2 minutes)",
    )
    parser.add_argument("--only", help=f"systems, comma-separated: {','.join(SYSTEMS)}")
    parser.add_argument("--ops", help=f"operations, comma-separated: {','.join(OPS)}")
    parser.add_argument("--json-out", type=Path, help="write every run and the table as JSON")
    parser.add_argument("--tmp", type=Path, help="directory for the databases (default: system)")
    ns = parser.parse_args(args)  # fmt: skip
    if ns.command == "selftest":
        return selftest(ns.tmp)
    cfg = Config(
        n=ns.n or (3000 if ns.quick else 8000),
        rounds=ns.rounds or (1 if ns.quick else 3),
        big=100_000 if ns.quick else 1_000_000,
        latency_samples=200 if ns.quick else 300,
        table_jobs=2000,
        tmp=ns.tmp,
    )
    systems = _csv(ns.only, SYSTEMS, "system") or list(SYSTEMS)
    ops = _csv(ns.ops, OPS, "operation") or list(OPS)
    plan = [(s, op) for s in systems for op in SYSTEMS[s].ops if op in ops]
    info = machine()
    print(f"machine: {info['platform']}, {info['cpus']} CPUs, Python {info['python']}, "
          f"SQLite {info['sqlite']}; litequeue {info['litequeue']}, huey {info['huey']}, "
          f"persist-queue {info['persist-queue']}")  # fmt: skip
    print(f"N={cfg.n}, rounds={cfg.rounds}, latency samples={cfg.latency_samples}, "
          f"table: {cfg.table_jobs} jobs beside 1k / {cfg.big:,} finished rows; "
          f"{len(plan)} measurements per round", flush=True)  # fmt: skip
    started = time.time()
    results = run_rounds(plan, cfg)
    lines, rows = report(results, cfg)
    print("\n" + "\n".join(lines))
    print("\nCPU us per job (process CPU time / jobs):\n" + "\n".join(cpu_report(results)))
    print("\ndetail:\n" + "\n".join(_detail(results)))
    broken = sorted(f"{s} {op}" for (s, op), runs in results.items()
                    if any(r.get("exactly_once") is False for r in runs))  # fmt: skip
    verdicts = Counter(r["verdict"] for r in rows if r["verdict"])
    print(f"\nexactly-once violations: {', '.join(broken) if broken else 'none'} "
          f"(every drain checked); targets: {verdicts['PASS']} PASS, {verdicts['MISS']} MISS; "
          f"wall time {time.time() - started:.0f} s")  # fmt: skip
    if ns.json_out:
        serial = {f"{s} {op}": runs for (s, op), runs in results.items()}
        ns.json_out.write_text(json.dumps(
            {"machine": info, "config": {**cfg.__dict__, "tmp": str(cfg.tmp)}, "table": rows,
             "results": serial}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
