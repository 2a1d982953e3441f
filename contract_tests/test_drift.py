"""The suite catches drift: against each broken server it must fail, and for the right reason.

Each variant (contract_tests/variants.py) runs in its own pytest process
(CONTRACT_TARGET=broken:<variant>), on the part of the suite that should catch
it, all variants at once. The test asserts that the run failed (exit code 1),
that the expected check reported it, and that the failure shows the curl
command reproducing the request, in the output and in the JUnit XML report.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from contract_tests.targets import REPO
from contract_tests.variants import VARIANTS

# variant -> (test files that must catch it, phases, text the failure report must contain)
EXPECTED: dict[str, tuple[list[str], str, str]] = {
    "drop_required_field": (["test_scopes.py"], "examples", "Response violates schema"),
    "error_outside_envelope": (["test_contract.py"], "examples", "`error_envelope`"),
    "scopes_ignored": (["test_scopes.py"], "examples", "expected 403"),
    "no_rate_limit_headers": (["test_contract.py"], "fuzzing", "`rate_limit_headers`"),
    # The exploration's own check (the link walk also fails on it, with a 404).
    "created_id_unreachable": (
        ["test_stateful.py::test_links_create_read_update_message_and_act"],
        "examples",
        "Created resource not found",
    ),
    "undocumented_header": (["test_contract.py"], "examples", "`undocumented_headers`"),
}


def _in_process_server_run() -> bool:
    return not os.environ.get("CONTRACT_URL") and os.environ.get("CONTRACT_TARGET", "server") in (
        "",
        "server",
    )


@pytest.fixture(scope="module")
def drift_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess]:
    reports = tmp_path_factory.mktemp("drift-junit")
    assert set(EXPECTED) == set(VARIANTS), "every variant needs an expectation"
    env = {
        **os.environ,
        "CONTRACT_MAX_EXAMPLES": "5",
        "CONTRACT_STATEFUL_SCENARIOS": "15",
        # The checks alone must catch each drift, not the coverage verdicts.
        "CONTRACT_COVERAGE": "off",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("CONTRACT_URL", None)
    procs = {}
    for variant, (files, phases, _) in EXPECTED.items():
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            *[f"contract_tests/{f}" for f in files],
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::DeprecationWarning",
            "-o",
            "addopts=--import-mode=importlib",
            f"--junitxml={reports / (variant + '.xml')}",
        ]
        procs[variant] = subprocess.Popen(
            cmd,
            cwd=REPO,
            env={**env, "CONTRACT_TARGET": f"broken:{variant}", "CONTRACT_PHASES": phases},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + 240
    results = {}
    for variant, proc in procs.items():
        out, _ = proc.communicate(timeout=max(1, deadline - time.monotonic()))
        junit = (reports / f"{variant}.xml").read_text() if proc.returncode == 1 else ""
        results[variant] = subprocess.CompletedProcess(proc.args, proc.returncode, out, junit)
    return results


@pytest.mark.skipif(not _in_process_server_run(), reason="drift variants are built in-process")
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_suite_fails_on_drift(
    variant: str, drift_runs: dict[str, subprocess.CompletedProcess]
) -> None:
    run = drift_runs[variant]
    marker = EXPECTED[variant][2]
    tail = run.stdout[-3000:]
    assert run.returncode == 1, (
        f"the suite did not fail on '{VARIANTS[variant]}' (exit {run.returncode}):\n{tail}"
    )
    assert marker in run.stdout, f"failed, but not with {marker!r}:\n{tail}"
    assert "curl -X" in run.stdout, f"no reproducing curl command in the output:\n{tail}"
    # CI reads the JUnit report: the failure there must carry the reproduction too.
    junit = run.stderr  # the JUnit XML the run wrote (kept in the stderr slot)
    assert ("<failure" in junit or "<error" in junit) and "curl -X" in junit, (
        "no failure with a curl command in the JUnit report"
    )
