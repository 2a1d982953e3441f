"""Suite-wide pytest plumbing.

`needs(what, reason)` marks a test that needs something a bare machine may
lack (PostgreSQL server binaries, Chromium). Outside CI such a test is
skipped and listed loudly at the end of the run; under CI (`CI=true`) the
missing tool is a failure, so CI always runs these tests.
"""

from __future__ import annotations

import os

import pytest

_NOT_RUN: list[tuple[str, str]] = []


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def needs(what: str, reason: str) -> None:
    """Skip (or, under CI, fail) the calling test because `what` is missing."""
    if in_ci():
        pytest.fail(f"{what} is required under CI but missing: {reason}", pytrace=False)
    pytest.skip(f"NOT RUN: needs {what}: {reason}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2])
        if "NOT RUN: needs" in message:
            _NOT_RUN.append((report.nodeid, message.split("NOT RUN: ", 1)[1]))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    if not _NOT_RUN:
        return
    tr = terminalreporter
    tr.section("TESTS THAT DID NOT RUN ON THIS MACHINE", sep="!", red=True, bold=True)
    for nodeid, why in _NOT_RUN:
        tr.write_line(f"NOT RUN  {nodeid}  ({why})", red=True, bold=True)
    tr.write_line(
        f"{len(_NOT_RUN)} test(s) above did not run; `.ci/run` installs what they need.",
        red=True,
        bold=True,
    )
