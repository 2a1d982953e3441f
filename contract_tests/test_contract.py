"""Every operation, every built-in check plus ours, positive and negative data."""

from __future__ import annotations

import schemathesis

from contract_tests import checks  # noqa: F401  (registers the custom checks)
from contract_tests.conftest import allowed_in_read_only, session_schema
from contract_tests.runtime import OPTIONS, SAFE_METHODS, call_kwargs

schema = session_schema()
if OPTIONS.read_only:
    # An operation that writes and takes no body has no case a --read-only run may send
    # (only body-breaking cases of writing operations are): it is left out, not failed.
    bodiless = [
        op.definition.raw["operationId"]
        for op in (r.ok() for r in schema.get_all_operations())
        if op.method.upper() not in SAFE_METHODS and "requestBody" not in op.definition.raw
    ]
    if bodiless:
        schema = schema.exclude(operation_id=bodiless)


@schema.parametrize()
def test_operation_keeps_the_contract(case: schemathesis.Case) -> None:
    if not allowed_in_read_only(case):
        return  # --read-only: a case that could write is not sent (the filter misses some)
    case.call_and_validate(**call_kwargs())
