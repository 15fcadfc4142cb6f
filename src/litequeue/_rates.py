"""Rate limits as users write them (``"100/m"``, ``"3/10s"``) and as the store keeps
them: a number of starts and the length of the sliding window, in seconds."""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import ConfigurationError

__all__ = ["Rate", "parse_rate"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_NAMES = {period: unit for unit, period in _UNITS.items()}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(?:(\d+(?:\.\d+)?)\s*s?|(\d*)\s*([smh]))\s*\Z")


class Rate(NamedTuple):
    """At most ``starts`` starts in any window of ``period`` seconds."""

    starts: int
    period: float

    def __str__(self) -> str:
        unit = _NAMES.get(self.period)
        return f"{self.starts}/{unit}" if unit else f"{self.starts}/{self.period:g}s"


def parse_rate(text: str, what: str) -> Rate:
    """``"N/s"``, ``"N/m"``, ``"N/h"``, ``"N/10s"``, ``"N/5m"`` or ``"N/30"`` (seconds)
    as a ``Rate``; ``ConfigurationError`` naming ``what`` for anything else."""
    match = _RATE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ConfigurationError(
            f"{what} must look like '100/m', '5/s', '1/h' or '3/10s', not {text!r}"
        )
    count = int(match[1])
    seconds, number, unit = match[2], match[3], match[4]
    period = float(seconds) if seconds is not None else float(number or 1) * _UNITS[unit]
    if count < 1 or period <= 0:
        raise ConfigurationError(
            f"{what} needs at least 1 start in a window longer than 0: {text!r}"
        )
    return Rate(count, period)
