"""Child side of bench_pg.py: each system driven through its own public API, in a fresh process.

This module imports only the standard library at the top: it runs under the project's interpreter
(litequeue, raw psycopg) and under each peer's own benchmark venv (oban needs Python 3.12), so every
library is imported inside the driver that uses it. A child gets one JSON argument (``role`` and its
options) and writes one JSON result file; handlers append ``i`` and the handler start time
(CLOCK_MONOTONIC, shared by processes on one machine) to a per-process record file, which the
parent reads for rates, latencies and the exactly-once check.

Roles: ``setup`` (schema + untimed prefill), ``enqueue1`` / ``producer`` (one call per job),
``batch`` (1000 per call), ``worker`` (the library's own worker until SIGTERM).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Callable
from typing import Any

CHUNK = 1000  # jobs per bulk call
RECORD = 32  # bytes per handler record: b"%010d %020.6f\n"

Args = dict[str, Any]


class Recorder:
    """Appends one fixed-width record per handler start; O_APPEND keeps concurrent writes whole."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def __call__(self, i: int) -> None:
        os.write(self.fd, b"%010d %020.6f\n" % (i, time.monotonic()))


def _ready(args: Args) -> None:
    """Tell the parent this worker is loaded and connected, then wait for its go."""
    if args.get("ready"):
        with open(args["ready"], "w") as f:
            f.write(str(time.monotonic()))
    _wait_go(args)


def _wait_go(args: Args) -> None:
    """Producers and workers start their timed part when the parent says so."""
    go = args.get("go")
    while go and not os.path.exists(go):
        time.sleep(0.002)


def _chunks(n: int) -> list[range]:
    return [range(s, min(n, s + CHUNK)) for s in range(0, n, CHUNK)]


def _paced(args: Args) -> tuple[float, dict[int, float], Callable[[int], None]]:
    """The producer's clock: its start, the enqueue time per job, and a pacing sleep.

    With ``spacing`` (the latency op) job n is enqueued at start + n * spacing and its time is
    taken just before the enqueue call; without it, jobs go as fast as the library takes them.
    """
    start = time.monotonic()
    sent: dict[int, float] = {}
    spacing = float(args.get("spacing") or 0)

    def pace(n: int) -> None:
        if spacing:
            time.sleep(max(0.0, start + n * spacing - time.monotonic()))
            sent[n] = time.monotonic()

    return start, sent, pace


async def _apace(pace: Callable[[int], None], args: Args, start: float, n: int) -> None:
    """The async twin of ``pace``: never block an event loop that has work to do."""
    if args.get("spacing"):
        await asyncio.sleep(max(0.0, start + n * float(args["spacing"]) - time.monotonic()))
        pace(n)


def _produced(start: float, sent: dict[int, float]) -> Args:
    return {"t0": start, "t1": time.monotonic(), "sent": sent}


# -- raw psycopg: the floor ------------------------------------------------------------------------

RAW_SCHEMA = """
CREATE TABLE jobs (id bigserial PRIMARY KEY, status text NOT NULL DEFAULT 'available',
                   payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX jobs_available ON jobs (id) WHERE status = 'available';
CREATE TABLE events (seq bigserial PRIMARY KEY, job_id bigint NOT NULL, type text NOT NULL,
                     at timestamptz NOT NULL DEFAULT now());
CREATE INDEX events_job ON events (job_id);
"""
# One round trip per job: the row and its event in one autocommit statement.
RAW_ENQUEUE = (
    "WITH j AS (INSERT INTO jobs (payload) VALUES (%s) RETURNING id) "
    "INSERT INTO events (job_id, type) SELECT id, 'enqueued' FROM j"
)
RAW_ENQUEUE_MANY = (
    "WITH j AS (INSERT INTO jobs (payload) SELECT unnest(%s::jsonb[]) RETURNING id) "
    "INSERT INTO events (job_id, type) SELECT id, 'enqueued' FROM j"
)
RAW_CLAIM = (
    "WITH c AS (SELECT id FROM jobs WHERE status = 'available' ORDER BY id "
    "LIMIT %s FOR UPDATE SKIP LOCKED) "
    "UPDATE jobs j SET status = 'running' FROM c WHERE j.id = c.id RETURNING j.id, j.payload"
)
RAW_ACK_ONE = "UPDATE jobs SET status = 'done' WHERE id = %s AND status = 'running'"
RAW_ACK_MANY = "UPDATE jobs SET status = 'done' WHERE id = ANY(%s) AND status = 'running'"
# raw-events: the same statements, plus the event row DESIGN.md asks of every state change,
# written by the same statement (so in the same transaction) as the change.
RAW_EVENTS_CLAIM = (
    "WITH c AS (SELECT id FROM jobs WHERE status = 'available' ORDER BY id "
    "LIMIT %s FOR UPDATE SKIP LOCKED), "
    "u AS (UPDATE jobs j SET status = 'running' FROM c WHERE j.id = c.id "
    "RETURNING j.id, j.payload), "
    "e AS (INSERT INTO events (job_id, type) SELECT id, 'started' FROM u) "
    "SELECT id, payload FROM u"
)
RAW_EVENTS_ACK_ONE = (
    "WITH u AS (UPDATE jobs SET status = 'done' WHERE id = %s AND status = 'running' "
    "RETURNING id) INSERT INTO events (job_id, type) SELECT id, 'succeeded' FROM u"
)
RAW_EVENTS_ACK_MANY = (
    "WITH u AS (UPDATE jobs SET status = 'done' WHERE id = ANY(%s) AND status = 'running' "
    "RETURNING id) INSERT INTO events (job_id, type) SELECT id, 'succeeded' FROM u"
)
RAW_FINISHED = (
    "INSERT INTO jobs (status, payload, created_at) "
    "SELECT 'done', jsonb_build_object('i', -g), now() - interval '1 hour' "
    "FROM generate_series(1, %s) g"
)


def raw(args: Args) -> Args:
    """The floor: plain psycopg, autocommit; ``raw-events`` also writes the claim's and the
    ack's event rows (its enqueue, like raw's, already writes the ``enqueued`` one)."""
    import psycopg
    from psycopg.types.json import Jsonb

    conn = psycopg.connect(args["dsn"], autocommit=True)
    role = args["role"]
    events = args["system"] == "raw-events"
    claim_sql = RAW_EVENTS_CLAIM if events else RAW_CLAIM
    ack_one = RAW_EVENTS_ACK_ONE if events else RAW_ACK_ONE
    ack_many = RAW_EVENTS_ACK_MANY if events else RAW_ACK_MANY
    if role == "setup":
        conn.execute(RAW_SCHEMA)
        if args.get("finished"):
            conn.execute(RAW_FINISHED, (args["finished"],))
        for part in _chunks(args.get("prefill", 0)):
            conn.execute(RAW_ENQUEUE_MANY, ([Jsonb({"i": i}) for i in part],))
        conn.execute("VACUUM ANALYZE jobs")
        return {}
    if role in ("enqueue1", "producer"):
        _wait_go(args)
        start, sent, pace = _paced(args)
        for n in range(args["n"]):
            pace(n)
            if args.get("notify"):
                with conn.transaction():
                    conn.execute(RAW_ENQUEUE, (Jsonb({"i": n}),))
                    conn.execute("NOTIFY jobs_new")
            else:
                conn.execute(RAW_ENQUEUE, (Jsonb({"i": n}),))
        return _produced(start, sent)
    if role == "batch":
        _wait_go(args)
        start = time.monotonic()
        for part in _chunks(args["n"]):
            conn.execute(RAW_ENQUEUE_MANY, ([Jsonb({"i": i}) for i in part],))
        return _produced(start, {})
    if role == "worker":
        record = Recorder(args["rec"])
        per_claim = int(args["conc"])
        stop: list[int] = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        listen = None
        if args.get("notify"):
            listen = psycopg.connect(args["dsn"], autocommit=True)
            listen.execute("LISTEN jobs_new")
        _ready(args)
        while not stop:
            rows = conn.execute(claim_sql, (per_claim,)).fetchall()
            if not rows:
                if listen is not None:
                    for _ in listen.notifies(timeout=0.1, stop_after=1):
                        pass
                else:
                    time.sleep(0.001)
                continue
            for _id, payload in rows:
                record(payload["i"])
            if len(rows) == 1:
                conn.execute(ack_one, (rows[0][0],))
            else:
                conn.execute(ack_many, ([r[0] for r in rows],))
        return {}
    raise SystemExit(f"raw: unknown role {role!r}")


# -- litequeue -------------------------------------------------------------------------------------


def litequeue(args: Args) -> Args:
    import litequeue as lq

    queue = lq.Queue(args["dsn"], durability=args.get("durability", "full"), autoload_plugins=False)
    record = Recorder(args["rec"]) if args.get("rec") else None

    @queue.handler("noop")
    def noop(ctx: Any, payload: dict[str, int]) -> None:
        if record is not None:
            record(payload["i"])

    role = args["role"]
    try:
        if role == "setup":
            if args.get("finished"):
                _litequeue_finished(queue, lq, args["dsn"], int(args["finished"]))
            for part in _chunks(args.get("prefill", 0)):
                queue.enqueue_many([("noop", {"i": i}) for i in part])
            return {}
        if role in ("enqueue1", "producer"):
            _wait_go(args)
            start, sent, pace = _paced(args)
            for n in range(args["n"]):
                pace(n)
                queue.enqueue("noop", {"i": n})
            return _produced(start, sent)
        if role == "batch":
            _wait_go(args)
            start = time.monotonic()
            for part in _chunks(args["n"]):
                queue.enqueue_many([("noop", {"i": i}) for i in part])
            return _produced(start, {})
        if role == "worker":
            worker = lq.Worker(queue, concurrency=int(args["conc"]))
            _ready(args)
            worker.run()  # its own SIGTERM handler stops it gracefully
            return {}
    finally:
        queue.close()
    raise SystemExit(f"litequeue: unknown role {role!r}")


REAL_FINISHED = 1000  # finished rows made through the API; more are copies of these


def _litequeue_finished(queue: Any, lq: Any, dsn: str, count: int) -> None:
    """``count`` finished no-op jobs beside the ones to claim, for the claim-cost op.

    Up to 1,000 are real (``enqueue_many`` + a worker drain); beyond that the finished jobs and
    their events are copied server-side, column for column, from those real ones, each copy with
    job ids of its own: enqueuing and draining a million jobs per measurement would take minutes.
    Then VACUUM ANALYZE, as autovacuum would do to a table that size.
    """
    for part in _chunks(min(count, REAL_FINISHED)):
        queue.enqueue_many([("noop", {"i": -1 - i}) for i in part])
    lq.Worker(queue, concurrency=100).run(until_empty=True)
    if count <= REAL_FINISHED:
        return
    import psycopg

    copies = -(-count // REAL_FINISHED) - 1
    with psycopg.connect(dsn, autocommit=True) as conn:
        stride = conn.execute("SELECT max(id) FROM litequeue_jobs").fetchone()[0]
        jobs = ", ".join(c for c in _columns(conn, "litequeue_jobs") if c != "id")
        conn.execute(
            f"INSERT INTO litequeue_jobs (id, {jobs}) SELECT id + g * {stride}, {jobs} "
            f"FROM litequeue_jobs CROSS JOIN generate_series(1, {copies}) g"
        )
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('litequeue_jobs', 'id'), "
            "(SELECT max(id) FROM litequeue_jobs))"
        )
        events = ", ".join(c for c in _columns(conn, "litequeue_events") if c != "job_id")
        conn.execute(
            f"INSERT INTO litequeue_events (job_id, {events}) "
            f"SELECT job_id + g * {stride}, {events} "
            f"FROM litequeue_events CROSS JOIN generate_series(1, {copies}) g"
        )
        conn.execute("VACUUM ANALYZE litequeue_jobs")
        conn.execute("VACUUM ANALYZE litequeue_events")


def _columns(conn: Any, table: str) -> list[str]:
    """The table's columns but its generated key, which a copy lets take new values."""
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND table_schema = current_schema() "
        "AND is_identity = 'NO' AND coalesce(column_default, '') NOT LIKE 'nextval(%%' "
        "ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [r[0] for r in rows]


# -- Oban for Python (asyncio, psycopg pool) -------------------------------------------------------


def oban(args: Args) -> Args:
    from oban import Oban, worker

    record = Recorder(args["rec"]) if args.get("rec") else None

    @worker(queue="default")
    class NoopWorker:
        async def process(self, job: Any) -> None:
            if record is not None:
                record(job.args["i"])

    async def main() -> Args:
        pool = await Oban.create_pool(args["dsn"])
        role = args["role"]
        try:
            if role == "setup":
                from oban.schema import install_sql

                async with pool.connection() as conn:
                    await conn.execute(install_sql())
                async with Oban(pool=pool) as o:
                    for part in _chunks(args.get("prefill", 0)):
                        await o.enqueue_many([NoopWorker.new({"i": i}) for i in part])
                return {}
            if role in ("enqueue1", "producer"):
                async with Oban(pool=pool):
                    _wait_go(args)
                    start, sent, pace = _paced(args)
                    for n in range(args["n"]):
                        await _apace(pace, args, start, n)
                        await NoopWorker.enqueue({"i": n})
                    return _produced(start, sent)
            if role == "batch":
                async with Oban(pool=pool) as o:
                    _wait_go(args)
                    start = time.monotonic()
                    for part in _chunks(args["n"]):
                        await o.enqueue_many([NoopWorker.new({"i": i}) for i in part])
                    return _produced(start, {})
            if role == "worker":
                stop = asyncio.Event()
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
                _ready(args)
                # the graceful stop its CLI does: leave the ``async with``
                async with Oban(pool=pool, queues={"default": int(args["conc"])}):
                    await stop.wait()
                return {}
        finally:
            await pool.close()
        raise SystemExit(f"oban: unknown role {role!r}")

    return asyncio.run(main())


# -- procrastinate (asyncio, psycopg pool) ---------------------------------------------------------


def procrastinate(args: Args) -> Args:
    from procrastinate import App, PsycopgConnector

    role = args["role"]
    pool: dict[str, int] = {}
    if role == "worker" and int(args["conc"]) > 1:
        pool = {"min_size": 2, "max_size": int(args["conc"]) + 2}
    app = App(connector=PsycopgConnector(conninfo=args["dsn"], **pool))
    record = Recorder(args["rec"]) if args.get("rec") else None

    @app.task(name="noop", queue="default")
    async def noop(i: int) -> None:
        if record is not None:
            record(i)

    async def main() -> Args:
        async with app.open_async():
            if role == "setup":
                await app.schema_manager.apply_schema_async()
                for part in _chunks(args.get("prefill", 0)):
                    await noop.batch_defer_async(*[{"i": i} for i in part])
                return {}
            if role in ("enqueue1", "producer"):
                _wait_go(args)
                start, sent, pace = _paced(args)
                for n in range(args["n"]):
                    await _apace(pace, args, start, n)
                    await noop.defer_async(i=n)
                return _produced(start, sent)
            if role == "batch":
                _wait_go(args)
                start = time.monotonic()
                for part in _chunks(args["n"]):
                    await noop.batch_defer_async(*[{"i": i} for i in part])
                return _produced(start, {})
            if role == "worker":
                _ready(args)
                # installs its own SIGINT/SIGTERM handlers (graceful stop)
                await app.run_worker_async(queues=["default"], concurrency=int(args["conc"]))
                return {}
        raise SystemExit(f"procrastinate: unknown role {role!r}")

    return asyncio.run(main())


# -- PgQueuer (asyncio, asyncpg as in its Quick Start) ---------------------------------------------


def pgqueuer(args: Args) -> Args:
    import asyncpg
    from pgqueuer import PgQueuer
    from pgqueuer.db import AsyncpgDriver
    from pgqueuer.queries import Queries

    role = args["role"]

    def payloads(part: range) -> list[bytes | None]:
        return [json.dumps({"i": i}).encode() for i in part]

    async def main() -> Args:
        conn = await asyncpg.connect(args["dsn"])
        try:
            queries = Queries(AsyncpgDriver(conn))
            if role == "setup":
                await queries.install()
                for part in _chunks(args.get("prefill", 0)):
                    await queries.enqueue(["noop"] * len(part), payloads(part), [0] * len(part))
                return {}
            if role in ("enqueue1", "producer"):
                _wait_go(args)
                start, sent, pace = _paced(args)
                for n in range(args["n"]):
                    await _apace(pace, args, start, n)
                    await queries.enqueue("noop", json.dumps({"i": n}).encode())
                return _produced(start, sent)
            if role == "batch":
                _wait_go(args)
                start = time.monotonic()
                for part in _chunks(args["n"]):
                    await queries.enqueue(["noop"] * len(part), payloads(part), [0] * len(part))
                return _produced(start, {})
            if role == "worker":
                pgq = PgQueuer(AsyncpgDriver(conn))
                record = Recorder(args["rec"])

                @pgq.entrypoint("noop")
                async def noop(job: Any) -> None:
                    record(json.loads(job.payload)["i"])

                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, pgq.shutdown.set)
                _ready(args)
                await pgq.run(batch_size=int(args["conc"]))
                return {}
        finally:
            await conn.close()
        raise SystemExit(f"pgqueuer: unknown role {role!r}")

    return asyncio.run(main())


# -- huey 3 PostgresHuey (sync, psycopg 3, LISTEN/NOTIFY) ------------------------------------------


def huey(args: Args) -> Args:
    from huey import PostgresHuey

    app = PostgresHuey("bench", dsn=args["dsn"])
    record = Recorder(args["rec"]) if args.get("rec") else None

    @app.task(name="noop")
    def noop(i: int) -> None:
        if record is not None:
            record(i)

    role = args["role"]
    if role == "setup":
        for i in range(args.get("prefill", 0)):
            noop(i)  # no bulk API: one INSERT + pg_notify per job (untimed)
        return {}
    if role in ("enqueue1", "producer"):
        _wait_go(args)
        start, sent, pace = _paced(args)
        for n in range(args["n"]):
            pace(n)
            noop(n)
        return _produced(start, sent)
    if role == "worker":
        consumer = app.create_consumer(workers=int(args["conc"]), worker_type="thread")
        _ready(args)
        consumer.run()  # its own handlers: SIGTERM stops at once, SIGINT gracefully
        return {}
    raise SystemExit(f"huey: unknown role {role!r}")


DRIVERS: dict[str, Callable[[Args], Args]] = {
    "raw": raw,
    "raw-events": raw,
    "litequeue": litequeue,
    "oban": oban,
    "procrastinate": procrastinate,
    "pgqueuer": pgqueuer,
    "huey": huey,
}


def versions() -> dict[str, str]:
    """The versions this interpreter runs, for the report."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("psycopg", "litequeue-jobs", "oban", "procrastinate", "pgqueuer", "huey"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def main(argjson: str) -> None:
    args: Args = json.loads(argjson)
    result = versions() if args["role"] == "versions" else DRIVERS[args["system"]](args)
    with open(args["result"], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    import sys

    main(sys.argv[1])
