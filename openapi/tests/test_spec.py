"""The contract's own checks: valid 3.1, fresh bundle, examples, errors, scopes, lint."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

OPENAPI_DIR = Path(__file__).resolve().parents[1]
ROOT = OPENAPI_DIR.parent
SPEC = OPENAPI_DIR / "openapi.yaml"
BUNDLE = OPENAPI_DIR / "dist" / "openapi.yaml"
BUNDLE_JSON = OPENAPI_DIR / "dist" / "openapi.json"
REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _esc(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def test_split_spec_is_openapi_3_1():
    spec, base_uri = read_from_filename(str(SPEC))
    assert spec["openapi"] == "3.1.0"
    validate(spec, base_uri=base_uri, cls=OpenAPIV31SpecValidator)


@pytest.mark.parametrize("path", [BUNDLE, BUNDLE_JSON], ids=["yaml", "json"])
def test_bundle_is_openapi_3_1(path):
    spec, base_uri = read_from_filename(str(path))
    assert spec["openapi"] == "3.1.0"
    validate(spec, base_uri=base_uri, cls=OpenAPIV31SpecValidator)


def test_bundle_keeps_component_refs(bundle):
    text = BUNDLE.read_text()
    assert "$ref: '#/components/schemas/Ticket'" in text
    assert "$ref: '#/components/responses/NotFound'" in text
    assert "./" not in "".join(re.findall(r"\$ref: (.*)", text)), "a file ref survived bundling"


def test_bundle_is_fresh(tmp_path):
    """What `make bundle` writes today (Redocly, then the docs build) is what is committed."""
    assert REDOCLY.exists(), "node_modules is missing: run `make install`"
    raw = tmp_path / "raw.yaml"
    subprocess.run(
        [str(REDOCLY), "bundle", str(SPEC), "--output", str(raw), "--ext", "yaml"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    out = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "threada.docsbuild",
            "build",
            "--raw",
            str(raw),
            "--out-dir",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    built = sorted(p.name for p in out.iterdir())
    assert {"openapi.yaml", "openapi.json"} <= set(built)
    for name in built:
        committed = BUNDLE.parent / name
        assert committed.is_file() and (out / name).read_text() == committed.read_text(), (
            f"{committed} is stale: run `make bundle` and commit it"
        )


def test_redocly_lint_has_no_errors():
    assert shutil.which("node"), "node is needed for Redocly CLI"
    run = subprocess.run(
        [str(REDOCLY), "lint", str(SPEC), "--format", "stylish"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def _media_examples(bundle):
    """Yield (label, schema pointer, example pointer) for every example in the bundle."""
    for path, item in bundle["paths"].items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            base = f"#/paths/{_esc(path)}/{method}"
            body = op.get("requestBody", {})
            for mt, media in body.get("content", {}).items():
                for name in media.get("examples", {}):
                    yield (
                        f"{op['operationId']} request {mt} {name}",
                        f"{base}/requestBody/content/{_esc(mt)}/schema",
                        f"{base}/requestBody/content/{_esc(mt)}/examples/{name}",
                    )
            for status, resp in op["responses"].items():
                rbase = f"{base}/responses/{status}"
                if "$ref" in resp:
                    rbase = resp["$ref"]
                    resp = _deref(bundle, resp["$ref"])
                for mt, media in resp.get("content", {}).items():
                    for name in media.get("examples", {}):
                        yield (
                            f"{op['operationId']} {status} {mt} {name}",
                            f"{rbase}/content/{_esc(mt)}/schema",
                            f"{rbase}/content/{_esc(mt)}/examples/{name}",
                        )


def _deref(bundle, ref):
    node = bundle
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_request_body_and_response_has_a_named_example(bundle, operations, schema_check):
    missing = []
    for op_id, (_m, _p, op, _pp) in operations.items():
        for mt, media in op.get("requestBody", {}).get("content", {}).items():
            if not media.get("examples"):
                missing.append(f"{op_id} request {mt}")
        for status, resp in op["responses"].items():
            resp = schema_check.resolve(resp)
            for mt, media in resp.get("content", {}).items():
                if not media.get("examples"):
                    missing.append(f"{op_id} {status} {mt}")
            if not resp.get("content"):
                missing.append(f"{op_id} {status} has no body")
    assert not missing, missing


def test_every_example_is_valid_2020_12(bundle, schema_check):
    checked, failures = 0, []
    for label, schema_ptr, example_ptr in _media_examples(bundle):
        example = schema_check.resolve(schema_check.pointer(example_ptr))
        errors = schema_check.errors(schema_ptr, example["value"])
        checked += 1
        if errors:
            failures.append(f"{label}: {errors}")
    assert checked >= 30, f"only {checked} examples found: the walk is broken"
    assert not failures, "\n".join(failures)


def test_error_examples_code_matches_status(bundle, operations, schema_check):
    for op_id, (_m, _p, op, _pp) in operations.items():
        for status, resp in op["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            resp = schema_check.resolve(resp)
            for name, ex in resp["content"]["application/json"]["examples"].items():
                ex = schema_check.resolve(ex)
                assert ex["value"]["error"]["code"] == int(status), (op_id, status, name)


def test_parameter_header_and_schema_examples_are_valid(bundle, schema_check):
    comps = bundle["components"]
    checked = 0
    for name, param in comps["parameters"].items():
        if "example" in param:
            errors = schema_check.errors(f"#/components/parameters/{name}/schema", param["example"])
            assert not errors, (name, errors)
            checked += 1
    for name, header in comps["headers"].items():
        errors = schema_check.errors(f"#/components/headers/{name}/schema", header["example"])
        assert not errors, (name, errors)
        checked += 1

    def walk(node, ptr):
        nonlocal checked
        if isinstance(node, dict):
            if "examples" in node and isinstance(node["examples"], list) and "$ref" not in node:
                for ex in node["examples"]:
                    errors = schema_check.errors(ptr, ex)
                    assert not errors, (ptr, ex, errors)
                    checked += 1
            for key, value in node.items():
                if key != "examples":
                    walk(value, f"{ptr}/{_esc(key)}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{ptr}/{i}")

    for name in comps["schemas"]:
        walk(comps["schemas"][name], f"#/components/schemas/{name}")
    assert checked > 40


ALWAYS = {"400", "401", "403", "429", "500"}


def test_every_operation_has_id_scope_and_errors(operations, schema_check):
    for op_id, (method, path, op, path_params) in operations.items():
        assert re.fullmatch(r"[a-z][A-Za-z]+", op_id), f"{method} {path} has no operationId"
        assert op.get("summary") and op.get("description"), op_id
        assert op.get("tags"), op_id
        security = op.get("security")
        assert security, f"{op_id} states no security requirement"
        for requirement in security:
            assert list(requirement) == ["ApiKeyAuth"], op_id
            assert requirement["ApiKeyAuth"], f"{op_id} names no scope"
        expected = set(ALWAYS)
        if "{" in path:
            expected.add("404")
        params = [schema_check.resolve(p) for p in op.get("parameters", []) + path_params]
        if any(p["name"] == "Idempotency-Key" for p in params):
            expected.add("409")
        if "requestBody" in op:
            expected |= {"413", "415"}
        missing = expected - set(op["responses"])
        assert not missing, f"{op_id} does not document {sorted(missing)}"
        for status, resp in op["responses"].items():
            if status.startswith(("4", "5")):
                assert resp.get("$ref", "").startswith("#/components/responses/"), (op_id, status)


def test_scopes_are_the_pages(operations):
    """The product page's scope table, binding: read, write, actions (and webhooks)."""
    expected = {
        "listTickets": [["support.read"]],
        "getTicket": [["support.read"]],
        "createTicket": [["support.write"]],
        "updateTicket": [["support.write"]],
        "listMessages": [["support.read"]],
        "addMessage": [["support.write"]],
        "runAction": [["support.actions"]],
        "listActions": [["support.read"], ["support.actions"]],
        "getAction": [["support.read"], ["support.actions"]],
        # Issue 20: webhooks, a fourth scope beside the page's three.
        **{
            op: [["support.webhooks"]]
            for op in (
                "listWebhookEndpoints",
                "createWebhookEndpoint",
                "getWebhookEndpoint",
                "updateWebhookEndpoint",
                "deleteWebhookEndpoint",
                "rotateWebhookSecret",
                "listWebhookDeliveries",
                "redeliverWebhook",
            )
        },
    }
    got = {
        op_id: [req["ApiKeyAuth"] for req in op["security"]]
        for op_id, (_m, _p, op, _pp) in operations.items()
    }
    assert got == expected


def test_security_scheme_is_the_pages(bundle):
    scheme = bundle["components"]["securitySchemes"]["ApiKeyAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-Api-Key")
    for word in ("support.read", "support.write", "support.actions", "tenant", "otat"):
        assert word in scheme["description"], word


def test_servers_and_base_path(bundle):
    assert bundle["servers"][0]["url"] == "https://api.threada.ai/api/v1/public"
    assert any(s["url"].startswith("http://127.0.0.1:") for s in bundle["servers"])


def test_links_point_at_real_operations_and_parameters(operations, schema_check):
    seen = 0
    for op_id, (_m, _p, op, _pp) in operations.items():
        for status, resp in op["responses"].items():
            for name, link in schema_check.resolve(resp).get("links", {}).items():
                target = operations[link["operationId"]]
                names = {
                    schema_check.resolve(p)["name"]
                    for p in target[2].get("parameters", []) + target[3]
                }
                for param, expr in link["parameters"].items():
                    assert param in names, (op_id, name, param)
                    assert expr.startswith("$response.body#/"), (op_id, name)
                seen += 1
    assert seen >= 7


def test_error_type_enum_covers_every_documented_error(bundle, operations, schema_check):
    enum = set(bundle["components"]["schemas"]["ErrorType"]["enum"])
    used = set()
    for _op_id, (_m, _p, op, _pp) in operations.items():
        for status, resp in op["responses"].items():
            if status.startswith(("4", "5")):
                for ex in schema_check.resolve(resp)["content"]["application/json"][
                    "examples"
                ].values():
                    used.add(schema_check.resolve(ex)["value"]["error"]["type"])
    assert used <= enum
    assert used >= {
        "invalid_request",
        "authentication_failed",
        "permission_denied",
        "not_found",
        "conflict",
        "idempotency_conflict",
        "payload_too_large",
        "unsupported_media_type",
        "rate_limited",
        "internal_error",
    }


def test_split_layout_follows_the_house_style():
    root = yaml.safe_load(SPEC.read_text())
    for path, ref in root["paths"].items():
        expected = "paths/" + "_".join(p for p in path.strip("/").split("/")) + ".yaml"
        assert ref["$ref"] == expected, (path, ref)


def test_every_schema_property_is_described_and_exemplified(bundle):
    """Docs quality: partners read these on the rendered page."""
    schemas = bundle["components"]["schemas"]

    def resolved(node):
        while "$ref" in node:
            node = {
                **schemas[node["$ref"].rsplit("/", 1)[1]],
                **{k: v for k, v in node.items() if k != "$ref"},
            }
        return node

    missing = []
    for name, schema in schemas.items():
        for prop, sub in schema.get("properties", {}).items():
            full = resolved(sub)
            if not full.get("description"):
                missing.append(f"{name}.{prop}: description")
            scalar = full.get("type") not in ("object", "array") and "properties" not in full
            if scalar and not any(k in full for k in ("examples", "enum", "const", "anyOf")):
                missing.append(f"{name}.{prop}: example")
    for name, param in bundle["components"]["parameters"].items():
        # Optional query filters show their example in the text, as `name=value`:
        # a parameter `example` is pre-filled by Swagger UI's try-it-out and would
        # narrow (or, for page_token, break) a partner's first call.
        shown = "example" in param or f"`{param['name']}=" in param.get("description", "")
        if not param.get("description") or not (shown or param["name"] == "page_token"):
            missing.append(f"parameter {name}")
    assert not missing, missing
