"""Every operation, every built-in check plus ours, positive and negative data."""

from __future__ import annotations

import schemathesis

from contract_tests import checks  # noqa: F401  (registers the custom checks)
from contract_tests.conftest import allowed_in_read_only, session_schema
from contract_tests.runtime import call_kwargs

schema = session_schema()


@schema.parametrize()
def test_operation_keeps_the_contract(case: schemathesis.Case) -> None:
    if not allowed_in_read_only(case):
        return  # --read-only: a case that could write is not sent (the filter misses some)
    case.call_and_validate(**call_kwargs())
