"""The outermost layer of every request under the app: request context, id and headers.

Pure ASGI, to stay cheap. It starts the request's `RequestContext` (threada.context)
and on the way out adds `X-Request-Id` to every response, the `X-RateLimit-*`
headers to every response except 401 and 500 (from the quota the security stage put
in the context), and `Allow` to 405s (from the spec index).
"""

from __future__ import annotations

import itertools
import re
import secrets
import typing as t

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from threada import context
from threada.specindex import SpecIndex

#: An X-Request-Id the client sends is kept when it looks like this (the mock keeps the same).
INCOMING_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_INCOMING_ID = INCOMING_REQUEST_ID


def limit_headers(quota: t.Any) -> list[tuple[bytes, bytes]]:
    """The X-RateLimit-* headers for a quota (domain.ratelimit.Quota)."""
    return [
        (b"x-ratelimit-limit", b"%d" % quota.limit),
        (b"x-ratelimit-remaining", b"%d" % quota.remaining),
        (b"x-ratelimit-reset", b"%d" % quota.reset_seconds),
    ]


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, index: SpecIndex) -> None:
        self.app = app
        self.index = index
        # Request ids need to be unique, not secret: a random process prefix and a counter.
        self._prefix = "req_" + secrets.token_hex(4)
        self._counter = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = idempotency_key = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"idempotency-key":
                idempotency_key = value.decode("latin-1")
        rid = (
            incoming
            if incoming and _INCOMING_ID.match(incoming)
            else f"{self._prefix}{next(self._counter):08x}"
        )
        if "\n" in scope["path"]:
            # Connexion mounts the API with Starlette's `{path:path}` (regex `.*`, which stops
            # at a line feed), so such a path would skip Connexion's routing, security and
            # validation yet reach Flask's handlers, which then fail outside an operation
            # context: a 500. Escaped, it routes like any other unknown id (auth, quota,
            # then the handler's 404); ids never hold a line feed.
            scope["path"] = scope["path"].replace("\n", "%0A")
        ctx = context.begin(
            rid, method=scope["method"], path=scope["path"], idempotency_key=idempotency_key
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Raw (name, value) pairs: nothing else sets these headers, so appending
                # skips MutableHeaders' scan for an existing one on every set.
                raw = message["headers"] = list(message.get("headers", ()))
                raw.append((b"x-request-id", rid.encode("latin-1")))
                status = message["status"]
                quota = ctx.quota
                if quota is not None and status not in (401, 500):
                    raw.extend(limit_headers(quota))
                if status == 405 and not any(name == b"allow" for name, _ in raw):
                    allow = self.index.allow(scope["path"])
                    if allow:
                        raw.append((b"allow", allow.encode("latin-1")))
            await send(message)

        await self.app(scope, receive, send_with_headers)
