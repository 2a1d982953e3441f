"""The same suite against the mock: frontends build on it, so it must keep the contract too.

Runs the suite in its own pytest process per mode of the mock: CONTRACT_TARGET=mock
(the stateful mock), mock:examples and mock:dynamic; each in-process, with one declared
key per scope set and unknown keys refused. The stateful run includes the coverage verdicts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests.targets import REPO

STATELESS = ["test_contract.py", "test_scopes.py", "-k", "not pagination_follows_real_tokens"]
MODES = {
    # mode: (CONTRACT_TARGET, test files and selection, extra environment)
    "stateful": (
        "mock",
        ["test_contract.py", "test_scopes.py", "test_stateful.py", "test_coverage.py"],
        {},
    ),
    # Fewer cases on the other modes (the stateful run covers the most); real page tokens
    # need the stateful mode.
    "examples": ("mock:examples", STATELESS, {"CONTRACT_MAX_EXAMPLES": "5"}),
    "dynamic": ("mock:dynamic", STATELESS, {"CONTRACT_MAX_EXAMPLES": "5"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.skipif(
    bool(os.environ.get("CONTRACT_URL")) or os.environ.get("CONTRACT_TARGET", "server") != "server",
    reason="runs once, from the in-process server run",
)
def test_mock_keeps_the_contract(mode: str, tmp_path: Path) -> None:
    target, selection, extra = MODES[mode]
    env = {
        **os.environ,
        "CONTRACT_TARGET": target,
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
        "CONTRACT_REPORT": str(tmp_path / "mock-junit.xml"),
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *[f"contract_tests/{f}" if f.endswith(".py") else f for f in selection],
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
    assert run.returncode == 0, f"the mock ({mode}) breaks the contract:\n{run.stdout[-6000:]}"
