"""Unauthenticated throttling, a pure-ASGI layer in front of the API (no key, no database).

`UnauthenticatedThrottle` bounds key guessing: it counts the 401 answers each client
address gets (read from the response status on the way out) in a fixed one-minute window,
and once an address has had `limit` of them, answers every request from it with
`429 rate_limited` and `Retry-After` (seconds to the end of the window) before the request
reaches the app. The client address is the connection's peer, or, with `trust_forwarded`
on (only behind a proxy that sets it), the right-most `X-Forwarded-For` entry: the one
the proxy itself appended, which a client cannot forge. Counters live in the process
(each worker counts on its own), bounded in number.
"""

from __future__ import annotations

import json
import math
import time
import typing as t

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from threada.errors import envelope

_MAX_ADDRESSES = 100_000


async def answer(
    send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(envelope(status, message), separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class UnauthenticatedThrottle:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        trust_forwarded: bool = False,
        window_seconds: int = 60,
        clock: t.Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.limit = limit
        self.trust_forwarded = trust_forwarded
        self.window = window_seconds
        self.clock = clock
        # address -> [window start, 401s in that window]
        self._failures: dict[str, list[float]] = {}

    def address(self, scope: Scope) -> str:
        if self.trust_forwarded:
            for name, value in scope.get("headers", ()):
                if name == b"x-forwarded-for":
                    last = value.decode("latin-1").rsplit(",", 1)[-1].strip()
                    if last:
                        return last
        client = scope.get("client")
        return client[0] if client else "-"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0:
            await self.app(scope, receive, send)
            return
        address = self.address(scope)
        now = self.clock()
        entry = self._failures.get(address)
        if entry is not None and now - entry[0] >= self.window:
            entry = None
            del self._failures[address]
        if entry is not None and entry[1] >= self.limit:
            retry = max(1, math.ceil(entry[0] + self.window - now))
            await answer(
                send,
                429,
                f"Too many requests without a valid API key from this address. "
                f"Retry in {retry} seconds.",
                [
                    (b"retry-after", b"%d" % retry),
                    (b"x-ratelimit-limit", b"%d" % self.limit),
                    (b"x-ratelimit-remaining", b"0"),
                    (b"x-ratelimit-reset", b"%d" % min(retry, self.window)),
                ],
            )
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self._count(address, now)
            await send(message)

        await self.app(scope, receive, counting_send)

    def _count(self, address: str, now: float) -> None:
        entry = self._failures.get(address)
        if entry is None:
            if len(self._failures) >= _MAX_ADDRESSES:
                self._prune(now)
            self._failures[address] = [now, 1]
        else:
            entry[1] += 1

    def _prune(self, now: float) -> None:
        stale = [a for a, (start, _) in self._failures.items() if now - start >= self.window]
        for address in stale:
            del self._failures[address]
        if len(self._failures) >= _MAX_ADDRESSES:  # all fresh: forget the oldest half
            for address in sorted(self._failures, key=lambda a: self._failures[a][0])[
                : _MAX_ADDRESSES // 2
            ]:
                del self._failures[address]
