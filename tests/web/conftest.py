"""The dashboard's API, listing and browser tests that take a queue run on every
engine, as the contract does: ``db_path`` (and the ``queue`` fixture) is a SQLite file
or a fresh schema of a PostgreSQL database."""

from __future__ import annotations

from contract.conftest import _contract_database, db_path, engine, postgres_schema_url

__all__ = ["_contract_database", "db_path", "engine", "postgres_schema_url"]
