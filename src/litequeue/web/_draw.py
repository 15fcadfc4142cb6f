"""What the dashboard sends of jobs, events, queues and workers, as JSON values.

Everything the page shows comes from these, and the page puts each value in with
``textContent``: none of it is markup.
"""

from __future__ import annotations

import json
from typing import Any

import litequeue

__all__ = ["draw_event", "job_detail", "job_row", "worker_row"]

#: Characters of a payload the job table shows.
PREVIEW = 120


def _time(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def job_row(job: litequeue.Job) -> dict[str, Any]:
    """A row of the job table."""
    preview = json.dumps(job.payload, ensure_ascii=False, default=str)
    return {
        "id": job.id,
        "kind": job.kind,
        "queue": job.queue,
        "status": job.status.value,
        "attempt": job.attempt,
        "max_attempts": job.max_attempts,
        "progress": job.progress,
        "message": job.progress_message,
        "error": None if job.error is None else str(job.error),
        "tags": list(job.tags),
        "parent_id": job.parent_id,
        "priority": job.priority,
        "preview": preview[:PREVIEW],
        "created_at": _time(job.created_at),
        "updated_at": _time(job.updated_at),
        "run_at": _time(job.run_at),
        "finished_at": _time(job.finished_at),
    }


def job_detail(job: litequeue.Job) -> dict[str, Any]:
    """Everything about a job: its row, payload, result and error with traceback."""
    whole = job.to_dict()
    return {
        **job_row(job),
        "payload": whole["payload"],
        "result": whole["result"],
        "error": whole["error"],
        "unique_key": job.unique_key,
        "handler_version": job.handler_version,
        "timeout": job.timeout,
        "started_at": _time(job.started_at),
        "lease_until": _time(job.lease_until),
    }


def draw_event(event: litequeue.Event, job: litequeue.Job | None) -> dict[str, Any]:
    """An event as the dashboard's stream sends it, with its job as it is now."""
    return {
        "seq": event.seq,
        "type": event.type.value,
        "job_id": event.job_id,
        "at": _time(event.at),
        "data": event.data,
        "job": None if job is None else job_row(job),
    }


def worker_row(worker: litequeue.WorkerInfo) -> dict[str, Any]:
    """A live worker; its default name is ``host:pid:random``."""
    parts = worker.name.split(":")
    named = len(parts) == 3 and parts[1].isdigit()
    return {
        "name": worker.name,
        "host": parts[0] if named else None,
        "pid": int(parts[1]) if named else None,
        "queues": list(worker.queues),
        "kinds": None if worker.kinds is None else list(worker.kinds),
        "started_at": _time(worker.started_at),
        "last_heartbeat": _time(worker.last_heartbeat),
        "holding": worker.holding,
    }
