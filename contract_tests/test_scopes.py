"""Scopes and auth, for every operation, on real resources: deterministic, not left to chance.

The `scopes_enforced` check probes each operation once during the generated
runs; this test makes sure every operation is probed with valid data, whatever
Hypothesis draws: each key lacking the operation's scope gets 403
permission_denied, each sufficient key gets a 2xx, no key and a wrong key get
401 authentication_failed, all in the envelope.
"""

from __future__ import annotations

import pytest

from contract_tests import checks
from contract_tests.conftest import session_schema
from contract_tests.helpers import (
    create_ticket,
    operations,
    request_example,
    request_media_type,
    send,
)
from contract_tests.targets import Target

schema = session_schema()
OPERATION_IDS = [op.definition.raw["operationId"] for op in operations(schema)]


@pytest.fixture(scope="module")
def resources(target: Target) -> dict[str, str]:
    """A ticket and an action on it, made with the full key."""
    ticket = create_ticket(schema, target.key)
    ticket_id = ticket["summary"]["ticket_id"]
    _, response = send(
        schema,
        "runAction",
        target.key,
        path={"ticket_id": ticket_id},
        body=request_example(schema, _op("runAction")),
    )
    assert response.status_code == 201, response.text
    return {"ticket_id": ticket_id, "action_id": response.json()["action"]["action_id"]}


def _op(operation_id: str):
    return next(o for o in operations(schema) if o.definition.raw["operationId"] == operation_id)


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_scopes_and_auth(operation_id: str, target: Target, resources: dict[str, str]) -> None:
    if not target.scoped_keys:
        pytest.skip(
            "live target without keys of known scopes: pass --scoped-key SCOPES=KEY "
            "(CONTRACT_SCOPED_KEYS) to test scopes"
        )
    op = _op(operation_id)
    path = {name: resources[name] for name in resources if name in op.path_parameters}
    kwargs = {"path_parameters": path}
    body = request_example(schema, op)
    if body is not None:
        kwargs.update(body=body, media_type=request_media_type(op))
    case = op.Case(**kwargs)
    # The happy path first, with every check (schemas, headers, ...) on a real resource.
    response = case.call_and_validate(headers={checks.API_KEY_HEADER: target.key})
    assert 200 <= response.status_code < 300, response.text
    problems = checks.probe_with_keys(case, expect_success=True)
    assert not problems, f"{op.label}:\n- " + "\n- ".join(problems)


def test_every_scope_set_is_covered(target: Target) -> None:
    """The keys cover, for every operation, at least one lacking and one sufficient scope set."""
    if not target.scoped_keys:
        pytest.skip("live target without keys of known scopes")
    facts = checks.facts_from(schema.raw_schema)
    for op_id, alternatives in facts.scopes.items():
        assert alternatives, f"{op_id} declares no scope"
        verdicts = {checks.sufficient(s, alternatives) for s in target.scoped_keys}
        assert verdicts == {True, False}, f"{op_id}: keys do not cover both outcomes"


def test_pagination_follows_real_tokens(target: Target) -> None:
    """Real page tokens walk every ticket once (the generated runs cannot forge one)."""
    created = {create_ticket(schema, target.key)["summary"]["ticket_id"] for _ in range(3)}
    seen: list[str] = []
    query: dict = {"limit": 1}
    for _ in range(1000):
        _, response = send(schema, "listTickets", target.key, query=query)
        page = response.json()
        seen += [item["ticket_id"] for item in page["items"]]
        if not page["next_page_token"]:
            break
        query = {"limit": 1, "page_token": page["next_page_token"]}
    assert len(seen) == len(set(seen)), "a ticket came back twice"
    assert created <= set(seen), "a created ticket was never listed"
