"""The breaking-change check (openapi/compat.py, Optic): the bundle against the released
contract, and deliberately broken variants that it must catch."""

from __future__ import annotations

import copy
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from openapi import compat

ROOT = Path(__file__).resolve().parents[2]


def _remove_response_field(doc: dict) -> None:
    summary = doc["components"]["schemas"]["TicketSummary"]
    del summary["properties"]["subject"]
    summary["required"].remove("subject")


def _new_required_request_field(doc: dict) -> None:
    create = doc["components"]["schemas"]["TicketCreate"]
    create["properties"]["source"] = {"type": "string", "description": "Where it came from."}
    create["required"].append("source")


def _narrowed_enum(doc: dict) -> None:
    enum = doc["components"]["schemas"]["TicketPriority"]["enum"]
    enum.remove("urgent")


def _additive(doc: dict) -> None:
    summary = doc["components"]["schemas"]["TicketSummary"]
    summary["properties"]["first_response_at"] = {
        "type": ["string", "null"],
        "description": "When an agent first answered.",
    }
    create = doc["components"]["schemas"]["TicketCreate"]
    create["properties"]["source"] = {"type": "string", "description": "Where it came from."}


BREAKING = {
    # variant: (the change, what Optic's report must say about it)
    "removed-response-field": (
        _remove_response_field,
        "cannot remove response property 'subject'",
    ),
    "new-required-request-field": (
        _new_required_request_field,
        "cannot add a required request property 'source'",
    ),
    "narrowed-enum": (_narrowed_enum, "cannot remove enum option 'urgent'"),
}
CHANGELOG_2 = """# changelog

## 3.0.0 (2026-12-02)

- **breaking**: what changed, and how to move.

{rest}"""


def _write(tmp: Path, name: str, doc: dict) -> Path:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict[str, compat.Verdict]:
    """The checks below, Optic runs three at a time (each takes seconds).

    To keep the suite short the three breaking changes go through Optic in one
    document, and each test asserts the finding for its own change in the report,
    so each change is caught by name, not merely "something broke".
    """
    tmp = tmp_path_factory.mktemp("compat")
    current = json.loads(compat.BUNDLE.read_text())
    broken = copy.deepcopy(current)
    for change, _finding in BREAKING.values():
        change(broken)
    additive = copy.deepcopy(current)
    _additive(additive)
    major = copy.deepcopy(broken)
    major["info"]["version"] = "3.0.0"
    log = tmp / "CHANGELOG-2.md"
    rest = compat.CHANGELOG.read_text().split("\n## ", 1)[1]
    log.write_text(CHANGELOG_2.format(rest="## " + rest))
    quiet = tmp / "CHANGELOG-quiet.md"
    quiet.write_text(log.read_text().replace("**breaking**", "**changed**", 1))
    jobs = {
        "released": (compat.BASELINE, compat.BUNDLE, compat.CHANGELOG),
        "broken": (compat.BUNDLE, _write(tmp, "broken", broken), compat.CHANGELOG),
        "additive": (compat.BUNDLE, _write(tmp, "additive", additive), compat.CHANGELOG),
    }
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(compat.check, *args) for name, args in jobs.items()}
        found = {name: f.result() for name, f in futures.items()}
    # The broken document again, released with a major version (Optic's answer is cached:
    # the version does not change what breaks).
    major_path = _write(tmp, "major", major)
    found["major-with-entry"] = compat.check(compat.BUNDLE, major_path, log)
    found["major-without-breaking-item"] = compat.check(compat.BUNDLE, major_path, quiet)
    return found


@pytest.mark.slow
def test_the_bundle_is_compatible_with_the_released_contract(verdicts):
    verdict = verdicts["released"]
    assert verdict.ok, "\n".join(verdict.problems) + "\n" + verdict.optic_report
    # The renames (Error -> ApiError), the titles and the ContactInput shape are not
    # wire changes, and Optic agrees; what it does call breaking is the new error type
    # `service_unavailable` (a response enum grew), released as 2.0.0 with a **breaking**
    # changelog item: that is what lets `verdict.ok` hold.
    findings = {
        line.strip()
        for line in verdict.optic_report.splitlines()
        if "This is a breaking change" in line
    }
    assert findings == {
        "x [request and response property enums] cannot add enum option "
        "'service_unavailable' from 'type' property. This is a breaking change."
    }, verdict.optic_report


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(BREAKING))
def test_a_breaking_change_fails_the_check(verdicts, variant):
    verdict = verdicts["broken"]
    assert verdict.breaking and not verdict.ok
    assert any("breaking change" in p for p in verdict.problems), verdict.problems
    assert BREAKING[variant][1] in verdict.optic_report, verdict.optic_report


@pytest.mark.slow
def test_an_additive_change_passes(verdicts):
    verdict = verdicts["additive"]
    assert not verdict.breaking, verdict.optic_report
    assert verdict.ok, verdict.problems


@pytest.mark.slow
def test_a_breaking_change_passes_with_a_major_version_and_its_entry(verdicts):
    assert verdicts["major-with-entry"].breaking
    assert verdicts["major-with-entry"].ok, verdicts["major-with-entry"].problems
    problems = verdicts["major-without-breaking-item"].problems
    assert any("without a **breaking** changelog item" in p for p in problems), problems


def test_info_version_is_the_newest_changelog_entry():
    spec = yaml.safe_load((ROOT / "openapi" / "openapi.yaml").read_text())
    entries, problems = compat.parse_changelog(compat.CHANGELOG.read_text())
    assert not problems, problems
    assert entries[0].version == compat.version_of(spec["info"]["version"])
    baseline = json.loads(compat.BASELINE.read_text())
    assert compat.version_of(baseline["info"]["version"]) in {e.version for e in entries}


def test_the_changelog_form_is_checked():
    _, problems = compat.parse_changelog(
        "## 1.2.0 (2026-12-01)\n- **improved**: x\n## 1.3.0 (2026-11-01)\n- **added**: y\n"
        "## v1 (soon)\n"
    )
    assert any("not marked" in p for p in problems)
    assert any("out of order" in p for p in problems)
    assert any("heading" in p for p in problems)
