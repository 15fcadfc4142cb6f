"""Who may use the page: the Host it is asked by, its token, and the request's origin.

A page on another site can make a browser send requests to 127.0.0.1 (a name
that later resolves there: DNS rebinding), and a cross-site form can post to it.
So every request must name the server by an address it listens on or a loopback
name (or a host the user allowed); every API call must carry the token printed
at start-up, which the first ``?token=`` request turns into an HttpOnly,
SameSite=Strict cookie; and state-changing requests must come from the page's
own origin, with its custom header.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from typing import Any

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

__all__ = ["LOOPBACK_NAMES", "Guard", "error"]

#: Names of this machine a browser may use for the page, whatever address it binds.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
HEADER = "x-litequeue"  # state-changing requests must carry it: a cross-site form cannot
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; object-src 'none';"
    " base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def error(status: int, message: str) -> JSONResponse:
    """An API error: ``{"error": message}``."""
    return JSONResponse({"error": message}, status_code=status)


def split_host(value: str, default_port: int) -> tuple[str, int] | None:
    """``(name, port)`` of a Host header (``[::1]:8765`` gives ``("::1", 8765)``);
    None if it is not one."""
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port = rest[1:]
    else:
        name, _, port = value.partition(":")
    if not name or (port and not (port.isascii() and port.isdigit() and len(port) <= 5)):
        return None
    return name.lower(), int(port) if port else default_port


class Guard(BaseHTTPMiddleware):
    """Host, token, same-origin and custom-header checks, and security headers.

    ``token`` None turns the token off; ``allowed_hosts`` adds names the page may
    be asked by on any port (``"*"``: any Host, for a proxy that checks it);
    ``read_only`` refuses every state-changing request."""

    def __init__(
        self,
        app: Any,
        token: str | None,
        allowed_hosts: Collection[str] = (),
        read_only: bool = False,
    ) -> None:
        super().__init__(app)
        self.read_only = read_only
        # As a digest: compare_digest takes only ASCII str, and a cookie only some
        # characters; any token works this way.
        self.digest = None if token is None else _digest(token.encode())
        self.allowed_hosts = {name.lower().strip("[]") for name in allowed_hosts}

    def _host_refused(self, request: Request) -> str | None:
        """Why the request's Host is refused, or None."""
        if "*" in self.allowed_hosts:
            return None
        host = request.headers.get("host", "")
        default_port = 443 if request.url.scheme == "https" else 80
        named = split_host(host, default_port)
        if named is None:
            return f"the Host header {host[:100]!r} is not a host name"
        name, port = named
        if name in self.allowed_hosts:
            return None
        server = request.scope.get("server") or ("", None)
        bound_name, bound_port = str(server[0]).lower(), server[1]
        if (name in LOOPBACK_NAMES or name == bound_name) and port == bound_port:
            return None
        return (
            f"the page is not served as {host[:100]!r}: open it as 127.0.0.1, localhost or"
            " its address, or allow that name with --allow-host"
        )

    def _token_given(self, request: Request) -> bytes | None:
        """The digest of the token the request carries (query, header or cookie)."""
        if "token" in request.query_params:
            return _digest(request.query_params["token"].encode())
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            # Starlette decodes headers as Latin-1: these are the bytes sent.
            return _digest(header.removeprefix("Bearer ").encode("latin-1"))
        cookie = request.cookies.get(_cookie_name(request))
        return None if cookie is None else cookie.encode("ascii", "replace")

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        refused = self._host_refused(request)
        if refused is not None:
            return error(421, refused)
        given = self._token_given(request)
        valid = self.digest is None or (
            given is not None and secrets.compare_digest(given, self.digest)
        )
        path = _own_path(request)
        if not valid and (given is not None or "/api/" in path):
            return error(401, "a valid token is needed: open the link the server printed (?token=)")
        if request.method not in _SAFE_METHODS:
            if self.read_only:
                return error(403, "the page is read-only (started with --read-only)")
            origin = request.headers.get("origin")
            if origin is not None and origin.split("://", 1)[-1] != request.headers["host"]:
                return error(403, "requests from other origins are refused")
            if request.headers.get(HEADER) != "1":
                return error(403, f"state-changing requests need the {HEADER} header")
        if self.digest is not None and path == "/" and "token" in request.query_params:
            # The link's token becomes a cookie, and leaves the address bar.
            root = request.scope.get("root_path", "")
            response: Response = RedirectResponse(f"{root}/", status_code=303)
            response.set_cookie(
                _cookie_name(request),
                self.digest.decode(),
                httponly=True,
                samesite="strict",
                path=f"{root}/",
            )
        else:
            response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def _digest(token: bytes) -> bytes:
    return hashlib.sha256(token).hexdigest().encode()


def _cookie_name(request: Request) -> str:
    """Cookies are shared by every port of a host: one per port, so two pages on
    one machine do not log each other out."""
    return f"litequeue-token-{request.url.port or 80}"


def _own_path(request: Request) -> str:
    """The request's path within the app (which may be mounted under a prefix)."""
    root = request.scope.get("root_path", "")
    path = request.url.path
    return path[len(root) :] if root and path.startswith(root) else path
