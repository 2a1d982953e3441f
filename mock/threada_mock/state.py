"""`--stateful`: tickets, messages and actions kept in memory.

Prism cannot do this. The store is seeded from every 2xx example in the spec
(tickets, contacts, messages, actions), then created and changed through the
API. Lists are real: the spec's filters, its order (tickets by `updated_at`
then `ticket_id`, newest first; messages oldest first; actions newest first),
and keyset pagination with opaque, signed `next_page_token`s bound to the
filters. Unknown ids answer 404; closed tickets refuse changes with 409;
`Idempotency-Key` replays the first answer. Any operation the store does not
know is answered from the examples as in the default mode.

Domain rules that the spec states only in prose are written here, each with
the sentence it comes from.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from threada.domain.redaction import redacted

from .app import MockError, Reply, Request
from .generate import rfc3339
from .model import CompiledSpec

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# "The ticket starts `open`, with priority `normal` unless you set one." (createTicket)
NEW_TICKET_STATUS = "open"
NEW_TICKET_PRIORITY = "normal"
# "A `closed` ticket can no longer change (`409 conflict`)." (updateTicket, addMessage)
FINAL_STATUS = "closed"
# "A customer (`user`) message on a `solved` ticket reopens it." (addMessage)
REOPEN = ("user", "solved", "open")
# "The ticket's latest messages, at most 20, oldest first." (Ticket.messages)
TICKET_MESSAGES = 20


@lru_cache(maxsize=65536)
def ms(ts: str) -> int:
    """RFC 3339 -> integer milliseconds since the epoch."""
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


class TicketStore:
    def __init__(self, spec: CompiledSpec, *, seed: int | None = None) -> None:
        self.spec = spec
        self.rnd = random.Random(seed)  # noqa: S311 - ids for a mock
        self.secret = os.urandom(16)
        self.tickets: dict[str, dict[str, Any]] = {}  # id -> {"summary", "contact"}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.actions: dict[str, list[dict[str, Any]]] = {}
        self.idempotency: dict[tuple[str, str, str], tuple[str, Reply]] = {}
        self.prefixes = {"ticket_id": "tkt_", "message_id": "msg_", "action_id": "act_"}
        self.tenant_id = "ten_" + "0" * 26
        self._last_ms = 0
        self.handlers: dict[str, Callable[[Request], Reply]] = {
            "listTickets": self.list_tickets,
            "createTicket": self.create_ticket,
            "getTicket": self.get_ticket,
            "updateTicket": self.update_ticket,
            "listMessages": self.list_messages,
            "addMessage": self.add_message,
            "runAction": self.run_action,
            "listActions": self.list_actions,
            "getAction": self.get_action,
        }
        self.paths = {op_id: op.path for op_id, op in spec.operations.items()}
        self.templates = self._templates()
        self._seed()

    # -- seeding ------------------------------------------------------------

    def _templates(self) -> dict[str, Any]:
        """First 2xx example of each operation: shapes to copy (e.g. an action's result)."""
        out = {}
        for op_id, op in self.spec.operations.items():
            v = op.variants.get(op.default_status)
            if v is not None and v.default_example is not None:
                out[op_id] = v.values[v.default_example]
        return out

    def _seed(self) -> None:
        summaries: dict[str, dict[str, Any]] = {}
        contacts: dict[str, dict[str, Any]] = {}
        messages: dict[str, dict[str, Any]] = {}
        actions: dict[str, dict[str, Any]] = {}
        for op in self.spec.operations.values():
            for status, variant in op.variants.items():
                if not 200 <= status < 300:
                    continue
                for value in variant.values.values():
                    for obj in _walk(copy.deepcopy(value)):
                        if "summary" in obj and "contact" in obj:
                            tid = obj["summary"].get("ticket_id")
                            contacts.setdefault(tid, obj["contact"])
                        elif "message_id" in obj and "ticket_id" in obj:
                            messages.setdefault(obj["message_id"], obj)
                        elif "action_id" in obj and "ticket_id" in obj:
                            actions.setdefault(obj["action_id"], obj)
                        elif "ticket_id" in obj and "subject" in obj and "updated_at" in obj:
                            old = summaries.get(obj["ticket_id"])
                            # The same ticket shows in several examples: keep its latest state.
                            if old is None or ms(obj["updated_at"]) > ms(old["updated_at"]):
                                summaries[obj["ticket_id"]] = obj
        for key, sample in (
            ("ticket_id", next(iter(summaries), None)),
            ("message_id", next(iter(messages), None)),
            ("action_id", next(iter(actions), None)),
        ):
            if sample and "_" in sample:
                self.prefixes[key] = sample.split("_", 1)[0] + "_"
        if summaries:
            self.tenant_id = next(iter(summaries.values())).get("tenant_id", self.tenant_id)
        fallback_contact = next(iter(contacts.values()), {"name": "Customer"})
        for tid, summary in summaries.items():
            self.tickets[tid] = {
                "summary": summary,
                "contact": contacts.get(tid, fallback_contact),
            }
            self.messages[tid] = []
            self.actions[tid] = []
        for m in messages.values():
            if m["ticket_id"] in self.tickets:
                self.messages[m["ticket_id"]].append(m)
        for a in actions.values():
            if a["ticket_id"] in self.tickets:
                self.actions[a["ticket_id"]].append(a)
        for tid in self.tickets:
            self.messages[tid].sort(key=lambda m: (ms(m["created_at"]), m["message_id"]))
            self.actions[tid].sort(key=lambda a: (ms(a["created_at"]), a["action_id"]))

    # -- plumbing -----------------------------------------------------------

    def handle(self, request: Request) -> Reply | None:
        handler = self.handlers.get(request.op.op_id)
        if handler is None:
            return None
        idem = request.headers.get("idempotency-key") if request.op.method == "POST" else None
        if idem is None:
            return handler(request)
        slot = (request.key or "", request.op.op_id, idem)
        fingerprint = hashlib.sha256(
            json.dumps([request.path_params, request.body], sort_keys=True).encode()
        ).hexdigest()
        if slot in self.idempotency:
            seen, reply = self.idempotency[slot]
            if seen != fingerprint:
                raise MockError(
                    409,
                    f"Idempotency-Key {idem} was already used with a different request.",
                    type_="idempotency_conflict",
                )
            return Reply(
                reply.status, reply.value, [*reply.headers, _h("idempotent-replayed", "true")]
            )
        reply = handler(request)
        if 200 <= reply.status < 300:
            self.idempotency[slot] = (fingerprint, reply)
        return reply

    def _now(self) -> str:
        # Strictly increasing, so that creation order is also time order.
        now = max(int(time.time() * 1000), self._last_ms + 1)
        self._last_ms = now
        return rfc3339(datetime.fromtimestamp(now / 1000, tz=UTC))

    def _id(self, kind: str) -> str:
        stamp = self._last_ms or int(time.time() * 1000)
        head = "".join(_CROCKFORD[(stamp >> (5 * i)) & 31] for i in reversed(range(10)))
        tail = "".join(self.rnd.choice(_CROCKFORD) for _ in range(16))
        return self.prefixes[kind] + head + tail

    def _url(self, op_id: str, **params: str) -> str:
        path = self.paths.get(op_id, "")
        for k, v in params.items():
            path = path.replace("{" + k + "}", v)
        return self.spec.base_path + path

    def _ticket(self, request: Request) -> dict[str, Any]:
        tid = request.path_params.get("ticket_id", "")
        ticket = self.tickets.get(tid)
        if ticket is None:
            raise MockError(404, f"Ticket {tid} was not found.")
        return ticket

    def _writable(self, ticket: dict[str, Any]) -> None:
        if ticket["summary"]["status"] == FINAL_STATUS:
            tid = ticket["summary"]["ticket_id"]
            raise MockError(409, f"Ticket {tid} is closed and can no longer change.")

    def _ticket_value(self, tid: str) -> dict[str, Any]:
        t = self.tickets[tid]
        return {
            "ticket": {
                "summary": t["summary"],
                "contact": t["contact"],
                "messages": self.messages[tid][-TICKET_MESSAGES:],
            }
        }

    # -- pagination ---------------------------------------------------------

    def _page(
        self,
        request: Request,
        items: list[dict[str, Any]],
        key: Callable[[dict[str, Any]], tuple[int, str]],
        *,
        newest_first: bool,
        filters: dict[str, Any],
    ) -> Reply:
        limit = int(request.params.get("limit") or 25)
        scope = json.dumps([request.op.op_id, request.path_params, filters], sort_keys=True)
        ordered = sorted(items, key=key, reverse=newest_first)
        token = request.params.get("page_token")
        if token:
            position = self._read_token(token, scope)
            pos = (position[0], position[1])
            if newest_first:
                ordered = [i for i in ordered if key(i) < pos]
            else:
                ordered = [i for i in ordered if key(i) > pos]
        page = ordered[:limit]
        next_token = None
        if len(ordered) > limit:
            next_token = self._make_token(key(page[-1]), scope)
        return Reply(200, {"items": page, "next_page_token": next_token})

    def _make_token(self, position: tuple[int, str], scope: str) -> str:
        body = base64.urlsafe_b64encode(json.dumps(list(position)).encode()).rstrip(b"=")
        sig = hmac.new(self.secret, body + scope.encode(), hashlib.sha256).digest()[:12]
        return (body + b"." + base64.urlsafe_b64encode(sig).rstrip(b"=")).decode()

    def _read_token(self, token: str, scope: str) -> list[Any]:
        bad = MockError(
            400,
            "page_token is invalid, or was issued for other filters. "
            "Start again without a page_token.",
            [{"field": "query.page_token", "reason": "invalid or issued for other filters"}],
        )
        body, _, sig = token.encode().partition(b".")
        want = hmac.new(self.secret, body + scope.encode(), hashlib.sha256).digest()[:12]
        try:
            got = base64.urlsafe_b64decode(sig + b"=" * (-len(sig) % 4))
            if not hmac.compare_digest(got, want):
                raise bad
            position = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
        except (ValueError, TypeError):
            raise bad from None
        return position

    # -- tickets ------------------------------------------------------------

    def list_tickets(self, request: Request) -> Reply:
        p = request.params
        statuses = p.get("status")
        channels = p.get("channel")
        priorities = p.get("priority")
        tag = p.get("tag")
        after = ms(p["updated_after"]) if p.get("updated_after") else None
        items = []
        for t in self.tickets.values():
            s = t["summary"]
            if statuses and s["status"] not in statuses:
                continue
            if channels and s["channel"] not in channels:
                continue
            if priorities and s["priority"] not in priorities:
                continue
            if tag and tag not in s.get("tags", []):
                continue
            if after is not None and ms(s["updated_at"]) <= after:
                continue
            items.append(s)
        filters = {k: v for k, v in p.items() if k not in ("limit", "page_token")}
        return self._page(
            request,
            items,
            lambda s: (ms(s["updated_at"]), s["ticket_id"]),
            newest_first=True,
            filters=filters,
        )

    def create_ticket(self, request: Request) -> Reply:
        body = request.body
        now = self._now()
        tid = self._id("ticket_id")
        summary = {
            "ticket_id": tid,
            "tenant_id": self.tenant_id,
            "subject": body["subject"],
            "status": NEW_TICKET_STATUS,
            "priority": body.get("priority", NEW_TICKET_PRIORITY),
            "channel": body["channel"],
            "tags": list(body.get("tags", [])),
            "created_at": now,
            "updated_at": now,
            "last_message_at": now,
        }
        first = body["initial_message"]
        message = {
            "message_id": self._id("message_id"),
            "ticket_id": tid,
            "role": first["role"],
            "content": first["content"],
            "channel": body["channel"],
            "external_message_id": first.get("external_message_id"),
            "created_at": now,
        }
        self.tickets[tid] = {"summary": summary, "contact": dict(body["contact"])}
        self.messages[tid] = [message]
        self.actions[tid] = []
        location = self._url("getTicket", ticket_id=tid)
        return Reply(201, self._ticket_value(tid), [_h("location", location)])

    def get_ticket(self, request: Request) -> Reply:
        ticket = self._ticket(request)
        return Reply(200, self._ticket_value(ticket["summary"]["ticket_id"]))

    def update_ticket(self, request: Request) -> Reply:
        ticket = self._ticket(request)
        self._writable(ticket)
        summary = ticket["summary"]
        changed = False
        for field in ("subject", "status", "priority", "tags"):
            if field in request.body and summary.get(field) != request.body[field]:
                summary[field] = copy.deepcopy(request.body[field])
                changed = True
        if changed:
            summary["updated_at"] = self._now()
        return Reply(200, self._ticket_value(summary["ticket_id"]))

    # -- messages -----------------------------------------------------------

    def list_messages(self, request: Request) -> Reply:
        tid = self._ticket(request)["summary"]["ticket_id"]
        return self._page(
            request,
            self.messages[tid],
            lambda m: (ms(m["created_at"]), m["message_id"]),
            newest_first=False,
            filters={},
        )

    def add_message(self, request: Request) -> Reply:
        ticket = self._ticket(request)
        self._writable(ticket)
        summary = ticket["summary"]
        tid = summary["ticket_id"]
        body = request.body
        ext = body.get("external_message_id")
        if ext is not None:
            for m in self.messages[tid]:
                if m.get("external_message_id") == ext:
                    return Reply(200, {"message": m})
        now = self._now()
        message = {
            "message_id": self._id("message_id"),
            "ticket_id": tid,
            "role": body["role"],
            "content": body["content"],
            "channel": body.get("channel", summary["channel"]),
            "external_message_id": ext,
            "created_at": now,
        }
        self.messages[tid].append(message)
        summary["last_message_at"] = summary["updated_at"] = now
        if (body["role"], summary["status"]) == REOPEN[:2]:
            summary["status"] = REOPEN[2]
        location = self._url("listMessages", ticket_id=tid)
        return Reply(201, {"message": message}, [_h("location", location)])

    # -- actions ------------------------------------------------------------

    def run_action(self, request: Request) -> Reply:
        ticket = self._ticket(request)
        tid = ticket["summary"]["ticket_id"]
        payload = copy.deepcopy(request.body["payload"])
        created = self._now()
        # The mock sends nothing; a url containing "fail" makes the action fail, to show
        # frontends the failed state.
        failed = "fail" in payload.get("url", "")
        duration = self.rnd.randint(40, 900)
        action = {
            "action_id": self._id("action_id"),
            "tenant_id": self.tenant_id,
            "ticket_id": tid,
            "action_type": payload.get("type", "custom_http"),
            "status": "failed" if failed else "succeeded",
            "requested_by": "api_key:" + _key_id(request.key or "anonymous"),
            "payload": redacted(payload),  # as the server answers it
            "created_at": created,
            "completed_at": rfc3339(
                datetime.fromtimestamp((ms(created) + duration) / 1000, tz=UTC)
            ),
            "result": {
                "http_status": 500 if failed else 200,
                "duration_ms": duration,
                "error": "target answered 500" if failed else None,
                "response_excerpt": "Internal Server Error" if failed else '{"status":"success"}',
            },
        }
        self.actions[tid].append(action)
        location = self._url("getAction", ticket_id=tid, action_id=action["action_id"])
        return Reply(201, {"action": action}, [_h("location", location)])

    def list_actions(self, request: Request) -> Reply:
        tid = self._ticket(request)["summary"]["ticket_id"]
        return self._page(
            request,
            self.actions[tid],
            lambda a: (ms(a["created_at"]), a["action_id"]),
            newest_first=True,
            filters={},
        )

    def get_action(self, request: Request) -> Reply:
        tid = self._ticket(request)["summary"]["ticket_id"]
        aid = request.path_params.get("action_id")
        for a in self.actions[tid]:
            if a["action_id"] == aid:
                return Reply(200, {"action": a})
        raise MockError(404, f"Action {aid} was not found on ticket {tid}.")


def _h(name: str, value: str) -> tuple[bytes, bytes]:
    return name.encode(), value.encode()


def _key_id(key: str) -> str:
    digest = hashlib.sha256(key.encode()).digest()
    n = int.from_bytes(digest[:17], "big")
    return "key_" + "".join(_CROCKFORD[(n >> (5 * i)) & 31] for i in range(26))
