"""Deliberately broken servers: each drifts from the contract in one way.

The drift test (test_drift.py) runs the suite against each and asserts that it
fails, and fails for the right reason. A contract suite that cannot fail proves
nothing. Each variant is the real app with one small, realistic mistake.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from collections.abc import Callable
from typing import Any

VARIANTS: dict[str, str] = {
    "drop_required_field": "getTicket answers without the required summary.subject",
    "error_outside_envelope": "404s answered as {'message': ...}, not the error envelope",
    "scopes_ignored": "a valid key is treated as holding every scope",
    "no_rate_limit_headers": "X-RateLimit-* dropped from 400 answers",
    "created_id_unreachable": "createTicket answers with an id that getTicket cannot find",
    "undocumented_header": "every 200 carries an X-Powered-By header the spec does not document",
}


def build_variant(name: str, config: dict[str, Any]) -> Any:
    if name not in VARIANTS:
        raise RuntimeError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
    return globals()["_" + name](config)


def _with_handler(operation_id: str, wrap: Callable[[Callable], Callable], config: dict) -> Any:
    """The app with one handler wrapped.

    The patch stays for the life of the process (Connexion may resolve handlers
    lazily): the drift test runs each variant in a process of its own.
    """
    from threada import app as app_module

    build_handlers = app_module.handlers

    def handlers(services: Any) -> dict[str, Callable]:
        table = build_handlers(services)
        original = table[operation_id]
        table[operation_id] = functools.wraps(original)(wrap(original))
        return table

    app_module.handlers = handlers
    return app_module.create_app(config)


def _drop_required_field(config: dict) -> Any:
    def wrap(handler: Callable) -> Callable:
        def getTicket(*args: Any, **kwargs: Any) -> Any:  # noqa: N802
            body, status, headers = handler(*args, **kwargs)
            body = copy.deepcopy(body)
            body["ticket"]["summary"].pop("subject", None)
            return body, status, headers

        return getTicket

    return _with_handler("getTicket", wrap, config)


def _created_id_unreachable(config: dict) -> Any:
    from threada.ids import new_id

    def wrap(handler: Callable) -> Callable:
        def createTicket(*args: Any, **kwargs: Any) -> Any:  # noqa: N802
            body, status, headers = handler(*args, **kwargs)
            if status == 201:
                body = copy.deepcopy(body)
                body["ticket"]["summary"]["ticket_id"] = new_id("tkt")
            return body, status, headers

        return createTicket

    return _with_handler("createTicket", wrap, config)


def _scopes_ignored(config: dict) -> Any:
    from threada.domain import auth
    from threada.domain.auth import SCOPES

    original = auth.authenticate

    def authenticate(db: Any, secret: str) -> Any:
        principal = original(db, secret)
        if principal is None:
            return None
        return dataclasses.replace(principal, scopes=frozenset(SCOPES))

    # This process serves only this variant (the drift test runs it in a subprocess).
    auth.authenticate = authenticate
    from threada.app import create_app

    return create_app(config)


class _RewriteResponses:
    """ASGI wrapper that edits the start message and body of chosen responses."""

    def __init__(self, app: Any, edit: Callable[[int, dict, bytes], tuple[dict, bytes] | None]):
        self.app = app
        self.edit = edit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            edited = self.edit(start["status"], start, body)
            final = dict(start)
            if edited is not None:
                final, body = dict(edited[0]), edited[1]
            headers = [(k, v) for k, v in final["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**final, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


def _error_outside_envelope(config: dict) -> Any:
    from threada.app import create_app

    def edit(status: int, start: dict, body: bytes) -> tuple[dict, bytes] | None:
        if status != 404:
            return None
        try:
            message = json.loads(body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            return None
        return start, json.dumps({"message": message}).encode()

    return _RewriteResponses(create_app(config), edit)


def _no_rate_limit_headers(config: dict) -> Any:
    from threada.app import create_app

    def edit(status: int, start: dict, body: bytes) -> tuple[dict, bytes] | None:
        if status != 400:
            return None
        headers = [(k, v) for k, v in start["headers"] if not k.lower().startswith(b"x-ratelimit")]
        return {**start, "headers": headers}, body

    return _RewriteResponses(create_app(config), edit)


def _undocumented_header(config: dict) -> Any:
    from threada.app import create_app

    def edit(status: int, start: dict, body: bytes) -> tuple[dict, bytes] | None:
        if status != 200:
            return None
        return {**start, "headers": [*start["headers"], (b"x-powered-by", b"threada")]}, body

    return _RewriteResponses(create_app(config), edit)
