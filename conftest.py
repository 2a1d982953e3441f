"""Suite-wide pytest plumbing: the loud list of tests that did not run.

Tests call `testsupport.needs(...)` (also re-exported here) when a tool the
machine lacks is required; see testsupport.py.
"""

from __future__ import annotations

import pytest

from testsupport import MARK, NOT_RUN, in_ci, needs

__all__ = ["in_ci", "needs"]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2])
        if MARK in message:
            NOT_RUN.append((report.nodeid, message.split("NOT RUN: ", 1)[1]))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    if not NOT_RUN:
        return
    tr = terminalreporter
    tr.section("TESTS THAT DID NOT RUN ON THIS MACHINE", sep="!", red=True, bold=True)
    for nodeid, why in NOT_RUN:
        tr.write_line(f"NOT RUN  {nodeid}  ({why})", red=True, bold=True)
    tr.write_line(
        f"{len(NOT_RUN)} test(s) above did not run; `.ci/run` installs what they need.",
        red=True,
        bold=True,
    )
