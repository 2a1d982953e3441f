"""The contract evolves safely: the bundle against the last released contract.

    python -m openapi.compat                       # the committed bundle vs openapi/baseline
    python -m openapi.compat BASELINE CURRENT      # any two bundles (JSON or YAML)

Breaking changes are found by Optic's `diff --check` (npm `@useoptic/optic`,
pinned in package.json; its default breaking-changes ruleset, offline). A
breaking change passes only with a new major `info.version` whose entry in
`openapi/CHANGELOG.md` has a `breaking` item. `info.version` is always the
newest changelog entry. Exit status 0 when the contract may ship, 1 otherwise.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

OPENAPI_DIR = Path(__file__).resolve().parent
ROOT = OPENAPI_DIR.parent
BASELINE = OPENAPI_DIR / "baseline" / "openapi.json"
BUNDLE = OPENAPI_DIR / "dist" / "openapi.json"
CHANGELOG = OPENAPI_DIR / "CHANGELOG.md"
OPTIC = ROOT / "node_modules" / ".bin" / "optic"
KINDS = ("added", "changed", "deprecated", "breaking")
_ENTRY = re.compile(r"^## (\d+)\.(\d+)\.(\d+) \((\d{4}-\d{2}-\d{2})\)\s*$")
_ITEM = re.compile(r"^- \*\*(\w+)\*\*: \S")
# Optic's breaking-changes rules, told to report breaking changes even across a major
# version (by default it stays silent then): the major-version rule is ours, below.
OPTIC_STANDARD = "ruleset:\n  - breaking-changes:\n      skip_when_major_version_changes: false\n"


@dataclasses.dataclass(frozen=True)
class Entry:
    version: tuple[int, int, int]
    date: str
    kinds: frozenset[str]


@dataclasses.dataclass
class Verdict:
    breaking: bool
    problems: list[str]
    optic_report: str

    @property
    def ok(self) -> bool:
        return not self.problems


def version_of(text: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    if not match:
        raise ValueError(f"info.version {text!r} is not MAJOR.MINOR.PATCH")
    return int(match[1]), int(match[2]), int(match[3])


def parse_changelog(text: str) -> tuple[list[Entry], list[str]]:
    """The entries, newest first, and what is wrong with the file's form."""
    entries: list[Entry] = []
    problems: list[str] = []
    kinds: set[str] = set()
    head: tuple[tuple[int, int, int], str] | None = None

    def close() -> None:
        if head is not None:
            if not kinds:
                problems.append(f"{'.'.join(map(str, head[0]))} has no item")
            entries.append(Entry(head[0], head[1], frozenset(kinds)))

    for line in text.splitlines():
        if line.startswith("## "):
            close()
            match = _ENTRY.match(line)
            if not match:
                problems.append(f"entry heading is not '## X.Y.Z (YYYY-MM-DD)': {line!r}")
                head = None
                continue
            head = ((int(match[1]), int(match[2]), int(match[3])), match[4])
            kinds = set()
        elif line.startswith("- ") and head is not None:
            item = _ITEM.match(line)
            if not item or item[1] not in KINDS:
                problems.append(f"item not marked **added/changed/deprecated/breaking**: {line!r}")
            else:
                kinds.add(item[1])
    close()
    for newer, older in zip(entries, entries[1:], strict=False):
        if not (newer.version > older.version and newer.date >= older.date):
            problems.append(
                f"entries out of order: {newer.version} ({newer.date}) above {older.version}"
            )
    return entries, problems


def _load(path: Path) -> dict:
    text = path.read_text()
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def optic_diff(baseline: Path, current: Path) -> tuple[bool, str]:
    """(breaking?, Optic's report) from `optic diff --check` with its breaking-changes rules.

    Both documents get the same `info.version` first: whether a change breaks clients
    does not depend on the number (the version rules are ours, in `check`). The same
    pair of documents is diffed once per process.
    """
    docs = []
    for path in (baseline, current):
        doc = _load(path)
        doc["info"] = {**doc["info"], "version": "0.0.0"}
        docs.append(json.dumps(doc, sort_keys=True))
    return _optic(docs[0], docs[1])


@functools.lru_cache(maxsize=32)
def _optic(baseline_json: str, current_json: str) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory() as tmp:
        # Optic reads files; copies in a folder of their own keep its caches out of the tree.
        base, cur = Path(tmp) / "baseline.json", Path(tmp) / "current.json"
        base.write_text(baseline_json)
        cur.write_text(current_json)
        standard = Path(tmp) / "standard.yml"
        standard.write_text(OPTIC_STANDARD)
        run = subprocess.run(  # noqa: S603 - fixed argv
            [str(OPTIC), "diff", str(base), str(cur), "--check", "--standard", str(standard)],
            capture_output=True,
            text=True,
            cwd=tmp,
            timeout=300,
            # Offline: no telemetry, no update check.
            env={**os.environ, "OPTIC_TELEMETRY_LEVEL": "off", "NO_UPDATE_NOTIFIER": "1"},
        )
    report = run.stdout + run.stderr
    if run.returncode != 0 and "This is a breaking change" not in report:
        raise RuntimeError(f"optic failed ({run.returncode}):\n{report}")
    return run.returncode != 0, report


def check(
    baseline: Path = BASELINE, current: Path = BUNDLE, changelog: Path = CHANGELOG
) -> Verdict:
    base_doc, cur_doc = _load(baseline), _load(current)
    base_version = version_of(str(base_doc["info"]["version"]))
    version = version_of(str(cur_doc["info"]["version"]))
    entries, problems = parse_changelog(changelog.read_text())
    if not entries:
        problems.append(f"{changelog.name} has no entry")
    elif entries[0].version != version:
        problems.append(
            f"info.version is {'.'.join(map(str, version))} but the newest changelog entry is "
            f"{'.'.join(map(str, entries[0].version))}: they must be the same"
        )
    if base_version not in {e.version for e in entries}:
        problems.append(f"the baseline's version {base_version} has no changelog entry")
    if version < base_version:
        problems.append(f"info.version {version} is older than the baseline's {base_version}")
    by_version = {e.version: e for e in entries}
    if (
        version[0] > base_version[0]
        and "breaking" not in by_version.get(version, Entry(version, "", frozenset())).kinds
    ):
        problems.append(f"new major version {version[0]} without a **breaking** changelog item")

    breaking, report = optic_diff(baseline, current)
    if breaking and version[0] <= base_version[0]:
        problems.append(
            "breaking change against the released contract "
            f"{'.'.join(map(str, base_version))}: it needs a new major info.version and a "
            "**breaking** changelog entry (Optic's findings below)"
        )
    return Verdict(breaking=breaking, problems=problems, optic_report=report)


def main(argv: list[str]) -> int:
    baseline = Path(argv[0]) if argv else BASELINE
    current = Path(argv[1]) if len(argv) > 1 else BUNDLE
    verdict = check(baseline, current)
    for problem in verdict.problems:
        print(f"FAIL: {problem}")
    if verdict.breaking or verdict.problems:
        print(verdict.optic_report)
    print("contract check:", "ok" if verdict.ok else "failed", "(breaking)" * verdict.breaking)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
