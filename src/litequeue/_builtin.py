"""Behaviour litequeue ships as a plugin, registered like any other: job logging."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ._records import encode_json
from .hookspecs import hookimpl, wants
from .models import EventType

if TYPE_CHECKING:
    from .models import Event

logger = logging.getLogger("litequeue.jobs")

_LEVELS = {
    EventType.FAILED: logging.WARNING,
    EventType.RETRYING: logging.INFO,
    EventType.LEASE_EXPIRED: logging.WARNING,
}


def _logged(type_: EventType) -> bool:
    return logger.isEnabledFor(_LEVELS.get(type_, logging.DEBUG))


@hookimpl
@wants(_logged)
def litequeue_job_event(event: Event) -> None:
    """Log each event: failures as warnings, the rest at debug level."""
    level = _LEVELS.get(event.type, logging.DEBUG)
    if logger.isEnabledFor(level):
        logger.log(
            level,
            "job %d %s %s",
            event.job_id,
            event.type.value,
            encode_json(event.data) if event.data else "",  # as `litequeue events` shows it
            extra={"job_id": event.job_id, "event_seq": event.seq},
        )
