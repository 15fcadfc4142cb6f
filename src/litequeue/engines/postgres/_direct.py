"""Hot statements sent through libpq itself (psycopg's ``pq`` layer), not a cursor.

An enqueue of one job is one statement, and psycopg's cursor spent about half of
the client's CPU of it: converting the query, looking up how to send each argument,
keeping its prepared-statement cache, then making a row of the answer. Here the
store hands over its arguments as bytes (numbers in PostgreSQL's binary form, text
as text), each connection prepares the statements once, by name, at the first call
of any of them, and the one row comes back in binary. A connection in poll-only
mode (a pooler in transaction mode, which cannot keep prepared statements) sends
the statement's text with every call instead.

The answer is awaited as psycopg awaits its own (``Connection.wait``: an interrupt
cancels the statement), and every result up to the end of the statement's
transaction is read, so an error raised at its commit is raised here too, as
psycopg's exception for it.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import errors, pq
from psycopg.generators import execute

__all__ = [
    "FLOAT8",
    "INT8",
    "TEXT",
    "Connection",
    "Statements",
    "float8",
    "float8_value",
    "int4_value",
    "int8",
    "int8_value",
]

#: Type ids of the parameters these statements take.
FLOAT8, INT8, TEXT = 701, 20, 25
_INT4, _INT8, _FLOAT8 = struct.Struct("!i"), struct.Struct("!q"), struct.Struct("!d")
#: A float8 and an int8 parameter in PostgreSQL's binary form.
float8 = _FLOAT8.pack
int8 = _INT8.pack


def int4_value(data: bytes) -> int:
    """An int4 of a row, from its binary form."""
    return int(_INT4.unpack(data)[0])


def int8_value(data: bytes) -> int:
    """An int8 of a row, from its binary form."""
    return int(_INT8.unpack(data)[0])


def float8_value(data: bytes) -> float:
    """A float8 of a row, from its binary form."""
    return float(_FLOAT8.unpack(data)[0])


_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_FATAL_ERROR = pq.ExecStatus.FATAL_ERROR
_BINARY = pq.Format.BINARY
#: SQLSTATE of a call of a prepared statement the connection does not have.
_NO_SUCH_STATEMENT = b"26000"


class Connection(psycopg.Connection[Any]):
    """A store's connection, which knows which statements it has prepared."""

    prepared: Statements | None = None


class Statements:
    """Statements by name, each with its parameters' types (a ``$n`` each), run in
    autocommit with binary parameters, one binary row back."""

    def __init__(self, statements: Mapping[str, tuple[str, Sequence[int]]], *, prepare: bool):
        """``prepare``: whether connections prepare them (not behind a pooler in
        transaction mode)."""
        self._texts = {
            name: (name.encode(), text.encode(), tuple(types), (_BINARY,) * len(types))
            for name, (text, types) in statements.items()
        }
        self._prepare = prepare
        self._preparing = "; ".join(
            f"PREPARE {name} ({', '.join(_TYPE_NAMES[t] for t in types)}) AS {text}"
            for name, (text, types) in statements.items()
        ).encode()

    def row(
        self, conn: psycopg.Connection[Any], name: str, params: Sequence[bytes | None]
    ) -> list[Any]:
        """The one row statement ``name`` returns for ``params``, as bytes (``None``
        for NULL), the statement's transaction committed; ``conn`` is a ``Connection``."""
        assert isinstance(conn, Connection)
        pg = conn.pgconn
        prepared, text, types, formats = self._texts[name]
        if self._prepare:
            self.prepare(conn)
            pg.send_query_prepared(prepared, params, formats, _BINARY)
        else:
            pg.send_query_params(text, params, types, formats, _BINARY)
        results = conn.wait(execute(pg))
        if self._prepare and _gone(results[0]):
            # Deallocated since: psycopg drops every prepared statement of its
            # connection after a rollback, a pooler's DISCARD ALL would too.
            conn.prepared = None
            self.prepare(conn)
            pg.send_query_prepared(prepared, params, formats, _BINARY)
            results = conn.wait(execute(pg))
        result = results[0]
        if len(results) != 1 or result.status != _TUPLES_OK:
            _check(results, conn)
        return [result.get_value(0, column) for column in range(result.nfields)]

    def prepare(self, conn: Connection) -> None:
        """Prepare the statements on ``conn`` (one round trip), once."""
        if self._prepare and conn.prepared is not self:
            conn.pgconn.send_query(self._preparing)
            _check(conn.wait(execute(conn.pgconn)), conn)
            conn.prepared = self


_TYPE_NAMES = {FLOAT8: "float8", INT8: "int8", TEXT: "text"}


def _gone(result: pq.abc.PGresult) -> bool:
    """Whether a call failed because its prepared statement does not exist (it was
    then not run)."""
    return (
        result.status == _FATAL_ERROR
        and result.error_field(pq.DiagnosticField.SQLSTATE) == _NO_SUCH_STATEMENT
    )


def _check(results: list[pq.abc.PGresult], conn: psycopg.Connection[Any]) -> None:
    for result in results:
        if result.status != _TUPLES_OK and result.status != _COMMAND_OK:
            raise errors.error_from_result(result, encoding=conn.info.encoding)
