"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

#: Any JSON value litequeue must store and give back unchanged.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

kinds = st.text(alphabet="abcdefghijklmnopqrstuvwxyz._", min_size=1, max_size=12)


def pick(data: st.DataObject, items: Sequence[T]) -> T | None:
    """One of ``items`` (``None`` if there are none), drawn as an index of fixed range.

    For draws from what the system under test holds: a list that threads, processes
    or the clock fill differently between replays must not change the draw's shape
    (``st.sampled_from(items)`` would, and hypothesis then fails with
    ``FlakyStrategyDefinition``)."""
    index = data.draw(st.integers(0, 2**16))
    return items[index % len(items)] if items else None


#: A tag is shown on one line, so it holds no control character (nor a lone surrogate).
tags = st.lists(
    st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=10),
    max_size=3,
    unique=True,
)
