"""The engine-neutral form a queue is copied in, from one engine's database to another's
(``Store.export_rows`` into ``Store.import_rows``; ``Queue.copy_to``).

A queue is its tables' rows: queue settings, jobs (every column, the fencing and lease
columns included), their tags, and the event log. Rows travel table by table, in
chunks, as tuples in ``COPIED``'s column order, with values as the SQLite engine
keeps them: times as POSIX seconds, JSON values (payload, result, error, tags, event
data) as their JSON text, a flag as 0 or 1. Ids and event numbers are kept, so a
follower's last ``seq`` and every ``parent_id`` still mean the same rows. The workers
table is not copied: its rows are live processes of the source.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..errors import TargetNotEmpty

__all__ = ["COPIED", "TableRows", "refuse_unless_empty"]

#: The copied tables, in the order they are written, and their columns.
COPIED: dict[str, tuple[str, ...]] = {
    "queues": (
        "name", "concurrency_limit", "paused", "rate_count", "rate_period",
        "key_rate_count", "key_rate_period", "per_key_limit",
    ),
    "jobs": (
        "id", "kind", "queue", "status", "payload", "result", "error", "priority", "run_at",
        "attempt", "max_attempts", "timeout", "progress", "progress_message", "parent_id",
        "unique_key", "tags", "handler_version", "run_id", "worker", "lease_until",
        "children", "children_finished", "created_at", "updated_at", "started_at",
        "finished_at", "limit_key", "depends_on", "blockers", "has_dependants",
    ),
    "job_tags": ("tag", "job_id"),
    "job_dependencies": ("depends_on", "job_id"),
    "events": ("seq", "job_id", "type", "at", "data"),
    "schedules": (
        "name", "kind", "cron", "payload", "timezone", "queue", "catch_up", "paused",
        "created_at", "next_slot", "last_slot",
    ),
}  # fmt: skip
# The starts that rate windows count are not copied: the copy's windows start empty.

#: Rows ``export_rows`` hands over at a time.
CHUNK = 1000


class TableRows(NamedTuple):
    """Some rows of one copied table."""

    #: A key of ``COPIED``.
    table: str
    #: Rows as tuples in ``COPIED[table]``'s column order.
    rows: list[tuple[Any, ...]]


#: How a refusal names the rows of a table a target already holds.
_HELD = {"jobs": "jobs", "events": "events", "queues": "queue settings"}


def refuse_unless_empty(where: str, held: dict[str, int]) -> None:
    """``TargetNotEmpty`` when the target already holds rows (``{table: count}`` of
    ``jobs``, ``events``, ``queues``): a copy never merges two queues, whose ids and
    event numbers would collide."""
    found = [f"{count} {_HELD[table]}" for table, count in held.items() if count]
    if found:
        raise TargetNotEmpty(
            f"{where} already holds a queue ({', '.join(found)}); copy into an empty database"
        )
