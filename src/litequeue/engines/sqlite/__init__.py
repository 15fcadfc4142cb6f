"""The SQLite engine, the embedded default: one file in WAL mode, write transactions
begun with ``BEGIN IMMEDIATE``, one ``UPDATE ... RETURNING`` per claim, idle workers
woken through ``PRAGMA data_version``, migrations tracked by ``PRAGMA user_version``.
"""

from __future__ import annotations

from ._store import SQLiteStore

__all__ = ["SQLiteStore"]
