"""Fixtures for the spec's own tests: the split spec, the bundle, validators."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

OPENAPI_DIR = Path(__file__).resolve().parents[1]
ROOT = OPENAPI_DIR.parent
SPEC = OPENAPI_DIR / "openapi.yaml"
BUNDLE = OPENAPI_DIR / "dist" / "openapi.yaml"
BUNDLE_JSON = OPENAPI_DIR / "dist" / "openapi.json"
REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"
SEED = Path(__file__).parent / "fixtures" / "seed"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BUNDLE_URI = "urn:threada:bundle"


@pytest.fixture(scope="session")
def bundle() -> dict:
    return yaml.safe_load(BUNDLE.read_text())


@pytest.fixture(scope="session")
def operations(bundle) -> dict[str, tuple[str, str, dict, list]]:
    """operationId -> (method, path, operation, path-level parameters)."""
    found = {}
    for path, item in bundle["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                op = item[method]
                found[op.get("operationId", f"{method} {path}")] = (
                    method,
                    path,
                    op,
                    item.get("parameters", []),
                )
    return found


class SchemaCheck:
    """Validates instances against any JSON pointer of the bundle, 2020-12 semantics."""

    def __init__(self, bundle: dict) -> None:
        self.bundle = bundle
        resource = Resource.from_contents(bundle, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(BUNDLE_URI, resource)

    def resolve(self, node: dict) -> dict:
        while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
            node = self.pointer(node["$ref"])
        return node

    def pointer(self, ref: str):
        node = self.bundle
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": f"{BUNDLE_URI}{pointer}"},
            registry=self.registry,
            format_checker=FormatChecker(),
        )

    def errors(self, pointer: str, instance) -> list[str]:
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in self.validator(pointer).iter_errors(instance)
        ]


@pytest.fixture(scope="session")
def schema_check(bundle) -> SchemaCheck:
    return SchemaCheck(bundle)


@pytest.fixture(scope="session")
def seed_cases() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(SEED.glob("*.json"))]
