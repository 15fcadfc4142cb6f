"""How to add an optional extra, said the way this copy was installed.

A checkout installed with ``pip install -e .`` needs ``pip install -e '.[web]'``:
the published name would fetch and install another copy beside it.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

__all__ = ["DISTRIBUTION", "install_command"]

DISTRIBUTION = "litequeue-jobs"


def install_command(extra: str) -> str:
    """The pip command that adds ``extra`` to this installation."""
    checkout = _editable_checkout()
    if checkout is None:
        return f"pip install '{DISTRIBUTION}[{extra}]'"
    command = f"pip install -e '.[{extra}]'"
    return command if checkout == Path.cwd() else f"{command} (in {checkout})"


def _editable_checkout() -> Path | None:
    """The folder this distribution was installed from in editable mode, if it was."""
    try:
        text = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
        found = json.loads(text or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return None
    if not isinstance(found, dict) or not found.get("dir_info", {}).get("editable"):
        return None
    url = urlparse(str(found.get("url", "")))
    return Path(unquote(url.path)) if url.scheme == "file" else None
