"""From the Redocly bundle to the published documents (English, and one per translation).

    raw bundle  --with_sources-->  source document  --(overlay)-->  --render-->  published
                (guide + error catalogue                (translated)    (guide tags, catalogue,
                 attached as x-threada-*)                               error links, code samples)

The source document is what translations target: every text in it has a
stable address (see `threada.docsbuild.i18n`). Rendering turns the attached
sources into Redoc sections and drops them, so the published bundle is a
plain OpenAPI 3.1 document with `x-traitTag` tags, `x-tagGroups` and
`x-codeSamples`, which Redoc renders and every other tool ignores.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from threada.docsbuild.samples import add_code_samples, resolve

GUIDE_KEY = "x-threada-guide"
ERRORS_KEY = "x-threada-errors"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class BuildError(RuntimeError):
    """The sources disagree with the spec; the message lists every problem."""


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def with_sources(raw: dict, guide: dict, errors: dict) -> dict:
    """The source document: the bundle with the guide and the catalogue attached."""
    doc = copy.deepcopy(raw)
    for tag in doc.get("tags", []):
        tag.setdefault("x-displayName", tag["name"])  # the translatable title of a tag
    doc[GUIDE_KEY] = copy.deepcopy(guide)
    doc[ERRORS_KEY] = copy.deepcopy(errors)
    return doc


def error_types(doc: dict) -> list[str]:
    """The values of the spec's ErrorType enum."""
    schema = doc.get("components", {}).get("schemas", {}).get("ErrorType")
    if not schema or "enum" not in schema:
        raise BuildError("components.schemas.ErrorType with an enum is missing from the bundle")
    return list(schema["enum"])


def check_catalogue(doc: dict) -> list[str]:
    """Problems that fail the build: an ErrorType without a catalogue entry, or a bad entry.

    Entries for types the enum does not have (yet) are reported by `catalogue_extras`.
    """
    entries = {e["type"]: e for e in doc[ERRORS_KEY]["types"]}
    problems = [
        f"ErrorType '{t}' has no entry in openapi/docs/errors.yaml: add one "
        "(status, meaning, what to do, example)"
        for t in error_types(doc)
        if t not in entries
    ]
    for entry in entries.values():
        missing = [k for k in ("status", "meaning", "action") if not entry.get(k)]
        if missing:
            problems.append(f"error catalogue entry '{entry['type']}' lacks {', '.join(missing)}")
    return problems


def catalogue_extras(doc: dict) -> list[str]:
    known = set(error_types(doc))
    return [e["type"] for e in doc[ERRORS_KEY]["types"] if e["type"] not in known]


def error_anchor(error_type: str) -> str:
    return f"error-{error_type}"


def _error_examples(doc: dict) -> dict[str, dict]:
    """The first documented example envelope of each error type, from the spec's responses."""
    found: dict[str, dict] = {}
    for response in _responses(doc):
        for example in _envelope_examples(doc, response):
            found.setdefault(example["error"]["type"], example)
    return found


def _responses(doc: dict) -> list[dict]:
    return [*doc.get("components", {}).get("responses", {}).values(), *_inline(doc)]


def _envelope_examples(doc: dict, response: dict) -> list[dict]:
    media = (response.get("content") or {}).get("application/json") or {}
    values = [resolve(doc, e).get("value") for e in (media.get("examples") or {}).values()]
    if "example" in media:
        values.append(media["example"])
    return [
        v
        for v in values
        if isinstance(v, dict) and isinstance(v.get("error"), dict) and "type" in v["error"]
    ]


def render_catalogue(doc: dict) -> None:
    """Append the catalogue to the Errors tag, and link each error response to its entries."""
    source = doc[ERRORS_KEY]
    labels = source["labels"]
    known = set(error_types(doc))
    entries = [e for e in source["types"] if e["type"] in known]
    examples = _error_examples(doc)
    lines = [f"## {labels['heading']}", "", labels["intro"].strip(), ""]
    lines += [
        f"| `type` | {labels['status']} | {labels['retry']} | {labels['action']} |",
        "|---|---|---|---|",
    ]
    for e in entries:
        retry = labels["retry_yes"] if e.get("retry") else labels["retry_no"]
        lines.append(
            f"| [`{e['type']}`](#{error_anchor(e['type'])}) | {e['status']} | {retry} "
            f"| {e['short']} |"
        )
    for e in entries:
        example = examples.get(e["type"]) or e.get("example")
        lines += [
            "",
            f'<h3 id="{error_anchor(e["type"])}"><code>{e["type"]}</code> ({e["status"]})</h3>',
            "",
            e["meaning"].strip(),
            "",
            f"**{labels['action']}:** {e['action'].strip()}",
        ]
        if example:
            lines += ["", f"**{labels['example']}:**", "", "```json"]
            lines += [json.dumps(example, indent=2, ensure_ascii=False), "```"]
    errors_tag = next((t for t in doc.get("tags", []) if t["name"] == source["tag"]), None)
    if errors_tag is None:
        raise BuildError(f"the error catalogue's tag '{source['tag']}' is not in the spec's tags")
    errors_tag["description"] = errors_tag.get("description", "").rstrip() + "\n\n"
    errors_tag["description"] += "\n".join(lines) + "\n"
    for response in _responses(doc):
        types = sorted({v["error"]["type"] for v in _envelope_examples(doc, response)})
        if types:
            links = ", ".join(f"[`{t}`](#{error_anchor(t)})" for t in types)
            response["description"] = (
                response["description"].rstrip() + f"\n\n{labels['see']}: {links}"
            )


def _inline(doc: dict) -> list[dict]:
    return [
        r
        for item in doc.get("paths", {}).values()
        for method in HTTP_METHODS
        if method in item
        for r in item[method].get("responses", {}).values()
        if "$ref" not in r
    ]


def render_guide(doc: dict) -> None:
    """One `x-traitTag` tag per step, grouped first in `x-tagGroups`."""
    guide = doc[GUIDE_KEY]
    tags = []
    for step in guide["steps"]:
        parts = []
        for block in step["blocks"]:
            if "text" in block:
                parts.append(block["text"].strip())
            else:
                parts.append(f"```{block['lang']}\n{block['code'].rstrip()}\n```")
        tags.append(
            {
                "name": step["id"],
                "x-displayName": step["title"],
                "x-traitTag": True,
                "description": "\n\n".join(parts) + "\n",
            }
        )
    doc["tags"] = tags + doc.get("tags", [])
    groups = doc.setdefault("x-tagGroups", [])
    groups.insert(0, {"name": guide["title"], "tags": [s["id"] for s in guide["steps"]]})


def render(source_doc: dict) -> dict:
    """The published document from a (possibly translated) source document."""
    doc = copy.deepcopy(source_doc)
    problems = check_catalogue(doc)
    if problems:
        raise BuildError("\n".join(problems))
    render_catalogue(doc)
    render_guide(doc)
    add_code_samples(doc)
    del doc[GUIDE_KEY], doc[ERRORS_KEY]
    return doc


# --- output ----------------------------------------------------------------------------------


class _BlockDumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not any(c in value for c in "\r\t") else None
    if style and any(line != line.rstrip() for line in value.splitlines()):
        style = None  # trailing spaces cannot survive a block scalar
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)


def dump_yaml(doc: dict) -> str:
    return yaml.dump(doc, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)


def dump_json(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
