"""The file itself: migrations, and every way it can be bad, full or read-only."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import litequeue
from litequeue import JobStatus
from litequeue._records import Claim, JobFilter
from litequeue.engines.listing import Order
from litequeue.engines.sqlite import _schema


def schema_of(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    return [*rows, ("version", str(version), "")]


def test_each_older_version_migrated_stepwise_equals_a_fresh_database(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    litequeue.Queue(fresh).close()
    newest = len(_schema.load_migrations())
    assert newest >= 1
    for start in range(newest + 1):
        path = tmp_path / f"from-{start}.db"
        conn = _schema.connect(path, durability="full", busy_timeout=5)
        assert _schema.migrate(conn, path, target=start) == start
        conn.close()
        with litequeue.Queue(path) as q:  # upgraded on open
            assert q.schema_version() == newest
        assert schema_of(path) == schema_of(fresh), f"migrating from version {start} differs"


def test_migrations_are_numbered_and_split_into_statements() -> None:
    migrations = _schema.load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    for migration in migrations:
        statements = migration.statements()
        assert statements
        assert all(sqlite3.complete_statement(s) for s in statements)


def test_a_failing_migration_leaves_the_file_at_the_previous_version(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    litequeue.Queue(db_path).close()
    good = _schema.load_migrations()
    broken = _schema.Migration(
        len(good) + 1,
        "broken",
        "CREATE TABLE half_done (a);\nINSERT INTO no_such_table VALUES (1);\n",
    )
    monkeypatch.setattr(_schema, "load_migrations", lambda: [*good, broken])
    with pytest.raises(litequeue.StoreError, match="no_such_table"):
        litequeue.Queue(db_path)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(good)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables


def test_a_database_from_a_newer_litequeue_is_refused_untouched(db_path: Path) -> None:
    with litequeue.Queue(db_path) as q:
        q.enqueue("k", 1)
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 999")
    before = schema_of(db_path)
    with pytest.raises(litequeue.SchemaTooNew, match="version 999 was written by a newer"):
        litequeue.Queue(db_path)
    assert schema_of(db_path) == before


def test_an_outdated_file_opened_without_migrate_says_what_to_do(db_path: Path) -> None:
    conn = _schema.connect(db_path, durability="full", busy_timeout=5)
    conn.close()
    with pytest.raises(litequeue.StoreError, match="litequeue migrate"):
        litequeue.Queue(db_path, migrate=False)


def test_an_sqlite_older_than_3_35_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # What a Python linked against an old system SQLite would report.
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(litequeue.SQLiteTooOld, match=r"SQLite 3\.35\.0 or newer.* uses 3\.31\.1"):
        litequeue.Queue(tmp_path / "q.db")
    assert not (tmp_path / "q.db").exists()  # refused before anything was created


def test_an_sqlite_without_json_functions_is_refused_by_name() -> None:
    class WithoutJson:
        """Answers like a connection to an SQLite built without its JSON functions."""

        def execute(self, sql: str) -> None:
            raise sqlite3.OperationalError("no such function: json_array")

    with pytest.raises(litequeue.SQLiteTooOld, match=r"JSON functions.*json_array"):
        _schema.require_json_functions(WithoutJson())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "content",
    [
        os.urandom(8192),
        b"name,email\nJane,jane@example.com\n" * 200,
        b"SQLite format 3\x00" + b"\xff" * 4000,
    ],
    ids=["random-bytes", "csv-text", "corrupt-header"],
)
def test_a_file_that_is_not_a_sqlite_database_is_a_typed_error(
    db_path: Path, content: bytes
) -> None:
    db_path.write_bytes(content)
    with pytest.raises(litequeue.NotADatabase, match=str(db_path)):
        litequeue.Queue(db_path)
    assert db_path.read_bytes() == content  # nothing was written into it


def test_a_missing_folder_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(litequeue.StoreError, match="cannot open"):
        litequeue.Queue(tmp_path / "no" / "such" / "folder" / "q.db")


def _make_read_only(path: Path) -> bool:
    """Make ``path`` unwritable even for root (immutable flag) where possible."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        return True
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    return subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode == 0


def _undo_read_only(path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(0o644)


def test_a_read_only_file_can_be_read_and_refuses_writes_with_a_typed_error(
    db_path: Path,
) -> None:
    with litequeue.Queue(db_path) as q:
        job = q.enqueue("k", {"keep": True})
    if not _make_read_only(db_path):
        pytest.skip("cannot make a file read-only here")
    try:
        with litequeue.Queue(db_path) as q:
            assert q.get(job.id).payload == {"keep": True}
            with pytest.raises(litequeue.DatabaseReadOnly, match=str(db_path)):
                q.enqueue("k", {"new": True})
            with pytest.raises(litequeue.DatabaseReadOnly):
                q.cancel(job.id)
            assert q.get(job.id).status is litequeue.JobStatus.QUEUED
    finally:
        _undo_read_only(db_path)
    with litequeue.Queue(db_path) as q:
        assert [j.payload for j in q.jobs()] == [{"keep": True}]


def run_script(script: str, db_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` on the queue file in a fresh interpreter (file size limits apply to
    a whole process); it must exit cleanly."""
    result = subprocess.run(
        [sys.executable, "-c", script, str(db_path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


DISK_FULL_SCRIPT = textwrap.dedent(
    """
    import resource, signal, sys, litequeue
    path = sys.argv[1]
    queue = litequeue.Queue(path)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # get EFBIG instead of being killed
    limit = 1_000_000  # room for a hundred jobs or so beside the schema and the log
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    acknowledged = []
    try:
        for i in range(100_000):
            acknowledged.append(queue.enqueue("k", {"i": i, "pad": "x" * 2000}).id)
    except litequeue.DiskFull as exc:
        print("DiskFull", len(acknowledged), str(exc).replace(chr(10), " "))
    except litequeue.LitequeueError as exc:
        print("other", type(exc).__name__, exc)
    # The queue still reads after the failed write.
    print("last", queue.get(acknowledged[-1]).payload["i"])
    print("ids", *acknowledged)
    """
)


def test_a_full_disk_is_a_typed_error_and_loses_no_acknowledged_job(db_path: Path) -> None:
    result = run_script(DISK_FULL_SCRIPT, db_path)
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert "DiskFull" in lines, result.stdout
    count = int(lines["DiskFull"].split()[0])
    assert count > 10
    assert str(db_path) in lines["DiskFull"]
    acknowledged = [int(i) for i in lines["ids"].split()]
    with litequeue.Queue(db_path) as q:
        assert q.store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = [j.id for j in q.jobs(limit=100_000)]
    assert sorted(stored) == acknowledged  # all acknowledged, nothing half-written


BIG_WRITE_SCRIPT = textwrap.dedent(
    """
    import os, resource, signal, sys, litequeue
    path = sys.argv[1]
    queue = litequeue.Queue(path)
    queue.enqueue("k", 1)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = os.path.getsize(path) + os.path.getsize(path + "-wal") + 200_000
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    writes = {
        "one": lambda: queue.enqueue("k", "x" * 3_000_000),
        "many": lambda: queue.enqueue_many([("k", "y" * 1000)] * 3000),
    }
    for name, write in writes.items():
        try:
            write()
            print(name, "written")
        except litequeue.LitequeueError as exc:
            print(name, type(exc).__name__)
    print("count", len(queue.jobs(limit=10_000)))
    """
)


def test_a_write_too_big_for_the_disk_is_disk_full_and_keeps_nothing(db_path: Path) -> None:
    # SQLite spills such a write to the file mid-statement, fails there and rolls
    # the transaction back itself: the error must still say DiskFull.
    result = run_script(BIG_WRITE_SCRIPT, db_path)
    assert result.stdout.split("\n")[:3] == ["one DiskFull", "many DiskFull", "count 1"]


WORKER_DISK_FULL_SCRIPT = textwrap.dedent(
    """
    import logging, resource, signal, sys, threading, litequeue
    logging.basicConfig()  # the application decides where litequeue's log goes
    path = sys.argv[1]
    queue = litequeue.Queue(path)
    queue.handler("big")(lambda ctx, p: "y" * 400_000)  # more than the log file may grow by
    queue.handler("small")(lambda ctx, p: "ok")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    import os
    size = os.path.getsize(path) + os.path.getsize(path + "-wal")
    limit = size + 150_000
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    worker = litequeue.Worker(queue, lease=60)
    threading.Timer(1.5, worker.stop, kwargs={"grace": 0}).start()
    worker.run()
    print("worker returned")
    """
)


def test_a_worker_that_cannot_write_keeps_running_and_loses_nothing(db_path: Path) -> None:
    with litequeue.Queue(db_path) as q:
        big = q.enqueue("big", None)
    result = run_script(WORKER_DISK_FULL_SCRIPT, db_path)
    assert "worker returned" in result.stdout
    assert "cannot write to the queue" in result.stderr
    with litequeue.Queue(db_path) as q:
        job = q.get(big.id)
        # The result could not be stored, so the job is not marked done; its lease
        # (or the next worker) brings it back. Nothing claims it succeeded.
        assert job.status in (litequeue.JobStatus.RUNNING, litequeue.JobStatus.QUEUED)
        assert job.result is None


def test_batch_parents_written_by_older_code_are_still_batches(tmp_path: Path) -> None:
    # Rows as version 1 of the schema holds them: a failed batch parent (started by
    # the batch, never claimed), a job that failed in its handler after taking a
    # child, and a job cancelled before it ran with a child given to it.
    path = tmp_path / "v1.db"
    litequeue.Queue(path).close()
    now = time.time()
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO jobs (id, kind, queue, status, payload, max_attempts, run_at,"
            " created_at, updated_at, started_at, run_id, children, children_finished,"
            " parent_id) VALUES (?, ?, 'default', ?, 'null', 1, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (1, "litequeue.batch", "failed", now, now, now, now, None, 1, 1, None),
                (2, "k", "failed", now, now, now, now, 77, 1, 1, None),
                (3, "k", "cancelled", now, now, now, None, None, 1, 1, None),
                (4, "k", "failed", now, now, now, now, 78, 0, 0, 1),
                (5, "k", "succeeded", now, now, now, now, 79, 0, 0, 2),
                (6, "k", "succeeded", now, now, now, now, 80, 0, 0, 3),
            ],
        )
    conn.close()
    with litequeue.Queue(path) as q:
        assert q.retry(1).status is JobStatus.RUNNING  # waits for its child again
        assert q.get(4).status is JobStatus.QUEUED
        assert q.retry(2).status is JobStatus.QUEUED  # runs its handler again
        assert q.retry(3).status is JobStatus.QUEUED


def test_a_file_from_a_newer_litequeue_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY)")
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(litequeue.SchemaTooNew):
        litequeue.Queue(path)  # migrate=True, as an application opens it
    assert path.read_bytes() == before  # still in rollback mode: no WAL switch
    assert not Path(f"{path}-wal").exists()


def test_migrate_false_does_not_create_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(litequeue.StoreError, match="no such queue file"):
        litequeue.Queue(tmp_path / "missing.db", migrate=False)
    assert not (tmp_path / "missing.db").exists()


def test_an_upgrade_waits_no_longer_than_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = _schema.connect(path, durability="full", busy_timeout=5)  # version 0, WAL
    conn.execute("BEGIN IMMEDIATE")  # another process's long write
    started = time.monotonic()
    with pytest.raises(litequeue.DatabaseBusy):
        litequeue.Queue(path, busy_timeout=0.5)
    assert time.monotonic() - started < 5
    conn.execute("ROLLBACK")
    conn.close()


def _read_without_a_break(path: Path, stop: threading.Event) -> None:
    """Two readers taking turns, the next one in before the last one leaves: at every
    moment some reader has a snapshot open in the write-ahead log."""
    readers = [sqlite3.connect(path, isolation_level=None) for _ in range(2)]
    try:
        readers[0].execute("BEGIN")
        readers[0].execute("SELECT count(*) FROM jobs").fetchone()
        while not stop.is_set():
            readers[1].execute("BEGIN")
            readers[1].execute("SELECT count(*) FROM jobs").fetchone()
            readers[0].execute("COMMIT")
            readers.reverse()
        readers[0].execute("COMMIT")
    finally:
        for reader in readers:
            reader.close()


def test_the_write_ahead_log_stays_bounded_while_readers_never_pause(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # However slow the machine, the writer waits for the readers to move on.
    monkeypatch.setattr(_schema, "WAL_WAIT", 30.0)
    wal = Path(f"{db_path}-wal")
    queue = litequeue.Queue(db_path, durability="normal")
    queue.enqueue("k")
    stop = threading.Event()
    reading = threading.Thread(target=_read_without_a_break, args=(db_path, stop))
    reading.start()
    try:
        largest = 0
        for i in range(1500):
            queue.enqueue("k", {"i": i, "pad": "x" * 500})
            largest = max(largest, wal.stat().st_size)
    finally:
        stop.set()
        reading.join()
    assert largest <= _schema.WAL_BOUND + 2**20, f"the log grew to {largest / 2**20:.1f} MiB"
    assert len(queue.jobs(limit=10_000)) == 1501
    queue.close()


def damage_index(path: Path) -> None:
    """Overwrite the first page of the index that claims read, the rest of the file
    intact (a torn write, a bad sector): the header opens and counts still read."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'jobs_claimable'"
    ).fetchone()
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xff" * page_size)


def queue_with_a_damaged_index(db_path: Path) -> None:
    with litequeue.Queue(db_path) as q:
        q.enqueue_many([("k", {"i": i, "pad": "x" * 200}) for i in range(500)])
    damage_index(db_path)


def test_a_worker_on_a_damaged_file_stops_with_not_a_database(db_path: Path) -> None:
    queue_with_a_damaged_index(db_path)
    raised: list[BaseException] = []

    def run() -> None:
        with litequeue.Queue(db_path) as q:
            q.handler("k")(lambda ctx, p: None)
            try:
                litequeue.Worker(q).run(until_empty=True)
            except BaseException as exc:
                raised.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(20)
    assert not runner.is_alive(), "the worker kept retrying a damaged file"
    assert [type(exc) for exc in raised] == [litequeue.NotADatabase]
    assert str(db_path) in str(raised[0])


def test_check_integrity_finds_a_damaged_index_that_counts_do_not(db_path: Path) -> None:
    queue_with_a_damaged_index(db_path)
    with litequeue.Queue(db_path) as q:
        assert q.stats()["default"]["queued"] == 500  # looks healthy
        with pytest.raises(litequeue.NotADatabase, match="corrupt"):
            q.check_integrity()
    with litequeue.Queue(db_path.with_name("fine.db")) as q:
        q.enqueue("k")
        q.check_integrity()  # a sound file passes


def test_a_schema_upgraded_by_another_process_stops_this_ones_writes(db_path: Path) -> None:
    with litequeue.Queue(db_path) as q:
        job = q.enqueue("k")
        newer = sqlite3.connect(db_path)
        newer.execute(f"PRAGMA user_version = {q.store.version + 1:d}")
        newer.close()
        with pytest.raises(litequeue.SchemaTooNew, match="upgraded the database"):
            q.enqueue("k")
        with pytest.raises(litequeue.SchemaTooNew):
            q.cancel(job.id)
        q.handler("k")(lambda ctx, p: None)
        with pytest.raises(litequeue.SchemaTooNew):
            litequeue.Worker(q).run(until_empty=True)
        assert q.get(job.id).status is JobStatus.QUEUED  # reads still work


def test_writers_wait_for_their_turn_on_the_lock_file_beside_the_queue(db_path: Path) -> None:
    """litequeue's writers take turns on ``<file>-lock``, where the kernel wakes the
    next one as soon as the last is done: one holding it keeps the others waiting."""
    import fcntl

    queue = litequeue.Queue(db_path)
    queue.enqueue("k")
    holder = os.open(f"{db_path}-lock", os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another writer's turn
    done = threading.Event()
    writer = threading.Thread(target=lambda: (queue.enqueue("k"), done.set()))
    try:
        writer.start()
        assert not done.wait(0.3)  # never, while the turn is held
        assert queue.stats()["default"]["queued"] == 1  # readers do not wait
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
    assert done.wait(10)
    writer.join()
    assert queue.stats()["default"]["queued"] == 2
    queue.close()


def test_a_lock_file_that_cannot_be_opened_leaves_writers_to_sqlites_wait(
    db_path: Path,
) -> None:
    Path(f"{db_path}-lock").mkdir()  # not a file: it cannot be opened to lock
    with litequeue.Queue(db_path) as queue:
        queue.enqueue("k")
        queue.handler("k")(lambda ctx, p: "done")
        assert litequeue.Worker(queue).run(until_empty=True) == 1
        assert queue.stats()["default"]["succeeded"] == 1


def test_writers_of_many_connections_taking_turns_all_get_theirs(db_path: Path) -> None:
    """Writers that keep contending for the turn each get it as soon as it is free:
    none waits out its busy timeout. Threads of one process, each with its own
    queue, contend hardest: the interpreter lock delays the waiting."""
    litequeue.Queue(db_path).close()
    errors: list[Exception] = []

    def enqueue() -> None:
        with litequeue.Queue(db_path, durability="normal", busy_timeout=5) as queue:
            try:
                for i in range(300):
                    queue.enqueue("k", {"i": i})
            except Exception as exc:
                errors.append(exc)

    writers = [threading.Thread(target=enqueue) for _ in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert errors == []
    with litequeue.Queue(db_path) as queue:
        assert queue.stats()["default"]["queued"] == 1200


def test_a_worker_with_nothing_to_claim_does_not_wait_for_the_writers_turn(
    db_path: Path,
) -> None:
    """An idle worker looks for work by reading: it does not queue behind writers
    (nor make them queue behind it) while nothing is there for it."""
    import fcntl

    queue = litequeue.Queue(db_path)
    queue.handler("k")(lambda ctx, p: None)
    queue.enqueue("other")  # a kind this worker does not take
    holder = os.open(f"{db_path}-lock", os.O_RDONLY | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another writer's turn
    claimed: list[int] = []
    looker = threading.Thread(
        target=lambda: claimed.append(litequeue.Worker(queue).run_once()), daemon=True
    )
    try:
        looker.start()
        looker.join(5)
        assert claimed == [0]
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
    looker.join(10)
    queue.close()


#: Columns a claim or a finish changes.
_MOVING = {"status", "attempt", "run_id", "lease_until", "worker", "started_at"}
_MOVING |= {"finished_at", "updated_at", "result", "error", "progress", "progress_message"}


def test_no_index_over_every_job_takes_an_entry_at_a_claim_or_a_finish(db_path: Path) -> None:
    """An index without a predicate over a column a claim or a finish changes would
    be written at each: the dashboard's listing reads statuses through partial ones."""
    litequeue.Queue(db_path).close()
    with sqlite3.connect(db_path) as conn:
        for _, name, _, _, partial in conn.execute("PRAGMA index_list(jobs)").fetchall():
            columns = {row[2] for row in conn.execute(f"PRAGMA index_info({name})")}
            assert partial or not columns & _MOVING, f"{name} holds every job: {columns}"


def test_a_file_of_the_previous_version_upgrades_and_lists_each_status(db_path: Path) -> None:
    with litequeue.Queue(db_path) as queue:
        queue.handler("ok")(lambda ctx, p: None)
        queue.handler("bad", max_attempts=1)(lambda ctx, p: 1 / 0)
        queue.enqueue_many([(kind, {"n": n}) for n in range(4) for kind in ("ok", "bad")])
        queue.cancel(queue.enqueue("gone", {}).id)
        litequeue.Worker(queue, queues=["default"]).run(until_empty=True)
        queue.enqueue("waits", {}, queue="later")
        queue.enqueue("held", {}, queue="hold")
        queue.store.claim(Claim(worker="w", queues=("hold",), limit=1, lease=600))
        expected = {s: [j.id for j in queue.jobs(status=[s])] for s in JobStatus}
    assert all(expected.values())
    with sqlite3.connect(db_path) as conn:  # the indexes of version 8
        conn.executescript(
            "DROP INDEX jobs_keyed_claimable; DROP INDEX jobs_claimable;"
            " CREATE INDEX jobs_claimable ON jobs (queue, priority DESC, run_at, id)"
            " WHERE status = 'queued';"
            " DROP INDEX jobs_queued; DROP INDEX jobs_failed_or_cancelled;"
            " CREATE INDEX jobs_status ON jobs (status, id); PRAGMA user_version = 8;"
        )
    with litequeue.Queue(db_path) as queue:
        assert queue.schema_version() == len(_schema.load_migrations())
        for status, ids in expected.items():
            where = JobFilter(statuses=(status.value,))
            assert [j.id for j in queue.store.list_jobs(where)[0]] == ids, status
            assert queue.store.count_jobs(where) == len(ids)


def test_a_file_of_version_9_upgrades_to_a_priority_index_without_priority_0(
    db_path: Path,
) -> None:
    """Migration 10 rebuilds the priority index over the jobs of other priorities than
    0 only; pages sorted by priority still hold every job, in order."""
    with litequeue.Queue(db_path) as queue:
        jobs = queue.enqueue_many(
            {"kind": "k", "payload": n, "priority": (n % 4) - 1} for n in range(13)
        )
    with sqlite3.connect(db_path) as conn:  # the priority index of version 9
        conn.executescript(
            "DROP INDEX jobs_keyed_claimable; DROP INDEX jobs_claimable;"
            " CREATE INDEX jobs_claimable ON jobs (queue, priority DESC, run_at, id)"
            " WHERE status = 'queued';"
            " DROP INDEX jobs_by_priority; CREATE INDEX jobs_by_priority ON jobs (priority, id);"
            " PRAGMA user_version = 9;"
        )
    with litequeue.Queue(db_path) as queue:
        assert queue.schema_version() == len(_schema.load_migrations())
        conn = queue.store._conn
        (index,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'jobs_by_priority'")
        assert index[0].endswith("WHERE priority <> 0")
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for descending in (True, False):
            order = Order("priority", descending=descending)
            got, after = queue.store.list_jobs(JobFilter(), order=order, limit=5)
            while after is not None:
                more, after = queue.store.list_jobs(JobFilter(), order=order, after=after, limit=5)
                got += more
            expected = sorted(jobs, key=lambda j: (j.priority, j.id), reverse=descending)
            assert [j.id for j in got] == [j.id for j in expected]
