"""The contract suite: what every engine must do alike, run once per engine.

``db_path`` (and with it the ``queue`` fixture) is parametrised by ``engine``, so every
test that takes either runs on each engine in ``ENGINES``; a test id names its engine
(``test_x[sqlite]``, ``test_x[postgres]``). On PostgreSQL, ``db_path`` is the URL of a
fresh database (``postgres_url``); without a server those tests are left out with one
line. Checks of one engine's own machinery (PRAGMAs, WAL, its files; the schema table,
notifications) live in ``tests/engines/<engine>/`` instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: The engines the contract runs on.
ENGINES = ["sqlite", "postgres"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def db_path(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> Path | str:
    """Where a test's queue lives on ``engine``: for SQLite, a fresh file; for
    PostgreSQL, the URL of a fresh database."""
    if engine == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return tmp_path / "queue.db"


@pytest.fixture
def sqlite_only(engine: str) -> None:
    """For a contract test that checks what only a file has: skipped on other engines."""
    if engine != "sqlite":
        pytest.skip("checks a SQLite file")
