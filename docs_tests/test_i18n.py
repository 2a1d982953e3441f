"""Translations and the error catalogue: coverage, staleness, and the build's loud failures."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from threada.docsbuild import i18n
from threada.docsbuild.render import BuildError, render, with_sources

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "openapi" / "dist"
DEVANAGARI = re.compile(r"[\u0900-\u097F]")


@pytest.fixture(scope="module")
def raw_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`redocly bundle` of the split spec, as `make bundle` makes it."""
    out = tmp_path_factory.mktemp("raw") / "raw.yaml"
    redocly = ROOT / "node_modules" / ".bin" / "redocly"
    result = subprocess.run(  # noqa: S603 - fixed argv
        [str(redocly), "bundle", "openapi/openapi.yaml", "--output", str(out), "--ext", "yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


def status_cli(raw: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "threada.docsbuild", "i18n-status", "--raw", str(raw), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_text_is_translated_and_current(raw_bundle: Path) -> None:
    result = status_cli(raw_bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"hi: (\d+)/\1 texts translated and current \(100\.0%\)", result.stdout)


def test_a_changed_english_text_makes_its_translation_stale_and_the_check_fail(
    raw_bundle: Path, tmp_path: Path
) -> None:
    changed = tmp_path / "raw.yaml"
    text = raw_bundle.read_text(encoding="utf-8")
    assert "summary: List tickets\n" in text
    changed.write_text(text.replace("summary: List tickets\n", "summary: List the tickets\n"))
    result = status_cli(changed, "--skeleton")
    assert result.returncode == 1
    assert "STALE    $.paths.*[?(@.operationId == 'listTickets')] summary" in result.stdout
    # The skeleton is the action to paste: the new English text and its hash.
    assert '    update: {summary: "List the tickets"}' in result.stdout
    assert f'x-en-sha: "{i18n.sha("List the tickets")}"' in result.stdout


def test_a_new_english_text_is_reported_missing(raw_bundle: Path, tmp_path: Path) -> None:
    import yaml

    raw = yaml.safe_load(raw_bundle.read_text(encoding="utf-8"))
    raw["paths"]["/tickets/{ticket_id}"]["get"]["x-new"] = {"description": "Not prose"}
    raw["components"]["schemas"]["TicketId"]["title"] = "A brand new title"
    changed = tmp_path / "raw.yaml"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))
    result = status_cli(changed)
    assert result.returncode == 1
    assert "MISSING  $.components.schemas.TicketId title: A brand new title" in result.stdout
    assert "getTicket')]['x-new'] description" in result.stdout


def test_an_orphaned_translation_is_reported_and_its_target_fails_the_build() -> None:
    source = {"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "paths": {}}
    overlay = {
        "overlay": "1.0.0",
        "actions": [
            {
                "target": "$.paths.*[?(@.operationId == 'gone')]",
                "x-en-sha": "0",
                "update": {"summary": "गया"},
            }
        ],
    }
    assert i18n.status(source, overlay, "hi").orphaned == [
        ("$.paths.*[?(@.operationId == 'gone')]", "summary")
    ]
    with pytest.raises(ValueError, match="select nothing"):
        i18n.apply(source, overlay)


def test_an_error_type_without_a_catalogue_entry_fails_the_build(raw_bundle: Path) -> None:
    import yaml

    raw = yaml.safe_load(raw_bundle.read_text(encoding="utf-8"))
    raw["components"]["schemas"]["ErrorType"]["enum"].append("brand_new_error")
    guide = yaml.safe_load((ROOT / "openapi/docs/guide.yaml").read_text(encoding="utf-8"))
    errors = yaml.safe_load((ROOT / "openapi/docs/errors.yaml").read_text(encoding="utf-8"))
    with pytest.raises(BuildError, match="'brand_new_error' has no entry"):
        render(with_sources(copy.deepcopy(raw), guide, errors))


def test_the_catalogue_lists_every_error_type_and_error_responses_link_to_it() -> None:
    doc = json.loads((DIST / "openapi.json").read_text(encoding="utf-8"))
    catalogue = next(t for t in doc["tags"] if t["name"] == "Errors")["description"]
    for error_type in doc["components"]["schemas"]["ErrorType"]["enum"]:
        assert f'<h3 id="error-{error_type}">' in catalogue, error_type
    for name, response in doc["components"]["responses"].items():
        assert "(#error-" in response["description"], f"{name} does not link the catalogue"


def test_the_hindi_bundle_has_devanagari_for_every_operation_summary_and_tag() -> None:
    doc = json.loads((DIST / "openapi.hi.json").read_text(encoding="utf-8"))
    for item in doc["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "operationId" in op:
                assert DEVANAGARI.search(op["summary"]), f"{op['operationId']}: {op['summary']}"
                assert DEVANAGARI.search(op["description"]), op["operationId"]
    for tag in doc["tags"]:
        assert DEVANAGARI.search(tag["x-displayName"]), tag["name"]
