"""The contract suite: what every engine must do alike, run once per engine.

``db_path`` (and with it the ``queue`` fixture) is parametrised by ``engine``, so every
test that takes either runs on each engine in ``ENGINES``; a test id names its engine
(``test_x[sqlite]``). Checks of one engine's own machinery (PRAGMAs, WAL, its files)
live in ``tests/engines/<engine>/`` instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: The engines the contract runs on.
ENGINES = ["sqlite"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def db_path(tmp_path: Path, engine: str) -> Path:
    """Where a test's queue lives on ``engine``: for SQLite, a fresh file."""
    assert engine == "sqlite"
    return tmp_path / "queue.db"
