"""The contract suite: what every engine must do alike, run once per engine.

``db_path`` (and with it the ``queue`` fixture) is parametrised by ``engine``, so every
test that takes either runs on each engine in ``ENGINES``; a test id names its engine
(``test_x[sqlite]``, ``test_x[postgres]``). On PostgreSQL, ``db_path`` is the URL of a
fresh schema of its own in one database made for the session (a schema costs a
millisecond, a database a fifth of a second); without a server those tests are left
out with one line. Checks of one engine's own machinery (PRAGMAs, WAL, its files; the schema table,
notifications) live in ``tests/engines/<engine>/`` instead.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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
        url: str = request.getfixturevalue("postgres_schema_url")
        return url
    return tmp_path / "queue.db"


@pytest.fixture(scope="session")
def _contract_database(postgres_server: str) -> Iterator[str]:
    """One database for the contract tests of a session, dropped at its end."""
    import psycopg

    name = f"litequeue_contract_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(postgres_server)._replace(path=f"/{name}"))
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_schema_url(_contract_database: str) -> Iterator[str]:
    """The URL of a fresh, empty schema for one test (the connection's search_path),
    dropped after it."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_contract_database, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{_contract_database}?options=-csearch_path%3D{schema}"
    with psycopg.connect(_contract_database, autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def new_target(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Path | str]]:
    """Makes a fresh, empty queue target on ``engine`` at each call: a property test
    or state machine needs one per example, which a fixture alone cannot give."""
    if engine == "sqlite":
        numbers = itertools.count()
        yield lambda: tmp_path / f"queue-{next(numbers)}.db"
        return
    import psycopg

    database: str = request.getfixturevalue("_contract_database")
    made: list[str] = []

    def new() -> str:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(database, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
        made.append(schema)
        return f"{database}?options=-csearch_path%3D{schema}"

    yield new
    with psycopg.connect(database, autocommit=True) as admin:
        for schema in made:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_only(engine: str) -> None:
    """For a contract test that checks what only a file has: skipped on other engines."""
    if engine != "sqlite":
        pytest.skip("checks a SQLite file")
