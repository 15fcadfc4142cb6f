"""Reaching a PostgreSQL server, naming what went wrong when it cannot be reached,
and bringing litequeue's schema in it up to date.

Migrations are the numbered ``migrations/NNNN_name.sql`` files. PostgreSQL runs DDL
in transactions, so each migration commits together with the new version in the
one row of ``litequeue_schema_version``, under an advisory lock that makes two
processes upgrading at once apply it once. A database at a version past the newest
migration was written by a newer litequeue and is refused.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import attrs
import psycopg
from psycopg.conninfo import conninfo_to_dict

from ...errors import (
    ConfigurationError,
    ConnectionLost,
    DatabaseUnreachable,
    LoginRefused,
    SchemaTooNew,
    SchemaTooOld,
    StoreError,
)
from . import _sql

__all__ = [
    "Target",
    "connect",
    "load_migrations",
    "migrate",
    "parse_target",
    "schema_version",
    "translate",
    "translate_errors",
]

_MIGRATION_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")
#: URL query options that are litequeue's, not libpq's: taken out before connecting.
_NOTIFY_OPTION = "litequeue_notify"
#: SQLSTATEs of a refused login: invalid password, and the authorisation failures
#: (no such role, no pg_hba.conf entry, no password given).
_LOGIN_STATES = {"28P01", "28000"}
#: The server said the database does not exist.
_NO_DATABASE = "3D000"


@attrs.frozen
class Target:
    """A ``postgresql://`` URL taken apart: what libpq gets, and litequeue's options."""

    #: The URL for libpq, without litequeue's options.
    conninfo: str
    #: The URL as messages show it (a password replaced by ``***``).
    shown: str
    #: Host, port and database, as a message about reaching them names them.
    where: str
    #: Whether idle workers wait for LISTEN/NOTIFY (off: poll only, as a pooler in
    #: transaction mode requires).
    notify: bool


def parse_target(url: str) -> Target:
    """A ``postgresql://`` URL and its litequeue options (``?litequeue_notify=off``)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    notify = True
    kept = []
    for key, value in query:
        if key == _NOTIFY_OPTION:
            if value.lower() not in ("on", "off"):
                raise ConfigurationError(f"{_NOTIFY_OPTION} must be 'on' or 'off', not {value!r}")
            notify = value.lower() == "on"
        else:
            kept.append((key, value))
    conninfo = parts._replace(query=urlencode(kept)).geturl()
    shown = conninfo
    if parts.password is not None:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        shown = parts._replace(netloc=netloc, query=urlencode(kept)).geturl()
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError as exc:
        raise ConfigurationError(f"{shown!r}: not a usable PostgreSQL URL ({exc})") from None
    return Target(conninfo=conninfo, shown=shown, where=_where(params), notify=notify)


def _where(params: dict[str, Any]) -> str:
    """``host H, port P, database D`` as libpq would choose them (its defaults
    included), for messages about reaching the server."""
    host = params.get("host") or os.environ.get("PGHOST") or "the local socket"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    user = params.get("user") or os.environ.get("PGUSER") or _login_name()
    database = params.get("dbname") or os.environ.get("PGDATABASE") or user
    return f"host {host}, port {port}, database {database}"


def _login_name() -> str:
    try:
        return os.getlogin()
    except OSError:
        return os.environ.get("USER", "?")


def translate(exc: psycopg.Error, target: Target) -> StoreError:
    """The typed litequeue error for a psycopg error on ``target``."""
    state = getattr(exc, "sqlstate", None)
    text = str(exc).strip()
    if isinstance(exc, psycopg.OperationalError):
        lowered = text.lower()
        if (
            state in _LOGIN_STATES
            or "authentication failed" in lowered
            or ("role" in lowered and "does not exist" in lowered)
            or "no password supplied" in lowered
            or "pg_hba.conf" in lowered
        ):
            return LoginRefused(f"{target.where}: the PostgreSQL server refused the login: {text}")
        if state == _NO_DATABASE or ("database" in lowered and "does not exist" in lowered):
            return DatabaseUnreachable(f"{target.where}: no such PostgreSQL database: {text}")
        return ConnectionLost(f"{target.where}: the connection to PostgreSQL failed: {text}")
    return StoreError(f"{target.shown}: {text}")


@contextlib.contextmanager
def translate_errors(target: Target) -> Iterator[None]:
    """Turn psycopg's errors into litequeue's typed ones, naming the server."""
    try:
        yield
    except psycopg.Error as exc:
        raise translate(exc, target) from exc


def connect(
    target: Target,
    *,
    timeout: float,
    autocommit: bool = True,
    kind: type[psycopg.Connection[Any]] = psycopg.Connection,
) -> psycopg.Connection[Any]:
    """A new connection (of class ``kind``) to ``target``; ``DatabaseUnreachable`` (or
    ``LoginRefused``) naming host, port and database when the server cannot be reached."""
    try:
        return kind.connect(
            target.conninfo, autocommit=autocommit, connect_timeout=max(1, round(timeout))
        )
    except psycopg.OperationalError as exc:
        error = translate(exc, target)
        if isinstance(error, ConnectionLost):  # never connected: unreachable, not lost
            error = DatabaseUnreachable(
                f"{target.where}: cannot reach the PostgreSQL server: {str(exc).strip()}"
            )
        raise error from exc


@attrs.frozen
class Migration:
    """One numbered schema change, run as one statement list in one transaction."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The packaged migrations, in order, numbered 1, 2, 3... with no gaps."""
    found = []
    folder = resources.files("litequeue.engines.postgres").joinpath("migrations")
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise ConfigurationError("litequeue's migrations are not numbered 1..N without gaps")
    return found


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The migration number the database is at (0 where litequeue has no schema)."""
    present = conn.execute(_sql.VERSION_TABLE_EXISTS).fetchone()
    if not present or not present[0]:
        return 0
    row = conn.execute(_sql.SCHEMA_VERSION).fetchone()
    return 0 if row is None else int(row[0])


def _refuse_newer(target: Target, version: int, newest: int) -> None:
    if version > newest:
        raise SchemaTooNew(
            f"{target.shown}: database schema version {version} was written by a newer"
            f" litequeue (this one knows up to version {newest}); upgrade litequeue to"
            " open it"
        )


def require_current(conn: psycopg.Connection[Any], target: Target) -> None:
    """``SchemaTooOld`` or ``SchemaTooNew`` unless the database is at the newest
    version."""
    newest = len(load_migrations())
    version = schema_version(conn)
    _refuse_newer(target, version, newest)
    if version != newest:
        raise SchemaTooOld(target.shown, version, newest)


def migrate(conn: psycopg.Connection[Any], target: Target, *, upto: int | None = None) -> int:
    """Apply the migrations the database lacks, each in its own transaction under the
    migration lock; return the new version. ``SchemaTooNew`` when it is ahead."""
    migrations = load_migrations()
    newest = len(migrations)
    upto = newest if upto is None else upto
    while True:
        with conn.transaction():
            conn.execute(_sql.MIGRATION_LOCK)
            conn.execute(_sql.CREATE_VERSION_TABLE)
            row = conn.execute(_sql.SCHEMA_VERSION).fetchone()
            if row is None:
                conn.execute(_sql.FIRST_VERSION)
                version = 0
            else:
                version = int(row[0])
            _refuse_newer(target, version, newest)
            if version >= upto:
                return version
            migration = migrations[version]
            conn.execute(migration.sql.encode("utf-8"))
            conn.execute(_sql.SET_VERSION, (migration.version,))
