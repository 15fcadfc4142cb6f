"""Serving an app from the command line: bind first, print the link, stop cleanly."""

from __future__ import annotations

import signal
import socket
from types import FrameType
from urllib.parse import quote

import uvicorn
from starlette.applications import Starlette

__all__ = ["link", "listen", "serve"]

_SHUTDOWN_GRACE = 10  # seconds open requests get once the server is told to stop


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (``OSError`` names what is wrong): bound
    before the app starts, so a taken port is one error line and the link is printed
    only once connections can be made."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def link(sock: socket.socket, token: str | None, path: str = "/") -> str:
    """The page's address (with the port bound, for port 0), with the token
    percent-encoded (``+``, ``&``, ``#`` or ``%`` would otherwise change it)."""
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    query = f"?token={quote(token, safe='')}" if token else ""
    return f"http://{host}:{port}{path}{query}"


def serve(app: Starlette, sock: socket.socket) -> None:
    """Serve ``app`` on the listening ``sock`` until SIGINT or SIGTERM: open event
    streams end as soon as uvicorn is told to exit (``app.state.stopping``)."""
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=_SHUTDOWN_GRACE)
    )
    app.state.stopping = lambda: server.should_exit

    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    # uvicorn takes the signals only while it runs, and re-raises the one that
    # stopped it when done; around it, a signal just asks it to stop, so a stop by
    # signal ends in status 0 rather than KeyboardInterrupt or death by SIGTERM.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
