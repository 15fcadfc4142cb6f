"""The PostgreSQL engine, for queues that outgrow one machine: claims of up to N jobs
in one ``FOR UPDATE SKIP LOCKED`` statement, the server's clock for leases and due
times, event numbers in commit order, idle workers woken by LISTEN/NOTIFY (or by
polling, behind a pooler), migrations in ``litequeue_schema_version`` under an
advisory lock. Needs the ``postgres`` extra (psycopg 3).
"""

from __future__ import annotations

from ._store import PostgresStore

__all__ = ["PostgresStore"]
