"""The litequeue command: exit codes, JSON output, errors a user meets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import litequeue
from litequeue.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_enqueue_then_jobs_shows_the_job(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    db = str(db_path)
    code, out, _ = run(
        capsys, "--db", db, "--json", "enqueue", "mail.send", '{"to": "a@example.com"}',
        "--queue", "mail", "--priority", "3", "--tag", "project:1", "--max-attempts", "5",
    )  # fmt: skip
    assert code == 0
    job = json.loads(out)
    assert (job["kind"], job["queue"], job["status"], job["priority"]) == (
        "mail.send",
        "mail",
        "queued",
        3,
    )
    assert job["payload"] == {"to": "a@example.com"}
    assert job["tags"] == ["project:1"]
    code, out, _ = run(capsys, "jobs", "--db", db, "--json", "--tag", "project:1")
    assert code == 0
    assert [j["id"] for j in json.loads(out)] == [job["id"]]
    code, out, _ = run(capsys, "--db", db, "jobs")
    assert "mail.send" in out.splitlines()[1]


def test_cancel_retry_show_and_events(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    db = str(db_path)
    run(capsys, "--db", db, "enqueue", "k", "1")
    code, out, _ = run(capsys, "--db", db, "--json", "cancel", "1")
    assert (code, json.loads(out)["status"]) == (0, "cancelled")
    code, _, err = run(capsys, "--db", db, "cancel", "1")
    assert code == 1
    assert "already cancelled" in err
    code, out, _ = run(capsys, "--db", db, "--json", "retry", "1")
    assert (code, json.loads(out)["status"]) == (0, "queued")
    code, out, _ = run(capsys, "--db", db, "--json", "show", "1")
    shown = json.loads(out)
    assert [e["type"] for e in shown["events"]] == ["enqueued", "cancelled", "requeued"]
    code, out, _ = run(capsys, "--db", db, "--json", "events", "--after", "1")
    assert [json.loads(line)["seq"] for line in out.splitlines()] == [2, 3]


def test_queue_settings_persist(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    db = str(db_path)
    assert run(capsys, "--db", db, "queues", "limit", "cv", "1")[0] == 0
    assert run(capsys, "--db", db, "queues", "pause", "cv")[0] == 0
    with litequeue.Queue(db_path) as q:
        info = {i.name: i for i in q.queues()}["cv"]
    assert (info.limit, info.paused) == (1, True)
    code, out, _ = run(capsys, "--db", db, "--json", "queues", "limit", "cv", "none")
    assert json.loads(out) == [{"name": "cv", "limit": None, "paused": True}]
    code, _, err = run(capsys, "--db", db, "queues", "limit", "cv", "lots")
    assert code == 2
    assert "whole number" in err
    assert run(capsys, "--db", db, "queues", "pause")[0] == 2


def test_stats_prune_and_migrate(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    db = str(db_path)
    run(capsys, "--db", db, "enqueue", "k", "null", "--queue", "a")
    code, out, _ = run(capsys, "--db", db, "--json", "stats")
    assert json.loads(out)["a"]["queued"] == 1
    code, out, _ = run(capsys, "--db", db, "--json", "prune", "--older-than", "0")
    assert json.loads(out) == {"jobs": 0, "events": 0}  # the only event is the newest
    code, out, _ = run(capsys, "--db", db, "migrate")
    assert (code, out.strip()) == (0, "schema version 1: up to date")


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["enqueue", "k", "{not json"], 2, "not valid JSON"),
        (["show", "404"], 1, "no job with id 404"),
    ],
)
def test_errors_are_one_clear_line_with_a_status(
    capsys: pytest.CaptureFixture[str], db_path: Path, argv: list[str], status: int, message: str
) -> None:
    code, out, err = run(capsys, "--db", str(db_path), *argv)
    assert code == status
    assert out == ""
    assert err.startswith("litequeue: error: ")
    assert message in err
    assert "Traceback" not in err


def test_missing_db_and_a_file_that_is_not_a_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LITEQUEUE_DB", raising=False)
    code, _, err = run(capsys, "jobs")
    assert code == 2
    assert "--db" in err
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 300)
    monkeypatch.setenv("LITEQUEUE_DB", str(notes))
    code, _, err = run(capsys, "jobs")
    assert code == 1
    assert "not a SQLite database" in err


def test_python_m_litequeue_worker_runs_plugin_handlers(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    env = {**os.environ, "LITEQUEUE_DB": str(db)}
    command = [sys.executable, "-m", "litequeue", "--plugin", "plugins.register_square"]
    for n in (2, 3):
        enqueued = subprocess.run(
            [*command, "enqueue", "math.square", json.dumps({"n": n})],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert "math.square" in enqueued.stdout
    worker = subprocess.run(
        [*command, "--json", "worker", "--until-empty"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert worker.returncode == 0, worker.stderr
    finished = [json.loads(line) for line in worker.stdout.splitlines()]
    assert [e["type"] for e in finished] == ["succeeded", "succeeded"]
    with litequeue.Queue(db) as q:
        assert sorted(j.result["value"] for j in q.jobs()) == [4, 9]
