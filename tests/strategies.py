"""Hypothesis strategies and helpers shared by the property tests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

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


def on_engine(
    machine: type[RuleBasedStateMachine], new_target: Callable[[], Path | str]
) -> Callable[[], RuleBasedStateMachine]:
    """A factory of ``machine`` whose examples each open a fresh queue from
    ``new_target`` (the contract suite's fixture: a file, or a PostgreSQL schema)."""
    bound = type(machine.__name__, (machine,), {"new_target": staticmethod(new_target)})
    return bound


def small_prune_chunks(queue: Any) -> Callable[[], None]:
    """Make the queue's engine prune two rows per transaction (so a prune spans several);
    returns what puts the engine's own figure back."""
    module = sys.modules[type(queue.store).__module__]
    before = module._PRUNE_CHUNK
    module._PRUNE_CHUNK = 2

    def restore() -> None:
        module._PRUNE_CHUNK = before

    return restore
