"""The dashboard's API and listing tests run on every engine, as the contract does:
``db_path`` (and the ``queue`` fixture) is a SQLite file or a fresh PostgreSQL
database."""

from __future__ import annotations

from contract.conftest import db_path, engine

__all__ = ["db_path", "engine"]
