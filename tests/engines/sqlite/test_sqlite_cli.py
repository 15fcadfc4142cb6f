"""The litequeue command on what only a SQLite file has: a file another application
made (``--adopt``), a file a newer litequeue numbered, a damaged file."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import litequeue
from contract.test_cli import Capsys, assert_error, cli_env, litequeue_command, run, run_json
from litequeue.engines.sqlite import _schema


def test_migrate_adopts_another_applications_file_from_version_0(
    capsys: Capsys, tmp_path: Path
) -> None:
    newest = len(_schema.load_migrations())
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:  # a SQLite file no litequeue has touched: version 0
        conn.execute("CREATE TABLE notes (text TEXT)")
    conn.close()
    assert run_json(capsys, old, "migrate", "--adopt") == {"from": 0, "to": newest}
    assert run_json(capsys, old, "jobs") == []


def test_migrate_refuses_a_newer_file(capsys: Capsys, db_path: Path) -> None:
    litequeue.Queue(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    code, out, err = run(capsys, "--db", str(db_path), "migrate")
    assert_error(code, out, err, 1, "newer litequeue")


def test_stats_and_a_worker_on_a_damaged_file_exit_1(
    capsys: Capsys, db_path: Path, tmp_path: Path
) -> None:
    from engines.sqlite.test_storage import queue_with_a_damaged_index

    queue_with_a_damaged_index(db_path)
    assert_error(*run(capsys, "--db", str(db_path), "stats"), 1, "corrupt")
    worker = subprocess.run(
        litequeue_command("--db", str(db_path), "worker", "--until-empty"),
        env=cli_env(tmp_path / "unused.db"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert worker.returncode == 1
    assert "litequeue: error: " in worker.stderr
    assert "corrupt" in worker.stderr
