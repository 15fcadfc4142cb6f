"""Shared fixtures: a fresh queue file per test, entry-point plugins off."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import litequeue

TESTS = Path(__file__).parent

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
