"""Checks of the values users hand to litequeue's API: each refuses a bad one with a
``ConfigurationError`` naming it, before anything is written.

Bounds matter beyond types: SQLite stores 64-bit integers (a larger Python int
cannot even be bound), and a time past year 9999 cannot be read back as a
``datetime``, so a huge delay would make every later listing fail. Names are
bounded too: every listing, table and event carries them, so one 100,000-character
kind would make each line of ``litequeue jobs`` that long.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Final

from ._records import check_storable
from .errors import ConfigurationError, JobNotFound

__all__ = [
    "INT64_MAX",
    "MAX_KEY",
    "MAX_NAME",
    "MAX_SECONDS",
    "id_filter",
    "job_id",
    "name",
    "seconds",
    "text_filter",
    "whole",
]

INT64_MAX: Final = 2**63 - 1
#: The longest delay, timeout or age accepted: about a hundred years.
MAX_SECONDS: Final = 100 * 366 * 86400.0
#: The longest kind, queue name, tag, handler version or worker name, in characters.
MAX_NAME: Final = 200
#: The longest unique key: room for a path or a few hashes.
MAX_KEY: Final = 1000
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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


def name(value: str, what: str, *, limit: int = MAX_NAME, key: bool = False) -> str:
    """A name or label (``what`` says which): a non-empty string of at most ``limit``
    characters, without control characters (a line break or an escape sequence would
    break, or steer, the terminal that lists it), that UTF-8, and so the file, can hold.
    A unique ``key`` may be empty and hold any character: it is matched, not shown."""
    if not isinstance(value, str) or not (value or key):
        need = "a string" if key else "a non-empty string"
        raise ConfigurationError(f"{what} must be {need}, not {value!r}")
    if len(value) > limit:
        raise ConfigurationError(
            f"{what} must be at most {limit} characters, not {len(value)}: {value[:40]!r}..."
        )
    if not key and _CONTROL.search(value):
        raise ConfigurationError(f"{what} must not hold control characters: {value[:60]!r}")
    try:
        check_storable(value)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{what}: {exc}") from None
    return value


def text_filter(value: str | None, what: str) -> str | None:
    """A text to filter by, such as a tag: a string the file could hold (one with a
    lone surrogate could match nothing, and SQLite cannot even be handed it)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{what} must be a string, not {value!r}")
    check_storable(value)
    return value
