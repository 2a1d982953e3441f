"""Stateful runs through the spec's OpenAPI links.

createTicket -> getTicket / updateTicket / listMessages / addMessage / runAction /
listActions, and runAction -> getAction, several steps per scenario, every check
on every step. Actions really run: against the server target, the tenant's
actions base URL is a receiver on 127.0.0.1 started by the suite.
"""

from __future__ import annotations

import hypothesis
from hypothesis import HealthCheck, Phase

from contract_tests import checks  # noqa: F401  (registers the custom checks)
from contract_tests.conftest import SEED, STATEFUL_SCENARIOS, STATEFUL_STEPS, session_schema
from contract_tests.targets import Target
from contract_tests.workflow import contract_workflow

schema = session_schema()
Workflow = contract_workflow(schema)


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
    if target.receiver is not None:
        # The runs must have reached the receiver: actions were run, not only rejected.
        assert len(target.receiver.requests) > before, "no action reached the local receiver"
