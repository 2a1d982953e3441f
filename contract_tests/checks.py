"""The project's own contract rules, as Schemathesis checks applied to every response.

Everything a check compares against is read from the loaded spec (the error
type enum, which statuses carry the rate-limit headers, which scopes each
operation needs), never hard-coded, so a spec change moves the checks with it.

The checks need to know the suite's keys (which scopes each holds); the
session fixture hands them over with `configure(...)` before any test runs.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterable
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response

API_KEY_HEADER = "X-Api-Key"
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@dataclasses.dataclass
class Keyring:
    """The keys the suite holds: one with every scope, and (when known) one per scope set."""

    full_key: str
    scoped_keys: dict[frozenset[str], str]
    probed: set[str] = dataclasses.field(default_factory=set)  # operations already probed
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    @property
    def known(self) -> set[str]:
        return {self.full_key, *self.scoped_keys.values()}


_KEYRING: Keyring | None = None


def configure(*, full_key: str, scoped_keys: dict[frozenset[str], str]) -> Keyring:
    global _KEYRING
    _KEYRING = Keyring(full_key=full_key, scoped_keys=dict(scoped_keys))
    return _KEYRING


def keyring() -> Keyring:
    if _KEYRING is None:
        raise RuntimeError("contract_tests.checks.configure() was not called")
    return _KEYRING


# --- what the spec says ------------------------------------------------------------------------


def _resolve(document: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported here: {ref}")
        node = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@dataclasses.dataclass(frozen=True)
class SpecFacts:
    error_types: frozenset[str]
    # Statuses whose documented response omits the X-RateLimit-* headers (401 and 500 today).
    no_rate_limit_statuses: frozenset[int]
    # Statuses some operation documents; others (405 today) are answered by routing,
    # before the key is read, so they carry no quota.
    documented_statuses: frozenset[int]
    # operationId -> alternative scope sets, one of which a key must hold.
    scopes: dict[str, tuple[frozenset[str], ...]]
    # (operationId, status) -> error types shown in that response's examples.
    example_types: dict[tuple[str, int], frozenset[str]]


def facts_from(document: dict) -> SpecFacts:
    """Read the rules the checks enforce out of an OpenAPI document."""
    schemas = document["components"]["schemas"]
    error = _resolve(document, schemas["ApiError"])
    inner = _resolve(document, error["properties"]["error"])
    type_schema = _resolve(document, inner["properties"]["type"])
    error_types = frozenset(type_schema["enum"])

    no_limits: set[int] = set()
    documented: set[int] = set()
    scopes: dict[str, tuple[frozenset[str], ...]] = {}
    example_types: dict[tuple[str, int], frozenset[str]] = {}
    default_security = document.get("security", [])
    for item in document.get("paths", {}).values():
        for method, op in item.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}:
                continue
            op_id = op["operationId"]
            scopes[op_id] = tuple(
                frozenset(s for names in req.values() for s in names)
                for req in op.get("security", default_security)
            )
            for status, response in op.get("responses", {}).items():
                if not status.isdigit():
                    continue
                documented.add(int(status))
                response = _resolve(document, response)
                headers = {h.lower() for h in response.get("headers", {})}
                if not all(h.lower() in headers for h in RATE_LIMIT_HEADERS):
                    no_limits.add(int(status))
                if int(status) >= 400:
                    types = set()
                    for media in response.get("content", {}).values():
                        for example in media.get("examples", {}).values():
                            value = _resolve(document, example).get("value", {})
                            if isinstance(value, dict) and isinstance(value.get("error"), dict):
                                types.add(value["error"].get("type"))
                    if types:
                        example_types[(op_id, int(status))] = frozenset(types)
    return SpecFacts(
        error_types=error_types,
        no_rate_limit_statuses=frozenset(no_limits),
        documented_statuses=frozenset(documented),
        scopes=scopes,
        example_types=example_types,
    )


_FACTS: dict[int, tuple[dict, SpecFacts]] = {}


def spec_facts(case: Case) -> SpecFacts:
    """The facts of the case's loaded spec, computed once per document."""
    raw = case.operation.schema.raw_schema
    cached = _FACTS.get(id(raw))
    if cached is None or cached[0] is not raw:
        cached = _FACTS[id(raw)] = (raw, facts_from(raw))
    return cached[1]


# --- helpers -----------------------------------------------------------------------------------


def header(response: Response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    return values[0] if values else None


def sent_key(response: Response) -> str | None:
    value = response.request.headers.get(API_KEY_HEADER)
    return value if isinstance(value, str) else None


def _describe(response: Response) -> str:
    body = response.content[:300].decode("utf-8", "replace") if response.content else ""
    return f"{response.request.method} {response.request.url} -> {response.status_code} {body}"


def envelope_problems(response: Response, facts: SpecFacts, *, op_id: str | None) -> list[str]:
    """Why a non-2xx response is not our error envelope (empty when it is)."""
    status = response.status_code
    ctype = (header(response, "Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return [f"Content-Type is {ctype or 'missing'!r}, not application/json"]
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        return [f"body is not JSON ({exc})"]
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return ['body is not {"error": {...}}']
    error = body["error"]
    problems = []
    for name in ("type", "message", "code"):
        if name not in error:
            problems.append(f"error.{name} is missing")
    if "code" in error and (error["code"] != status or isinstance(error["code"], bool)):
        problems.append(f"error.code is {error['code']!r}, the HTTP status is {status}")
    if "type" in error and error["type"] not in facts.error_types:
        problems.append(
            f"error.type {error['type']!r} is not in the spec's ErrorType enum "
            f"{sorted(facts.error_types)}"
        )
    if "message" in error and (not isinstance(error["message"], str) or not error["message"]):
        problems.append("error.message is not a non-empty string")
    # The spec's examples for this operation and status show which types belong to it.
    documented = facts.example_types.get((op_id or "", status))
    if documented and error.get("type") in facts.error_types and error["type"] not in documented:
        problems.append(
            f"error.type {error['type']!r} does not match status {status}: the spec documents "
            f"{sorted(documented)} for it"
        )
    return problems


# --- the checks ---------------------------------------------------------------------------------


@schemathesis.check
def error_envelope(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every non-2xx answer is {"error": {type, message, code}}, code == status, type documented."""
    if 200 <= response.status_code < 300:
        return None
    problems = envelope_problems(
        response, spec_facts(case), op_id=case.operation.definition.raw.get("operationId")
    )
    if problems:
        raise AssertionError(
            "The error is not in the product's envelope: "
            + "; ".join(problems)
            + f"\n{_describe(response)}"
        )
    return True


@schemathesis.check
def rate_limit_headers(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Answers to a request with a valid key carry X-RateLimit-* (where the spec documents them)."""
    key = sent_key(response)
    if key is None or _KEYRING is None or key not in _KEYRING.known:
        return None  # no key or a wrong one: the answer is a 401, which carries no quota
    facts = spec_facts(case)
    status = response.status_code
    if status in facts.no_rate_limit_statuses or status not in facts.documented_statuses:
        return None
    missing = [h for h in RATE_LIMIT_HEADERS if header(response, h) is None]
    if missing:
        raise AssertionError(
            f"Missing rate-limit header(s) {', '.join(missing)} on a {response.status_code} "
            f"to an authenticated request\n{_describe(response)}"
        )
    values = {}
    for name in RATE_LIMIT_HEADERS:
        raw = header(response, name) or ""
        if not raw.isdigit():
            raise AssertionError(f"{name} is {raw!r}, not a non-negative integer")
        values[name] = int(raw)
    limit, remaining, reset = (values[h] for h in RATE_LIMIT_HEADERS)
    if limit < 1 or remaining > limit or reset > 60:
        raise AssertionError(
            f"Inconsistent rate-limit headers: limit={limit} remaining={remaining} reset={reset}"
        )
    if response.status_code == 429 and header(response, "Retry-After") is None:
        raise AssertionError("A 429 without Retry-After")
    return True


def required_scopes(case: Case) -> tuple[frozenset[str], ...]:
    return spec_facts(case).scopes.get(case.operation.definition.raw.get("operationId", ""), ())


def sufficient(scopes: frozenset[str], alternatives: Iterable[frozenset[str]]) -> bool:
    alternatives = list(alternatives)
    return not alternatives or any(alt <= scopes for alt in alternatives)


def probe_with_keys(case: Case, *, expect_success: bool = False, **call_kwargs: Any) -> list[str]:
    """Send `case` again with each scoped key, with no key and with a wrong key.

    Returns the problems found: a lacking key not answered 403 permission_denied,
    a sufficient key answered 403, a missing or wrong key not answered 401
    authentication_failed, or any of those answers out of the envelope. With
    `expect_success` (valid data on real resources), a sufficient key must get a 2xx.
    """
    ring = keyring()
    facts = spec_facts(case)
    alternatives = required_scopes(case)
    op_id = case.operation.definition.raw.get("operationId")
    problems: list[str] = []

    curls: dict[int, str] = {}

    def send(key: str | None) -> Response:
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "x-api-key"}
        if key is not None:
            headers[API_KEY_HEADER] = key
        probe = case.derive(headers=headers)
        response = probe.call(**call_kwargs)
        curls[id(response)] = probe.as_curl_command(base_url=call_kwargs.get("base_url"))
        return response

    def describe(response: Response) -> str:
        return f"{_describe(response)}\n  Reproduce with: {curls.get(id(response), '')}"

    for scopes, key in sorted(ring.scoped_keys.items(), key=lambda kv: sorted(kv[0])):
        response = send(key)
        label = "+".join(sorted(scopes))
        if sufficient(scopes, alternatives):
            if response.status_code == 403:
                problems.append(f"key with {label} (sufficient) got 403: {describe(response)}")
            elif expect_success and not 200 <= response.status_code < 300:
                problems.append(
                    f"key with {label} (sufficient) got {response.status_code}: "
                    f"{describe(response)}"
                )
        else:
            if response.status_code != 403:
                problems.append(
                    f"key with {label} (lacks {_needs(alternatives)}) got "
                    f"{response.status_code}, expected 403: {describe(response)}"
                )
                continue
            problems += [
                f"403 for key with {label}: {p}"
                for p in envelope_problems(response, facts, op_id=op_id)
            ]
            body = response.json()
            if body["error"].get("type") != "permission_denied":
                problems.append(
                    f"403 for key with {label} has type {body['error'].get('type')!r}, "
                    "expected permission_denied"
                )
    for label, key in (("no key", None), ("a wrong key", "thr_live_" + "A" * 43)):
        response = send(key)
        if response.status_code != 401:
            problems.append(
                f"{label}: got {response.status_code}, expected 401: {describe(response)}"
            )
            continue
        problems += [
            f"401 for {label}: {p}" for p in envelope_problems(response, facts, op_id=op_id)
        ]
        if response.json()["error"].get("type") != "authentication_failed":
            problems.append(f"401 for {label} is not authentication_failed")
    return problems


def _needs(alternatives: Iterable[frozenset[str]]) -> str:
    return " or ".join("+".join(sorted(a)) for a in alternatives) or "nothing"


@schemathesis.check
def scopes_enforced(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Once per operation: every key lacking its scope gets 403, every sufficient key does not.

    Probed from the first answer that proves the request reached the operation
    with valid credentials (not 401, not a negative path); the probe repeats
    that exact request with each of the suite's keys, no key and a wrong key.
    """
    ring = _KEYRING
    if ring is None or not ring.scoped_keys:
        return None  # live run without keys of known scopes: see test_scopes_are_known
    if sent_key(response) not in ring.known or response.status_code in (401, 405):
        return None
    meta = case.meta
    if meta is not None and getattr(meta.generation, "mode", None) is not None:
        if meta.generation.mode.name.lower() == "negative":
            return None
    label = case.operation.label
    with ring.lock:
        if label in ring.probed:
            return None
        ring.probed.add(label)
    kwargs: dict[str, Any] = {}
    if case.operation.app is None and ctx.internals.transport_kwargs:
        base_url = ctx.internals.transport_kwargs.get("base_url")
        if base_url:
            kwargs["base_url"] = base_url
    problems = probe_with_keys(case, **kwargs)
    if problems:
        raise AssertionError(
            f"Scopes are not enforced as the spec says for {label}:\n- " + "\n- ".join(problems)
        )
    return True


CUSTOM_CHECKS = (error_envelope, rate_limit_headers, scopes_enforced)
