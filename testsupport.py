"""Helpers shared by every test folder (importable as `testsupport`).

`needs(what, reason)` marks a test that needs something a bare machine may
lack (PostgreSQL server binaries, Chromium). Outside CI such a test is
skipped and listed loudly at the end of the run; under CI (`CI=true`) the
missing tool is a failure, so CI always runs these tests.
"""

from __future__ import annotations

import os

import pytest

NOT_RUN: list[tuple[str, str]] = []
MARK = "NOT RUN: needs "


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def needs(what: str, reason: str) -> None:
    """Skip (or, under CI, fail) the calling test because `what` is missing."""
    if in_ci():
        pytest.fail(f"{what} is required under CI but missing: {reason}", pytrace=False)
    pytest.skip(f"{MARK}{what}: {reason}")
