"""Shared fixtures: a fresh queue file per test, a fresh PostgreSQL database per test
when a server is given, entry-point plugins off, and a check that the suite leaves no
files behind in the repository."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

import litequeue

TESTS = Path(__file__).parent
REPO = TESTS.parent
#: Folders of tools and caches, not of the project: the suite may write there.
TOOL_FOLDERS = {
    ".git", ".venv", ".venvs", ".nox", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".hypothesis", "build", "dist", "site",
}  # fmt: skip

# Core tests must not pick up plugins installed in the environment (such as
# litequeue_cv); tests that want autoloading turn it on explicitly.
os.environ["LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD"] = "1"
# Child processes (spawned handlers, helper processes) import test modules.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p
)
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


#: The server the PostgreSQL tests use (a superuser's URL; each test gets its own database).
POSTGRES_URL_VARIABLE = "LITEQUEUE_TEST_POSTGRES_URL"
#: Set (to 1) where skipping the PostgreSQL tests must fail the run, as in CI.
POSTGRES_REQUIRED_VARIABLE = "LITEQUEUE_TEST_POSTGRES_REQUIRED"
_NO_SERVER = (
    "PostgreSQL tests skipped: no server given. Set {variable} to a superuser URL "
    "(`.ci/postgres start` makes a throwaway one) or run `.ci/run`."
)
_postgres_tests: set[str] = set()  # node ids of the tests collected that need the server
_postgres_tests_passed = 0
_postgres_tests_left_out = pytest.StashKey[int]()


def _postgres_required() -> bool:
    return os.environ.get(POSTGRES_REQUIRED_VARIABLE, "") not in ("", "0")


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected theirs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a server, the PostgreSQL tests are left out, and said so once (a skip per
    test would print a line per test)."""
    left_out = [item for item in items if _needs_postgres(item)]
    _postgres_tests.update(item.nodeid for item in left_out)
    if os.environ.get(POSTGRES_URL_VARIABLE) or _postgres_required():
        return
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in set(left_out)]
        config.stash[_postgres_tests_left_out] = len(left_out)


def _needs_postgres(item: pytest.Item) -> bool:
    """A test that asks for the server, or a contract test run on the PostgreSQL engine."""
    if "postgres_server" in getattr(item, "fixturenames", ()):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("engine") == "postgres"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    count = config.stash.get(_postgres_tests_left_out, 0)
    if count:
        terminalreporter.write_line(
            f"{count} " + _NO_SERVER.format(variable=POSTGRES_URL_VARIABLE), yellow=True
        )


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of the PostgreSQL server under test; a server given but not reachable fails
    the tests that need it rather than hiding them."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "")
    if not url:
        pytest.fail(f"{POSTGRES_REQUIRED_VARIABLE} is set but {POSTGRES_URL_VARIABLE} is not")
    try:
        import psycopg

        with psycopg.connect(url, autocommit=True, connect_timeout=10):
            pass
    except Exception as exc:
        pytest.fail(f"PostgreSQL tests cannot reach {POSTGRES_URL_VARIABLE}={url}: {exc}")
    return url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server for one test, dropped after it."""
    import psycopg

    name = f"litequeue_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(postgres_server)._replace(path=f"/{name}"))
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _postgres_tests_passed
    if report.when == "call" and report.passed and report.nodeid in _postgres_tests:
        _postgres_tests_passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Where PostgreSQL is required, a run in which no PostgreSQL test passed fails."""
    if _postgres_required() and _postgres_tests_passed == 0 and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(
            f"\n{POSTGRES_REQUIRED_VARIABLE} is set, yet no PostgreSQL test passed", file=sys.stderr
        )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "queue.db"


@pytest.fixture
def queue(db_path: Path) -> Iterator[litequeue.Queue]:
    q = litequeue.Queue(db_path, durability="normal")
    yield q
    q.close()


def _repo_files() -> set[str]:
    found = set()
    for folder, subfolders, files in os.walk(REPO):
        subfolders[:] = [
            name
            for name in subfolders
            if name not in TOOL_FOLDERS and not name.endswith(".egg-info")
        ]
        found.update(str(Path(folder, name).relative_to(REPO)) for name in files)
    return found


@pytest.fixture(scope="session", autouse=True)
def _no_stray_files() -> Iterator[None]:
    """A test writes in its own tmp_path: a file it leaves in the checkout (such as a
    queue file a failing command created in the current directory) is an error."""
    before = _repo_files()
    yield
    stray = sorted(_repo_files() - before)
    assert not stray, f"the tests left these files in the repository: {stray}"
