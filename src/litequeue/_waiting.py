"""Why a queued job has not started: what ``Queue.why_waiting``, ``litequeue show``
and the dashboard say, from the job and its queue's settings."""

from __future__ import annotations

from datetime import datetime

from .models import Job, QueueInfo

__all__ = ["limits_summary", "waiting_reasons"]


def waiting_reasons(job: Job, settings: QueueInfo | None, now: datetime) -> list[str]:
    """Each reason a queued ``job`` waits, as of ``now``; the last one says what
    holds it when nothing else does (a free worker, or its queue's limits)."""
    reasons = []
    if job.dependencies_left:
        ids = ", ".join(str(each) for each in job.depends_on)
        reasons.append(
            f"waits for {job.dependencies_left} of the jobs it depends on to succeed ({ids})"
        )
    schedule = next((tag for tag in job.tags if tag.startswith("schedule:")), None)
    if job.run_at > now:
        when = job.run_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        if schedule is not None:
            reasons.append(f"the slot of {schedule} at {when}")
        elif job.attempt:
            reasons.append(f"a retry, not before {when}")
        else:
            reasons.append(f"delayed until {when}")
    if settings is not None and settings.paused:
        reasons.append(f"queue {job.queue} is paused")
    if not reasons:
        limits = limits_summary(settings)
        if limits:
            key = f" (limit key {job.limit_key})" if job.limit_key else ""
            reasons.append(f"due; its queue's limits decide when{key}: {limits}")
        else:
            reasons.append("due: the next free worker that handles its kind takes it")
    return reasons


def limits_summary(settings: QueueInfo | None) -> str:
    """A queue's flow-control settings in a few words (empty when it has none)."""
    if settings is None:
        return ""
    parts = []
    if settings.limit is not None:
        parts.append(f"{settings.limit} at once")
    if settings.rate is not None:
        parts.append(f"rate {settings.rate}")
    if settings.per_key_rate is not None:
        parts.append(f"{settings.per_key_rate} per key")
    if settings.per_key_limit is not None:
        parts.append(f"{settings.per_key_limit} at once per key")
    return ", ".join(parts)
