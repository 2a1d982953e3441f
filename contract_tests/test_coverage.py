"""Coverage that can fail: run last (see conftest), they judge what the other tests reached.

An operation that never answered a 2xx, a link of the spec never followed to a 2xx,
a scope never used with success: each fails the run, saying why (the key lacks a
scope, every call was rate-limited, the tenant has no actions base URL, ...).
"""

from __future__ import annotations

import pytest

from contract_tests import coverage
from contract_tests.conftest import _SESSION, session_schema
from contract_tests.runtime import OPTIONS, RECORD

session_schema()

pytestmark = pytest.mark.skipif(
    not OPTIONS.coverage, reason="CONTRACT_COVERAGE=off (the drift test judges the checks alone)"
)


def _problems(verdicts: list[tuple[str, str, str | None]]) -> list[str]:
    return [problem for *_, problem in verdicts if problem]


def test_every_operation_answered_a_2xx() -> None:
    problems = _problems(coverage.operation_verdicts(_SESSION["document"], RECORD))
    assert not problems, "operations never answered a 2xx:\n- " + "\n- ".join(problems)


def test_every_link_was_followed() -> None:
    problems = _problems(coverage.link_verdicts(_SESSION["document"], RECORD))
    assert not problems, "links never followed to a 2xx:\n- " + "\n- ".join(problems)


def test_a_read_only_run_changed_nothing() -> None:
    """--read-only: no operation that writes answered a 2xx (it would have changed something)."""
    if not OPTIONS.read_only:
        pytest.skip("not a --read-only run")
    writes = {op.op_id for op in coverage.spec_operations(_SESSION["document"]) if op.writes}
    accepted = {
        op_id: dict(statuses)
        for op_id, statuses in RECORD.statuses.items()
        if op_id in writes and any(200 <= s < 300 for s in statuses)
    }
    assert not accepted, f"a read-only run was answered 2xx by operations that write: {accepted}"


def test_every_scope_was_tried() -> None:
    problems = _problems(coverage.scope_verdicts(_SESSION["document"], RECORD))
    assert not problems, "scopes never used with success:\n- " + "\n- ".join(problems)
