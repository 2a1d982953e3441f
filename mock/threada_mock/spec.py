"""Loading the bundled spec and walking its local `$ref`s."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SPEC_ENV = "THREADA_SPEC"


def default_spec_path() -> Path:
    """The bundle: `$THREADA_SPEC`, else `openapi/dist/openapi.json` of the checkout."""
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env)
    candidates = [Path.cwd(), *Path(__file__).resolve().parents]
    for base in candidates:
        for name in ("openapi.json", "openapi.yaml"):
            path = base / "openapi" / "dist" / name
            if path.is_file():
                return path
    return Path("openapi/dist/openapi.json")


def load_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a JSON or YAML OpenAPI document. A `.yaml` path with a `.json` sibling reads
    the JSON one (same content, ten times faster to parse)."""
    p = Path(path)
    if p.suffix in {".yaml", ".yml"} and p.with_suffix(".json").is_file():
        p = p.with_suffix(".json")
    text = p.read_text(encoding="utf-8")
    if p.suffix == ".json":
        doc = json.loads(text)
    else:
        import yaml

        doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3."):
        raise ValueError(f"{p} is not an OpenAPI 3 document")
    return _add_accepted_aliases(doc)


def _add_accepted_aliases(doc: dict[str, Any]) -> dict[str, Any]:
    """A body media type with `x-also-accepts: [other/type]` is accepted in those types too
    (as the server does, threada.contract_extensions): the spec documents one per body."""
    for item in doc.get("paths", {}).values():
        for op in item.values() if isinstance(item, dict) else ():
            content = op.get("requestBody", {}).get("content", {}) if isinstance(op, dict) else {}
            for media in list(content.values()):
                for alias in media.get("x-also-accepts", ()):
                    content.setdefault(
                        alias, {k: v for k, v in media.items() if k != "x-also-accepts"}
                    )
    return doc


def pointer_get(doc: Any, pointer: str) -> Any:
    """Resolve a JSON pointer (`/components/schemas/X`) inside `doc`."""
    node = doc
    if pointer in ("", "/"):
        return doc
    for raw in pointer.lstrip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def deref(doc: dict[str, Any], node: Any, *, _depth: int = 0) -> Any:
    """Follow a local `$ref` chain (the bundle has only `#/...` refs)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#"):
            raise ValueError(f"only local $refs are supported in the bundle, got {ref!r}")
        target = pointer_get(doc, ref[1:])
        # OpenAPI 3.1 allows siblings of $ref (description, summary): they override.
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **extra} if extra and isinstance(target, dict) else target
        _depth += 1
        if _depth > 50:
            raise ValueError(f"$ref loop at {ref}")
    return node


def absolutize_refs(node: Any, base: str) -> Any:
    """Copy of a schema whose `#/...` refs point into the document registered as `base`."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#"):
                out[k] = base + v
            else:
                out[k] = absolutize_refs(v, base)
        return out
    if isinstance(node, list):
        return [absolutize_refs(v, base) for v in node]
    return node


def inline_refs(doc: dict[str, Any], node: Any, _seen: tuple[str, ...] = ()) -> Any:
    """A copy of `node` with every local `$ref` replaced by its target (siblings of a
    `$ref` win, as in OpenAPI 3.1): the form the server's validators see, since Connexion
    hands them resolved schemas. A `$ref` that loops is left as it is."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and ref not in _seen:
            target = inline_refs(doc, pointer_get(doc, ref[1:]), (*_seen, ref))
            extra = {k: inline_refs(doc, v, _seen) for k, v in node.items() if k != "$ref"}
            return {**target, **extra} if extra and isinstance(target, dict) else target
        return {k: inline_refs(doc, v, _seen) for k, v in node.items()}
    if isinstance(node, list):
        return [inline_refs(doc, v, _seen) for v in node]
    return node
