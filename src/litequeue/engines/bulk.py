"""Bulk actions, written once for every engine: retry, cancel or delete many jobs in
one transaction, each as its single action does it (the same rules of
``lifecycle``, the same events), skipping those it no longer applies to.

Each action checks a job before it changes anything, so a job skipped leaves no
trace in the transaction the others commit in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from ..errors import InvalidTransition, JobNotFound
from ..models import Job
from . import lifecycle
from .base import Transaction

__all__ = ["ACTIONS", "Steered", "steer"]

#: What a bulk action does to one job: the jobs it changed (deleted: all it removed).
_ONE: dict[str, Callable[[Transaction, int], Any]] = {
    "retry": lambda tx, job_id: [lifecycle.retry(tx, job_id)],
    "cancel": lambda tx, job_id: [lifecycle.cancel(tx, job_id)],
    "delete": lifecycle.delete,
}
#: The bulk actions, by name.
ACTIONS = tuple(_ONE)


@attrs.frozen(kw_only=True)
class Steered:
    """What a bulk action did in one transaction."""

    #: The jobs it changed as they are now (deleted: every job removed, children too).
    changed: list[Job]
    #: How many of the jobs asked for it changed.
    done: int
    #: How many it skipped: gone, or in a status the action does not apply to.
    skipped: int


def steer(tx: Transaction, action: str, job_ids: Sequence[int]) -> Steered:
    """Apply ``action`` (one of ``ACTIONS``) to each job, in order, in ``tx``."""
    one = _ONE[action]
    changed: list[Job] = []
    done = skipped = 0
    for job_id in job_ids:
        try:
            changed.extend(one(tx, job_id))
        except (JobNotFound, InvalidTransition):
            skipped += 1
        else:
            done += 1
    return Steered(changed=changed, done=done, skipped=skipped)
