"""Checks of the values users hand to litequeue's API: each refuses a bad one with a
``ConfigurationError`` naming it, before anything is written.

Bounds matter beyond types: SQLite stores 64-bit integers (a larger Python int
cannot even be bound), and a time past year 9999 cannot be read back as a
``datetime``, so a huge delay would make every later listing fail.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Final

from ._records import check_storable
from .errors import ConfigurationError, JobNotFound

__all__ = [
    "INT64_MAX",
    "MAX_SECONDS",
    "id_filter",
    "job_id",
    "queue_name",
    "seconds",
    "text_filter",
    "whole",
]

INT64_MAX: Final = 2**63 - 1
#: The longest delay, timeout or age accepted: about a hundred years.
MAX_SECONDS: Final = 100 * 366 * 86400.0


def seconds(
    value: float | timedelta, what: str, *, zero: bool = True, forever: bool = False
) -> float:
    """A duration given as seconds or a ``timedelta``: finite, at most ``MAX_SECONDS``
    (``forever`` also accepts infinity), and positive unless ``zero`` allows 0."""
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or math.isnan(value)
        or value < 0
        or (value == 0 and not zero)
        or (value > MAX_SECONDS and not (forever and math.isinf(value)))
    ):
        low = ">= 0" if zero else "> 0"
        high = "" if forever else f" and at most {MAX_SECONDS:.0f} (about 100 years)"
        raise ConfigurationError(f"{what} must be a number of seconds {low}{high}, not {value!r}")
    return float(value)


def whole(value: int, what: str, *, low: int = 1) -> int:
    """An ``int`` (not a ``bool``) from ``low`` to the largest SQLite integer."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= INT64_MAX:
        raise ConfigurationError(
            f"{what} must be a whole number from {low} to {INT64_MAX}, not {value!r}"
        )
    return value


def job_id(value: int, what: str = "job id") -> int:
    """A job id to look up: an ``int``; one no job can have is ``JobNotFound``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigurationError(f"{what} must be an integer, not {value!r}")
    if not 1 <= value <= INT64_MAX:
        raise JobNotFound(value)
    return value


def id_filter(value: int | None, what: str) -> int | None:
    """A job id to filter by: an integer, brought within SQLite's range (no job lies
    beyond it, so the answer is the same)."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigurationError(f"{what} must be a job id (an integer), not {value!r}")
    return max(-INT64_MAX - 1, min(value, INT64_MAX))


def queue_name(name: str, what: str = "a queue name") -> None:
    """A non-empty string that UTF-8, and so the file, can hold."""
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"{what} must be a non-empty string, not {name!r}")
    try:
        check_storable(name)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{what}: {exc}") from None


def text_filter(value: str | None, what: str) -> str | None:
    """A text to filter by, such as a tag: a string the file could hold (one with a
    lone surrogate could match nothing, and SQLite cannot even be handed it)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{what} must be a string, not {value!r}")
    check_storable(value)
    return value
