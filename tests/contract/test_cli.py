"""The litequeue command: exit codes, JSON shapes and the errors a user meets."""

from __future__ import annotations

import io
import json
import os
import queue as queue_module
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import litequeue
from litequeue._records import Claim
from litequeue.cli import main
from litequeue.engines.postgres import _schema as _postgres_schema
from litequeue.engines.sqlite import _schema
from litequeue.testing import drain

PLUGIN = "plugins.cli_handlers"
#: Each engine's schema module (its migrations), by the ``engine`` fixture's name.
_SCHEMAS: dict[str, Any] = {"sqlite": _schema, "postgres": _postgres_schema}
TESTS = Path(__file__).parent.parent

Capsys = pytest.CaptureFixture[str]


def run(capsys: Capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: Capsys, db: Path, *argv: str) -> Any:
    code, out, err = run(capsys, "--db", str(db), "--json", *argv)
    assert code == 0, err
    return json.loads(out)


def assert_error(code: int, out: str, err: str, status: int, message: str) -> None:
    """One line on stderr, nothing on stdout, no traceback."""
    assert code == status
    assert out == ""
    assert err.startswith("litequeue: error: ")
    assert message in err
    assert "Traceback" not in err


@pytest.fixture
def db(db_path: Path) -> Path:
    """A queue file that exists (commands that only read refuse a missing file)."""
    litequeue.Queue(db_path).close()
    return db_path


# -- enqueue and jobs -------------------------------------------------------------------


def test_enqueue_then_jobs_shows_the_job(capsys: Capsys, db_path: Path) -> None:
    job = run_json(
        capsys, db_path, "enqueue", "mail.send", '{"to": "a@example.com"}',
        "--queue", "mail", "--priority", "3", "--tag", "project:1", "--tag", "x",
        "--max-attempts", "5", "--timeout", "30",
    )  # fmt: skip
    assert job["id"] == 1
    assert (job["kind"], job["queue"], job["status"], job["priority"]) == (
        "mail.send",
        "mail",
        "queued",
        3,
    )
    assert (job["payload"], job["tags"]) == ({"to": "a@example.com"}, ["project:1", "x"])
    assert (job["max_attempts"], job["timeout"], job["attempt"]) == (5, 30.0, 0)
    listed = run_json(capsys, db_path, "jobs", "--tag", "project:1")
    assert listed == [job]
    code, out, _ = run(capsys, "--db", str(db_path), "jobs")
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:4] == ["id", "kind", "queue", "status"]
    assert row.split()[:5] == ["1", "mail.send", "mail", "queued", "0/5"]


def test_enqueue_options(capsys: Capsys, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = run_json(capsys, db_path, "enqueue", "k", "--unique-key", "u")
    assert first["payload"] is None
    assert run_json(capsys, db_path, "enqueue", "k", "--unique-key", "u")["id"] == first["id"]
    forced = run_json(capsys, db_path, "enqueue", "k", "--unique-key", "u", "--force")
    assert forced["id"] != first["id"]
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"from": "stdin"}'))
    child = run_json(capsys, db_path, "enqueue", "k", "-", "--parent", "1", "--delay", "3600")
    assert (child["payload"], child["parent_id"]) == ({"from": "stdin"}, 1)
    assert child["run_at"] > child["created_at"]
    assert [j["id"] for j in run_json(capsys, db_path, "jobs", "--limit", "2")] == [3, 2]


def test_jobs_filters_and_an_empty_listing(capsys: Capsys, db: Path) -> None:
    assert run(capsys, "--db", str(db), "jobs") == (0, "no jobs\n", "")
    run(capsys, "--db", str(db), "enqueue", "a", "--queue", "q1")
    run(capsys, "--db", str(db), "enqueue", "b", "--queue", "q2")
    run(capsys, "--db", str(db), "cancel", "2")
    assert [j["kind"] for j in run_json(capsys, db, "jobs", "--queue", "q1")] == ["a"]
    assert [j["kind"] for j in run_json(capsys, db, "jobs", "--kind", "b")] == ["b"]
    statuses = run_json(capsys, db, "jobs", "--status", "cancelled", "--status", "failed")
    assert [j["id"] for j in statuses] == [2]


# -- steering ---------------------------------------------------------------------------


def test_cancel_and_retry_transitions(capsys: Capsys, db_path: Path) -> None:
    db = str(db_path)
    run(capsys, "--db", db, "enqueue", "k", "1")
    assert run_json(capsys, db_path, "cancel", "1")["status"] == "cancelled"
    code, out, err = run(capsys, "--db", db, "cancel", "1")
    assert_error(code, out, err, 1, "already")
    retried = run_json(capsys, db_path, "retry", "1")
    assert (retried["status"], retried["attempt"]) == ("queued", 0)
    code, out, err = run(capsys, "--db", db, "retry", "1")
    assert_error(code, out, err, 1, "only failed or cancelled jobs can be retried")
    shown = run_json(capsys, db_path, "show", "1")
    assert set(shown) == {"job", "events", "waits"}
    assert shown["job"]["status"] == "queued"
    assert shown["waits"] == ["due: the next free worker that handles its kind takes it"]
    assert [e["type"] for e in shown["events"]] == ["enqueued", "cancelled", "requeued"]


def test_delete_removes_jobs_for_good_and_refuses_a_running_one(
    capsys: Capsys, db_path: Path
) -> None:
    db = str(db_path)
    for payload in ("1", "2", "3"):
        run(capsys, "--db", db, "enqueue", "k", payload)
    assert [j["id"] for j in run_json(capsys, db_path, "delete", "1", "3")] == [1, 3]
    assert [j["id"] for j in run_json(capsys, db_path, "jobs")] == [2]
    with litequeue.Queue(db_path) as queue:
        queue.store.claim(Claim(worker="w", queues=("default",), limit=1, lease=60))
    code, out, err = run(capsys, "--db", db, "delete", "2")
    assert_error(code, out, err, 1, "job 2 cannot be deleted: it is running (cancel it first)")
    run(capsys, "--db", db, "cancel", "2")
    assert run(capsys, "--db", db, "delete", "2")[1] == "deleted 1 job(s): 2\n"


@pytest.mark.parametrize("command", ["show", "cancel", "retry", "delete"])
def test_an_unknown_job_id_is_exit_1(capsys: Capsys, db: Path, command: str) -> None:
    code, out, err = run(capsys, "--db", str(db), command, "404")
    assert_error(code, out, err, 1, "no job with id 404")


def test_queue_settings_persist(capsys: Capsys, db_path: Path) -> None:
    db = str(db_path)
    assert run(capsys, "--db", db, "queues", "limit", "cv", "1")[0] == 0
    assert run(capsys, "--db", db, "queues", "pause", "cv")[0] == 0
    with litequeue.Queue(db_path) as q:
        info = {i.name: i for i in q.queues()}["cv"]
    assert (info.limit, info.paused) == (1, True)
    changed = run_json(capsys, db_path, "queues", "limit", "cv", "none")
    assert changed == [
        {
            "name": "cv",
            "limit": None,
            "paused": True,
            "rate": None,
            "per_key_rate": None,
            "per_key_limit": None,
        }
    ]
    assert run_json(capsys, db_path, "queues", "resume", "cv")[0]["paused"] is False
    assert run_json(capsys, db_path, "queues") == [
        {
            "name": "cv",
            "limit": None,
            "paused": False,
            "rate": None,
            "per_key_rate": None,
            "per_key_limit": None,
        }
    ]
    code, out, _ = run(capsys, "--db", db, "queues", "list")
    assert code == 0
    assert out.splitlines()[1].split() == ["cv", "none", "no", "none", "none", "none"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["queues", "limit", "cv", "lots"], "whole number"),
        (["queues", "limit", "cv", "-1"], "whole number"),
        (["queues", "limit", "cv"], "required"),
        (["queues", "pause"], "required"),
        (["queues", "shrink", "cv"], "invalid choice"),
    ],
)
def test_bad_queue_settings_are_usage_errors(
    capsys: Capsys, db: Path, argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "--db", str(db), *argv)
    assert code == 2
    assert "litequeue: error: " in err
    assert message in err


# -- the worker -------------------------------------------------------------------------


def test_worker_until_empty_runs_plugin_handlers(capsys: Capsys, db_path: Path) -> None:
    db = str(db_path)
    run(capsys, "--db", db, "enqueue", "cli.add", '{"numbers": [1, 2, 3]}')
    run(capsys, "--db", db, "enqueue", "cli.explode", '"boom"', "--max-attempts", "1")
    code, out, err = run(capsys, "--db", db, "--plugin", PLUGIN, "worker", "--until-empty")
    assert code == 0, err
    lines = sorted(out.splitlines())
    assert lines[0].startswith("job 1 cli.add succeeded")
    assert lines[1].startswith("job 2 cli.explode failed")
    assert lines[1].endswith("ValueError: cannot handle 'boom'")
    assert "worker stopped after 2 attempt(s)" in err
    assert run_json(capsys, db_path, "show", "1")["job"]["result"] == {"sum": 6}

    code, out, _ = run(capsys, "--db", db, "show", "2")
    assert "error: ValueError: cannot handle 'boom'" in out
    assert "Traceback (most recent call last)" in out  # the handler's, kept on the job
    assert [line.split()[3] for line in out.splitlines()[-3:]] == ["enqueued", "started", "failed"]
    assert run_json(capsys, db_path, "retry", "2")["status"] == "queued"


def test_worker_json_lines_and_quiet(capsys: Capsys, db_path: Path) -> None:
    db = str(db_path)
    for n in range(3):
        run(capsys, "--db", db, "enqueue", "cli.add", json.dumps({"numbers": [n]}))
    code, out, _ = run(
        capsys, "--db", db, "worker", "--plugin", PLUGIN, "--json", "--until-empty",
        "--concurrency", "2",
    )  # fmt: skip
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert sorted(e["job_id"] for e in events) == [1, 2, 3]
    assert {e["type"] for e in events} == {"succeeded"}
    run(capsys, "--db", db, "enqueue", "cli.add", '{"numbers": []}')
    assert run(capsys, "--db", db, "worker", "--plugin", PLUGIN, "--until-empty", "--quiet") == (
        0,
        "",
        "",
    )


def test_worker_takes_a_claim_cooldown(capsys: Capsys, db_path: Path) -> None:
    db = str(db_path)
    run(capsys, "--db", db, "enqueue", "cli.add", '{"numbers": [1]}')
    code, _, err = run(
        capsys, "--db", db, "worker", "--plugin", PLUGIN, "--until-empty", "--quiet",
        "--concurrency", "4", "--claim-cooldown", "0.05",
    )  # fmt: skip
    assert code == 0, err
    assert run_json(capsys, db_path, "show", "1")["job"]["status"] == "succeeded"
    code, _, err = run(capsys, "--db", db, "worker", "--claim-cooldown", "-1")
    assert code == 2
    assert "--claim-cooldown: expected seconds >= 0, not '-1'" in err


def test_worker_without_handlers_warns(capsys: Capsys, db: Path) -> None:
    code, _, err = run(capsys, "--db", str(db), "worker", "--until-empty")
    assert code == 0
    assert "no handlers are registered" in err


# -- events, stats, prune, migrate ------------------------------------------------------


def test_events_after_and_for_one_job(capsys: Capsys, db_path: Path) -> None:
    db = str(db_path)
    run(capsys, "--db", db, "enqueue", "a")
    run(capsys, "--db", db, "enqueue", "b")
    run(capsys, "--db", db, "cancel", "1")
    events = run_json(capsys, db_path, "events", "--after", "1")
    assert [(e["seq"], e["job_id"], e["type"]) for e in events] == [
        (2, 2, "enqueued"),
        (3, 1, "cancelled"),
    ]
    assert set(events[0]) == {"seq", "job_id", "type", "at", "data"}
    assert [e["seq"] for e in run_json(capsys, db_path, "events", "--job", "1")] == [1, 3]
    assert run_json(capsys, db_path, "events", "--after", "3") == []
    code, out, _ = run(capsys, "--db", db, "events", "--after", "2")
    assert code == 0
    assert out.split()[-3:] == ["cancelled", '{"by":', '"request"}']


def test_stats_and_prune(capsys: Capsys, db_path: Path) -> None:
    db = str(db_path)
    run(capsys, "--db", db, "enqueue", "k", "null", "--queue", "a", "--tag", "t")
    run(capsys, "--db", db, "enqueue", "k", "null", "--queue", "b")
    run(capsys, "--db", db, "cancel", "2")
    run(capsys, "--db", db, "enqueue", "k", "null", "--queue", "c")  # prune keeps the newest
    stats = run_json(capsys, db_path, "stats")
    assert stats["a"] == {
        "queued": 1, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 0,
    }  # fmt: skip
    assert stats["b"]["cancelled"] == 1
    assert list(run_json(capsys, db_path, "stats", "--tag", "t")) == ["a"]
    # The default keeps a week of events and every finished job.
    assert run_json(capsys, db_path, "prune") == {"jobs": 0, "events": 0}
    pruned = run_json(capsys, db_path, "prune", "--older-than", "0")
    assert pruned["jobs"] == 1  # the cancelled job; queued ones are never pruned
    assert [j["id"] for j in run_json(capsys, db_path, "jobs")] == [3, 1]
    code, out, _ = run(capsys, "--db", db, "prune", "--older-than", "0")
    assert code == 0
    assert out.startswith("deleted 0 finished job(s)")


def test_migrate_reports_from_and_to(capsys: Capsys, db: Path, engine: str) -> None:
    newest = len(_SCHEMAS[engine].load_migrations())
    code, out, _ = run(capsys, "--db", str(db), "migrate")
    assert (code, out) == (0, f"schema version {newest} -> {newest}  (up to date)\n")


def test_a_payload_with_a_lone_surrogate_prints_as_a_json_escape(
    capsys: Capsys, db_path: Path
) -> None:
    code, _, err = run(capsys, "--db", str(db_path), "enqueue", "k", '{"name": "\\udcff"}')
    assert (code, err) == (0, "")
    (job,) = run_json(capsys, db_path, "jobs")
    assert job["payload"] == {"name": "\udcff"}
    code, out, _ = run(capsys, "--db", str(db_path), "show", "1")
    assert code == 0
    assert "\\udcff" in out


def test_look_only_commands_leave_another_applications_database_unchanged(
    capsys: Capsys, tmp_path: Path
) -> None:
    """``--db`` pointed at the wrong file by mistake: nothing is added to it, and its
    journal mode stays as it was."""
    app = tmp_path / "app.db"
    with sqlite3.connect(app) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
    conn.close()
    before = app.read_bytes()
    for command in (["stats"], ["jobs"], ["show", "1"], ["events"], ["queues"], ["cancel", "1"]):
        code, out, err = run(capsys, "--db", str(app), *command)
        assert_error(code, out, err, 1, "not a litequeue queue file (it holds other tables: users)")
        assert "migrate" not in err  # which would add litequeue's tables to it
    assert app.read_bytes() == before
    assert not Path(f"{app}-wal").exists()
    with sqlite3.connect(app) as conn:
        conn.execute("PRAGMA user_version = 42")  # the application's own numbering
    conn.close()
    code, out, err = run(capsys, "--db", str(app), "stats")
    assert_error(code, out, err, 1, "another application's database?")


def test_commands_that_create_refuse_another_applications_database_without_adopt(
    capsys: Capsys, tmp_path: Path
) -> None:
    app = tmp_path / "app.db"
    with sqlite3.connect(app) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
    conn.close()
    before = app.read_bytes()
    for command in (["enqueue", "k"], ["migrate"], ["queues", "pause", "q"]):
        code, out, err = run(capsys, "--db", str(app), *command)
        assert_error(code, out, err, 1, "another application's database")
        assert "litequeue --adopt" in err
    assert app.read_bytes() == before
    code, out, err = run(capsys, "--db", str(app), "enqueue", "k", "--adopt")
    assert (code, err) == (0, "")
    with sqlite3.connect(app) as conn:
        assert {"users", "jobs"} <= {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()


def test_look_only_commands_on_an_empty_file_suggest_migrate(
    capsys: Capsys, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    code, out, err = run(capsys, "--db", str(empty), "stats")
    assert_error(code, out, err, 1, "not a litequeue queue file yet")
    assert "run `litequeue migrate`" in err


# -- usage ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not valid JSON"),
        ("NaN", "NaN is not a JSON value"),
        ("", "not valid JSON"),
        ("{'single': 'quotes'}", "not valid JSON"),
    ],
)
def test_a_payload_that_is_not_json_is_exit_2(
    capsys: Capsys, db_path: Path, payload: str, message: str
) -> None:
    code, out, err = run(capsys, "--db", str(db_path), "enqueue", "k", payload)
    assert_error(code, out, err, 2, message)
    assert not Path(db_path).exists()  # refused before the file was touched (or made)


def test_missing_db_missing_file_and_a_file_that_is_not_a_database(
    capsys: Capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LITEQUEUE_DB", raising=False)
    code, out, err = run(capsys, "jobs")
    assert_error(code, out, err, 2, "--db FILE")
    missing = tmp_path / "typo.db"
    code, out, err = run(capsys, "--db", str(missing), "stats")
    assert_error(code, out, err, 1, "no such queue file")
    assert not missing.exists()
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 300)
    monkeypatch.setenv("LITEQUEUE_DB", str(notes))
    for argv in (["jobs"], ["enqueue", "k"], ["migrate"]):
        code, out, err = run(capsys, *argv)
        assert_error(code, out, err, 1, "not a SQLite database")


def test_options_go_before_or_after_the_command(capsys: Capsys, db: Path) -> None:
    assert run_json(capsys, db, "enqueue", "k", "--durability", "normal")["id"] == 1
    code, out, _ = run(capsys, "jobs", "--json", "--db", str(db))
    assert (code, [j["id"] for j in json.loads(out)]) == (0, [1])


def test_help_and_argparse_errors_return_a_status(
    capsys: Capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--help"]) == 0
    assert "enqueue" in capsys.readouterr().out
    code, _, err = run(capsys, "--db", "x.db", "enqueue", "k", "--priority", "high")
    assert code == 2
    assert "litequeue: error: argument --priority" in err
    assert run(capsys, "--db", "x.db", "frobnicate")[0] == 2
    assert run(capsys, "--db", "x.db", "jobs", "--limit", "0")[0] == 2
    assert run(capsys, "--db", "x.db", "--plugin", "no.such.module", "worker")[0] == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["--plugin", "no.such.module", "worker"], 1, "plugin module 'no.such.module'"),
        (["--plugin", "no.such.module", "enqueue", "k"], 1, "plugin module 'no.such.module'"),
        (["worker", "--queue", ""], 2, "argument --queue"),
        (["enqueue", ""], 2, "argument kind"),
        (["enqueue", "k", "--queue", ""], 2, "argument --queue"),
        (["enqueue", "k", "--tag", ""], 2, "argument --tag"),
        (["queues", "limit", "q", "lots"], 2, "a queue limit is a whole number"),
        (["queues", "pause", ""], 2, "argument name"),
    ],
)
def test_a_command_that_fails_on_its_arguments_creates_no_file(
    capsys: Capsys, tmp_path: Path, argv: list[str], status: int, message: str
) -> None:
    db = tmp_path / "new.db"
    code, out, err = run(capsys, "--db", str(db), *argv)
    assert (code, out) == (status, "")
    assert f"litequeue: error: {message}" in err
    assert list(tmp_path.iterdir()) == []


def test_a_plugin_that_fails_to_import_is_one_line_not_a_traceback(
    capsys: Capsys, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cli_broken_plugin.py").write_text("raise RuntimeError('half-installed')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    run(capsys, "--db", str(db_path), "enqueue", "k", "null")
    code, out, err = run(capsys, "--db", str(db_path), "--plugin", "cli_broken_plugin", "stats")
    assert_error(code, out, err, 1, "'cli_broken_plugin' cannot be imported: RuntimeError")


# -- real processes ---------------------------------------------------------------------


def cli_env(db: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LITEQUEUE_DB": str(db),
        "LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
    }


def litequeue_command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "litequeue", "--plugin", PLUGIN, *argv]


def test_python_m_litequeue_enqueue_and_worker_until_empty(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "q.db")
    for numbers in ([2, 3], [4, 5]):
        enqueued = subprocess.run(
            litequeue_command("enqueue", "cli.add", json.dumps({"numbers": numbers})),
            env=env, capture_output=True, text=True, check=True, timeout=30,
        )  # fmt: skip
        assert "cli.add" in enqueued.stdout
    worker = subprocess.run(
        litequeue_command("--json", "worker", "--until-empty"),
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert worker.returncode == 0, worker.stderr
    finished = [json.loads(line) for line in worker.stdout.splitlines()]
    assert [e["type"] for e in finished] == ["succeeded", "succeeded"]
    with litequeue.Queue(tmp_path / "q.db") as q:
        assert sorted(j.result["sum"] for j in q.jobs()) == [5, 9]
    bad = subprocess.run(
        litequeue_command("enqueue", "cli.add", "{oops"),
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.startswith("litequeue: error: the payload is not valid JSON")


class Lines:
    """A running command whose stdout and stderr lines can be awaited with a timeout."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: queue_module.Queue[str] = queue_module.Queue()
        self.errors: queue_module.Queue[str] = queue_module.Queue()
        self._readers: list[threading.Thread] = []
        for stream, lines in ((self.proc.stdout, self.lines), (self.proc.stderr, self.errors)):
            assert stream is not None
            reader = threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            reader.start()
            self._readers.append(reader)

    @staticmethod
    def _read(stream: Any, lines: queue_module.Queue[str]) -> None:
        for line in stream:
            lines.put(line)

    def next(self, timeout: float = 20.0) -> str:
        return self.lines.get(timeout=timeout)

    def next_error(self, containing: str, timeout: float = 20.0) -> str:
        """The first stderr line from now that contains ``containing``."""
        while True:
            line = self.errors.get(timeout=timeout)
            if containing in line:
                return line

    def stderr_rest(self) -> str:
        """What is left of stderr once the command has ended."""
        for reader in self._readers:
            reader.join(10)
        rest = []
        while not self.errors.empty():
            rest.append(self.errors.get_nowait())
        return "".join(rest)

    def stop(self, signum: int) -> int:
        self.proc.send_signal(signum)
        return self.proc.wait(timeout=20)


@pytest.fixture
def started() -> Iterator[list[Lines]]:
    running: list[Lines] = []
    yield running
    for lines in running:
        if lines.proc.poll() is None:
            lines.proc.kill()
            lines.proc.wait()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_worker_stops_gracefully_with_status_0(
    tmp_path: Path, started: list[Lines], signum: int
) -> None:
    db = tmp_path / "q.db"
    env = cli_env(db)
    subprocess.run(litequeue_command("enqueue", "cli.add", '{"numbers": [1]}'), env=env, check=True)
    worker = Lines(litequeue_command("worker"), env)
    started.append(worker)
    assert worker.next().startswith("job 1 cli.add succeeded")  # it is serving
    assert worker.stop(signum) == 0
    assert "worker stopped after 1 attempt(s)" in worker.stderr_rest()


def wait_for_handler(db: Path, job_id: int, message: str) -> None:
    """Until the job's handler (in another process) reported ``message`` with
    ``ctx.progress``, for 20 s at most."""
    with litequeue.Queue(db) as q:
        for _ in range(2000):
            if q.get(job_id).progress_message == message:
                return
            threading.Event().wait(0.01)
    raise AssertionError(f"the handler of job {job_id} never reported {message!r}")


def test_a_cancel_from_another_process_is_told_by_the_worker_and_counted(
    tmp_path: Path, started: list[Lines]
) -> None:
    db = tmp_path / "q.db"
    env = cli_env(db)
    subprocess.run(litequeue_command("enqueue", "cli.wait"), env=env, check=True)
    worker = Lines(litequeue_command("worker", "--lease", "0.6"), env)
    started.append(worker)
    wait_for_handler(db, 1, "waiting")
    with litequeue.Queue(db) as q:
        q.cancel(1)
    assert "job 1 (cli.wait) attempt 1 stopped here: the job was cancelled" in (
        worker.next_error("job 1")
    )
    assert worker.stop(signal.SIGINT) == 0
    rest = worker.stderr_rest()
    assert "job 1" not in rest  # told once
    assert "worker stopped after 1 attempt(s)" in rest


def test_ctrl_c_says_the_worker_is_stopping_and_a_second_one_hands_jobs_back(
    tmp_path: Path, started: list[Lines]
) -> None:
    db = tmp_path / "q.db"
    env = cli_env(db)
    subprocess.run(
        litequeue_command("enqueue", "cli.sleep", '{"seconds": 60}'), env=env, check=True
    )
    worker = Lines(litequeue_command("worker", "--grace", "30"), env)
    started.append(worker)
    wait_for_handler(db, 1, "sleeping")
    worker.proc.send_signal(signal.SIGINT)
    told = worker.next_error("stopping")
    assert "1 running job(s) get up to 30 s to finish" in told
    assert "a second Ctrl-C" in told
    assert worker.stop(signal.SIGINT) == 0
    rest = worker.stderr_rest()
    assert "handing back its 1 running job(s) now" in rest
    assert "worker stopped after 0 attempt(s)" in rest
    with litequeue.Queue(db) as q:
        assert q.get(1).status is litequeue.JobStatus.QUEUED


def test_events_follow_streams_json_lines_until_ctrl_c(
    tmp_path: Path, started: list[Lines]
) -> None:
    db = tmp_path / "q.db"
    env = cli_env(db)
    subprocess.run(litequeue_command("enqueue", "a"), env=env, check=True)
    follower = Lines(litequeue_command("--json", "events", "--follow"), env)
    started.append(follower)
    assert json.loads(follower.next())["seq"] == 1
    with litequeue.Queue(db) as q:  # a write from another process shows up live
        q.enqueue("b")
    event = json.loads(follower.next())
    assert (event["seq"], event["job_id"], event["type"]) == (2, 2, "enqueued")
    assert follower.stop(signal.SIGINT) == 0


def installed_script(name: str) -> Path:
    script = Path(sys.executable).with_name(name)
    if not script.exists():
        pytest.skip(f"no installed {name} script beside {sys.executable}")
    return script


def test_the_installed_script_finds_a_plugin_in_the_current_directory(tmp_path: Path) -> None:
    # A plugin saved next to the database, as cli.md shows, without PYTHONPATH.
    (tmp_path / "here_plugin.py").write_text(
        "import litequeue\n\n@litequeue.hookimpl\ndef litequeue_register_handlers(register):\n"
        "    register('here.double', lambda ctx, n: 2 * n)\n"
    )
    env = {**cli_env(tmp_path / "q.db"), "PYTHONPATH": ""}
    script = str(installed_script("litequeue"))
    for argv in (["enqueue", "here.double", "21"], ["worker", "--until-empty", "--quiet"]):
        done = subprocess.run(
            [script, "--plugin", "here_plugin", *argv],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert (done.returncode, done.stderr) == (0, "")
    with litequeue.Queue(tmp_path / "q.db") as q:
        assert [job.result for job in q.jobs()] == [42]


def test_a_reader_gone_away_ends_the_command_quietly(tmp_path: Path) -> None:
    # `litequeue jobs | head -c 0`: the pipe is closed before anything is written.
    env = cli_env(tmp_path / "q.db")
    subprocess.run(litequeue_command("enqueue", "k", "1"), env=env, check=True, timeout=30)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        for json_output in ([], ["--json"]):
            done = subprocess.run(
                [sys.executable, "-m", "litequeue", *json_output, "jobs"],
                env=env, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=30,
            )  # fmt: skip
            assert (done.returncode, done.stderr) == (1, "")
    finally:
        os.close(write_end)


def test_stats_warns_of_queued_jobs_no_live_worker_handles(capsys: Capsys, db: Path) -> None:
    with litequeue.Queue(db) as q:
        q.enqueue("slow", None)
        q.enqueue("slow", None, queue="cv")
    code, out, err = run(capsys, "--db", str(db), "stats")
    assert code == 0
    assert "default" in out
    warnings = [
        "litequeue: warning: no live worker handles 1 queued 'slow' job(s) of queue 'cv'",
        "litequeue: warning: no live worker handles 1 queued 'slow' job(s) of queue 'default'",
    ]
    assert err.splitlines() == warnings
    code, out, err = run(capsys, "--db", str(db), "jobs")
    assert (code, err.splitlines()) == (0, warnings)


# -- tables: cells cut to fit, fields of the current run ----------------------------------


def test_long_names_and_messages_are_cut_in_tables_and_whole_in_json(
    capsys: Capsys, db_path: Path
) -> None:
    """One long kind, queue or error once padded every row of a listing to its length."""
    kind, lane = "k" * 200, "q" * 200
    with litequeue.Queue(db_path) as queue:
        queue.handler(kind)(lambda ctx, p: (ctx.progress(10, "m" * 5000), 1 / 0))
        job = queue.enqueue(kind, "x" * 5000, queue=lane, max_attempts=1)
        queue.enqueue("short", None)
        drain(queue, queues=[lane])
        queue.set_queue(lane, limit=1)
    db = str(db_path)
    for command in (["jobs"], ["stats"], ["queues"], ["show", str(job.id)], ["events"]):
        code, out, err = run(capsys, "--db", db, *command)
        assert code == 0, err
        table = out.splitlines()
        if command[0] == "show":  # its fields are whole: only its events are a table
            table = table[table.index("events:") :]
        assert max(len(line) for line in table) <= 300, command
    listing = run(capsys, "--db", db, "jobs")[1]
    assert "k" * 39 + "…" in listing
    assert "k" * 41 not in listing
    assert "ZeroDivisionError" in listing
    (whole,) = [j for j in run_json(capsys, db_path, "jobs") if j["id"] == job.id]
    assert (whole["kind"], whole["queue"], whole["payload"]) == (kind, lane, "x" * 5000)


def test_jobs_shows_when_a_queued_job_runs_and_only_current_notes(
    capsys: Capsys, db_path: Path
) -> None:
    db = str(db_path)
    run(capsys, "--db", db, "enqueue", "cli.add", '{"numbers": [1]}')  # says "adding"
    run(capsys, "--db", db, "enqueue", "cli.explode", "1", "--max-attempts", "1")
    run(capsys, "--db", db, "--plugin", PLUGIN, "worker", "--until-empty", "--quiet")
    run(capsys, "--db", db, "retry", "2")
    run(capsys, "--db", db, "enqueue", "later", "--delay", "300")
    run(capsys, "--db", db, "enqueue", "soon", "--delay", "30")
    run(capsys, "--db", db, "enqueue", "tomorrow", "--delay", str(2 * 86400))
    code, out, _ = run(capsys, "--db", db, "jobs")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split()[-4:] == ["(UTC)", "run", "at", "note"]
    rows = {line.split()[1]: line for line in lines}
    assert rows["later"].rstrip().endswith("in 5m")  # in 4m01s to 5m: shown as 5m
    assert re.search(r"in [1-3]\ds$", rows["soon"].rstrip())
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", rows["tomorrow"].rstrip())
    assert rows["cli.explode"].rstrip().endswith("now")  # retried: its old error is gone
    assert rows["cli.add"].split()[3] == "succeeded"
    assert "adding" not in rows["cli.add"]  # a finished job's last progress message
    shown = run(capsys, "--db", db, "show", "2")[1]
    assert "ValueError" not in shown.split("events:")[0]
    assert "started" not in shown.split("events:")[0]
    assert "failed" in shown.split("events:")[1]  # the history stays in the event log


def test_a_retrying_events_run_at_is_shown_as_an_iso_time(capsys: Capsys, db_path: Path) -> None:
    with litequeue.Queue(db_path) as queue:
        queue.handler("k", backoff=litequeue.Backoff(base=600))(lambda ctx, p: 1 / 0)
        job = queue.enqueue("k", None)
        drain(queue)
        run_at = queue.get(job.id).run_at
    for command in ("events", "show"):
        out = run(capsys, "--db", str(db_path), command, *(["1"] if command == "show" else []))[1]
        assert f'"run_at": "{run_at.isoformat(timespec="seconds")}"' in out


def test_schedules_are_listed_paused_resumed_and_removed(capsys: Capsys, db_path: Path) -> None:
    with litequeue.Queue(db_path) as q:
        q.schedule("nightly", "report", "0 2 * * *", timezone="Europe/Berlin")
    (listed,) = run_json(capsys, db_path, "schedules")
    assert (listed["name"], listed["cron"], listed["paused"]) == ("nightly", "0 2 * * *", False)
    assert run_json(capsys, db_path, "schedules", "pause", "nightly")[0]["paused"] is True
    assert run_json(capsys, db_path, "schedules", "resume", "nightly")[0]["paused"] is False
    code, out, _ = run(capsys, "--db", str(db_path), "schedules", "list")
    assert code == 0
    assert out.split()[:9] == ["name", "kind", "cron", "zone", "queue", "catch-up", "paused",
                               "next", "last"]  # fmt: skip
    code, out, _ = run(capsys, "--db", str(db_path), "schedules", "remove", "nightly")
    assert (code, out) == (0, "removed schedule nightly\n")
    code, out, err = run(capsys, "--db", str(db_path), "schedules", "pause", "nightly")
    assert_error(code, out, err, 1, "no schedule named 'nightly'")


def test_enqueue_takes_a_limit_key_and_dependencies(capsys: Capsys, db_path: Path) -> None:
    first = run_json(capsys, db_path, "enqueue", "k")
    second = run_json(
        capsys, db_path, "enqueue", "k", "--limit-key", "customer:7", "--depends-on",
        str(first["id"]),
    )  # fmt: skip
    assert (second["limit_key"], second["depends_on"]) == ("customer:7", [first["id"]])
    assert second["dependencies_left"] == 1
