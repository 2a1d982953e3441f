"""The bad-input corpus: requests every implementation of the API (server, mock) must answer
with a 4xx error envelope (`code` equal to the status) without writing anything.

One data module, shared by the server's tests (`server/tests/test_bad_input.py`, SQLite and
PostgreSQL), the mock's (`mock/tests/test_bad_input.py`) and whatever else checks parity.

A case is a `Case`: method, a path template (`{ticket}` and `{action}` are replaced by a
real ticket and action of the caller's tenant; `{base}` is the base path), headers, the raw
body bytes, and the statuses it may answer. `auth=True` cases get a valid key with every
scope added by the runner (`X-Api-Key`), unless the case sends its own.

The classes: NUL and lone surrogates in every string field of every body, in path ids, query
parameters and headers; ECMA-262 pattern edges (a trailing line feed); email syntax;
integers too long to parse and numbers too large; deep nesting; duplicate member names;
missing, wrong and malformed content types; bodies that are not JSON or not UTF-8.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import typing as t
from urllib.parse import quote

BASE = "/api/v1/public"
JSON = "application/json"
MERGE = "application/merge-patch+json"


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str  # template: {ticket}, {action}
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    statuses: frozenset[int] = frozenset({400})
    auth: bool = True
    # False where the mock's documented key convention ("any key has every scope") applies.
    mock: bool = True

    def url(self, ticket: str, action: str) -> str:
        return BASE + self.path.format(ticket=ticket, action=action)


def _dump(value: t.Any) -> bytes:
    # ensure_ascii: lone surrogates become `\\ud800` escapes, as a client would send them.
    return json.dumps(value).encode()


TICKET = {
    "subject": "Refund request for order #48213",
    "priority": "normal",
    "channel": "email",
    "contact": {
        "name": "Priya Sharma",
        "email": "priya.sharma@example.com",
        "phone": "+919812345678",
    },
    "tags": ["vip", "returns"],
    "initial_message": {
        "role": "user",
        "content": "Hi, I'd like a refund for order #48213.",
        "external_message_id": "email-msg-001",
    },
}
PATCH = {"subject": "Refund issued", "status": "pending", "priority": "high", "tags": ["vip"]}
MESSAGE = {
    "role": "agent",
    "content": "Refund issued.",
    "channel": "email",
    "external_message_id": "m-1",
}
ACTION = {
    "payload": {
        "type": "custom_http",
        "method": "POST",
        "url": "/hooks/zapier",
        "headers": {"X-Source": "threada"},
        "body_json": '{"event":"ticket_updated"}',
    }
}

#: (operation label, method, path, content type, a valid body)
BODIES = (
    ("createTicket", "POST", "/tickets", JSON, TICKET),
    ("updateTicket", "PATCH", "/tickets/{ticket}", MERGE, PATCH),
    ("addMessage", "POST", "/tickets/{ticket}/messages", JSON, MESSAGE),
    ("runAction", "POST", "/tickets/{ticket}/actions", JSON, ACTION),
)


def _string_paths(value: t.Any, path: tuple = ()) -> t.Iterator[tuple]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _string_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _string_paths(v, (*path, i))


def _replace(value: t.Any, path: tuple, new: t.Any) -> t.Any:
    out = copy.deepcopy(value)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return out


def _body_cases() -> t.Iterator[Case]:
    for label, method, path, ctype, valid in BODIES:
        hdrs = (("Content-Type", ctype),)
        for where in _string_paths(valid):
            name = ".".join(str(p) for p in where)
            # body_json must itself parse as JSON: put the bad character inside a JSON string.
            original = t.cast(str, _get(valid, where))
            for kind, bad in (("nul", "\x00"), ("surrogate", "\ud800"), ("lowsurrogate", "\udfff")):
                new = original[:2] + bad + original[2:]
                yield Case(
                    f"{label}-{name}-{kind}", method, path, _dump(_replace(valid, where, new)), hdrs
                )
        # Member names: NUL and surrogate in a key.
        for kind, bad in (("nul", "\x00"), ("surrogate", "\ud800")):
            body = dict(valid)
            body["x" + bad] = "y"
            yield Case(f"{label}-membername-{kind}", method, path, _dump(body), hdrs)
        raw = _dump(valid)
        # Numbers: too long to parse, too large, in a string field's place.
        first = next(iter(valid))
        for kind, literal in (
            ("int4301", "1" * 4301),
            ("int5000neg", "-" + "9" * 5000),
            ("int64overflow", str(2**64)),
            ("float-inf", "1e999"),
            ("nan", "NaN"),
            ("infinity", "-Infinity"),
        ):
            body_text = raw.decode().replace(
                f'"{first}": {json.dumps(valid[first])}', f'"{first}": {literal}', 1
            )
            yield Case(f"{label}-number-{kind}", method, path, body_text.encode(), hdrs)
        # Duplicate member names (refused: parsers disagree on which one wins).
        dup = raw.decode().rstrip("}") + f', "{first}": {json.dumps(valid[first])}}}'
        yield Case(f"{label}-duplicate-key", method, path, dup.encode(), hdrs)
        # Deep nesting, inside and past the parser's recursion limit.
        for depth in (40, 1000, 20_000):
            nested = "[" * depth + "]" * depth
            yield Case(f"{label}-nested-{depth}", method, path, nested.encode(), hdrs)
            obj = '{"a":' * depth + "1" + "}" * depth
            yield Case(f"{label}-nested-object-{depth}", method, path, obj.encode(), hdrs)
        inner = _replace(
            valid,
            (first,),
            {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
        )
        yield Case(f"{label}-nested-inside", method, path, _dump(inner), hdrs)
        # Not UTF-8; UTF-8-encoded surrogate; not JSON; empty; JSON of the wrong type.
        yield Case(f"{label}-latin1", method, path, raw.replace(b': "', b': "\xe9', 1), hdrs)
        yield Case(
            f"{label}-utf8-surrogate",
            method,
            path,
            raw.replace(b': "', b': "\xed\xa0\x80', 1),
            hdrs,
        )
        yield Case(f"{label}-utf8-nul-byte", method, path, raw.replace(b': "', b': "\x00', 1), hdrs)
        yield Case(f"{label}-truncated", method, path, raw[:-3], hdrs)
        yield Case(f"{label}-trailing-garbage", method, path, raw + b"x", hdrs)
        yield Case(f"{label}-empty", method, path, b"", hdrs)
        yield Case(f"{label}-array", method, path, b"[]", hdrs)
        yield Case(f"{label}-null", method, path, b"null", hdrs)
        yield Case(f"{label}-string", method, path, b'"x"', hdrs)
        # Content types: missing, wrong, malformed, and a valid body that is not declared JSON.
        code415 = frozenset({415})
        yield Case(f"{label}-no-content-type", method, path, raw, (), code415)
        for ctype_bad in (
            "text/plain",
            "application/xml",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
            "garbage",
            "application/",
        ):
            yield Case(
                f"{label}-content-type-{ctype_bad.split(';')[0]}",
                method,
                path,
                raw,
                (("Content-Type", ctype_bad),),
                code415,
            )


def _get(value: t.Any, path: tuple) -> t.Any:
    for part in path:
        value = value[part]
    return value


def _pattern_cases() -> t.Iterator[Case]:
    """ECMA-262 `$`: a trailing line feed is not the end of the string."""
    hdrs = (("Content-Type", JSON),)
    for name, body in (
        ("tag", {**TICKET, "tags": ["vip\n"]}),
        ("phone", {**TICKET, "contact": {"name": "P", "phone": "+15551234567\n"}}),
        ("email-trailing-newline", {**TICKET, "contact": {"email": "priya@example.com\n"}}),
    ):
        yield Case(f"createTicket-pattern-{name}", "POST", "/tickets", _dump(body), hdrs)
    for email in (
        "not-an-email@",
        "a@b",
        "two@@example.com",
        "a..b@example.com",
        "@example.com",
        "priya sharma@example.com",
        "x@example.com>",
    ):
        body = {**TICKET, "contact": {"email": email}}
        yield Case(f"createTicket-email-{email}", "POST", "/tickets", _dump(body), hdrs)
    yield Case(
        "updateTicket-pattern-tag",
        "PATCH",
        "/tickets/{ticket}",
        _dump({"tags": ["vip\n"]}),
        (("Content-Type", MERGE),),
    )
    yield Case(
        "runAction-pattern-url",
        "POST",
        "/tickets/{ticket}/actions",
        _dump(_replace(ACTION, ("payload", "url"), "/hooks/zapier\n")),
        hdrs,
    )
    yield Case(
        "runAction-pattern-header-name",
        "POST",
        "/tickets/{ticket}/actions",
        _dump(_replace(ACTION, ("payload", "headers"), {"X-Source\n": "a"})),
        hdrs,
    )


def _param_cases() -> t.Iterator[Case]:
    bad_texts = (("nul", "%00"), ("nul-mid", "a%00b"), ("surrogate-utf8", "%ED%A0%80"))
    ids = ("tkt_%00", "tkt_01HX%00", "%00", "tkt_\x01", "tkt_" + "A" * 5000)
    for i, bad in enumerate(ids):
        for method, path in (
            ("GET", "/tickets/{id}"),
            ("GET", "/tickets/{id}/messages"),
            ("GET", "/tickets/{id}/actions"),
            ("GET", "/tickets/{ticket}/actions/{id}"),
        ):
            p = path.replace("{id}", quote(bad, safe="%") if "\x01" in bad else bad)
            yield Case(f"path-{method}-{path}-{i}", method, p, statuses=frozenset({400, 404}))
    for name in ("status", "channel", "priority", "tag", "updated_after", "page_token", "limit"):
        for kind, bad in bad_texts:
            yield Case(f"query-{name}-{kind}", "GET", f"/tickets?{name}={bad}")
        yield Case(f"query-{name}-newline", "GET", f"/tickets?{name}=x%0A")
    for kind, literal in (
        ("int4301", "1" * 4301),
        ("neg", "-1"),
        ("zero", "0"),
        ("big", "101"),
        ("float", "2.5"),
        ("text", "ten"),
        ("empty", ""),
    ):
        yield Case(f"query-limit-{kind}", "GET", f"/tickets?limit={literal}")
    yield Case("query-tag-trailing-newline", "GET", "/tickets?tag=vip%0A")
    yield Case("query-updated_after-not-a-time", "GET", "/tickets?updated_after=yesterday")
    # Headers: Idempotency-Key with NUL / control characters, trailing newline, too long.
    for kind, value in (
        ("nul", "key\x00x"),
        ("newline", "key\n"),
        ("space", "a b"),
        ("long", "k" * 5000),
        ("nonascii", "kéy"),
    ):
        yield Case(
            f"header-idempotency-key-{kind}",
            "POST",
            "/tickets",
            _dump(TICKET),
            (("Content-Type", JSON), ("Idempotency-Key", value)),
        )
    # Authentication: no key, NUL in the key, a key of 5000 characters.
    yield Case("auth-missing", "GET", "/tickets", statuses=frozenset({401}), auth=False)
    for kind, value in (
        ("nul", "thr_live_\x00"),
        ("long", "thr_live_" + "a" * 5000),
        ("empty", ""),
    ):
        yield Case(
            f"auth-{kind}",
            "GET",
            "/tickets",
            headers=(("X-Api-Key", value),),
            statuses=frozenset({401}),
            auth=False,
            mock=kind == "empty",
        )


def cases() -> list[Case]:
    out = [*_body_cases(), *_pattern_cases(), *_param_cases()]
    ids = [c.id for c in out]
    assert len(ids) == len(set(ids)), "corpus case ids must be unique"
    return out


CASES = cases()
