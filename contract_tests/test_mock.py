"""The same suite against the mock: frontends build on it, so it must keep the contract too.

Runs the suite in its own pytest process with CONTRACT_TARGET=mock (the stateful
mock, in-process, with one declared key per scope set and unknown keys refused),
coverage verdicts included.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from contract_tests.targets import REPO

# A drift of the mock this branch knows and does not fix: it sends `Location` on
# addMessage's 201, which the spec does not document (issue 18 rewrites the mock and
# drops it). Only these report cases may fail, and only for that header; any other
# failure fails the test. Once the mock is fixed the run passes and this is unused.
KNOWN_MOCK_DRIFT = {
    ("addMessage", "undocumented_headers"),
    ("coverage.links", "createTicket.AddMessage -> addMessage"),
}


def _only_the_known_drift(report: Path) -> bool:
    failing = [
        (case.get("classname"), case.get("name"), ET.tostring(case, encoding="unicode"))
        for case in ET.parse(report).getroot().iter("testcase")
        if case.find("failure") is not None
    ]
    return bool(failing) and all(
        (cls, name) in KNOWN_MOCK_DRIFT
        and (name != "undocumented_headers" or "header(s) location on a 201" in text)
        for cls, name, text in failing
    )


@pytest.mark.skipif(
    bool(os.environ.get("CONTRACT_URL")) or os.environ.get("CONTRACT_TARGET", "server") != "server",
    reason="runs once, from the in-process server run",
)
def test_mock_keeps_the_contract(tmp_path: Path) -> None:
    report = tmp_path / "mock-junit.xml"
    env = {
        **os.environ,
        "CONTRACT_TARGET": "mock",
        "CONTRACT_REPORT": str(report),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "contract_tests/test_contract.py",
            "contract_tests/test_scopes.py",
            "contract_tests/test_stateful.py",
            "contract_tests/test_coverage.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::DeprecationWarning",
            "-o",
            "addopts=--import-mode=importlib",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    if run.returncode != 0 and report.exists() and _only_the_known_drift(report):
        pytest.xfail("the mock sends an undocumented Location on addMessage's 201 (issue 18)")
    assert run.returncode == 0, f"the mock breaks the contract:\n{run.stdout[-6000:]}"
