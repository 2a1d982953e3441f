"""What the spec's own extensions ask of the server: accepted media-type aliases and
deprecation headers. Kept apart from the app factory so the rules read in one place.

- `x-also-accepts: [application/json]` on a request body's media type: requests in
  those media types are validated and handled exactly like the documented one. The
  spec documents one media type per body (client generators break on two), while
  clients of an earlier version that sent another keep working.
- `deprecated: true` on an operation, with `x-deprecated-at` (when it was deprecated)
  and optionally `x-sunset` (when it stops working), both RFC 3339 times: every
  response of that operation carries `Deprecation: @<epoch seconds>` (RFC 9745) and
  `Sunset: <HTTP-date>` (RFC 8594).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import typing as t
from email.utils import format_datetime

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

Scope = dict[str, t.Any]
Receive = t.Callable[[], t.Awaitable[dict]]
Send = t.Callable[[dict], t.Awaitable[None]]
ASGIApp = t.Callable[[Scope, Receive, Send], t.Awaitable[None]]


def _operations(document: dict) -> t.Iterator[tuple[str, str, dict]]:
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield method, path, op


def add_accepted_aliases(document: dict) -> dict:
    """Copy each body media type to the media types its `x-also-accepts` names (in place)."""
    for _method, _path, op in _operations(document):
        content = op.get("requestBody", {}).get("content", {})
        for media in list(content.values()):
            for alias in media.get("x-also-accepts", ()):
                if alias not in content:
                    twin = copy.deepcopy(media)
                    twin.pop("x-also-accepts", None)
                    content[alias] = twin
    return document


def _time(value: t.Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment.astimezone(dt.UTC)


def deprecation_headers(op: dict) -> list[tuple[bytes, bytes]]:
    """The headers a deprecated operation's responses carry (none when it is not deprecated)."""
    if not op.get("deprecated"):
        return []
    if "x-deprecated-at" not in op:
        raise ValueError(f"{op.get('operationId')}: deprecated without x-deprecated-at")
    since = _time(op["x-deprecated-at"])
    headers = [(b"deprecation", b"@%d" % int(since.timestamp()))]
    if "x-sunset" in op:
        headers.append((b"sunset", format_datetime(_time(op["x-sunset"]), usegmt=True).encode()))
    return headers


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", path)
    return re.compile(
        "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts if p) + "/?$"
    )


class DeprecationHeadersMiddleware:
    """Adds the deprecation headers to every response of a deprecated operation."""

    def __init__(self, app: ASGIApp, *, document: dict, base_path: str) -> None:
        self.app = app
        self.routes = [
            (method.upper(), re.compile(re.escape(base_path) + _template(path).pattern), headers)
            for method, path, op in _operations(document)
            if (headers := deprecation_headers(op))
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.routes:
            await self.app(scope, receive, send)
            return
        extra = next(
            (
                h
                for method, pattern, h in self.routes
                if method == scope["method"] and pattern.match(scope["path"])
            ),
            None,
        )
        if extra is None:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
