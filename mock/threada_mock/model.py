"""The spec compiled for serving: routes, parameters, bodies, security, and every
response pre-serialized. Built once at start; requests never walk the spec."""

from __future__ import annotations

import http
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from .generate import Generator
from .spec import deref, inline_refs
from .validation import Check, ValidatorFactory

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON_TYPES = ("application/json",)
#: Response headers computed per request (as the server's middleware does), never taken
#: from the spec's examples.
DYNAMIC_HEADERS = frozenset(
    {b"x-request-id", b"x-ratelimit-limit", b"x-ratelimit-remaining", b"x-ratelimit-reset"}
)
#: The server validates parameters in this order (Connexion's ParameterValidator).
_LOCATION_ORDER = {"query": 0, "path": 1, "header": 2, "cookie": 3}


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Param:
    name: str
    location: str  # path, query, header, cookie
    required: bool
    kind: str  # string, integer, number, boolean, array, object
    item_kind: str | None
    explode: bool
    check: Check
    default: Any = None
    has_default: bool = False
    schema: Any = None  # refs inlined: what the server's validator is given

    @property
    def field(self) -> str:
        return f"{self.location}.{self.name}"


@dataclass
class Body:
    required: bool
    media: dict[str, Check]  # media type -> checker (JSON media types only are parsed)
    schemas: dict[str, Any] = field(default_factory=dict)  # media type -> inlined schema


@dataclass
class Variant:
    """One documented response of an operation, e.g. its 404."""

    status: int
    key: str  # the responses-map key: "404", "4XX", "default"
    content_type: str | None
    examples: dict[str, bytes]
    values: dict[str, Any]
    default_example: str | None
    schema: Any
    check: Check | None
    headers: list[tuple[bytes, bytes]]  # required documented headers, with valid values
    header_names: list[str]


@dataclass
class Operation:
    op_id: str
    method: str
    path: str  # template, without the base path
    params: list[Param]
    body: Body | None
    security: list[list[tuple[str, dict[str, Any], frozenset[str]]]]
    variants: dict[int, Variant]
    default_status: int
    range_variants: dict[str, Variant] = field(default_factory=dict)  # "4XX", "default"
    # As Connexion hands them to the server's validators: merged, refs inlined.
    param_defs: list[dict[str, Any]] = field(default_factory=list)
    body_def: dict[str, Any] | None = None

    @property
    def needs_auth(self) -> bool:
        return bool(self.security) and all(alt for alt in self.security)

    def variant_for(self, status: int) -> Variant | None:
        v = self.variants.get(status)
        if v is None:
            v = self.range_variants.get(f"{status // 100}XX") or self.range_variants.get("default")
        return v

    def statuses(self) -> list[str]:
        return [str(s) for s in sorted(self.variants)] + sorted(self.range_variants)


@dataclass
class PathItem:
    template: str
    regex: re.Pattern[str] | None
    ops: dict[str, Operation]  # METHOD -> operation
    allow: str
    names: dict[str, str] = field(default_factory=dict)  # regex group -> parameter name


@dataclass
class CompiledSpec:
    base_path: str
    static: dict[str, PathItem]
    dynamic: list[PathItem]
    operations: dict[str, Operation]
    error_types: dict[int, str]
    all_scopes: frozenset[str]
    expose_headers: list[str]
    request_headers: list[str]
    validators: ValidatorFactory
    doc: dict[str, Any]
    error_enum: list[str] = field(default_factory=list)

    def match(self, path: str) -> tuple[PathItem | None, dict[str, str]]:
        item = self.static.get(path)
        if item is not None:
            return item, {}
        for item in self.dynamic:
            assert item.regex is not None
            m = item.regex.match(path)
            if m:
                return item, m.groupdict()
        return None, {}


def base_path_of(doc: dict[str, Any]) -> str:
    servers = doc.get("servers") or [{"url": "/"}]
    return urlparse(servers[0].get("url", "/")).path.rstrip("/")


def _kind(doc: dict[str, Any], schema: Any) -> str:
    s = deref(doc, schema)
    if not isinstance(s, dict):
        return "string"
    t = s.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if t:
        return str(t)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in s.get(key, []):
            k = _kind(doc, sub)
            if k != "string":
                return k
    if "enum" in s and s["enum"]:
        v = s["enum"][0]
        return {bool: "boolean", int: "integer", float: "number"}.get(type(v), "string")
    return "string"


def _header_value(doc: dict[str, Any], header: dict[str, Any], gen: Generator) -> str:
    """A valid value for a documented header: its example, else its schema's, else generated."""
    schema = deref(doc, header.get("schema", {}))
    value: Any
    if "example" in header:
        value = header["example"]
    elif header.get("examples"):
        first = deref(doc, next(iter(header["examples"].values())))
        value = first.get("value")
    elif isinstance(schema, dict) and schema.get("examples"):
        value = schema["examples"][0]
    elif isinstance(schema, dict) and "example" in schema:
        value = schema["example"]
    elif isinstance(schema, dict) and "default" in schema:
        value = schema["default"]
    else:
        value = gen.generate(schema)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compile_spec(
    doc: dict[str, Any], *, base_path: str | None = None, seed: int = 0
) -> CompiledSpec:
    validators = ValidatorFactory(doc)
    gen = Generator(doc, seed=seed)
    base = base_path_of(doc) if base_path is None else base_path.rstrip("/")
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    schemes = {name: deref(doc, s) for name, s in schemes.items()}
    global_security = doc.get("security", [])
    operations: dict[str, Operation] = {}
    static: dict[str, PathItem] = {}
    dynamic: list[PathItem] = []
    all_scopes: set[str] = set()
    expose: dict[str, None] = {}
    req_headers: dict[str, None] = {"Content-Type": None, "Prefer": None}
    for scheme in schemes.values():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            req_headers[scheme["name"]] = None
        elif scheme.get("type") in ("http", "oauth2", "openIdConnect"):
            req_headers["Authorization"] = None

    for template, raw_item in (doc.get("paths") or {}).items():
        item = deref(doc, raw_item)
        shared_params = item.get("parameters", [])
        ops: dict[str, Operation] = {}
        for method in HTTP_METHODS:
            if method not in item:
                continue
            raw_op = item[method]
            op_id = raw_op.get("operationId") or f"{method} {template}"
            params = _compile_params(doc, validators, shared_params, raw_op.get("parameters", []))
            for p in params:
                if p.location == "header":
                    req_headers[p.name] = None
            body = _compile_body(doc, validators, raw_op.get("requestBody"))
            security = []
            for requirement in raw_op.get("security", global_security):
                alt = []
                for name, scopes in requirement.items():
                    if name not in schemes:
                        raise ValueError(f"{op_id}: unknown security scheme {name!r}")
                    alt.append((name, schemes[name], frozenset(scopes)))
                    all_scopes.update(scopes)
                security.append(alt)
            variants: dict[int, Variant] = {}
            ranges: dict[str, Variant] = {}
            for key, raw_resp in (raw_op.get("responses") or {}).items():
                key = str(key)
                status = int(key) if key.isdigit() else _range_status(key)
                v = _compile_variant(doc, validators, gen, status, key, deref(doc, raw_resp))
                for name in v.header_names:
                    expose[name] = None
                if key.isdigit():
                    variants[status] = v
                else:
                    ranges[key.upper() if key != "default" else key] = v
            ok = sorted(s for s in variants if 200 <= s < 300)
            default_status = ok[0] if ok else (min(variants) if variants else 200)
            param_defs = [
                inline_refs(doc, deref(doc, raw))
                for raw in _merged_params(doc, shared_params, raw_op.get("parameters", []))
            ]
            raw_body = raw_op.get("requestBody")
            op = Operation(
                param_defs=param_defs,
                body_def=None if raw_body is None else inline_refs(doc, deref(doc, raw_body)),
                op_id=op_id,
                method=method.upper(),
                path=template,
                params=params,
                body=body,
                security=security,
                variants=variants,
                default_status=default_status,
                range_variants=ranges,
            )
            ops[method.upper()] = op
            operations[op_id] = op
        allow = ", ".join(sorted(ops) + ["OPTIONS"] if "OPTIONS" not in ops else sorted(ops))
        if "{" in template:
            names = {_group(n): n for n in re.findall(r"\{([^}]+)\}", template)}
            pattern = re.sub(
                r"\\\{([^}]+)\\\}",
                lambda m: f"(?P<{_group(m.group(1))}>[^/]+)",
                re.escape(template),
            )
            dynamic.append(PathItem(template, re.compile(f"^{pattern}$"), ops, allow, names))
        else:
            static[template] = PathItem(template, None, ops, allow)
    # Literal segments win over templated ones ("/tickets/search" before "/tickets/{id}").
    dynamic.sort(key=lambda p: (p.template.count("{"), -len(p.template)))
    error_types, error_enum = _error_types(doc)
    compiled = CompiledSpec(
        base_path=base,
        static=static,
        dynamic=dynamic,
        operations=operations,
        error_types=error_types,
        error_enum=error_enum,
        all_scopes=frozenset(all_scopes),
        expose_headers=list(expose),
        request_headers=list(req_headers),
        validators=validators,
        doc=doc,
    )
    return compiled


def _group(name: str) -> str:
    return "p_" + re.sub(r"\W", "_", name)


def _range_status(key: str) -> int:
    if key.upper().endswith("XX") and key[0].isdigit():
        return int(key[0]) * 100
    return 500  # "default"


def _merged_params(doc: dict[str, Any], shared: list[Any], own: list[Any]) -> list[Any]:
    """The operation's parameters: path-item ones overridden by the operation's own."""
    merged: dict[tuple[str, str], Any] = {}
    for raw in [*shared, *own]:
        p = deref(doc, raw)
        merged[(p["name"], p["in"])] = raw
    return list(merged.values())


def _compile_params(
    doc: dict[str, Any], validators: ValidatorFactory, shared: list[Any], own: list[Any]
) -> list[Param]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*shared, *own]:
        p = deref(doc, raw)
        merged[(p["name"], p["in"])] = p
    out = []
    ordered = sorted(merged.items(), key=lambda kv: _LOCATION_ORDER.get(kv[0][1], 9))
    for (name, location), p in ordered:
        if location == "header" and name.lower() in ("accept", "content-type", "authorization"):
            continue  # OpenAPI: these are described elsewhere, not as parameters
        schema = p.get("schema", {})
        if not schema and "content" in p:
            schema = next(iter(p["content"].values())).get("schema", {})
        resolved = deref(doc, schema)
        kind = _kind(doc, resolved)
        item_kind = _kind(doc, resolved.get("items", {})) if kind == "array" else None
        style = p.get("style", "form" if location in ("query", "cookie") else "simple")
        explode = p.get("explode", style == "form")
        default = resolved.get("default") if isinstance(resolved, dict) else None
        out.append(
            Param(
                name=name,
                location=location,
                required=bool(p.get("required", location == "path")),
                kind=kind,
                item_kind=item_kind,
                explode=explode,
                check=validators.check(schema),
                default=default,
                has_default=isinstance(resolved, dict) and "default" in resolved,
                schema=inline_refs(doc, schema),
            )
        )
    return out


def _compile_body(doc: dict[str, Any], validators: ValidatorFactory, raw: Any) -> Body | None:
    if raw is None:
        return None
    rb = deref(doc, raw)
    media = {}
    schemas = {}
    for media_type, content in (rb.get("content") or {}).items():
        media[media_type.lower()] = validators.check(content.get("schema", {}))
        schemas[media_type.lower()] = inline_refs(doc, content.get("schema", {}))
    return Body(required=bool(rb.get("required", False)), media=media, schemas=schemas)


def _compile_variant(
    doc: dict[str, Any],
    validators: ValidatorFactory,
    gen: Generator,
    status: int,
    key: str,
    resp: dict[str, Any],
) -> Variant:
    headers: list[tuple[bytes, bytes]] = []
    names: list[str] = []
    for name, raw_header in (resp.get("headers") or {}).items():
        if name.lower() == "content-type":
            continue
        names.append(name)
        header = deref(doc, raw_header)
        if header.get("required") and name.lower().encode() not in DYNAMIC_HEADERS:
            headers.append((name.lower().encode(), _header_value(doc, header, gen).encode()))
    content = resp.get("content") or {}
    content_type = None
    media: dict[str, Any] = {}
    for mt, m in content.items():
        if mt.split(";")[0].strip().lower() in JSON_TYPES or mt.endswith("+json"):
            content_type, media = mt, m
            break
    else:
        if content:
            content_type, media = next(iter(content.items()))
    values: dict[str, Any] = {}
    for name, raw_ex in (media.get("examples") or {}).items():
        ex = deref(doc, raw_ex)
        if "value" in ex:
            values[name] = ex["value"]
    schema = media.get("schema")
    if not values and "example" in media:
        values["example"] = media["example"]
    if not values and schema is not None:
        s = deref(doc, schema)
        if isinstance(s, dict) and s.get("examples"):
            values["example"] = s["examples"][0]
        elif isinstance(s, dict) and "example" in s:
            values["example"] = s["example"]
    check = validators.check(schema) if schema is not None else None
    if not values and schema is not None and check is not None:
        # No example at all: generate one, once, at start.
        values["generated"] = _valid_sample(gen, schema, check)
        err = values["generated"].get("error") if isinstance(values["generated"], dict) else None
        if isinstance(err, dict) and "code" in err and status >= 400:
            err["code"] = status  # the envelope's rule: code equals the status
    return Variant(
        status=status,
        key=key,
        content_type=content_type,
        examples={n: dumps(v) for n, v in values.items()},
        values=values,
        default_example=next(iter(values), None),
        schema=schema,
        check=check,
        headers=headers,
        header_names=names,
    )


def _valid_sample(gen: Generator, schema: Any, check: Check, tries: int = 25) -> Any:
    value = None
    for _ in range(tries):
        value = gen.generate(schema)
        if not check(value):
            return value
    return value


def _error_types(doc: dict[str, Any]) -> tuple[dict[int, str], list[str]]:
    """HTTP status -> the spec's error `type`: the ErrorType value named like the status's
    reason phrase (405 -> method_not_allowed), else the one the spec's error examples use
    for that status. Also returns the enum."""
    found: dict[int, str] = {}
    responses: list[tuple[str, Any]] = list(
        ((doc.get("components") or {}).get("responses") or {}).items()
    )
    for item in (doc.get("paths") or {}).values():
        item = deref(doc, item)
        for method in HTTP_METHODS:
            for key, r in ((item.get(method) or {}).get("responses") or {}).items():
                responses.append((str(key), r))
    enum: list[str] = []
    for _, raw in responses:
        resp = deref(doc, raw)
        for media in (resp.get("content") or {}).values():
            for raw_ex in (media.get("examples") or {}).values():
                value = deref(doc, raw_ex).get("value")
                err = value.get("error") if isinstance(value, dict) else None
                if isinstance(err, dict) and isinstance(err.get("code"), int) and err.get("type"):
                    found.setdefault(err["code"], err["type"])
            if not enum and media.get("schema") is not None:
                enum = _type_enum(doc, media["schema"])
    for status in (400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429, 500):
        phrase = http.HTTPStatus(status).phrase.lower().replace(" ", "_")
        if phrase in enum:
            found[status] = phrase
    return found, enum


def _type_enum(doc: dict[str, Any], schema: Any) -> list[str]:
    s = deref(doc, schema)
    try:
        t = deref(doc, deref(doc, s["properties"]["error"])["properties"]["type"])
        return list(t.get("enum", []))
    except (KeyError, TypeError):
        return []
