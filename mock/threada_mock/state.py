"""`--stateful`: tickets, messages and actions kept in memory, by the server's own rules.

Prism cannot do this. The store holds rows in the server's storage form
(times as epoch milliseconds) and applies the server's domain code to them,
so that the rules cannot drift apart:

- `threada.domain.tickets`: a new ticket and its first message (`new_ticket`:
  the contact needs an email or a phone, `open`, `normal`, tags deduplicated),
  merge patches (`patch_changes`, `apply_changes`: which fields change, `null`,
  closed tickets refuse changes with 409), new messages (`new_message`: the
  ticket's channel, a customer reopening a solved ticket), and the answer
  shapes (`summary`, `contact`, `message`);
- `threada.domain.actions.action` for the action shape, and
  `threada.outbound.validate_custom_http` for what a `custom_http` payload may
  hold (the mock sends nothing: a payload `url` containing `fail` gives a
  failed action, to show frontends that state);
- `threada.domain.pagination` for the lists: the same orders, signed keyset
  page tokens bound to the filters (an altered token, or one from other
  filters, is the server's 400);
- `threada.domain.idempotency.fingerprint` for `Idempotency-Key` (a replay
  answers the first response with `Idempotent-Replayed: true`, another request
  under the same key is `409 idempotency_conflict`);
- `threada.ids` for ids and times.

It starts from every 2xx example of the spec (the latest state of each
example ticket), or from a fixtures file (`--fixtures`, see `load_fixtures`).
`reset()` goes back to that start. Any operation the store does not know is
answered from the examples as in the default mode.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from threada import spec as server_spec
from threada.domain import actions as domain_actions
from threada.domain import tickets as domain
from threada.domain.errors import IdempotencyConflict, InvalidRequest, NotFound
from threada.domain.idempotency import fingerprint
from threada.domain.pagination import Keyset, PageTokens
from threada.ids import new_id, now_ms, parse_rfc3339
from threada.outbound.validation import validate_custom_http

from .app import Reply, Request
from .model import CompiledSpec
from .spec import inline_refs

DEFAULT_TENANT = "ten_" + "0" * 26
#: The mock sends nothing; a payload url with this in it gives a failed action.
FAIL_MARKER = "fail"


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def _ms(value: Any) -> int | None:
    return None if value is None else parse_rfc3339(value)


def ticket_row(summary: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
    """An API `TicketSummary` and `Contact` as the server's storage row."""
    return {
        "ticket_id": summary["ticket_id"],
        "tenant_id": summary["tenant_id"],
        "subject": summary["subject"],
        "status": summary["status"],
        "priority": summary["priority"],
        "channel": summary["channel"],
        "tags": list(summary.get("tags", [])),
        "contact_name": contact.get("name"),
        "contact_email": contact.get("email"),
        "contact_phone": contact.get("phone"),
        "created_at": _ms(summary["created_at"]),
        "updated_at": _ms(summary["updated_at"]),
        "last_message_at": _ms(summary.get("last_message_at") or summary["updated_at"]),
    }


def message_row(m: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    return {**m, "tenant_id": tenant_id, "created_at": _ms(m["created_at"])}


def action_row(a: dict[str, Any]) -> dict[str, Any]:
    return {**a, "created_at": _ms(a["created_at"]), "completed_at": _ms(a.get("completed_at"))}


class TicketStore:
    def __init__(
        self,
        spec: CompiledSpec,
        *,
        seed: int | None = None,
        fixtures: dict[str, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.fixtures = fixtures
        self.tokens = PageTokens(os.urandom(32))
        self.tenant_id = DEFAULT_TENANT
        self.tickets: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.actions: dict[str, list[dict[str, Any]]] = {}
        self.idempotency: dict[str, tuple[str, Reply]] = {}
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
        self.reset()

    # -- seeding ------------------------------------------------------------

    def reset(self) -> None:
        """Back to the start: the fixtures if given, else the spec's examples."""
        self.tickets.clear()
        self.messages.clear()
        self.actions.clear()
        self.idempotency.clear()
        if self.fixtures is not None:
            self._load(self.fixtures)
        else:
            self._seed_from_examples()

    def _seed_from_examples(self) -> None:
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
                            contacts.setdefault(obj["summary"].get("ticket_id"), obj["contact"])
                        elif "message_id" in obj and "ticket_id" in obj:
                            messages.setdefault(obj["message_id"], obj)
                        elif "action_id" in obj and "ticket_id" in obj:
                            actions.setdefault(obj["action_id"], obj)
                        elif "ticket_id" in obj and "subject" in obj and "updated_at" in obj:
                            old = summaries.get(obj["ticket_id"])
                            # The same ticket shows in several examples: keep its latest state.
                            if old is None or parse_rfc3339(obj["updated_at"]) > parse_rfc3339(
                                old["updated_at"]
                            ):
                                summaries[obj["ticket_id"]] = obj
        if summaries:
            self.tenant_id = next(iter(summaries.values())).get("tenant_id", self.tenant_id)
        fallback = next(iter(contacts.values()), {"email": "customer@example.com"})
        self._load(
            {
                "tickets": [
                    {"summary": s, "contact": contacts.get(tid, fallback)}
                    for tid, s in summaries.items()
                ],
                "messages": list(messages.values()),
                "actions": list(actions.values()),
            },
            validate=False,
        )

    def _load(self, data: dict[str, Any], *, validate: bool = True) -> None:
        if validate:
            check_fixtures(self.spec, data)
        for t in data.get("tickets", []):
            row = ticket_row(t["summary"], t["contact"])
            self.tenant_id = row["tenant_id"]
            self.tickets[row["ticket_id"]] = row
            self.messages[row["ticket_id"]] = []
            self.actions[row["ticket_id"]] = []
        seen: set[str] = set()
        listed = [m for t in data.get("tickets", []) for m in t.get("messages", [])]
        for m in [*listed, *data.get("messages", [])]:
            if m["ticket_id"] in self.tickets and m["message_id"] not in seen:
                seen.add(m["message_id"])
                row = message_row(m, self.tickets[m["ticket_id"]]["tenant_id"])
                self.messages[m["ticket_id"]].append(row)
        for a in data.get("actions", []):
            if a["ticket_id"] in self.tickets:
                self.actions[a["ticket_id"]].append(action_row(a))
        for tid in self.tickets:
            self.messages[tid].sort(key=lambda m: (m["created_at"], m["message_id"]))
            self.actions[tid].sort(key=lambda a: (a["created_at"], a["action_id"]))

    # -- plumbing -----------------------------------------------------------

    def handle(self, request: Request) -> Reply | None:
        handler = self.handlers.get(request.op.op_id)
        if handler is None:
            return None
        idem = request.headers.get("idempotency-key") if request.op.method == "POST" else None
        if idem is None:
            return handler(request)
        # The server's rule (threada.api._common.idempotent): per tenant and key string,
        # bound to the method, path and body; only a completed answer is kept.
        seen = fingerprint(request.method, request.path, request.body)
        if idem in self.idempotency:
            first, reply = self.idempotency[idem]
            if first != seen:
                raise IdempotencyConflict(
                    f"Idempotency-Key {idem} was already used with a different request."
                )
            return Reply(
                reply.status, reply.value, [*reply.headers, (b"idempotent-replayed", b"true")]
            )
        reply = handler(request)
        self.idempotency[idem] = (seen, reply)
        return reply

    def _require(self, ticket_id: str) -> dict[str, Any]:
        # threada.domain.tickets.require_ticket, over this store instead of a connection.
        row = self.tickets.get(ticket_id)
        if row is None:
            raise NotFound(f"Ticket {ticket_id} was not found.")
        return row

    def _ticket_value(self, row: dict[str, Any]) -> dict[str, Any]:
        recent = self.messages[row["ticket_id"]][-domain.TICKET_MESSAGES :]
        return {
            "ticket": {
                "summary": domain.summary(row),
                "contact": domain.contact(row),
                "messages": [domain.message(m) for m in recent],
            }
        }

    @staticmethod
    def _page(
        keyset: Keyset,
        rows: list[dict[str, Any]],
        request: Request,
        shape: Callable[[dict], dict],
        *,
        newest_first: bool,
    ) -> Reply:
        """One page as `repo.list_*` and `Keyset.page` make it: ordered, after the token's
        position, `limit` + 1 rows fetched."""
        limit = int(request.params.get("limit") or 25)
        after = keyset.after(request.params.get("page_token"))
        first, second = keyset.key
        ordered = sorted(rows, key=lambda r: (r[first], r[second]), reverse=newest_first)
        if after is not None:
            if newest_first:
                ordered = [r for r in ordered if (r[first], r[second]) < after]
            else:
                ordered = [r for r in ordered if (r[first], r[second]) > after]
        return Reply(200, keyset.page(ordered[: limit + 1], limit, shape))

    # -- tickets ------------------------------------------------------------

    def list_tickets(self, request: Request) -> Reply:
        p = request.params
        after = None
        if p.get("updated_after") is not None:
            # threada.api.tickets.listTickets
            try:
                after = parse_rfc3339(p["updated_after"])
            except ValueError:
                raise InvalidRequest(
                    "updated_after must be an RFC 3339 date-time",
                    details=[
                        {"field": "query.updated_after", "reason": "not an RFC 3339 date-time"}
                    ],
                ) from None
        # threada.domain.tickets.list_tickets: the same filters, bound into the page token.
        statuses = sorted(set(p.get("status") or domain.DEFAULT_STATUSES))
        channels = sorted(set(p["channel"])) if p.get("channel") else None
        priorities = sorted(set(p["priority"])) if p.get("priority") else None
        tag = p.get("tag")
        filters = {
            "status": statuses,
            "channel": channels,
            "priority": priorities,
            "tag": tag,
            "updated_after": after,
        }
        keyset = Keyset(
            self.tokens, self.tenant_id, "tickets", filters, ("updated_at", "ticket_id")
        )
        rows = [
            r
            for r in self.tickets.values()
            if r["status"] in statuses
            and (channels is None or r["channel"] in channels)
            and (priorities is None or r["priority"] in priorities)
            and (tag is None or tag in r["tags"])
            and (after is None or r["updated_at"] > after)
        ]
        return self._page(keyset, rows, request, domain.summary, newest_first=True)

    def create_ticket(self, request: Request) -> Reply:
        row, msg = domain.new_ticket(tenant_id=self.tenant_id, body=request.body, now=now_ms())
        tid = row["ticket_id"]
        self.tickets[tid] = row
        self.messages[tid] = [msg]
        self.actions[tid] = []
        # threada.api.tickets.createTicket
        location = f"{request.base_url}/tickets/{tid}"
        return Reply(201, self._ticket_value(row), [(b"location", location.encode())])

    def get_ticket(self, request: Request) -> Reply:
        return Reply(200, self._ticket_value(self._require(request.path_params["ticket_id"])))

    def update_ticket(self, request: Request) -> Reply:
        changes = domain.patch_changes(request.body or {})
        row = self._require(request.path_params["ticket_id"])
        row.update(domain.apply_changes(row, changes, now=now_ms()))
        return Reply(200, self._ticket_value(row))

    # -- messages -----------------------------------------------------------

    def list_messages(self, request: Request) -> Reply:
        tid = request.path_params["ticket_id"]
        keyset = Keyset(
            self.tokens,
            self.tenant_id,
            "messages",
            {"ticket_id": tid},
            ("created_at", "message_id"),
        )
        rows = self.messages[self._require(tid)["ticket_id"]]
        return self._page(keyset, rows, request, domain.message, newest_first=False)

    def add_message(self, request: Request) -> Reply:
        ticket = self._require(request.path_params["ticket_id"])
        body = request.body
        ext = body.get("external_message_id")
        if ext is not None:
            for m in self.messages[ticket["ticket_id"]]:
                if m.get("external_message_id") == ext:
                    return Reply(200, {"message": domain.message(m)})
        row, touch = domain.new_message(ticket, body, now=now_ms())
        self.messages[ticket["ticket_id"]].append(row)
        ticket.update(touch)
        # No Location: a message has no URL of its own in the spec (as the server).
        return Reply(201, {"message": domain.message(row)})

    # -- actions ------------------------------------------------------------

    def run_action(self, request: Request) -> Reply:
        ticket = self._require(request.path_params["ticket_id"])
        payload = copy.deepcopy(request.body["payload"])
        validate_custom_http(payload)
        tid = ticket["ticket_id"]
        created = now_ms()
        failed = FAIL_MARKER in payload.get("url", "")
        duration = 40 + int(hashlib.sha256(payload["url"].encode()).digest()[0]) * 3
        row = {
            "action_id": new_id("act"),
            "tenant_id": ticket["tenant_id"],
            "ticket_id": tid,
            "action_type": "custom_http",
            "status": "failed" if failed else "succeeded",
            "requested_by": "api_key:" + _key_id(request.key or "anonymous"),
            "payload": payload,
            "created_at": created,
            "completed_at": created + duration,
            "result": {
                "http_status": 500 if failed else 200,
                "duration_ms": duration,
                "error": "target answered 500" if failed else None,
                "response_excerpt": "Internal Server Error" if failed else '{"status":"success"}',
            },
        }
        self.actions[tid].append(row)
        # threada.api.actions.runAction
        location = f"{request.base_url}/tickets/{tid}/actions/{row['action_id']}"
        return Reply(
            201, {"action": domain_actions.action(row)}, [(b"location", location.encode())]
        )

    def list_actions(self, request: Request) -> Reply:
        tid = request.path_params["ticket_id"]
        keyset = Keyset(
            self.tokens, self.tenant_id, "actions", {"ticket_id": tid}, ("created_at", "action_id")
        )
        rows = self.actions[self._require(tid)["ticket_id"]]
        return self._page(keyset, rows, request, domain_actions.action, newest_first=True)

    def get_action(self, request: Request) -> Reply:
        tid = self._require(request.path_params["ticket_id"])["ticket_id"]
        aid = request.path_params.get("action_id")
        for a in self.actions[tid]:
            if a["action_id"] == aid:
                return Reply(200, {"action": domain_actions.action(a)})
        # threada.domain.actions.get_action
        raise NotFound(f"Action {aid} was not found on ticket {tid}.")


# -- fixtures ----------------------------------------------------------------


def load_fixtures(path: str | Path) -> dict[str, Any]:
    """Read a fixtures file (JSON, or YAML by its suffix). Its shape::

        tickets:                  # each a Ticket, as getTicket answers it
          - summary: {...}        # TicketSummary
            contact: {...}        # Contact
            messages: [...]       # Message objects (optional)
        messages: [...]           # more Message objects (optional)
        actions: [...]            # Action objects (optional)

    Every object is checked against its schema in the spec when the store loads it.
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    if p.suffix == ".json":
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{p}: expected a mapping with tickets, messages and actions")
    unknown = set(data) - {"tickets", "messages", "actions"}
    if unknown:
        raise ValueError(f"{p}: unknown sections {sorted(unknown)} (tickets, messages, actions)")
    return data


def check_fixtures(spec: CompiledSpec, data: dict[str, Any]) -> None:
    """Raise ValueError naming each object that is not valid against the spec, or that
    refers to a ticket the fixtures do not have."""
    schemas = spec.doc.get("components", {}).get("schemas", {})
    problems: list[str] = []

    def check(section: str, name: str, items: Any) -> None:
        if items is None:
            return
        if not isinstance(items, list):
            problems.append(f"{section}: expected a list")
            return
        if name not in schemas:
            raise ValueError(f"the spec has no {name} schema to check {section} against")
        validator = server_spec.compiled(inline_refs(spec.doc, schemas[name]))
        for i, item in enumerate(items):
            for d in server_spec.schema_errors(validator, item, f"{section}.{i}"):
                problems.append(f"{d['field']}: {d['reason']}")

    check("tickets", "Ticket", [_as_ticket(t) for t in data.get("tickets") or []])
    check("messages", "Message", data.get("messages"))
    check("actions", "Action", data.get("actions"))
    if not problems:
        ids = {t["summary"]["ticket_id"] for t in data.get("tickets") or []}
        for section in ("messages", "actions"):
            for i, item in enumerate(data.get(section) or []):
                if item["ticket_id"] not in ids:
                    problems.append(f"{section}.{i}.ticket_id: no such ticket in the fixtures")
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise ValueError(f"fixtures are not valid against the spec: {shown}{more}")


def _as_ticket(t: Any) -> Any:
    # A fixture ticket may leave out `messages`; the Ticket schema requires the list.
    if isinstance(t, dict) and "messages" not in t:
        return {**t, "messages": []}
    return t


def _key_id(key: str) -> str:
    """A stable public id for a mock key, in the server's `key_` form."""
    crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    n = int.from_bytes(hashlib.sha256(key.encode()).digest()[:17], "big")
    return "key_" + "".join(crockford[(n >> (5 * i)) & 31] for i in range(26))
