"""Views that plugins add to the dashboard (``litequeue_web_views``).

A view is a page of its own under ``/views/<name>/``, with its own routes (they get
the dashboard's security: Host, token, origin and headers), named in the dashboard's
navigation. If it draws events its own way, its page reads them from
``/views/<name>/api/events``, fed by the dashboard's one follower of the log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs
from starlette.routing import BaseRoute

import litequeue

from ..errors import ConfigurationError
from ._live import Draw

__all__ = ["View", "collect_views"]

_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")


@attrs.frozen(kw_only=True)
class View:
    """A page a plugin adds to the dashboard."""

    #: Its address segment: ``/views/<name>/`` (lowercase letters, digits, dashes).
    name: str
    #: What the navigation calls it.
    title: str
    #: Its routes, relative to ``/views/<name>``; ``/`` is its page.
    routes: Sequence[BaseRoute]
    #: How it draws an event for its page's event stream (None: it has none).
    draw: Draw | None = None


def collect_views(queue: litequeue.Queue, read_only: bool) -> list[View]:
    """The views of the plugins of ``queue``, checked, by name."""
    views: list[View] = []
    hook = queue.plugin_manager.hook.litequeue_web_views
    hook(register=views.append, queue=queue, read_only=read_only)
    names: set[str] = set()
    for view in views:
        if not isinstance(view, View):
            raise ConfigurationError(f"a web view must be a litequeue.web.View, not {view!r}")
        if not _NAME.fullmatch(view.name):
            raise ConfigurationError(
                f"web view name {view.name!r}: lowercase letters, digits and dashes, up to 31"
            )
        if view.name in names:
            raise ConfigurationError(f"two plugins add a web view named {view.name!r}")
        names.add(view.name)
    return sorted(views, key=lambda v: v.name)
