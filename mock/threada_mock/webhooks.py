"""`--stateful` webhooks: endpoints registered in memory, events delivered signed.

Wraps the ticket store. The webhook endpoint operations are answered here
(create, list, get, patch, delete, rotate the secret, list deliveries,
redeliver); every other operation goes to the ticket store, and each change it
makes (ticket created or updated, message added, action run) becomes an event,
POSTed to the tenant's registered endpoints with the Standard Webhooks headers,
signed with the `standardwebhooks` library, in the shapes the store answered.
Registering an endpoint also sends it the spec's example event of each type it
subscribes to, so a receiver can be tried at once.

The mock only delivers to loopback URLs (127.0.0.1, ::1, localhost): it is a
development tool and never sends traffic elsewhere. Other http(s) URLs are
registered (so the spec's examples work), and their deliveries fail at once with
that reason. Three attempts, 1 s and 2 s apart; no pagination of the lists (one
page).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from standardwebhooks.webhooks import Webhook

from .app import MockError, Reply, Request, Store
from .generate import rfc3339
from .model import CompiledSpec

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
EVENT_TYPES = ("ticket.created", "ticket.updated", "message.created", "action.completed")
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
RETRY_WAITS = (1.0, 2.0)


def _id(prefix: str) -> str:
    return prefix + "".join(random.choice(_CROCKFORD) for _ in range(26))  # noqa: S311


def _now() -> str:
    return rfc3339(datetime.now(tz=UTC))


class WebhookStore:
    def __init__(self, inner: Store, spec: CompiledSpec) -> None:
        self.inner = inner
        self.tenant_id: str = getattr(inner, "tenant_id", "ten_" + "0" * 26)
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, list[str]] = {}
        self.deliveries: dict[str, list[dict[str, Any]]] = {}
        self.bodies: dict[str, str] = {}  # delivery id -> the body sent
        self.examples = _example_events(spec.doc)
        self._tasks: set[asyncio.Task] = set()
        self.handlers = {
            "createWebhookEndpoint": self.create,
            "listWebhookEndpoints": self.list,
            "getWebhookEndpoint": self.get,
            "updateWebhookEndpoint": self.update,
            "deleteWebhookEndpoint": self.delete,
            "rotateWebhookSecret": self.rotate,
            "listWebhookDeliveries": self.list_deliveries,
            "redeliverWebhook": self.redeliver,
        }

    def __getattr__(self, name: str) -> Any:
        # Everything else (tickets, messages, actions...) is the wrapped store's.
        return getattr(self.inner, name)

    def reset(self) -> None:
        """`POST /__mock/reset`: the wrapped store's state and every endpoint go."""
        self.inner.reset()
        self.endpoints.clear()
        self.secrets.clear()
        self.deliveries.clear()
        self.bodies.clear()

    def handle(self, request: Request) -> Reply | None:
        handler = self.handlers.get(request.op.op_id)
        if handler is not None:
            return handler(request)
        reply = self.inner.handle(request)
        replayed = any(
            name == b"idempotent-replayed" for name, _ in (reply.headers if reply else [])
        )
        if reply is not None and 200 <= reply.status < 300 and not replayed:
            for event_type, data in _events(request, reply):
                self._emit(event_type, data)
        return reply

    # -- endpoints ----------------------------------------------------------

    def _endpoint(self, request: Request) -> dict[str, Any]:
        eid = request.path_params.get("endpoint_id", "")
        if eid not in self.endpoints:
            raise MockError(404, f"Webhook endpoint {eid} was not found.")
        return self.endpoints[eid]

    def create(self, request: Request) -> Reply:
        body = request.body
        now = _now()
        ep = {
            "endpoint_id": _id("whe_"),
            "tenant_id": self.tenant_id,
            "url": _http_url(body["url"]),
            "description": body.get("description"),
            "event_types": list(dict.fromkeys(body.get("event_types") or EVENT_TYPES)),
            "enabled": body.get("enabled", True),
            "disabled_reason": None,
            "created_at": now,
            "updated_at": now,
        }
        secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        eid = ep["endpoint_id"]
        self.endpoints[eid], self.secrets[eid], self.deliveries[eid] = ep, [secret], []
        for event_type in ep["event_types"]:
            example = self.examples.get(event_type)
            if example is not None and ep["enabled"]:
                self._queue(ep, {**example, "id": _id("evt_"), "created_at": now})
        location = request.base_url + f"/webhook_endpoints/{eid}"
        return Reply(
            201,
            {"webhook_endpoint": ep, "secret": secret},
            [(b"location", location.encode())],
        )

    def list(self, request: Request) -> Reply:
        return Reply(200, {"items": list(self.endpoints.values()), "next_page_token": None})

    def get(self, request: Request) -> Reply:
        return Reply(200, {"webhook_endpoint": self._endpoint(request)})

    def update(self, request: Request) -> Reply:
        ep = self._endpoint(request)
        patch = dict(request.body)
        if "url" in patch:
            patch["url"] = _http_url(patch["url"])
        if patch.get("enabled"):
            patch["disabled_reason"] = None
        ep.update(patch)
        ep["updated_at"] = _now()
        return Reply(200, {"webhook_endpoint": ep})

    def delete(self, request: Request) -> Reply:
        ep = self._endpoint(request)
        eid = ep["endpoint_id"]
        del self.endpoints[eid], self.secrets[eid], self.deliveries[eid]
        return Reply(200, {"webhook_endpoint": ep})

    def rotate(self, request: Request) -> Reply:
        ep = self._endpoint(request)
        secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        # The old secret keeps signing (the server keeps it for a grace period; here, one).
        self.secrets[ep["endpoint_id"]] = [secret, *self.secrets[ep["endpoint_id"]][:1]]
        ep["updated_at"] = _now()
        return Reply(200, {"webhook_endpoint": ep, "secret": secret})

    def list_deliveries(self, request: Request) -> Reply:
        ep = self._endpoint(request)
        status = request.params.get("status")
        items = [
            d
            for d in reversed(self.deliveries[ep["endpoint_id"]])
            if status is None or d["status"] == status
        ]
        limit = int(request.params.get("limit") or 25)
        return Reply(200, {"items": items[:limit], "next_page_token": None})

    def redeliver(self, request: Request) -> Reply:
        ep = self._endpoint(request)
        did = request.path_params.get("delivery_id", "")
        found = next(
            (d for d in self.deliveries[ep["endpoint_id"]] if d["delivery_id"] == did), None
        )
        if found is None:
            raise MockError(404, f"Delivery {did} was not found on endpoint {ep['endpoint_id']}.")
        if not ep["enabled"]:
            raise MockError(409, f"Webhook endpoint {ep['endpoint_id']} is disabled.")
        found.update(status="pending", attempts=0, next_attempt_at=_now(), last_attempt_at=None)
        self._start(ep, found, self.bodies[did])
        return Reply(202, {"delivery": found})

    # -- delivery -----------------------------------------------------------

    def _emit(self, event_type: str, data: dict[str, Any]) -> None:
        event = {
            "id": _id("evt_"),
            "type": event_type,
            "created_at": _now(),
            "tenant_id": self.tenant_id,
            "data": data,
        }
        for ep in self.endpoints.values():
            if ep["enabled"] and event_type in ep["event_types"]:
                self._queue(ep, event)

    def _queue(self, ep: dict[str, Any], event: dict[str, Any]) -> None:
        d = {
            "delivery_id": _id("whd_"),
            "endpoint_id": ep["endpoint_id"],
            "event_id": event["id"],
            "event_type": event["type"],
            "status": "pending",
            "attempts": 0,
            "created_at": event["created_at"],
            "last_attempt_at": None,
            "next_attempt_at": event["created_at"],
            "last_response_code": None,
            "last_response_excerpt": None,
            "last_error": None,
        }
        self.deliveries[ep["endpoint_id"]].append(d)
        self.bodies[d["delivery_id"]] = json.dumps(event, separators=(",", ":"))
        self._start(ep, d, self.bodies[d["delivery_id"]])

    def _start(self, ep: dict[str, Any], d: dict[str, Any], body: str) -> None:
        task = asyncio.get_running_loop().create_task(self._send(ep, d, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, ep: dict[str, Any], d: dict[str, Any], body: str) -> None:
        if (urlsplit(ep["url"]).hostname or "") not in LOOPBACK:
            d.update(
                status="failed",
                next_attempt_at=None,
                last_error="the mock delivers only to loopback URLs (http://127.0.0.1:PORT/...)",
            )
            return
        waits = [0.0, *RETRY_WAITS]
        async with httpx.AsyncClient(timeout=5.0, follow_redirects=False, trust_env=False) as c:
            for wait in waits:
                await asyncio.sleep(wait)
                if ep["endpoint_id"] not in self.endpoints:
                    return
                stamp = int(time.time())
                signature = " ".join(
                    Webhook(s).sign(d["event_id"], datetime.fromtimestamp(stamp, tz=UTC), body)
                    for s in self.secrets[ep["endpoint_id"]]
                )
                headers = {
                    "content-type": "application/json",
                    "user-agent": "Threada-Mock-Webhooks/1.0",
                    "webhook-id": d["event_id"],
                    "webhook-timestamp": str(stamp),
                    "webhook-signature": signature,
                }
                d["attempts"] += 1
                d["last_attempt_at"] = _now()
                try:
                    r = await c.post(ep["url"], content=body.encode(), headers=headers)
                except httpx.HTTPError as exc:
                    d.update(last_response_code=None, last_error=f"connection failed: {exc}"[:200])
                else:
                    ok = 200 <= r.status_code < 300
                    d.update(
                        last_response_code=r.status_code,
                        last_response_excerpt=r.text[:1024] or None,
                        last_error=None if ok else f"target answered {r.status_code}",
                    )
                    if ok:
                        d.update(status="succeeded", next_attempt_at=None)
                        return
        d.update(status="failed", next_attempt_at=None)


def _http_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if parts.scheme not in ("http", "https") or not host or parts.username or "#" in url:
        raise MockError(
            400,
            "url must be an http(s) URL with a host, no user info and no fragment",
            details=[{"field": "body.url", "reason": "not an http(s) URL"}],
        )
    return url


def _events(request: Request, reply: Reply) -> list[tuple[str, dict[str, Any]]]:
    """The events a ticket-store change causes, with the shapes it answered."""
    op_id, value = request.op.op_id, reply.value
    if op_id == "createTicket" and reply.status == 201:
        return [("ticket.created", {"ticket": value["ticket"]})]
    if op_id == "updateTicket":
        fields = [f for f in ("subject", "status", "priority", "tags") if f in request.body]
        return [("ticket.updated", {"ticket": value["ticket"], "changed_fields": fields})]
    if op_id == "addMessage" and reply.status == 201:
        return [("message.created", {"message": value["message"]})]
    if op_id == "runAction" and reply.status == 201:
        return [("action.completed", {"action": value["action"]})]
    return []


def _example_events(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Event type -> the spec's first example of it (`webhooks` section)."""
    out = {}
    for name, item in (doc.get("webhooks") or {}).items():
        media = item["post"]["requestBody"]["content"]["application/json"]
        for example in (media.get("examples") or {}).values():
            while "$ref" in example:
                example = _resolve(doc, example["$ref"])
            out[name] = example["value"]
            break
    return out


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node
