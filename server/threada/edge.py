"""Small pure-ASGI layers at the edge of the API, each for one thing a client could send.

`HeaderGuard` answers `415` to a `Content-Type` that is not printable ASCII (Connexion
decodes it as UTF-8 wherever it looks at it, and a byte it cannot decode was a 500).

`RelativeRedirects` keeps the client's `Host` header out of redirects: Starlette's
trailing-slash redirect (`/tickets/` -> `/tickets`) builds an absolute `Location` from
the request's Host, which a client (or a poisoned cache in front) chooses. A `Location`
on a 3xx is made relative (path and query), or, with a configured public URL, put under
that URL's scheme and host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from threada.throttle import answer


class HeaderGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-type" and not _printable_ascii(value):
                    await answer(
                        send, 415, "The Content-Type header must be ASCII: send application/json."
                    )
                    return
        await self.app(scope, receive, send)


def _printable_ascii(value: bytes) -> bool:
    return all(0x20 <= b < 0x7F or b == 0x09 for b in value)


class RelativeRedirects:
    def __init__(self, app: ASGIApp, *, public_url: str | None = None) -> None:
        self.app = app
        parts = urlsplit(public_url or "")
        self.origin = f"{parts.scheme}://{parts.netloc}".encode() if parts.netloc else b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def rewriting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                message["headers"] = [
                    (name, self._relative(value) if name.lower() == b"location" else value)
                    for name, value in message.get("headers", ())
                ]
            await send(message)

        await self.app(scope, receive, rewriting_send)

    def _relative(self, location: bytes) -> bytes:
        parts = urlsplit(location.decode("latin-1"))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        # "//host/x" would be read as another host: never start with two slashes.
        path = "/" + path.lstrip("/")
        return self.origin + path.encode("latin-1")
