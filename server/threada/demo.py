"""`make run`'s demo: a built-in hook receiver, so the page's action example works offline.

`threada serve --init-demo` points the demo tenant's actions base URL at
`http://127.0.0.1:<port>/_demo` and lets that tenant alone reach exactly
127.0.0.1:<port> (`THREADA_ACTIONS_TENANT_TARGETS`, printed loudly at start);
every other tenant keeps the full outbound guard. `POST /hooks/zapier` as an
action then reaches `/_demo/hooks/zapier` here, a real HTTP request over
loopback, and the receiver answers what it got. Outside demo mode none of
this is mounted and loopback stays refused.
"""

from __future__ import annotations

import json
import logging
import typing as t

from threada.app import create_app

log = logging.getLogger("threada.demo")

PREFIX = "/_demo"

Scope = dict[str, t.Any]
Receive = t.Callable[[], t.Awaitable[dict]]
Send = t.Callable[[dict], t.Awaitable[None]]


async def receiver(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer 200 with what was received (method, path, JSON body) and log it."""
    body = b""
    more = True
    while more and len(body) <= 65536:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    path = scope["path"][len(PREFIX) :] or "/"
    try:
        received: t.Any = json.loads(body) if body else None
    except ValueError:
        received = body[:200].decode("utf-8", "replace")
    log.info("demo hook received %s %s %s", scope["method"], path, body[:200])
    payload = json.dumps(
        {
            "status": "success",
            "received": {"method": scope["method"], "path": path, "body": received},
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def create_demo_app() -> t.Callable:
    """The API app, with the demo receiver answering under /_demo (uvicorn factory)."""
    api = create_app()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            scope["path"] == PREFIX or scope["path"].startswith(PREFIX + "/")
        ):
            await receiver(scope, receive, send)
        else:
            await api(scope, receive, send)

    return app
