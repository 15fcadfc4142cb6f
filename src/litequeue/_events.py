"""The event bus of one ``Queue``: who hears a commit's events, and who is woken by it.

The queue and its workers hand every commit's events here once the transaction has
committed (never before: nobody is told of a change that may yet roll back). The bus
delivers them to the ``litequeue_job_event`` hooks and to ``subscribe()`` callbacks,
each in its own ``try`` (one failing listener is logged and the others still hear),
then wakes the workers of this process, which other processes' commits reach through
their store instead. Workers also hear here of the jobs cancelled through this queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import pluggy

from . import _plugins
from ._records import Written
from .models import Event, EventType

__all__ = ["EventBus"]

logger = logging.getLogger(__name__)

C = TypeVar("C", bound=Callable[..., Any])

_Hook = tuple[str, Callable[[Event], Any], Callable[[EventType], bool] | None]


class _Added(Generic[C]):
    """One ``add`` of a callback: the same callback added twice is two of these, and
    removing one leaves the other."""

    __slots__ = ("active", "callback")

    def __init__(self, callback: C) -> None:
        self.callback = callback
        self.active = True


class _Callbacks(Generic[C]):
    """Callbacks that any thread may add, remove or call.

    Every commit reads them, few calls change them: a change replaces the tuple, so
    a read takes no lock and copies nothing."""

    def __init__(self) -> None:
        self._added: tuple[_Added[C], ...] = ()
        self._lock = threading.Lock()

    def add(self, callback: C) -> Callable[[], None]:
        """Add ``callback``; returns a function that removes this addition of it
        (idempotent)."""
        added = _Added(callback)
        with self._lock:
            self._added = (*self._added, added)

        def remove() -> None:
            with self._lock:
                if added.active:
                    added.active = False
                    self._added = tuple(a for a in self._added if a is not added)

        return remove

    def current(self) -> tuple[_Added[C], ...]:
        """The callbacks as they are now, to call (a callback may add or remove
        others meanwhile); one removed since is no longer ``active``."""
        return self._added


class EventBus:
    """Delivery after commit, subscribers, wakers and cancel listeners of one queue.

    ``queue`` is what hook implementations that ask for a ``queue`` argument get.
    """

    def __init__(self, plugin_manager: pluggy.PluginManager, queue: object) -> None:
        self._plugin_manager = plugin_manager
        self._queue = queue
        self._subscribers: _Callbacks[Callable[[Event], Any]] = _Callbacks()
        #: In-process workers: woken after each local commit...
        self._wakers: _Callbacks[Callable[[], None]] = _Callbacks()
        #: ...and told at once of the jobs cancelled here (others learn it by heartbeat).
        self._cancel_listeners: _Callbacks[Callable[[list[int]], None]] = _Callbacks()
        self._hook_cache: tuple[list[Any], list[_Hook]] = ([], [])

    def subscribe(self, callback: Callable[[Event], Any]) -> Callable[[], None]:
        """Call ``callback(event)`` after each commit made in this process; returns a
        function that unsubscribes."""
        return self._subscribers.add(callback)

    def add_waker(self, waker: Callable[[], None]) -> Callable[[], None]:
        """Call ``waker()`` after every local commit (how in-process workers hear of
        new jobs without polling); returns a function that removes it."""
        return self._wakers.add(waker)

    def on_cancel(self, listener: Callable[[list[int]], None]) -> Callable[[], None]:
        """Call ``listener(job_ids)`` after each cancellation made through this queue;
        returns a function that removes it."""
        return self._cancel_listeners.add(listener)

    def committed(self, events: Written, *, wake: bool = True, origin: object = None) -> None:
        """Deliver a commit's events to hooks and subscribers, then wake the workers of
        this process (another connection's commits reach workers through their store;
        this connection's do not). ``origin`` is the waker of the worker that made the
        change: it need not wake itself.

        Subscribers hear every event; a hook marked with ``hookspecs.wants`` hears the
        types it asks for, and an event nobody wants is not even built."""
        if not events:
            return
        subscribers = self._subscribers.current()
        hooks = self._event_hooks()
        listening = {
            type_: [
                (name, function)
                for name, function, wanted in hooks
                if wanted is None or _asks_for(name, wanted, type_)
            ]
            for type_ in events.type_set
        }
        if subscribers or any(listening.values()):
            _deliver(events, listening, subscribers)
        if wake:
            self.wake(skip=origin)

    def cancelled(self, events: Written) -> None:
        """Tell the cancel listeners of the jobs a cancellation's events cancelled."""
        job_ids = [event.job_id for event in events if event.type is EventType.CANCELLED]
        for listener in self._cancel_listeners.current():
            listener.callback(job_ids)

    def wake(self, skip: object = None) -> None:
        """Wake the workers of this process (but ``skip``)."""
        for waker in self._wakers.current():
            if waker.callback != skip:
                waker.callback()

    def _event_hooks(self) -> list[_Hook]:
        """The ``litequeue_job_event`` implementations, bound once and bound again
        only when plugins come or go (every commit delivers through them)."""
        impls = self._plugin_manager.hook.litequeue_job_event.get_hookimpls()
        known, hooks = self._hook_cache
        if impls != known:
            hooks = _plugins.one_argument_callers(
                self._plugin_manager, "litequeue_job_event", "event", queue=self._queue
            )
            self._hook_cache = (impls, hooks)
        return hooks


def _deliver(
    events: Written,
    listening: dict[EventType, list[tuple[str, Callable[[Event], Any]]]],
    subscribers: tuple[_Added[Callable[[Event], Any]], ...],
) -> None:
    """Hand each event to the hooks listening for its type, then to every subscriber
    still subscribed (one may unsubscribe itself or another on the way); one that
    raises is logged and the others still hear it."""
    for index, type_ in enumerate(events.types):
        chosen = listening[type_]
        if not chosen and not subscribers:
            continue
        event = events[index]
        for plugin_name, function in chosen:
            try:
                function(event)
            except Exception:
                logger.exception(
                    "plugin %r failed in litequeue_job_event",
                    plugin_name,
                    extra={"job_id": event.job_id},
                )
        for subscriber in subscribers:
            if not subscriber.active:
                continue
            try:
                subscriber.callback(event)
            except Exception:
                logger.exception(
                    "event subscriber %r failed",
                    subscriber.callback,
                    extra={"job_id": event.job_id},
                )


def _asks_for(plugin_name: str, wanted: Callable[[EventType], bool], type_: EventType) -> bool:
    """A hook's ``wants`` predicate; one that raises is logged and the hook hears the
    event anyway: a listener must not break the commit, nor miss events unseen."""
    try:
        return bool(wanted(type_))
    except Exception:
        logger.exception("plugin %r failed deciding whether it wants %s", plugin_name, type_)
        return True
