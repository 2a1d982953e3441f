"""Work Connexion 3.3 repeats on every request although it depends only on the operation.

Each change below keeps Connexion's own code doing the work, with the same inputs
and outputs; it only stops redoing what cannot have changed since the last request.
`install()` applies them for Connexion 3.3.x (the version pinned in pyproject.toml
and the one they were written against) and does nothing for any other version:
they are speed-ups, not fixes, so the app is correct without them.

1. The handler's decorator chain (parameter, response and sync/async wrappers) is
   built once per handler, not per request (`BaseDecorator.decorate`), and each
   operation keeps its decorated function (`AsyncOperation.fn`, `FlaskOperation.fn`):
   the chain reads the request from Connexion's context when called, and holds nothing
   of it.
2. Parameter-name sanitizing (three regex substitutions per name, twice per parameter
   per request) is memoized: a pure function of the name.
3. A query's parameter definitions and their defaults are read from the operation once
   per operation; the defaults are still deep-copied for every request.
4. `extract_content_type` without the `typing.Collection[...]` subscription it
   evaluates on every call.

Measured in process (AsyncApp first page, the same ASGI calls as `python -m
bench.inprocess`, best of 12 x 2,000): ~262 -> ~226 us per request.
tests/test_connexion_speedups.py compares each with the original on generated inputs;
the whole server suite runs through them.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import typing as t
from copy import deepcopy

import connexion.decorators.parameter as parameter
import connexion.utils as utils
from connexion.apps.asynchronous import AsyncOperation
from connexion.apps.flask import FlaskOperation
from connexion.decorators.main import BaseDecorator

log = logging.getLogger("threada")

SUPPORTED = "3.3."

ORIGINAL: dict[str, t.Callable] = {
    "decorate": BaseDecorator.decorate,
    "sanitized": parameter.sanitized,
    "pythonic": parameter.pythonic,
    "_get_query_arguments": parameter._get_query_arguments,
    "extract_content_type": utils.extract_content_type,
}
_installed = False


def supported(version: str) -> bool:
    return version.startswith(SUPPORTED)


def install() -> bool:
    """Apply the speed-ups once per process; False (and nothing changed) on another version."""
    global _installed
    if _installed:
        return True
    version = importlib.metadata.version("connexion")
    if not supported(version):
        log.warning(
            "connexion %s: the per-request speed-ups written for %sx are not applied",
            version,
            SUPPORTED,
        )
        return False
    BaseDecorator.decorate = _decorate_once  # type: ignore[method-assign]
    for cls in (AsyncOperation, FlaskOperation):
        fn = functools.cached_property(cls.fn.fget)  # type: ignore[attr-defined]
        fn.__set_name__(cls, "fn")
        cls.fn = fn  # type: ignore[assignment,method-assign]
    # BaseParameterDecorator reads these module globals when a chain is built (after this).
    parameter.sanitized = functools.lru_cache(maxsize=4096)(ORIGINAL["sanitized"])
    parameter.pythonic = functools.lru_cache(maxsize=4096)(ORIGINAL["pythonic"])
    parameter._get_query_arguments = _get_query_arguments
    utils.extract_content_type = extract_content_type
    _installed = True
    return True


# 1 ------------------------------------------------------------------------------------------

_decorated: dict[tuple, t.Callable] = {}


def _decorate_once(self: BaseDecorator, function: t.Callable) -> t.Callable:
    key = (type(self), function, self.pythonic_params, self.jsonifier)
    chain = _decorated.get(key)
    if chain is None:
        chain = ORIGINAL["decorate"](self, function)
        if len(_decorated) > 10_000:  # a bound for processes that build many apps (tests)
            _decorated.clear()
        _decorated[key] = chain
    return chain


# 3 ------------------------------------------------------------------------------------------

_query_definitions: dict[int, tuple[t.Any, dict, dict]] = {}


def _get_query_arguments(
    query_params: dict,
    *,
    operation: t.Any,
    arguments: list[str],
    has_kwargs: bool,
    sanitize: t.Callable,
) -> dict:
    """connexion.decorators.parameter._get_query_arguments, definitions read once."""
    # Connexion passes its context proxy: key on the operation behind it.
    operation = (
        operation._get_current_object() if hasattr(operation, "_get_current_object") else operation
    )
    hit = _query_definitions.get(id(operation))
    if hit is None or hit[0] is not operation:
        definitions = {p["name"]: p for p in operation.parameters if p["in"] == "query"}
        if len(_query_definitions) > 10_000:
            _query_definitions.clear()
        # Holding the operation keeps its id from being reused by another object.
        hit = (operation, definitions, parameter._get_query_defaults(definitions))
        _query_definitions[id(operation)] = hit
    _, definitions, defaults = hit
    query_arguments = parameter.deep_merge(deepcopy(defaults), query_params)
    return parameter._query_args_helper(
        definitions, query_arguments, arguments, has_kwargs, sanitize
    )


# 4 ------------------------------------------------------------------------------------------


def extract_content_type(headers: t.Any) -> str | None:
    """connexion.utils.extract_content_type: the first Content-Type header's value, or None."""
    for key, value in headers.items() if isinstance(headers, dict) else headers:
        name = key.decode("latin-1") if isinstance(key, bytes) else key
        if name.lower() == "content-type":
            return value.decode("latin-1") if isinstance(value, bytes) else value
    return None
