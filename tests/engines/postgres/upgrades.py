"""What the upgrade tests start from: jobs of every finished status, read back by
status, and the claim-order index as it was before the key walk split it."""

from __future__ import annotations

import litequeue
from litequeue import JobStatus
from litequeue.testing import drain

#: The claim-order index as it was before migration ``claim_by_key`` split it.
UNSPLIT_CLAIMABLE = (
    "DROP INDEX litequeue_jobs_keyed_claimable; DROP INDEX litequeue_jobs_claimable;"
    " CREATE INDEX litequeue_jobs_claimable ON litequeue_jobs (queue, priority DESC, run_at, id)"
    " WHERE status = 'queued'"
)


def finished_jobs(queue: litequeue.Queue, each: int = 3) -> None:
    """``each`` jobs that succeed and ``each`` that fail, run to their end, and one
    cancelled: the caller adds the queued and running ones its upgrade must keep."""
    queue.handler("ok")(lambda ctx, payload: None)
    queue.handler("bad", max_attempts=1)(lambda ctx, payload: 1 / 0)
    queue.enqueue_many([(kind, {"n": n}) for n in range(each) for kind in ("ok", "bad")])
    queue.cancel(queue.enqueue("gone", {}).id)
    drain(queue)


def ids_by_status(queue: litequeue.Queue) -> dict[JobStatus, list[int]]:
    """Every job's id, by status, in the listing's order."""
    return {status: [j.id for j in queue.jobs(status=[status])] for status in JobStatus}
