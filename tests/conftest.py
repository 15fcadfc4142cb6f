"""Shared fixtures: a fresh queue file per test, entry-point plugins off, and a check
that the suite leaves no files behind in the repository."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import litequeue

TESTS = Path(__file__).parent
REPO = TESTS.parent
#: Folders of tools and caches, not of the project: the suite may write there.
TOOL_FOLDERS = {
    ".git", ".venv", ".nox", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
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
