"""The same suite against the mock: frontends build on it, so it must keep the contract too.

Runs the suite in its own pytest process with CONTRACT_TARGET=mock (the stateful
mock, in-process, with one declared key per scope set and unknown keys refused).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from contract_tests.targets import REPO


@pytest.mark.skipif(
    bool(os.environ.get("CONTRACT_URL")) or os.environ.get("CONTRACT_TARGET", "server") != "server",
    reason="runs once, from the in-process server run",
)
def test_mock_keeps_the_contract() -> None:
    env = {**os.environ, "CONTRACT_TARGET": "mock", "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "contract_tests/test_contract.py",
            "contract_tests/test_scopes.py",
            "contract_tests/test_stateful.py",
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
    assert run.returncode == 0, f"the mock breaks the contract:\n{run.stdout[-6000:]}"
