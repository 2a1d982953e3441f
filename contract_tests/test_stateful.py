"""Stateful runs through the spec's OpenAPI links: a deterministic walk, then exploration.

The walk follows every link of the spec once, from the spec's request examples
(createTicket -> getTicket / updateTicket / listMessages / addMessage / runAction /
listActions, runAction -> getAction), every check on every step: link coverage that
does not depend on what Hypothesis draws. The exploration then runs Schemathesis'
link-driven state machine with generated data.

createTicket -> getTicket / updateTicket / listMessages / addMessage / runAction /
listActions, and runAction -> getAction, several steps per scenario, every check
on every step. Actions really run: against the server target, the tenant's
actions base URL is a receiver on 127.0.0.1 started by the suite.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, Phase
from schemathesis.core.failures import FailureGroup

from contract_tests import (
    checks,  # noqa: F401  (registers the custom checks)
    coverage,
)
from contract_tests.checks import _resolve
from contract_tests.conftest import (
    _SESSION,
    SEED,
    STATEFUL_SCENARIOS,
    STATEFUL_STEPS,
    session_schema,
)
from contract_tests.helpers import operation_by_id, request_example
from contract_tests.runtime import API_KEY_HEADER, OPTIONS, RECORD, call_kwargs
from contract_tests.targets import Target
from contract_tests.workflow import contract_workflow

schema = session_schema()
Workflow = contract_workflow(schema)


def _evaluate(expression: str, response: Any) -> Any:
    """An OpenAPI runtime expression: `$response.body#/json/pointer` or `$response.header.Name`."""
    if expression.startswith("$response.body#"):
        node: Any = response.json()
        for part in expression.split("#", 1)[1].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node
    if expression.startswith("$response.header."):
        return response.headers.get(expression.split(".", 2)[2].lower(), [None])[0]
    raise ValueError(f"runtime expression not supported by the walk: {expression}")


@pytest.mark.skipif(OPTIONS.read_only, reason="--read-only: the walk creates tickets")
def test_every_link_walked_from_the_examples(target: Target) -> None:
    document = _SESSION["document"]
    ops = {op.op_id: op for op in coverage.spec_operations(document)}
    problems: list[str] = []

    def call(op_id: str, path: dict[str, str]) -> Any:
        op = operation_by_id(schema, op_id)
        kwargs: dict[str, Any] = {"path_parameters": path}
        body = request_example(schema, op)
        if body is not None:
            kwargs.update(body=body, media_type="application/json")
        case = op.Case(**kwargs)
        try:
            return case.call_and_validate(headers={API_KEY_HEADER: target.key}, **call_kwargs())
        except (AssertionError, FailureGroup) as exc:  # checks failed: report with the others
            problems.append(f"{op_id}: {exc}")
            return None

    def follow(op_id: str, response: Any, seen: tuple[str, ...]) -> None:
        source = ops[op_id]
        for name, target_id in source.links.items():
            link = _link(document, source, name)
            try:
                path = {
                    p: str(_evaluate(e, response)) for p, e in link.get("parameters", {}).items()
                }
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                problems.append(f"{op_id}.{name}: cannot evaluate its parameters ({exc})")
                continue
            answer = call(target_id, path)
            ok = answer is not None and 200 <= answer.status_code < 300
            RECORD.link(source.label, name, ok=ok, explored=False)
            if answer is not None and not ok:
                problems.append(
                    f"{op_id}.{name} -> {target_id}: {answer.status_code} {answer.text[:300]}"
                )
            if ok and target_id not in seen and ops[target_id].links:
                follow(target_id, answer, (*seen, target_id))

    roots = [op for op in ops.values() if op.links and "{" not in op.path]
    assert roots, "the spec has links but no operation to start from without an id"
    for root in roots:
        response = call(root.op_id, {})
        if response is None or not 200 <= response.status_code < 300:
            status = response.status_code if response is not None else "a failed check"
            problems.append(f"{root.op_id} (where the links start) answered {status}")
            continue
        follow(root.op_id, response, (root.op_id,))
    assert not problems, "the link walk failed:\n- " + "\n- ".join(problems)


def _link(document: dict, op: coverage.Operation, name: str) -> dict:
    item = document["paths"][op.path][op.method.lower()]
    for response in item.get("responses", {}).values():
        links = _resolve(document, response).get("links") or {}
        if name in links:
            return _resolve(document, links[name])
    raise KeyError(name)


@pytest.mark.skipif(OPTIONS.read_only, reason="--read-only: the stateful runs create tickets")
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
    # The exploration followed links of the spec to a 2xx (all of them: test_coverage).
    assert sum(RECORD.explored_links.values()) > 0, "the exploration followed no link to a 2xx"
    if target.receiver is not None:
        # The runs must have reached the receiver: actions were run, not only rejected.
        assert len(target.receiver.requests) > before, "no action reached the local receiver"
