"""The stateful machine: Schemathesis' link-driven machine, with the spec's creators as roots.

Schemathesis 4.32 picks scenario roots with a dependency heuristic that, on our
spec, keeps `createTicket` out (it guesses a body field refers to a resource
nothing produces) and starts every scenario from `runAction` with a random
ticket id: 404s, and the links are never followed. Here every operation that
has outgoing links and no path parameters (today: createTicket) is a root too,
so scenarios start by creating a ticket and follow the links from it; the
roots Schemathesis picked that need an id are dropped.

Which step Hypothesis can take next depends on the answers so far (a link is
followed only from a 201 or 200), and Hypothesis replays a scenario's first
steps in later scenarios, expecting the same answers. So a scenario must not
see what an earlier one left behind: every scenario gets a token of its own
(`current_scenario`), which the Idempotency-Key hook in conftest.py puts in its
keys, so a replayed createTicket makes a new ticket instead of answering the
one an earlier scenario made and changed.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import schemathesis
from hypothesis.stateful import Bundle
from schemathesis.generation.stateful.state_machine import APIStateMachine, StepInput
from schemathesis.specs.openapi import stateful as openapi_stateful

from contract_tests.runtime import RECORD, call_kwargs

_SCENARIO = {"token": ""}
_TRANSITION = re.compile(r"^(?P<source>.+?) -> \[[^\]]+\] (?P<name>.+?) -> (?P<target>.+)$")


def current_scenario() -> str:
    """The token of the stateful scenario being run (a new one per scenario)."""
    return _SCENARIO["token"]


def _begin_scenario() -> None:
    # Random, not a counter: against a live deployment, keys live 24 hours across runs.
    _SCENARIO["token"] = uuid.uuid4().hex


def link_roots(schema: schemathesis.BaseSchema) -> list[schemathesis.APIOperation]:
    """Operations that produce links and need no id: where a scenario can begin."""
    roots = []
    for result in schema.get_all_operations():
        op = result.ok()
        responses = op.definition.raw.get("responses", {})
        has_links = any(isinstance(r, dict) and r.get("links") for r in responses.values())
        if has_links and "{" not in op.path:
            roots.append(op)
    return roots


def contract_workflow(schema: schemathesis.BaseSchema) -> type[APIStateMachine]:
    base = schema.as_state_machine()

    def setup(self: APIStateMachine) -> None:
        # Called once per scenario, before its first step is drawn.
        base.setup(self)
        _begin_scenario()

    def get_call_kwargs(self: APIStateMachine, case: schemathesis.Case) -> dict[str, Any]:
        return call_kwargs()  # the paced session against a live target

    def step(self: APIStateMachine, input: StepInput) -> Any:
        output = base.step(self, input)
        transition = input.transition
        if transition is not None:
            # Its id is "<source label> -> [<status>] <link name> -> <target label>".
            match = _TRANSITION.match(transition.id)
            if match:
                RECORD.link(
                    match["source"],
                    match["name"],
                    ok=200 <= output.response.status_code < 300,
                    inferred=transition.is_inferred,
                )
        return output

    extra: dict[str, object] = {
        "setup": setup,
        "get_call_kwargs": get_call_kwargs,
        "step": step,
    }
    roots = link_roots(schema)
    root_labels = {op.label for op in roots}
    labels: set[str] = set()
    rules: set[str] = set()
    # Schemathesis' own roots that need an id (runAction with a random ticket id) only
    # spend the step budget on 404s; the generated runs cover those. Shadowed, they are
    # no longer rules.
    for name in base.root_rules:
        extra[name] = None
    for op in roots:
        assert op.label in root_labels
        modes = schema.config.generation_for(operation=op, phase="stateful").modes
        name = "CONTRACT_ROOT__" + re.sub(r"\W+", "_", op.label)
        extra[name] = openapi_stateful.transition(
            name=name,
            target=Bundle("catch_all"),
            precondition=openapi_stateful.is_root_allowed(op.label),
            input=openapi_stateful._step_case_strategy(
                op, modes, feedback=openapi_stateful.NO_FEEDBACK
            ).map(StepInput.initial),
        )
        labels.add(op.label)
        rules.add(name)
    extra["root_rules"] = frozenset(rules)
    extra["_root_labels"] = frozenset(labels)
    return type("ContractWorkflow", (base,), extra)
