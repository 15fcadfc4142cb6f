"""Building the plugin manager a ``Queue`` owns.

There is no global manager: each ``Queue`` gets its own, with the built-in plugin
registered first, then the entry points of the ``litequeue`` group (unless
``LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD`` is set), then the plugins passed by hand.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from . import _builtin, hookspecs
from .errors import ConfigurationError

__all__ = [
    "AUTOLOAD_ENV",
    "make_plugin_manager",
    "notify_each",
    "one_argument_callers",
    "register_handlers",
]

#: Set this environment variable (to anything but ``""``/``0``) to skip entry points.
AUTOLOAD_ENV = "LITEQUEUE_DISABLE_PLUGIN_AUTOLOAD"
ENTRY_POINT_GROUP = "litequeue"

logger = logging.getLogger(__name__)


def make_plugin_manager(
    plugins: Iterable[ModuleType | str | object] = (), *, autoload: bool | None = None
) -> pluggy.PluginManager:
    """A fresh manager with the built-in plugin, the entry points and ``plugins``.

    A plugin that cannot be imported, or whose hooks do not match the specs (a
    misspelled hook, an argument the spec does not have), is a ``ConfigurationError``
    naming it."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(_builtin, name="litequeue.builtin")
    if autoload is None:
        autoload = os.environ.get(AUTOLOAD_ENV, "") in ("", "0")
    if autoload:
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if pm.has_plugin(entry_point.name) or pm.is_blocked(entry_point.name):
                continue
            what = f"plugin {entry_point.name!r} ({entry_point.value})"
            try:
                plugin = entry_point.load()
            except Exception as exc:
                raise ConfigurationError(f"{what} failed to load: {_said(exc)}") from exc
            _register(pm, plugin, what, name=entry_point.name)
    for plugin in [plugins] if isinstance(plugins, str) else plugins:  # a str is one name
        module = _import(plugin) if isinstance(plugin, str) else plugin
        if not pm.is_registered(module):
            what = f"plugin {getattr(module, '__name__', module)!r}"
            _register(pm, module, what)
            if not pm.get_hookcallers(module):
                raise ConfigurationError(f"{what} implements none of litequeue's hooks")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise ConfigurationError(f"a plugin does not match litequeue's hooks: {exc}") from exc
    return pm


def _register(pm: pluggy.PluginManager, plugin: object, what: str, name: str | None = None) -> None:
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise ConfigurationError(f"{what} cannot be registered: {exc}") from exc


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise ConfigurationError(
            f"plugin module {name!r} cannot be imported: {_said(exc)}"
        ) from exc


def _said(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def register_handlers(pm: pluggy.PluginManager, register: Callable[..., None], queue: Any) -> None:
    """Call each plugin's ``litequeue_register_handlers`` on its own, so that a plugin
    that fails (calls ``register`` wrongly, raises) is named in the error."""
    _register_each(
        pm.hook.litequeue_register_handlers, {"register": register, "queue": queue}, "handlers"
    )


def register_schedules(pm: pluggy.PluginManager, schedule: Callable[..., Any], queue: Any) -> None:
    """Call each plugin's ``litequeue_register_schedules`` on its own, so that a plugin
    that fails (calls ``schedule`` wrongly, raises) is named in the error."""
    _register_each(
        pm.hook.litequeue_register_schedules, {"schedule": schedule, "queue": queue}, "schedules"
    )


def _register_each(caller: pluggy.HookCaller, arguments: dict[str, Any], what: str) -> None:
    for impl in reversed(caller.get_hookimpls()):
        try:
            impl.function(*(arguments[name] for name in impl.argnames))
        except ConfigurationError as exc:
            raise ConfigurationError(f"plugin {impl.plugin_name!r}: {exc}") from exc
        except Exception as exc:
            raise ConfigurationError(
                f"plugin {impl.plugin_name!r} failed to register its {what}: {_said(exc)}"
            ) from exc


def one_argument_callers(
    pm: pluggy.PluginManager, hook_name: str, free: str, **fixed: Any
) -> list[tuple[str, Callable[[Any], Any], Callable[[Any], bool] | None]]:
    """Each implementation of a hook called many times with one changing argument
    (``free``) and the others ``fixed``, as ``(plugin name, call, predicate)``: each
    call then costs one function call (the job-event hook runs per event). The
    predicate is the one set with ``hookspecs.wants``, if any."""
    caller: pluggy.HookCaller = getattr(pm.hook, hook_name)
    return [
        (
            impl.plugin_name,
            _bind(impl.function, impl.argnames, free, fixed),
            getattr(impl.function, hookspecs.WANTS_ATTRIBUTE, None),
        )
        for impl in reversed(caller.get_hookimpls())
    ]


def _bind(
    function: Callable[..., Any], argnames: tuple[str, ...], free: str, fixed: dict[str, Any]
) -> Callable[[Any], Any]:
    if argnames == (free,):
        return function

    def call(value: Any) -> Any:
        return function(*[value if name == free else fixed[name] for name in argnames])

    return call


def notify_each(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> None:
    """Call every implementation of a hook on its own, with the arguments it asks for,
    logging (not raising) failures.

    pluggy stops at the first implementation that raises; listeners must not be
    able to silence each other or break the caller.
    """
    caller: pluggy.HookCaller = getattr(pm.hook, hook_name)
    for impl in reversed(caller.get_hookimpls()):
        try:
            impl.function(*(kwargs[name] for name in impl.argnames))
        except Exception:
            logger.exception("plugin %r failed in %s", impl.plugin_name, hook_name)
