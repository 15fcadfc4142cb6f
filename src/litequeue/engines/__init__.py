"""Storage engines, and how ``Queue(target)`` picks one from its target.

``base`` holds the ``Store`` interface every engine offers; each engine is a
package of its own (its SQL, schema and migrations): ``sqlite`` today.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

from ..errors import ConfigurationError
from .base import Store
from .sqlite import SQLiteStore

__all__ = ["Store", "open_store", "store_path"]

#: ``scheme://`` at the start of a target: a URL rather than a file path.
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def store_path(target: str | os.PathLike[str]) -> str:
    """The SQLite file a path or ``sqlite:///path`` URL names; ``ConfigurationError`` for
    a URL of an engine this litequeue does not have."""
    text = os.fspath(target)
    match = _URL.match(text)
    if match is None:
        return text
    scheme = match[1].lower()
    if scheme == "sqlite":
        parts = urlsplit(text)
        if parts.netloc or not parts.path or parts.query or parts.fragment:
            raise ConfigurationError(
                f"{text!r}: a SQLite URL is sqlite:/// followed by the file's path"
                " (sqlite:///var/app/queue.db), with no host, query or fragment"
            )
        return unquote(parts.path)
    if scheme in ("postgresql", "postgres"):
        raise ConfigurationError(
            f"{_without_password(text)!r}: the PostgreSQL engine is not available in this"
            " version of litequeue yet; use a SQLite file path (or sqlite:///path)"
        )
    raise ConfigurationError(
        f"{_without_password(text)!r}: unknown database URL scheme {match[1]!r}; give a"
        " SQLite file path or a sqlite:///path URL"
    )


def open_store(
    target: str | os.PathLike[str] | Store,
    *,
    durability: str,
    busy_timeout: float,
    migrate: bool,
    adopt: bool = False,
) -> Store:
    """The store ``target`` names, opened (a ``Store`` instance is used as it is);
    ``adopt`` lets litequeue's tables join another application's database."""
    if not isinstance(target, str | os.PathLike):
        return target
    return SQLiteStore(
        store_path(target),
        durability=durability,
        busy_timeout=busy_timeout,
        migrate=migrate,
        adopt=adopt,
    )


def _without_password(url: str) -> str:
    """``url`` fit for an error message: a password in it is replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
