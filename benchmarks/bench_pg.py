"""litequeue on PostgreSQL side by side with Oban, procrastinate, PgQueuer, huey and raw psycopg.

Run on demand (``nox -s bench_pg``), never in the test suite: timings on shared machines are noisy::

    python benchmarks/bench_pg.py --start-pg            # a throwaway server from .ci/postgres
    python benchmarks/bench_pg.py --url postgresql://user@host:port/db [--n 5000 --rounds 2]
    python benchmarks/bench_pg.py --systems litequeue,raw --ops drain1,drain100
    python benchmarks/bench_pg.py one litequeue drain100 --url URL   # one measurement, JSON
    python benchmarks/bench_pg.py profile litequeue drain1 --url URL # statements per job
    python benchmarks/bench_pg.py selftest                           # the checker sees dup/lost
    python benchmarks/bench_pg.py report results/results-pg.json     # a saved run, again

Why it is built this way: every measurement gets a fresh database (``CREATE DATABASE``) and fresh
child processes running each library's own API (pg_drivers.py), so no connection, cache or import
state carries over; rounds are interleaved with the order shuffled, so drift of a shared machine
hits every system alike; ratios are taken between measurements of the same round. The peers run
in benchmark-only venvs this script makes under benchmarks/.venvs/ (Oban needs Python 3.12), so
the project never depends on them. Every worker run checks that each job reached a handler
exactly once. benchmarks/README.md says what each operation means and quotes a run.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pg_drivers
from pg_report import report, statements_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENVS = HERE / ".venvs"
DRIVERS = HERE / "pg_drivers.py"
Result = dict[str, Any]

SYSTEMS = ["litequeue", "raw", "raw-events", "oban", "procrastinate", "pgqueuer", "huey"]
FLOORS = ["raw", "raw-events"]
PEERS = ["oban", "procrastinate", "pgqueuer", "huey"]

# Each peer's pinned packages, installed into its own venv; oban needs Python >= 3.12.
PEER_PACKAGES = {
    "oban": ["oban==0.7.0"],
    "procrastinate": ["procrastinate==3.10.0"],
    "pgqueuer": ["pgqueuer==1.6.0", "asyncpg==0.32.0"],
    "huey": ["huey==3.5.4", "psycopg[binary]==3.3.9"],
}

# Worker concurrency (one-claim default, batch setting). For litequeue and raw: jobs per claim.
# Peers: their default, then the harness's throughput pick on 2 cores (see the README).
CONC = {
    "litequeue": (1, 100),  # Worker(concurrency=...): up to that many jobs per claim
    "raw": (1, 100),  # rows per SKIP LOCKED claim
    "raw-events": (1, 100),  # raw, plus a started / succeeded event row a job
    "oban": (10, 50),  # queue limit: 10 is Oban's documented example
    "procrastinate": (1, 10),  # worker concurrency: default 1
    "pgqueuer": (10, 100),  # PgQueuer.run(batch_size=...): default 10
    "huey": (1, 4),  # consumer threads: default 1
}


@dataclass(frozen=True)
class Op:
    """One measured operation: what runs and who takes part."""

    name: str
    what: str
    systems: tuple[str, ...]
    workers: int = 0  # worker processes; 0: a producer alone
    batch: bool = False  # the batch concurrency setting (CONC[system][1])
    finished: str = ""  # "small" / "big": finished rows beside the jobs (claim-cost ops)


ALL = tuple(SYSTEMS)
OURS = ("litequeue", "raw", "raw-events")
OPS = [
    Op("enqueue1", "N jobs, one call (one transaction) each", ALL),
    Op("batch", "N jobs, 1000 per bulk call", tuple(s for s in ALL if s != "huey")),
    Op("drain1", "N pre-filled jobs, 1 worker process, one job per claim (peers: default)", ALL, 1),
    Op("drain100", "as drain1, 100 per claim (peers: their batch setting)", ALL, 1, batch=True),
    Op("e2e", "1 producer (one call per job) + 2 idle worker processes", ALL, 2),
    Op("latency", "enqueue -> handler start, idle worker in another process", ALL, 1),
    Op("claim_small", "2000 jobs one per claim beside 1k finished rows", OURS, 1, False, "small"),
    Op("claim_big", "2000 jobs one per claim beside --big finished rows", OURS, 1, False, "big"),
    Op("drain1_p2", "drain1 by 2 worker processes", OURS, 2),
    Op("drain1_p4", "drain1 by 4 worker processes", OURS, 4),
    Op("drain100_p2", "drain100 by 2 worker processes", OURS, 2, batch=True),
    Op("drain100_p4", "drain100 by 4 worker processes", OURS, 4, batch=True),
]
OP_BY_NAME = {op.name: op for op in OPS}
CLAIM_JOBS = 2000  # jobs claimed in the claim-cost ops


@dataclass
class Config:
    url: str
    n: int
    big: int
    lat_n: int
    lat_spacing: float
    cap: float
    durability: str
    tmp: Path
    pythons: dict[str, str]  # system -> interpreter
    statements: bool = False  # read pg_stat_statements for the timed part (the profile command)


# -- interpreters: the project's for litequeue/raw, a venv per peer --------------------------------


def find_python312(given: str | None) -> str | None:
    """A Python >= 3.12 for Oban: --python312, python3.12 on PATH, or a pyenv install."""
    candidates = [given] if given else []
    candidates += [shutil.which("python3.12") or "", "/usr/bin/python3.12"]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")))
    for exe in filter(None, candidates):
        try:
            out = subprocess.run(
                [exe, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == "True":
            return exe
    return None


def peer_python(peer: str, python312: str | None) -> str:
    """The peer's venv interpreter, made and filled with its pinned packages when missing."""
    venv = VENVS / peer
    exe = venv / "bin" / "python"
    wanted = "\n".join(PEER_PACKAGES[peer])
    marker = venv / "installed.txt"
    if exe.exists() and marker.exists() and marker.read_text() == wanted:
        return str(exe)
    base = python312 if peer == "oban" else sys.executable
    if base is None:
        raise SystemExit("oban needs Python >= 3.12: none found (give --python312 PATH)")
    print(f"making {venv} ({' '.join(PEER_PACKAGES[peer])})", file=sys.stderr, flush=True)
    subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(exe), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, *PEER_PACKAGES[peer]], check=True)
    marker.write_text(wanted)
    return str(exe)


# -- the server ------------------------------------------------------------------------------------

SETTINGS = [
    "server_version",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "wal_level",
    "shared_buffers",
    "max_connections",
    "autovacuum",
]


class Server:
    """An admin connection that makes and drops one database per measurement."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.admin = psycopg.connect(url, autocommit=True)
        self.count = 0

    def settings(self) -> dict[str, str]:
        return {name: str(self.admin.execute(f"SHOW {name}").fetchone()[0]) for name in SETTINGS}

    def fresh(self) -> tuple[str, str]:
        self.count += 1
        name = f"bench_{os.getpid()}_{self.count}"
        self.admin.execute(f'CREATE DATABASE "{name}"')
        return name, self.url.rsplit("/", 1)[0] + "/" + name

    def drop(self, name: str) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def reset_statements(self, dsn: str) -> None:
        """Forget what pg_stat_statements saw in this database so far (its setup)."""
        self.admin.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        self.admin.execute(
            "SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database WHERE datname = %s",
            (dsn.rsplit("/", 1)[1],),
        )

    def statements(self, dsn: str) -> list[Result]:
        """Every statement the database ran since the reset: calls, rows, server time."""
        rows = self.admin.execute(
            "SELECT calls, rows, total_exec_time, query FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s "
            "ORDER BY total_exec_time DESC",
            (dsn.rsplit("/", 1)[1],),
        ).fetchall()
        return [
            {"calls": c, "rows": r, "total_ms": round(t, 1), "query": " ".join(q.split())[:300]}
            for c, r, t, q in rows
        ]

    def rows_by_state(self, system: str, dsn: str) -> dict[str, int]:
        """Where the jobs ended, read from each system's own tables."""
        import psycopg

        queries = {
            "litequeue": ["SELECT status::text, count(*) FROM litequeue_jobs GROUP BY 1"],
            "raw": ["SELECT status, count(*) FROM jobs GROUP BY 1"],
            "raw-events": [
                "SELECT status, count(*) FROM jobs GROUP BY 1",
                "SELECT 'event:' || type, count(*) FROM events GROUP BY 1",
            ],
            "oban": ["SELECT state::text, count(*) FROM oban_jobs GROUP BY 1"],
            "procrastinate": ["SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1"],
            "pgqueuer": [
                "SELECT 'queue:' || status::text, count(*) FROM pgqueuer GROUP BY 1",
                "SELECT 'log:' || status::text, count(*) FROM pgqueuer_log GROUP BY 1",
            ],
            "huey": ["SELECT 'rows left', count(*) FROM huey_task"],
        }[system]
        out: dict[str, int] = {}
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                for query in queries:
                    out.update({str(k): int(v) for k, v in conn.execute(query).fetchall()})
        except psycopg.Error as e:
            out[f"error: {str(e)[:80]}"] = -1
        return out


# -- one measurement -------------------------------------------------------------------------------


class Children:
    """The child processes of one measurement, their files in one folder."""

    def __init__(self, folder: Path, python: str) -> None:
        self.folder = folder
        self.python = python
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def path(self, name: str) -> str:
        return str(self.folder / name)

    def spawn(self, name: str, args: Result) -> subprocess.Popen[bytes]:
        args = {**args, "result": self.path(f"{name}.json")}
        with open(self.path(f"{name}.log"), "wb") as log:
            proc = subprocess.Popen(
                [self.python, str(DRIVERS), json.dumps(args)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.folder,
            )
        self.procs[name] = proc
        return proc

    def run(self, name: str, args: Result, timeout: float) -> Result:
        proc = self.spawn(name, args)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"{name} took over {timeout:.0f} s") from None
        if proc.returncode != 0:
            raise RuntimeError(f"{name} exited {proc.returncode}: {self.log(name)}")
        return self.result(name)

    def result(self, name: str) -> Result:
        try:
            with open(self.path(f"{name}.json")) as f:
                loaded: Result = json.load(f)
                return loaded
        except (OSError, ValueError):
            return {}

    def log(self, name: str, tail: int = 500) -> str:
        try:
            return Path(self.path(f"{name}.log")).read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def kill_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def read_records(paths: Iterable[str]) -> list[list[tuple[int, float]]]:
    """Each worker's (job id, handler start) records."""
    size = pg_drivers.RECORD
    out = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError:
            data = b""
        out.append(
            [
                (int(data[k : k + 10]), float(data[k + 11 : k + 31]))
                for k in range(0, len(data) - len(data) % size, size)
            ]
        )
    return out


def count_records(paths: Iterable[str]) -> int:
    return sum(os.stat(p).st_size // pg_drivers.RECORD for p in paths if os.path.exists(p))


def check_once(per_worker: list[list[tuple[int, float]]], expected: int) -> Result:
    """Duplicates, lost and unexpected ids: every id in range(expected) handled exactly once."""
    seen = Counter(i for records in per_worker for i, _ in records)
    return {
        "dups": sum(c - 1 for c in seen.values() if c > 1),
        "lost": sum(1 for i in range(expected) if i not in seen),
        "unexpected": sum(1 for i in seen if not 0 <= i < expected),
        "per_worker": [len(r) for r in per_worker],
    }


def stop_workers(procs: list[subprocess.Popen[bytes]], grace: float = 20.0) -> list[Result]:
    """SIGTERM each worker we started, wait for it; SIGKILL one that outlives the grace."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    out = []
    for proc in procs:
        start = time.monotonic()
        try:
            proc.wait(grace)
            out.append({"rc": proc.returncode, "stop_s": round(time.monotonic() - start, 2)})
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            out.append({"rc": proc.returncode, "stop_s": grace, "killed": True})
    return out


def measure(server: Server, system: str, op: Op, cfg: Config) -> Result:
    """One measurement in a fresh database and fresh processes."""
    name, dsn = server.fresh()
    folder = Path(tempfile.mkdtemp(prefix=f"{system}-{op.name}-", dir=cfg.tmp))
    children = Children(folder, cfg.pythons[system])
    base = {"system": system, "dsn": dsn, "durability": cfg.durability}
    res: Result = {"system": system, "op": op.name}
    try:
        _measure(server, children, base, system, op, cfg, res)
    except Exception as e:  # a failed measurement is reported, the run goes on
        res["error"] = str(e)[:600]
    finally:
        children.kill_all()
        server.drop(name)
        shutil.rmtree(folder, ignore_errors=True)
    return res


def sizes(op: Op, cfg: Config) -> tuple[int, int, bool]:
    """Jobs to time, finished rows beside them, and whether it is a drain of pre-filled jobs."""
    jobs = CLAIM_JOBS if op.finished else (cfg.lat_n if op.name == "latency" else cfg.n)
    finished = {"": 0, "small": 1000, "big": cfg.big}[op.finished]
    return jobs, finished, op.workers > 0 and op.name not in ("e2e", "latency")


def _measure(
    server: Server,
    children: Children,
    base: Result,
    system: str,
    op: Op,
    cfg: Config,
    res: Result,
) -> None:
    jobs, finished, drains = sizes(op, cfg)
    setup = {**base, "role": "setup", "prefill": jobs if drains else 0, "finished": finished}
    t = time.monotonic()
    children.run("setup", setup, 1800)
    res["setup_s"] = round(time.monotonic() - t, 1)
    if cfg.statements:
        server.reset_statements(base["dsn"])
    _timed(server, children, base, system, op, cfg, res)


def _read_statements(server: Server, base: Result, cfg: Config, res: Result) -> None:
    """The profile command: what the timed part ran, read before the harness's own queries."""
    if cfg.statements:
        res["statements"] = server.statements(base["dsn"])


def _timed(
    server: Server,
    children: Children,
    base: Result,
    system: str,
    op: Op,
    cfg: Config,
    res: Result,
) -> None:
    """The timed part of a measurement: producers and workers, then the checks."""
    jobs, _, drains = sizes(op, cfg)
    if not op.workers:
        out = children.run(op.name, {**base, "role": op.name, "n": jobs}, cfg.cap + 120)
        res["rate"] = jobs / (out["t1"] - out["t0"])
        _read_statements(server, base, cfg, res)
        res["state"] = server.rows_by_state(system, dsn=base["dsn"])
        return

    conc = CONC[system][1 if op.batch else 0]
    notify = system in FLOORS and op.name == "latency"
    go = children.path("go")
    recs = [children.path(f"rec{w}") for w in range(op.workers)]
    readies = [children.path(f"ready{w}") for w in range(op.workers)]
    workers = [
        children.spawn(
            f"worker{w}",
            {
                **base,
                "role": "worker",
                "conc": conc,
                "rec": recs[w],
                "notify": notify,
                "ready": readies[w],
                "go": go if drains else None,  # drains: released together
            },
        )
        for w in range(op.workers)
    ]
    res.update(conc=conc, workers=op.workers, jobs=jobs)
    producer = None
    if not drains:
        spacing = cfg.lat_spacing if op.name == "latency" else 0
        producer = children.spawn(
            "producer", {**base, "role": "producer", "n": jobs, "go": go, "notify": notify,
                         "spacing": spacing},
        )  # fmt: skip
    deadline = time.monotonic() + 120
    while not all(os.path.exists(r) for r in readies):
        if time.monotonic() > deadline or any(p.poll() is not None for p in workers):
            raise RuntimeError("workers never got ready: " + children.log("worker0"))
        time.sleep(0.01)
    time.sleep(0.2 if drains else 2.0)  # idle workers settle into their wait before a producer
    Path(go).touch()
    t_go = time.monotonic()
    done_at = None
    while True:
        now = time.monotonic()
        if done_at is None and count_records(recs) >= jobs:
            done_at = now
        if done_at is not None and now - done_at >= 0.5:  # late duplicates show up here
            break
        if now - t_go > cfg.cap:
            res["capped"] = True
            break
        if all(p.poll() is not None for p in workers):
            res["workers_exited"] = children.log("worker0")
            break
        time.sleep(0.01)
    if producer is not None:
        try:
            producer.wait(60)
        except subprocess.TimeoutExpired:
            producer.kill()
            producer.wait()
    res["stop"] = stop_workers(workers)
    per_worker = read_records(recs)
    res["once"] = check_once(per_worker, jobs)
    _read_statements(server, base, cfg, res)
    res["state"] = server.rows_by_state(system, dsn=base["dsn"])
    starts: dict[int, float] = {}
    for records in per_worker:
        for i, at in records:
            starts[i] = min(at, starts.get(i, at))
    if not starts:
        raise RuntimeError("no job was handled: " + children.log("worker0"))
    first, last = min(starts.values()), max(starts.values())
    if drains:  # first handler start -> last handler start: start-up excluded
        res["rate"] = len(starts) / max(last - first, 1e-9)
        return
    sent = children.result("producer")
    if "t0" not in sent:
        raise RuntimeError("producer failed: " + children.log("producer"))
    if op.name == "e2e":
        res["rate"] = len(starts) / (last - sent["t0"])
        res["producer_rate"] = jobs / (sent["t1"] - sent["t0"])
        return
    waits = sorted(
        (starts[int(i)] - at) * 1000 for i, at in sent["sent"].items() if int(i) in starts
    )
    res["p50_ms"] = round(waits[len(waits) // 2], 2)
    res["p99_ms"] = round(waits[min(len(waits) - 1, int(len(waits) * 0.99))], 2)
    res["max_ms"] = round(waits[-1], 2)


# -- the run ---------------------------------------------------------------------------------------


def run_rounds(
    server: Server, plan: list[tuple[str, Op]], rounds: int, cfg: Config
) -> list[Result]:
    results = []
    for round_no in range(1, rounds + 1):
        order = list(plan)
        random.Random(round_no).shuffle(order)
        for k, (system, op) in enumerate(order, 1):
            start = time.monotonic()
            res = measure(server, system, op, cfg)
            res["round"] = round_no
            results.append(res)
            brief = {
                key: res[key]
                for key in ("rate", "p50_ms", "p99_ms", "once", "error", "capped")
                if key in res
            }
            print(
                f"round {round_no}/{rounds} [{k}/{len(order)}] {system:13} {op.name:12} "
                f"{time.monotonic() - start:5.1f}s {json.dumps(brief)}",
                file=sys.stderr,
                flush=True,
            )
    return results


def versions(pythons: dict[str, str], folder: Path) -> dict[str, dict[str, str]]:
    out = {}
    for system, python in pythons.items():
        result = folder / f"versions-{system}.json"
        args = json.dumps({"role": "versions", "result": str(result)})
        subprocess.run([python, str(DRIVERS), args], check=True)
        out[system] = json.loads(result.read_text())
    return out


def start_server(durable: bool) -> str:
    script = ROOT / ".ci" / "postgres"
    cmd = ["bash", str(script), "start", "--owner", str(os.getpid())]
    out = subprocess.run([*cmd, *(["--durable"] if durable else [])], check=True,
                         capture_output=True, text=True)  # fmt: skip
    return out.stdout.strip()


def stop_server(url: str) -> None:
    subprocess.run(["bash", str(ROOT / ".ci" / "postgres"), "stop", url], check=False)


def selftest() -> None:
    """The checker must see a duplicate, a lost and an unexpected id from a broken consumer."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = [f"{tmp}/rec0", f"{tmp}/rec1"]
        first, second = pg_drivers.Recorder(paths[0]), pg_drivers.Recorder(paths[1])
        for i in range(100):
            if i != 7:
                first(i)
        for i in (3, 4, 500):
            second(i)
        got = check_once(read_records(paths), 100)
    ok = (got["dups"], got["lost"], got["unexpected"]) == (2, 1, 1)
    print(json.dumps(got), "OK" if ok else "FAILED")
    if not ok:
        raise SystemExit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "cmd",
        nargs="*",
        help="empty: the whole run; one SYSTEM OP; profile SYSTEM OP; report FILE; selftest",
    )
    ap.add_argument("--url", help="a PostgreSQL URL whose user may CREATE DATABASE")
    ap.add_argument("--start-pg", action="store_true", help="a throwaway server: .ci/postgres")
    ap.add_argument("--durable", action="store_true", help="with --start-pg: fsync on")
    ap.add_argument("--n", type=int, default=5000, help="jobs per measurement")
    ap.add_argument("--big", type=int, default=1_000_000, help="finished rows in claim_big")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--ops", default=",".join(op.name for op in OPS))
    ap.add_argument("--lat-n", type=int, default=200, help="latency samples")
    ap.add_argument("--lat-spacing", type=float, default=0.010, help="s between latency jobs")
    ap.add_argument("--cap", type=float, default=90.0, help="s per worker measurement at most")
    ap.add_argument("--durability", choices=["full", "normal"], default="full",
                    help="litequeue's Queue(durability=...)")  # fmt: skip
    ap.add_argument("--python312", help="interpreter for oban's venv (Python >= 3.12)")
    ap.add_argument("--out", default=str(HERE / "results"), help="folder for results-pg.*")
    a = ap.parse_args()
    if a.cmd == ["selftest"]:
        return selftest()
    if a.cmd[:1] == ["report"]:  # render a saved run again
        saved = json.loads(Path(a.cmd[1]).read_text())
        return print(report(saved["results"], saved["meta"]), end="")
    systems = a.systems.split(",")
    plan_ops = [OP_BY_NAME[name] for name in a.ops.split(",")]
    if a.cmd[:1] in (["one"], ["profile"]):
        systems, plan_ops = [a.cmd[1]], [OP_BY_NAME[a.cmd[2]]]
    python312 = find_python312(a.python312) if "oban" in systems else None
    pythons = {s: peer_python(s, python312) if s in PEERS else sys.executable for s in systems}
    url = start_server(a.durable) if a.start_pg else a.url
    if not url:
        raise SystemExit("give --url URL or --start-pg")
    tmp = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    try:
        server = Server(url)
        cfg = Config(url, a.n, a.big, a.lat_n, a.lat_spacing, a.cap, a.durability, tmp, pythons)
        plan = [(s, op) for op in plan_ops for s in systems if s in op.systems]
        if a.cmd[:1] == ["one"]:
            print(json.dumps(measure(server, *plan[0], cfg), indent=1))
            return
        if a.cmd[:1] == ["profile"]:
            cfg.statements = True
            print(statements_text(measure(server, *plan[0], cfg), sizes(plan[0][1], cfg)[0]))
            return
        t0 = time.monotonic()
        results = run_rounds(server, plan, a.rounds, cfg)
        meta = {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "wall_s": round(time.monotonic() - t0),
            "n": a.n,
            "big": a.big,
            "rounds": a.rounds,
            "lat_n": a.lat_n,
            "lat_spacing": a.lat_spacing,
            "durability": a.durability,
            "systems": systems,
            "conc": {s: CONC[s] for s in systems},
            "ops": [op.name for op in plan_ops],
            "server": server.settings(),
            "machine": f"{cpu_name()}, {os.cpu_count()} cores",
            "versions": versions(pythons, tmp),
        }
        text = report(results, meta)
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results-pg.json").write_text(json.dumps({"meta": meta, "results": results}))
        (out / "results-pg.md").write_text(text)
        print(text)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if a.start_pg:
            stop_server(url)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


if __name__ == "__main__":
    main()
