"""Translations as OpenAPI Overlay 1.0 documents, one per language, with a staleness check.

A *text* is one string field of the source document (see `render.with_sources`)
that people read: `title`, `summary`, `description`, a tag's `x-displayName`,
and the guide's and the error catalogue's prose. Each text has an address:
an Overlay `target` (a JSONPath, RFC 9535 style) plus the field name. Targets
are keyed by what stays put when the spec moves: an operation by its
`operationId`, a tag by its name, a guide step or block by its id, an error
type by its name, everything else by its component name and path inside it.

One overlay action translates one text:

    - target: "$.paths.*[?(@.operationId == 'listTickets')]"
      x-en-sha: "3f1c2a9b0d4e"      # sha256 of the English text it translates, 12 hex
      update: {summary: टिकटों की सूची}

`status()` compares the overlay with the English source document and reports
every text that is missing (no action), stale (the English changed since the
translation: the recorded hash differs), or orphaned (the target or field no
longer exists), with the coverage. `make i18n-status` prints it and fails on
any of the three; `--skeleton` prints actions ready to fill in.

The overlay is applied by `apply()`, a small applier on jsonpath-ng (the JSONPath
library oas-patch uses; oas-patch 0.6.0 itself fails on filter targets such as
`[?(@.operationId == ...)]`). Translations are applied even when stale (a slightly
old translation reads better than none), but the status check fails until they
are refreshed; an action whose target selects nothing fails the build.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import yaml

# Keys whose value is a map of names (not an object with text fields).
NAMED_MAPS = {
    "paths",
    "properties",
    "patternProperties",
    "$defs",
    "schemas",
    "parameters",
    "responses",
    "headers",
    "examples",
    "links",
    "content",
    "securitySchemes",
    "callbacks",
    "webhooks",
    "requestBodies",
    "mapping",
    "encoding",
    "variables",
}
# Subtrees that hold data, not prose.
DATA_KEYS = {
    "value",
    "example",
    "enum",
    "const",
    "default",
    "x-codeSamples",
    "code",
    "servers",
    "security",
    "required",
    "lang",
    "expect",
    "type",
    "id",
    "run",
    "license",
    "contact",
    "operationId",
    "tags",
    "x-traitTag",
    "x-tagGroups",
}
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Text:
    target: str
    field: str
    english: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.target, self.field)

    @property
    def sha(self) -> str:
        return sha(self.english)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _seg(name: str) -> str:
    return "." + name if _PLAIN.match(name) else "[" + _quote(name) + "]"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def texts(doc: dict) -> list[Text]:
    """Every translatable text of a source document, in document order."""
    found: list[Text] = []
    info = doc.get("info", {})
    for name in ("title", "summary", "description"):
        if isinstance(info.get(name), str):
            found.append(Text("$.info", name, info[name]))
    for tag in doc.get("tags", []):
        target = f"$.tags[?(@.name == {_quote(tag['name'])})]"
        for name in ("x-displayName", "description"):
            if isinstance(tag.get(name), str):
                found.append(Text(target, name, tag[name]))
    for group in doc.get("x-tagGroups", []):
        found.append(
            Text(f"$['x-tagGroups'][?(@.name == {_quote(group['name'])})]", "name", group["name"])
        )
    for section in ("paths", "webhooks"):
        for path, item in doc.get(section, {}).items():
            for key, value in item.items():
                if isinstance(value, dict) and "operationId" in value:
                    target = f"$.{section}.*[?(@.operationId == {_quote(value['operationId'])})]"
                    _walk(value, target, "", found)
                elif key in ("summary", "description") and isinstance(value, str):
                    found.append(Text(f"$.{section}{_seg(path)}", key, value))
                else:
                    _walk(value, f"$.{section}{_seg(path)}{_seg(key)}", key, found)
    for kind, members in doc.get("components", {}).items():
        for name, member in members.items():
            _walk(member, f"$.components{_seg(kind)}{_seg(name)}", "", found)
    # Anything else at the top level (a new section, an extension): walked generically,
    # so a new text is reported missing rather than left in English silently.
    handled = {
        "openapi",
        "info",
        "tags",
        "x-tagGroups",
        "paths",
        "webhooks",
        "components",
        "servers",
        "security",
        "jsonSchemaDialect",
        "x-threada-guide",
        "x-threada-errors",
    }
    for key, value in doc.items():
        if key not in handled:
            _walk(value, "$" + _seg(key), key, found)
    guide = doc.get("x-threada-guide")
    if guide:
        found.append(Text("$['x-threada-guide']", "title", guide["title"]))
        for step in guide["steps"]:
            found.append(
                Text(
                    f"$['x-threada-guide'].steps[?(@.id == {_quote(step['id'])})]",
                    "title",
                    step["title"],
                )
            )
            for block in step["blocks"]:
                if "text" in block:
                    target = (
                        f"$['x-threada-guide'].steps[*].blocks[?(@.id == {_quote(block['id'])})]"
                    )
                    found.append(Text(target, "text", block["text"]))
    catalogue = doc.get("x-threada-errors")
    if catalogue:
        for name, value in catalogue["labels"].items():
            found.append(Text("$['x-threada-errors'].labels", name, value))
        for entry in catalogue["types"]:
            target = f"$['x-threada-errors'].types[?(@.type == {_quote(entry['type'])})]"
            for name in ("meaning", "action", "short"):
                if isinstance(entry.get(name), str):
                    found.append(Text(target, name, entry[name]))
    return found


def _walk(node: Any, target: str, parent: str, found: list[Text]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _walk(item, f"{target}[{index}]", "", found)
        return
    if not isinstance(node, dict) or "$ref" in node and len(node) == 1:
        return
    if parent in NAMED_MAPS:
        for name, child in node.items():
            _walk(child, target + _seg(name), "", found)
        return
    for key, value in node.items():
        if key in ("title", "summary", "description") and isinstance(value, str):
            found.append(Text(target, key, value))
        elif key == "examples" and isinstance(value, list):
            continue  # a schema's examples: data
        elif key not in DATA_KEYS and key != "$ref" and isinstance(value, dict | list):
            _walk(value, target + _seg(key), key, found)


# --- overlays --------------------------------------------------------------------------------


def load_overlay(path: Any) -> dict:
    with open(path, encoding="utf-8") as handle:
        overlay = yaml.safe_load(handle)
    if not isinstance(overlay, dict) or not str(overlay.get("overlay", "")).startswith("1."):
        raise ValueError(f"{path}: not an OpenAPI Overlay 1.x document")
    return overlay


def translations(overlay: dict) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(target, field) -> (translation, recorded English hash), one per action."""
    found: dict[tuple[str, str], tuple[str, str | None]] = {}
    for action in overlay.get("actions", []):
        for name, value in (action.get("update") or {}).items():
            recorded = action.get("x-en-sha")
            found[(action["target"], name)] = (value, None if recorded is None else str(recorded))
    return found


def apply(source_doc: dict, overlay: dict) -> dict:
    """The source document with the overlay's actions applied (a new document).

    Overlay 1.0 semantics for what translations use: `update` on object targets is
    merged into each selected object (nested objects merged, other values replaced);
    `remove: true` removes the selected nodes. A target that selects nothing is an
    error (a translation whose text moved must not vanish silently).
    """
    from jsonpath_ng.ext import parse

    doc = copy.deepcopy(source_doc)
    unmatched = []
    for action in overlay.get("actions", []):
        expression = parse(action["target"])
        matches = expression.find(doc)
        if not matches:
            unmatched.append(action["target"])
        if action.get("remove"):
            expression.filter(lambda _: True, doc)
            continue
        for match in matches:
            if not isinstance(match.value, dict) or not isinstance(action.get("update"), dict):
                raise ValueError(f"{action['target']}: only object targets can be updated")
            _merge(match.value, action["update"])
    if unmatched:
        raise ValueError("overlay targets that select nothing:\n  " + "\n  ".join(unmatched))
    return doc


def _merge(target: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


@dataclass
class Status:
    language: str
    total: int
    translated: int
    missing: list[Text]
    stale: list[tuple[Text, str | None]]  # with the hash the translation recorded
    orphaned: list[tuple[str, str]]
    code_mismatch: list[Text]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.orphaned or self.code_mismatch)

    def report(self) -> str:
        pct = 100.0 * self.translated / self.total if self.total else 100.0
        lines = [
            f"{self.language}: {self.translated}/{self.total} texts translated and current "
            f"({pct:.1f}%); missing {len(self.missing)}, stale {len(self.stale)}, "
            f"orphaned {len(self.orphaned)}, code blocks differing {len(self.code_mismatch)}"
        ]
        for text in self.missing:
            lines.append(f"  MISSING  {text.target} {text.field}: {_short(text.english)}")
        for text, recorded in self.stale:
            lines.append(
                f"  STALE    {text.target} {text.field}: English changed "
                f"(translated {recorded}, now {text.sha}): {_short(text.english)}"
            )
        for target, name in self.orphaned:
            lines.append(f"  ORPHANED {target} {name}: no such text in the English source")
        for text in self.code_mismatch:
            lines.append(
                f"  CODE     {text.target} {text.field}: the translation's code blocks "
                "differ from the English ones (copy them unchanged)"
            )
        return "\n".join(lines)


_FENCE = re.compile(r"```.*?```", re.S)


def status(source_doc: dict, overlay: dict, language: str) -> Status:
    english = {t.key: t for t in texts(source_doc)}
    done = translations(overlay)
    missing = [t for k, t in english.items() if k not in done]
    stale = [(english[k], h) for k, (_, h) in done.items() if k in english and h != english[k].sha]
    orphaned = [k for k in done if k not in english]
    code = [
        english[k]
        for k, (value, _) in done.items()
        if k in english and _FENCE.findall(value) != _FENCE.findall(english[k].english)
    ]
    current = sum(1 for k, (_, h) in done.items() if k in english and h == english[k].sha)
    return Status(language, len(english), current, missing, stale, orphaned, code)


def skeleton(items: list[Text]) -> str:
    """Overlay actions to fill in, one per text (the English as the placeholder value)."""
    out = []
    for text in items:
        action = {"target": text.target, "x-en-sha": text.sha, "update": {text.field: text.english}}
        out.append(action_yaml(action))
    return "".join(out)


def action_yaml(action: dict) -> str:
    """One action as the overlay file writes it: one line when the text is one line."""
    ((name, value),) = action["update"].items()
    head = f"  - target: {_yq(action['target'])}\n    x-en-sha: {_yq(action['x-en-sha'])}\n"
    if "\n" in value.rstrip("\n"):
        lines = value.rstrip("\n").split("\n")
        body = "".join(f"        {line}\n" if line else "\n" for line in lines)
        chomp = "" if value.endswith("\n") else "-"
        return head + f"    update:\n      {_yk(name)}: |{chomp}\n" + body
    return head + f"    update: {{{_yk(name)}: {_yq(value)}}}\n"


def _yq(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped + '"'


def _yk(name: str) -> str:
    return name if _PLAIN.match(name) else _yq(name)


def _short(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
