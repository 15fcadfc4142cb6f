"""``litequeue web``: a live dashboard for any queue (needs the ``web`` extra).

Queues with their counts, settings and last hour; a job table filtered, sorted
and paged by keyset over any number of jobs; each job with its payload, result,
error, events, logs and children; bulk actions; the live workers; and the views
plugins add (``litequeue_web_views``). Live through Server-Sent Events from the
durable event log, one follower per server for every open page.

Safe by default (``Guard``): loopback, the Host checked, a token per start that
becomes a cookie, same-origin changes with a custom header, a strict CSP, and
``read_only``. Mountable: ``create_app`` returns a Starlette app.
"""

from __future__ import annotations

from ._app import create_app
from ._guard import Guard, error
from ._live import Draw, Live
from ._routes import LAST_SEQ, STORE_ERRORS, change_job, in_thread, no_job, number
from ._serve import link, listen, serve
from ._views import View

__all__ = [
    "LAST_SEQ",
    "STORE_ERRORS",
    "Draw",
    "Guard",
    "Live",
    "View",
    "change_job",
    "create_app",
    "error",
    "in_thread",
    "link",
    "listen",
    "no_job",
    "number",
    "serve",
]
