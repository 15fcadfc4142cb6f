"""A database upgraded one release at a time ends up as a new one: the same tables,
columns, defaults, constraints, indexes, storage settings and functions."""

from __future__ import annotations

import re
from typing import Any

import psycopg

import litequeue
from litequeue.engines.postgres import _schema

#: What a schema holds, each row with the schema's name left out.
_CATALOG = {
    "columns": """
        SELECT c.relname, c.relkind, a.attnum, a.attname,
            format_type(a.atttypid, a.atttypmod), a.attnotnull,
            pg_get_expr(d.adbin, d.adrelid)
        FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'v', 'p')
        ORDER BY 1, 3""",
    "storage": """
        SELECT relname, relkind, reloptions FROM pg_class
        WHERE relnamespace = %(schema)s::regnamespace ORDER BY 1""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = %(schema)s::regnamespace ORDER BY 1, 2""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = %(schema)s ORDER BY 1, 2""",
    "functions": """
        SELECT proname, pg_get_function_identity_arguments(oid), pg_get_functiondef(oid)
        FROM pg_proc WHERE pronamespace = %(schema)s::regnamespace ORDER BY 1, 2""",
    "triggers": """
        SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger
        WHERE NOT tgisinternal AND tgrelid IN (
            SELECT oid FROM pg_class WHERE relnamespace = %(schema)s::regnamespace
        ) ORDER BY 1, 2""",
    "version": "SELECT version FROM litequeue_schema_version",
}


def _schema_url(url: str, schema: str) -> str:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    return f"{url}?options=-csearch_path%3D{schema}"


def _described(url: str, schema: str) -> dict[str, list[Any]]:
    """Everything ``_CATALOG`` reads of ``schema``, its name written as ``S``."""
    named = re.compile(rf'"?\b{re.escape(schema)}\b"?\.')
    described = {}
    with psycopg.connect(url, autocommit=True, options=f"-csearch_path={schema}") as conn:
        for what, query in _CATALOG.items():
            rows = conn.execute(query, {"schema": schema}).fetchall()
            described[what] = [
                tuple(named.sub("S.", v) if isinstance(v, str) else v for v in row) for row in rows
            ]
    return described


def test_each_older_version_migrated_stepwise_equals_a_fresh_database(postgres_url: str) -> None:
    litequeue.Queue(_schema_url(postgres_url, "fresh")).close()
    fresh = _described(postgres_url, "fresh")
    newest = len(_schema.load_migrations())
    assert fresh["version"] == [(newest,)]
    stepwise = []
    for start in range(newest + 1):
        url = _schema_url(postgres_url, f"from_{start}")
        target = _schema.parse_target(url)
        conn = _schema.connect(target, timeout=10)
        try:
            assert _schema.migrate(conn, target, upto=start) == start
        finally:
            conn.close()
        stepwise.append(_described(postgres_url, f"from_{start}"))
        with litequeue.Queue(url) as queue:  # upgraded on open
            assert queue.schema_version() == newest
        upgraded = _described(postgres_url, f"from_{start}")
        for what in _CATALOG:
            assert upgraded[what] == fresh[what], f"{what} after migrating from version {start}"
    # Not a comparison of nothing: every migration changes what is compared.
    for version in range(1, newest + 1):
        before, after = stepwise[version - 1], stepwise[version]
        assert {w for w in _CATALOG if w != "version" and before[w] != after[w]}, version
