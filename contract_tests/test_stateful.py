"""Stateful runs through the spec's OpenAPI links.

createTicket -> getTicket / updateTicket / listMessages / addMessage / runAction /
listActions, and runAction -> getAction, several steps per scenario, every check
on every step. Actions really run: against the server target, the tenant's
actions base URL is a receiver on 127.0.0.1 started by the suite.
"""

from __future__ import annotations

import json

import hypothesis
from hypothesis import HealthCheck, Phase

from contract_tests import checks  # noqa: F401  (registers the custom checks)
from contract_tests.checks import _resolve
from contract_tests.conftest import (
    CASES,
    SEED,
    STATEFUL_SCENARIOS,
    STATEFUL_STEPS,
    session_schema,
)
from contract_tests.helpers import operation_by_id
from contract_tests.targets import BUNDLE, Target
from contract_tests.workflow import contract_workflow

schema = session_schema()
Workflow = contract_workflow(schema)


def link_targets() -> set[str]:
    """operationIds that some response links to (from the bundle: Schemathesis rewrites links)."""
    document = json.loads(BUNDLE.read_text())
    out = set()
    for item in document["paths"].values():
        for op in item.values():
            if isinstance(op, dict):
                for response in op.get("responses", {}).values():
                    for link in (_resolve(document, response).get("links") or {}).values():
                        out.add(_resolve(document, link)["operationId"])
    return out


def test_links_create_read_update_message_and_act(target: Target) -> None:
    before = len(target.receiver.requests) if target.receiver else 0
    Workflow.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            derandomize=SEED != "random",
            database=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            # Each step is a real request through the whole app: slow by Hypothesis' measure.
            suppress_health_check=[HealthCheck.too_slow],
        )
    )
    # Every link's target was reached with a 2xx at least once: the links were followed.
    name = test_links_create_read_update_message_and_act.__name__
    for op_id in link_targets():
        label = operation_by_id(schema, op_id).label
        statuses = CASES.get((name, label), {})
        assert any(200 <= s < 300 for s in statuses), (
            f"{label} was never answered with a 2xx in the stateful runs: {dict(statuses)}"
        )
    if target.receiver is not None:
        # The runs must have reached the receiver: actions were run, not only rejected.
        assert len(target.receiver.requests) > before, "no action reached the local receiver"
