"""A second, independent resolver checks the bundle: prance resolves the split spec on
its own, and the result must equal the Redocly bundle with every $ref replaced, so
a bundler bug cannot change the contract unseen.

$ref siblings: in OpenAPI 3.1 a `$ref` may have siblings (`description` next to a
`$ref` to `Timestamp`, six times here). Prance replaces the whole mapping with the
target and drops them. So before resolving, both sides get the same rewrite: a
mapping `{$ref: X, ...siblings}` becomes `{"x-ref-target": {$ref: X}, ...siblings}`;
prance (and the bundle's dereferencer) then replace only the inner `{$ref: X}`, and
the siblings are compared like every other key.

The docs step: `make bundle` runs Redocly, then `threada.docsbuild`, which adds the
getting-started guide, the error catalogue (in the Errors tag and each error
response's description) and x-codeSamples. Prance's result goes through that same
step before the comparison, so the docs additions are compared too (they are built
from the examples, in document order: the copies keep the files' key order, and the
components take the bundle's order of names, Redocly's order of first reference, since
the catalogue shows the first example of each error type; names and contents are still
compared on their own).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from prance.util.resolver import RESOLVE_FILES, RESOLVE_HTTP, RESOLVE_INTERNAL, RefResolver
from prance.util.url import absurl
from threada.docsbuild.render import load_yaml, render, with_sources

OPENAPI_DIR = Path(__file__).resolve().parents[1]
SPEC = OPENAPI_DIR / "openapi.yaml"
BUNDLE_JSON = OPENAPI_DIR / "dist" / "openapi.json"
DOCS_DIR = OPENAPI_DIR / "docs"
WRAP = "x-ref-target"


def keep_siblings(node: Any) -> Any:
    """The rewrite above, on a copy."""
    if isinstance(node, dict):
        out = {k: keep_siblings(v) for k, v in node.items() if k != "$ref"}
        if "$ref" in node:
            if len(node) == 1:
                return {"$ref": node["$ref"]}
            out[WRAP] = {"$ref": node["$ref"]}
        return out
    if isinstance(node, list):
        return [keep_siblings(v) for v in node]
    return node


def _prance(document: Any, base: Path, *, files: bool) -> Any:
    kinds = RESOLVE_INTERNAL | (RESOLVE_FILES if files else 0)
    assert not kinds & RESOLVE_HTTP
    resolver = RefResolver(
        document,
        url=absurl(str(base)),
        resolve_types=kinds,
        recursion_limit_handler=None,
    )
    resolver.resolve_references()
    return json.loads(json.dumps(resolver.specs))


def resolve_split_spec(tmp: Path, root: Path = SPEC) -> dict:
    """Prance alone, from a copy of the split files with the rewrite applied to each."""
    for source in OPENAPI_DIR.rglob("*.yaml"):
        relative = source.relative_to(OPENAPI_DIR)
        if relative.parts[0] in {"dist", "tests", "baseline"}:
            continue
        target = tmp / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        rewritten = keep_siblings(yaml.safe_load(source.read_text()))
        target.write_text(yaml.safe_dump(rewritten, sort_keys=False, allow_unicode=True))
    copy_root = tmp / root.relative_to(OPENAPI_DIR)
    document = _prance(yaml.safe_load(copy_root.read_text()), copy_root, files=True)
    # Redocly names each file it inlines under `components` (file name = component name):
    # resolve those files too, so the named components are compared as well.
    for folder in sorted((tmp / "components").iterdir()):
        if folder.name == "securitySchemes":
            continue
        document.setdefault("components", {})[folder.name] = {
            f.stem: _prance(yaml.safe_load(f.read_text()), f, files=True)
            for f in sorted(folder.glob("*.yaml"))
        }
    return document


def in_bundle_order(document: dict, bundle: dict) -> dict:
    """The components of `document` in the bundle's order of names (unknown names last)."""
    for section, named in document.get("components", {}).items():
        order = list(bundle.get("components", {}).get(section, {}))
        rank = {name: i for i, name in enumerate(order)}
        document["components"][section] = dict(
            sorted(named.items(), key=lambda item: rank.get(item[0], len(order)))
        )
    return document


def with_docs(document: dict) -> dict:
    """The docs step of `make bundle` (guide, error catalogue, code samples), as JSON."""
    guide, errors = load_yaml(DOCS_DIR / "guide.yaml"), load_yaml(DOCS_DIR / "errors.yaml")
    return json.loads(json.dumps(render(with_sources(document, guide, errors))))


def dereference_bundle(bundle: dict, where: Path = BUNDLE_JSON) -> dict:
    return _prance(keep_siblings(bundle), where, files=False)


@pytest.fixture(scope="module")
def from_split(tmp_path_factory) -> dict:
    document = resolve_split_spec(tmp_path_factory.mktemp("split-spec"))
    return with_docs(in_bundle_order(document, json.loads(BUNDLE_JSON.read_text())))


def _differences(a: Any, b: Any, path: str = "#") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(a.keys() | b.keys()):
            if key not in a or key not in b:
                out.append(f"{path}/{key}: only in {'bundle' if key in b else 'split spec'}")
            else:
                out += _differences(a[key], b[key], f"{path}/{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}/{i}")
        ]
    return [] if a == b else [f"{path}: {json.dumps(a)[:80]} != {json.dumps(b)[:80]}"]


def test_the_rewrite_keeps_siblings_that_prance_would_drop():
    doc = {"a": {"$ref": "#/b", "description": "kept"}, "b": {"type": "string"}}
    plain = _prance(copy.deepcopy(doc), BUNDLE_JSON, files=False)
    assert "description" not in plain["a"], "prance keeps siblings now: the rewrite may go"
    kept = _prance(keep_siblings(doc), BUNDLE_JSON, files=False)
    assert kept["a"] == {"description": "kept", WRAP: {"type": "string"}}


def test_prance_resolves_the_split_spec_to_the_bundles_contract(from_split):
    bundle = json.loads(BUNDLE_JSON.read_text())
    diff = _differences(from_split, dereference_bundle(bundle))
    assert not diff, "the bundle differs from the split spec:\n" + "\n".join(diff[:20])
    # Not vacuous: the comparison saw the whole contract, siblings included.
    created_at = from_split["components"]["schemas"]["TicketSummary"]["properties"]["created_at"]
    assert created_at["description"] and created_at[WRAP]["format"] == "date-time"
    assert "$ref" not in json.dumps(from_split)


@pytest.mark.parametrize("change", ["dropped-sibling", "changed-schema", "lost-operation"])
def test_a_bundle_that_differs_from_the_split_spec_is_caught(from_split, change):
    bundle = json.loads(BUNDLE_JSON.read_text())
    schemas = bundle["components"]["schemas"]
    if change == "dropped-sibling":  # what a bundler that drops $ref siblings would do
        del schemas["TicketSummary"]["properties"]["created_at"]["description"]
    elif change == "changed-schema":
        schemas["ContactInput"]["properties"]["phone"]["pattern"] = ".*"
    else:
        del bundle["paths"]["/tickets/{ticket_id}"]["patch"]
    assert _differences(from_split, dereference_bundle(bundle))
