"""`x-codeSamples` for every operation, generated from the spec's own examples.

One renderer per language (`RENDERERS`): each takes a `Call` (method, URL,
headers, JSON body, all taken from the operation) and returns source code.
Switching a language to an SDK later means replacing its renderer (and its
`label`); nothing else changes. The samples are executed against the mock by
`docs_tests/test_code_samples.py`.

What goes into a sample:
- the first server URL (production) and the path, with each path parameter's example;
- required query parameters and `limit`, with their examples;
- `X-Api-Key` from the environment variable THREADA_API_KEY;
- a fresh `Idempotency-Key` (a new UUID per run) where the operation takes one;
- the first example of the request body (its `application/json` media type when offered).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
QUERY_ALWAYS = {"limit"}  # shown even when optional: partners copy it and page from there
API_KEY_ENV = "THREADA_API_KEY"


class SampleError(ValueError):
    """The spec lacks what a sample needs (e.g. a path parameter without an example)."""


@dataclass(frozen=True)
class Call:
    operation_id: str
    method: str  # upper case
    url: str  # absolute, path parameters and query filled in
    idempotency_key: bool  # send a fresh Idempotency-Key
    content_type: str | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)  # other documented headers


def resolve(doc: dict, node: Any) -> Any:
    """Follow a local `$ref` (the bundle's only kind) until a plain object."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise SampleError(f"only local $refs are supported: {ref}")
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _example(doc: dict, holder: dict) -> Any:
    """A parameter's or media type's example: `example`, else the first of `examples`."""
    if "example" in holder:
        return holder["example"]
    for named in (holder.get("examples") or {}).values():
        return resolve(doc, named).get("value")
    schema = resolve(doc, holder.get("schema") or {})
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    return None


def calls(doc: dict) -> list[Call]:
    """One Call per operation, in spec order."""
    base = doc["servers"][0]["url"].rstrip("/")
    result = []
    for path, item in doc.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            result.append(_call(doc, base, path, method, op, shared))
    return result


def _call(doc: dict, base: str, path: str, method: str, op: dict, shared: list) -> Call:
    params = {}
    for raw in [*shared, *op.get("parameters", [])]:
        param = resolve(doc, raw)
        params[(param["in"], param["name"])] = param  # operation-level wins
    url_path = path
    query: list[tuple[str, str]] = []
    idempotency = False
    for (where, name), param in params.items():
        value = _example(doc, param)
        if where == "path":
            if value is None:
                raise SampleError(f"{op['operationId']}: path parameter {name} has no example")
            url_path = url_path.replace("{" + name + "}", quote(str(value), safe=""))
        elif where == "query" and (param.get("required") or name in QUERY_ALWAYS):
            if value is None:
                raise SampleError(f"{op['operationId']}: query parameter {name} has no example")
            values = value if isinstance(value, list) else [value]
            query += [(name, str(v).lower() if isinstance(v, bool) else str(v)) for v in values]
        elif where == "header" and name.lower() == "idempotency-key":
            idempotency = True
    url = base + url_path + ("?" + urlencode(query) if query else "")
    content_type, body = None, None
    request_body = resolve(doc, op.get("requestBody") or {})
    content = request_body.get("content") or {}
    if content:
        content_type = "application/json" if "application/json" in content else next(iter(content))
        body = _example(doc, content[content_type])
        if body is None:
            raise SampleError(f"{op['operationId']}: the request body has no example")
    return Call(
        operation_id=op["operationId"],
        method=method.upper(),
        url=url,
        idempotency_key=idempotency,
        content_type=content_type,
        body=body,
    )


# --- renderers -------------------------------------------------------------------------------


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def render_curl(call: Call) -> str:
    lines = [f'curl -sS -X {call.method} "{call.url}"', f'-H "X-Api-Key: ${API_KEY_ENV}"']
    if call.idempotency_key:
        lines.append('-H "Idempotency-Key: $(openssl rand -hex 16)"')
    if call.body is not None:
        lines.append(f'-H "Content-Type: {call.content_type}"')
        lines.append("-d " + _shell_quote(json.dumps(call.body, indent=2, ensure_ascii=False)))
    return " \\\n  ".join(lines) + "\n"


def _py_literal(value: Any, indent: int = 0) -> str:
    """Python source for a JSON value (True/False/None, not true/false/null)."""
    pad, inner = "    " * indent, "    " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {_py_literal(v, indent + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [f"{inner}{_py_literal(v, indent + 1)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    if value is None or isinstance(value, bool):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def render_python(call: Call) -> str:
    imports = ["import os"]
    headers = [f'"X-Api-Key": os.environ["{API_KEY_ENV}"]']
    if call.idempotency_key:
        imports.append("import uuid")
        headers.append('"Idempotency-Key": str(uuid.uuid4())')
    args = [f'"{call.url}"', "headers={" + ", ".join(headers) + "}"]
    if call.body is not None:
        if call.content_type == "application/json":
            args.append("json=" + _py_literal(call.body, 1))
        else:
            imports.append("import json")
            headers.append(f'"Content-Type": "{call.content_type}"')
            args[1] = "headers={" + ", ".join(headers) + "}"
            args.append("content=json.dumps(" + _py_literal(call.body, 1) + ")")
    source = "\n".join(sorted(imports)) + "\n\nimport httpx\n\n"
    source += f"response = httpx.{call.method.lower()}(\n"
    source += "".join(f"    {arg},\n" for arg in args) + ")\n"
    source += "print(response.status_code)\nprint(response.json())\n"
    return source


def render_javascript(call: Call) -> str:
    headers = [f'"X-Api-Key": process.env.{API_KEY_ENV}']
    if call.idempotency_key:
        headers.append('"Idempotency-Key": crypto.randomUUID()')
    if call.body is not None:
        headers.append(f'"Content-Type": "{call.content_type}"')
    options = [f'method: "{call.method}"', "headers: {\n    " + ",\n    ".join(headers) + ",\n  }"]
    if call.body is not None:
        body = json.dumps(call.body, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        options.append(f"body: JSON.stringify({body})")
    source = f'const response = await fetch("{call.url}", {{\n'
    source += "".join(f"  {option},\n" for option in options) + "});\n"
    source += "console.log(response.status);\nconsole.log(await response.json());\n"
    return source


@dataclass(frozen=True)
class Renderer:
    lang: str  # Redoc's highlighting language
    label: str  # the tab's title
    render: Callable[[Call], str]


RENDERERS = (
    Renderer("Shell", "curl", render_curl),
    Renderer("Python", "Python (httpx)", render_python),
    Renderer("JavaScript", "JavaScript (fetch)", render_javascript),
)


def add_code_samples(doc: dict) -> None:
    """Set `x-codeSamples` on every operation of `doc` (replacing any)."""
    by_id = {call.operation_id: call for call in calls(doc)}
    for item in doc.get("paths", {}).values():
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            call = by_id[op["operationId"]]
            op["x-codeSamples"] = [
                {"lang": r.lang, "label": r.label, "source": r.render(call)} for r in RENDERERS
            ]
