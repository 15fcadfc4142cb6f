"""Storage engines, and how ``Queue(target)`` picks one from its target.

``base`` holds the ``Store`` interface every engine offers; each engine is a
package of its own (its SQL, schema and migrations): ``sqlite``, the default, and
``postgres`` (imported only when a ``postgresql://`` URL asks for it: it needs the
``postgres`` extra).
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

from ..errors import ConfigurationError
from .base import Store
from .sqlite import SQLiteStore

__all__ = ["Store", "is_postgres", "open_store", "store_path"]

#: ``scheme://`` at the start of a target: a URL rather than a file path.
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_POSTGRES_SCHEMES = ("postgresql", "postgres")


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
    raise ConfigurationError(
        f"{_without_password(text)!r}: unknown database URL scheme {match[1]!r}; give a"
        " SQLite file path, a sqlite:///path URL or a postgresql:// URL"
    )


def is_postgres(target: str | os.PathLike[str]) -> bool:
    """Whether ``target`` is a ``postgresql://`` (or ``postgres://``) URL."""
    match = _URL.match(os.fspath(target))
    return match is not None and match[1].lower() in _POSTGRES_SCHEMES


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
    if is_postgres(target):
        return _postgres_store(os.fspath(target), durability, busy_timeout, migrate)
    return SQLiteStore(
        store_path(target),
        durability=durability,
        busy_timeout=busy_timeout,
        migrate=migrate,
        adopt=adopt,
    )


def _postgres_store(url: str, durability: str, busy_timeout: float, migrate: bool) -> Store:
    try:
        from .postgres import PostgresStore
    except ImportError as exc:
        raise ConfigurationError(
            f"{_without_password(url)!r}: the PostgreSQL engine needs psycopg 3 and"
            f" psycopg_pool ({exc}); install them with: pip install 'litequeue-jobs[postgres]'"
        ) from None
    return PostgresStore(url, durability=durability, busy_timeout=busy_timeout, migrate=migrate)


def _without_password(url: str) -> str:
    """``url`` fit for an error message: a password in it is replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
