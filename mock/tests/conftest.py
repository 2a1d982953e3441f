"""Fixtures for the mock's tests: the specs, an in-process client, and a checker that
validates responses against the spec independently of the mock (python `jsonschema`
with a `referencing` registry, not the mock's own validators)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

with warnings.catch_warnings():
    # Starlette 1.x nags about httpx; the TestClient still works with it.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient
from threada_mock.app import MockApp
from threada_mock.cli import build_app
from threada_mock.spec import deref, load_spec

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
BUNDLE = ROOT / "openapi" / "dist" / "openapi.json"
MINI = HERE / "specs" / "mini.yaml"
SPEC_URI = "urn:test:spec"


class SpecChecker:
    """Validates a response (status, headers, body) against what the spec documents."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.doc = load_spec(path)
        resource = Resource.from_contents(self.doc, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self.base = self.doc["servers"][0]["url"].split("://", 1)[-1]
        self.base = "/" + self.base.split("/", 1)[1] if "/" in self.base else ""
        self.base = self.base.rstrip("/")

    def operations(self) -> dict[str, tuple[str, str, dict[str, Any], list[Any]]]:
        """operationId -> (METHOD, path template, operation, path-level parameters)."""
        out = {}
        for template, item in self.doc["paths"].items():
            item = deref(self.doc, item)
            for method in ("get", "post", "put", "patch", "delete"):
                if method in item:
                    op = item[method]
                    out[op["operationId"]] = (
                        method.upper(),
                        template,
                        op,
                        item.get("parameters", []),
                    )
        return out

    def validate(self, schema: Any, instance: Any) -> list[str]:
        validator = jsonschema.Draft202012Validator(
            _abs(schema),
            registry=self.registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]

    def response(self, op_id: str, status: int) -> dict[str, Any] | None:
        op = self.operations()[op_id][2]
        raw = op["responses"].get(str(status)) or op["responses"].get(f"{status // 100}XX")
        return None if raw is None else deref(self.doc, raw)

    def check(self, op_id: str, resp: Any) -> None:
        """Assert that an httpx response is documented and valid for the operation."""
        documented = self.response(op_id, resp.status_code)
        assert documented is not None, f"{op_id}: status {resp.status_code} is not documented"
        content = documented.get("content") or {}
        if content:
            media = content.get("application/json") or next(iter(content.values()))
            assert resp.headers["content-type"].startswith("application/json")
            body = resp.json()
            problems = self.validate(media["schema"], body)
            assert not problems, f"{op_id} {resp.status_code}: {problems}\n{body}"
            if resp.status_code >= 400:
                assert body["error"]["code"] == resp.status_code
        for name, raw in (documented.get("headers") or {}).items():
            header = deref(self.doc, raw)
            if not header.get("required"):
                continue
            assert name in resp.headers, f"{op_id} {resp.status_code}: header {name} missing"
            value: Any = resp.headers[name]
            schema = deref(self.doc, header.get("schema", {}))
            if schema.get("type") == "integer":
                assert value.lstrip("-").isdigit(), f"{name}: {value!r} is not an integer"
                value = int(value)
            problems = self.validate(header.get("schema", {}), value)
            assert not problems, f"{op_id} {resp.status_code} header {name}: {problems}"

    def error_types(self) -> list[str]:
        return self.doc["components"]["schemas"]["ErrorType"]["enum"]


def _abs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                SPEC_URI + v
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _abs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_abs(v) for v in node]
    return node


def example_request(checker: SpecChecker, op_id: str) -> tuple[str, str, dict[str, Any]]:
    """A valid request for the operation, from its parameters' and body's examples."""
    method, template, op, shared = checker.operations()[op_id]
    path = template
    for raw in [*shared, *op.get("parameters", [])]:
        p = deref(checker.doc, raw)
        if p["in"] == "path":
            value = p.get("example") or deref(checker.doc, p["schema"]).get("examples", ["x"])[0]
            if "pattern" in deref(checker.doc, p["schema"]) and "example" not in p:
                value = "act_1"
            path = path.replace("{" + p["name"] + "}", str(value))
    kwargs: dict[str, Any] = {}
    if "requestBody" in op:
        rb = deref(checker.doc, op["requestBody"])
        media = rb["content"].get("application/json") or next(iter(rb["content"].values()))
        examples = media.get("examples") or {}
        if examples:
            body = deref(checker.doc, next(iter(examples.values())))["value"]
        else:
            from threada_mock.generate import Generator

            body = Generator(checker.doc, seed=1).generate(media["schema"])
        kwargs["content"] = json.dumps(body)
        kwargs["headers"] = {"Content-Type": "application/json"}
    return method, checker.base + path, kwargs


def call(client: TestClient, op_id: str, checker: SpecChecker, **headers: str) -> Any:
    """Send the operation's example request, with extra headers."""
    method, url, kwargs = example_request(checker, op_id)
    merged = {**kwargs.pop("headers", {}), **headers}
    return client.request(method, url, headers=merged, **kwargs)


SPECS = {"bundle": BUNDLE, "mini": MINI}


@pytest.fixture(params=list(SPECS), scope="session")
def spec_name(request: pytest.FixtureRequest) -> str:
    if not SPECS[request.param].is_file():
        pytest.skip(f"{SPECS[request.param]} is missing")
    return request.param


@pytest.fixture(scope="session")
def checker(spec_name: str) -> SpecChecker:
    return SpecChecker(SPECS[spec_name])


@pytest.fixture(scope="session")
def bundle() -> SpecChecker:
    return SpecChecker(BUNDLE)


@pytest.fixture
def make_client() -> Callable[..., TestClient]:
    def make(spec: Path = BUNDLE, key: str | None = "k", **kwargs: Any) -> TestClient:
        # Tests send far more than the server's 600 a minute on one key; the limit itself
        # is tested with its own (test_parity, test_frontend).
        kwargs.setdefault("rate_limit", 0)
        app: MockApp = build_app(spec, seed=1, **kwargs)
        client = TestClient(app, base_url="http://mock.test")
        if key is not None:
            client.headers["X-Api-Key"] = key
        return client

    return make


@pytest.fixture
def client(make_client: Callable[..., TestClient], checker: SpecChecker) -> TestClient:
    return make_client(checker.path)


@pytest.fixture
def bclient(make_client: Callable[..., TestClient]) -> TestClient:
    """A client of the mock of the real bundle."""
    if not BUNDLE.is_file():
        pytest.skip(f"{BUNDLE} is missing")
    return make_client(BUNDLE)
