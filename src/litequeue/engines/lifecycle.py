"""The job lifecycle, written once for every engine: how attempts end, how a batch
(a parent and its children) moves and ends, what cancel and retry do to a tree.

Each rule runs inside one write transaction, over the ``Transaction`` an engine
provides (``base.py``): a call per statement, so the rules never see SQL and the
engines hold no rules. Every change records its event in the same transaction.

A parent waits for its children while ``running`` with no lease (no attempt of its
own out); each child that ends moves its progress on, and the last one ends it:
``succeeded`` if they all did, else ``failed`` (``ChildFailed``). A batch parent runs
no handler of its own; a job whose handler made children waits for them after it
returns.

A job with dependencies stays ``queued``, counting the ones that have not succeeded
(it is claimable at 0). When one fails for good, is cancelled or is deleted, the job
is cancelled (``DependencyFailed``, naming that dependency), and so in turn are the
jobs that depend on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from .._records import Outcome
from ..errors import InvalidTransition, JobNotFound
from ..models import ErrorInfo, EventType, Job, JobStatus
from .base import Transaction

__all__ = [
    "add_dependencies",
    "cancel",
    "delete",
    "record_outcomes",
    "recount",
    "retry",
    "take_back_expired",
]


def record_outcomes(tx: Transaction, outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Record how attempts ended; returns the outcomes accepted (a late answer from an
    attempt that lost its job is dropped)."""
    successes = [o for o in outcomes if o.status == "succeeded"]
    accepted = _succeed(tx, successes) if successes else []
    accepted.extend(o for o in outcomes if o.status != "succeeded" and _end_attempt(tx, o))
    return accepted


def take_back_expired(tx: Transaction) -> None:
    """Return jobs whose lease ran out to the queue, or fail them when out of attempts."""
    for job_id, attempt, max_attempts, run_id in tx.expired_attempts():
        error = ErrorInfo(
            type="LeaseExpired",
            message=f"the worker running attempt {attempt} stopped renewing its lease",
        )
        retry_at = tx.now if attempt < max_attempts else None
        _end_attempt(
            tx,
            Outcome(job_id=job_id, run_id=run_id, status="failed", error=error, retry_at=retry_at),
            expired=True,
        )


def cancel(tx: Transaction, job_id: int) -> Job:
    """Cancel a queued or running job and its unfinished children."""
    job = tx.job(job_id)
    if job.status.finished:
        raise InvalidTransition(
            f"job {job_id} has already finished ({job.status.value}); "
            "only queued or running jobs can be cancelled"
        )
    _cancel_tree(tx, job_id)
    return tx.job(job_id)


def retry(tx: Transaction, job_id: int) -> Job:
    """Put a failed or cancelled job back with a fresh attempt budget.

    A batch parent goes back to waiting, and its failed and cancelled children back to
    the queue. A child's failed parent waits again for it.
    """
    job = tx.job(job_id)
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise InvalidTransition(
            f"job {job_id} is {job.status.value}; only failed or cancelled jobs can be retried"
        )
    left = 0
    if job.depends_on:
        statuses = tx.statuses(job.depends_on)
        for dependency in job.depends_on:
            status = statuses.get(dependency, JobStatus.SUCCEEDED.value)  # pruned: done
            if status in _GIVEN_UP:
                raise InvalidTransition(
                    f"job {job_id} depends on job {dependency}, which is {status}:"
                    f" retry job {dependency} first"
                )
            left += status != JobStatus.SUCCEEDED.value
    _requeue(tx, job.id, job.status)
    if job.depends_on:
        tx.set_blockers(job.id, left)
    if job.parent_id is not None:
        _child_back(tx, job.parent_id)
    return tx.job(job_id)


def add_dependencies(tx: Transaction, job_id: int, depends_on: Sequence[int]) -> None:
    """Make a job just inserted wait for ``depends_on`` (job ids, none twice): it is
    claimable once they have all succeeded, and cancelled at once if one of them
    already failed or was cancelled."""
    statuses = tx.statuses(depends_on)
    missing = [dependency for dependency in depends_on if dependency not in statuses]
    if missing:
        raise JobNotFound(missing[0])
    left = sum(statuses[d] != JobStatus.SUCCEEDED.value for d in depends_on)
    tx.add_dependencies(job_id, depends_on, left)
    for dependency in depends_on:
        if statuses[dependency] in _GIVEN_UP:
            _cancel_dependant(tx, job_id, dependency, statuses[dependency])
            return


def delete(tx: Transaction, job_id: int) -> list[Job]:
    """Delete a job that is not running, with its descendants, their tags and their
    events, and record a ``deleted`` event for each; returns the removed jobs, by id.
    A child of a batch that is not done is refused: its parent's outcome depends on it."""
    job = tx.job(job_id)
    ids = tx.subtree(job_id)
    running = tx.first_running(ids)
    if running is not None:
        which = "it is" if running == job_id else f"its child job {running} is"
        raise InvalidTransition(
            f"job {job_id} cannot be deleted: {which} running (cancel it first)"
        )
    parent = None if job.parent_id is None else tx.status_and_parent(job.parent_id)
    if parent is not None and parent[0] != JobStatus.SUCCEEDED.value:
        raise InvalidTransition(
            f"job {job_id} cannot be deleted: its parent job {job.parent_id} is"
            f" {parent[0]} and depends on it (delete job {job.parent_id} instead)"
        )
    for each, status in tx.statuses(ids).items():
        if status != JobStatus.SUCCEEDED.value:  # a success has already released them
            _dependency_ended(tx, each, "deleted")
    removed = tx.remove_jobs(ids)
    for gone in removed:
        tx.event(gone.id, EventType.DELETED)
    tx.remove_events(ids)
    return removed


def recount(tx: Transaction, parent_id: int) -> None:
    """Count a waiting parent's ended children from their rows (a cancelled batch's
    children were not counted as they ended): its progress follows, and with none left
    to wait for, it ends. A child whose row is gone (pruned) had ended."""
    counted = tx.recount(parent_id)
    if counted is None:
        return  # it ended meanwhile (a child put back ended at once, and with it)
    children, done, waiting = counted
    if not waiting:
        return  # its own handler has yet to run or return
    if done >= children:
        _end_parent(tx, parent_id)


def _succeed(tx: Transaction, outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Record successes, fenced by run id like ``_end_attempt``. A job with unfinished
    children keeps running, without a lease, until they end."""
    if tx.succeed_plain(outcomes):
        return list(outcomes)
    done = set()  # by attempt: a late answer of the same job is not accepted with it
    for job_id, run_id, status, parent_id, attempt, children_done in tx.succeed(outcomes):
        done.add(run_id)
        if status == "running":
            if children_done:  # they all ended before it did
                _end_parent(tx, job_id, attempt=attempt)
            else:
                tx.event(job_id, EventType.WAITING, {"attempt": attempt})
            continue
        tx.succeeded(job_id, attempt)
        _dependency_ended(tx, job_id, JobStatus.SUCCEEDED.value)
        if parent_id is not None:
            _child_ended(tx, parent_id)
    return [o for o in outcomes if o.run_id in done]


def _end_attempt(tx: Transaction, outcome: Outcome, *, expired: bool = False) -> bool:
    """Record a failure, cancellation or hand-back (successes go through ``_succeed``);
    False when the attempt no longer holds its job."""
    if outcome.status not in ("failed", "cancelled", "released"):
        raise ValueError(f"unknown outcome status {outcome.status!r}")
    ended = tx.end_attempt(outcome, expired=expired)
    if ended is None:
        return False
    status, parent_id, attempt = ended
    data: dict[str, Any] = {"attempt": attempt}
    if outcome.error is not None:
        data["error"] = str(outcome.error)
    if status == "queued":
        if expired:
            tx.event(outcome.job_id, EventType.LEASE_EXPIRED, data)
        elif outcome.status == "released":
            tx.event(outcome.job_id, EventType.RELEASED, data)
        else:
            # Back in the queue after a failure only with a retry time; written as
            # Job.to_dict() writes times, not as a bare number.
            data["run_at"] = datetime.fromtimestamp(cast(float, outcome.retry_at), UTC).isoformat()
            tx.event(outcome.job_id, EventType.RETRYING, data)
        return True
    tx.event(outcome.job_id, EventType(status), data)
    _dependency_ended(tx, outcome.job_id, status)
    if parent_id is not None:
        _child_ended(tx, parent_id)
    return True


def _child_ended(tx: Transaction, parent_id: int) -> None:
    """Move a parent's progress on; end it when its last child has ended."""
    counted = tx.child_ended(parent_id)
    if counted is None:
        return  # the parent was cancelled or ended before this child
    status, lease_until, children, done, progress, message = counted
    tx.event(parent_id, EventType.PROGRESS, {"progress": progress, "message": message})
    if status == "running" and lease_until is None and done >= children:
        _end_parent(tx, parent_id)


def _end_parent(tx: Transaction, parent_id: int, *, attempt: int | None = None) -> None:
    """End a job that waited for its children: ``succeeded`` if they all did, else
    ``failed``; ``attempt`` is that of its own handler when it has just returned."""
    unsuccessful = tx.unsuccessful_children(parent_id)
    data: dict[str, Any] = {} if attempt is None else {"attempt": attempt}
    error = None
    if unsuccessful:
        error = ErrorInfo(
            type="ChildFailed", message=f"{unsuccessful} child job(s) did not succeed"
        )
        data["error"] = str(error)
    status = "failed" if unsuccessful else "succeeded"
    grandparent = tx.end_parent(parent_id, status, error)
    tx.event(parent_id, EventType(status), data)
    _dependency_ended(tx, parent_id, status)
    if grandparent is not None:
        _child_ended(tx, grandparent)


def _cancel_tree(
    tx: Transaction,
    job_id: int,
    error: ErrorInfo | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Cancel a job (by request, unless ``error`` and the event's ``data`` say why),
    its unfinished children and the jobs that depend on it."""
    children = tx.active_children(job_id)
    cancelled, parent_id = tx.cancel_job(job_id, error)
    if not cancelled:
        return
    tx.event(job_id, EventType.CANCELLED, data or {"by": "request"})
    for child in children:
        _cancel_tree(tx, child)
    _dependency_ended(tx, job_id, JobStatus.CANCELLED.value)
    if parent_id is not None:
        _child_ended(tx, parent_id)


#: The ends of a dependency that cancel the jobs waiting for it.
_GIVEN_UP = frozenset({JobStatus.FAILED.value, JobStatus.CANCELLED.value, "deleted"})


def _dependency_ended(tx: Transaction, job_id: int, status: str) -> None:
    """A job ended as ``status`` (or was deleted): the jobs waiting for it wait for
    one fewer if it succeeded, and are cancelled if it failed, was cancelled or went."""
    if status == JobStatus.SUCCEEDED.value:
        tx.release_dependants(job_id)
    elif status in _GIVEN_UP:
        for dependant in tx.dependants(job_id):
            _cancel_dependant(tx, dependant, job_id, status)


def _cancel_dependant(tx: Transaction, job_id: int, dependency: int, status: str) -> None:
    error = ErrorInfo(
        type="DependencyFailed",
        message=f"job {dependency}, which it depends on, {_ENDED_AS[status]}",
    )
    data = {"by": "dependency", "dependency": dependency, "error": str(error)}
    _cancel_tree(tx, job_id, error, data)


_ENDED_AS = {"failed": "failed", "cancelled": "was cancelled", "deleted": "was deleted"}


def _requeue(tx: Transaction, job_id: int, previous: JobStatus) -> None:
    """Put a finished job back, with its failed and cancelled children: to run its
    handler again, or, for a job whose work is its children's (a batch parent, or a job
    whose handler returned and waited for the children it made), to wait for them
    again."""
    tx.event(job_id, EventType.REQUEUED, {"previous": previous.value})
    waits = tx.waits_for_children(job_id)
    if waits:
        tx.reopen(job_id)
    else:
        tx.requeue(job_id)
    again = tx.children_to_retry(job_id)
    # Counted from the rows before they go back: a child put back may end at once (one
    # that only waits for children that have ended), and counts on from here.
    tx.count_kept_children(job_id)
    for child_id, status in again:
        _requeue(tx, child_id, JobStatus(status))
    if waits:
        recount(tx, job_id)


def _child_back(tx: Transaction, parent_id: int) -> None:
    """An ended child of ``parent_id`` runs again: a failed parent waits again (and so
    on up), a waiting one counts again; a cancelled one stays cancelled."""
    found = tx.status_and_parent(parent_id)
    if found is None:
        return  # the parent is gone (pruned): nothing waits for this child
    status, grandparent = found
    if status == JobStatus.FAILED.value and tx.waits_for_children(parent_id):
        tx.event(parent_id, EventType.REQUEUED, {"previous": status})
        tx.reopen(parent_id)
        if grandparent is not None:
            _child_back(tx, grandparent)
    elif status not in ("queued", "running"):
        return
    recount(tx, parent_id)
