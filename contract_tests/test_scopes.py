"""Scopes and auth, for every operation, on real resources: deterministic, not left to chance.

The `scopes_enforced` check probes each operation once during the generated
runs; this test makes sure every operation is probed with valid data, whatever
Hypothesis draws: each key lacking the operation's scope gets 403
permission_denied, each sufficient key gets a 2xx, no key and a wrong key get
401 authentication_failed, all in the envelope.
"""

from __future__ import annotations

import re

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
from contract_tests.runtime import OPTIONS, SAFE_METHODS, call_kwargs
from contract_tests.targets import Target

schema = session_schema()
OPERATION_IDS = [op.definition.raw["operationId"] for op in operations(schema)]


@pytest.fixture(scope="module")
def resources(target: Target) -> dict[str, str]:
    """A ticket and an action on it, made with the full key (read-only: the tenant's own)."""
    if OPTIONS.read_only:
        from contract_tests.conftest import RESOURCES

        found = next((r for r in RESOURCES.values() if "action_id" in r), None)
        found = found or next(iter(RESOURCES.values()), None)
        if not found:
            pytest.fail(
                "--read-only: the tenant has no ticket to read (a read-only run makes none)"
            )
        return dict(found)
    endpoint_id = _new_endpoint(target)
    ticket = create_ticket(schema, target.key)
    ticket_id = ticket["summary"]["ticket_id"]
    _, response = send(
        schema,
        "runAction",
        target.key,
        path={"ticket_id": ticket_id},
        body=request_example(schema, _op("runAction")),
    )
    if response.status_code != 201:  # the tests that need it say so; coverage says why
        return {
            "ticket_id": ticket_id,
            "endpoint_id": endpoint_id,
            "_no_action_id": f"runAction answered {response.text}",
        }
    action_id = response.json()["action"]["action_id"]
    _, response = send(
        schema, "listWebhookDeliveries", target.key, path={"endpoint_id": endpoint_id}
    )
    assert response.status_code == 200 and response.json()["items"], response.text
    return {
        "ticket_id": ticket_id,
        "action_id": action_id,
        "endpoint_id": endpoint_id,
        "delivery_id": response.json()["items"][-1]["delivery_id"],
    }


def _new_endpoint(target: Target) -> str:
    endpoint = request_example(schema, _op("createWebhookEndpoint"))
    if target.receiver is not None:  # the in-process server: only its receiver, never out
        endpoint["url"] = target.receiver.url + "/webhooks"
    else:  # a live deployment: a host no resolver answers (conftest.NOWHERE_URL)
        from contract_tests.conftest import NOWHERE_URL

        endpoint["url"] = NOWHERE_URL
    _, response = send(schema, "createWebhookEndpoint", target.key, body=endpoint)
    assert response.status_code == 201, response.text
    return response.json()["webhook_endpoint"]["endpoint_id"]


def _op(operation_id: str):
    return next(o for o in operations(schema) if o.definition.raw["operationId"] == operation_id)


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_scopes_and_auth(operation_id: str, target: Target, resources: dict[str, str]) -> None:
    op = _op(operation_id)
    if OPTIONS.read_only and op.method.upper() not in SAFE_METHODS:
        pytest.skip("--read-only: a sufficient key would write")
    deletes = op.method.upper() == "DELETE"
    if operation_id in ("updateWebhookEndpoint", "deleteWebhookEndpoint"):
        # An endpoint of its own (the example pauses it; delete removes it): the other
        # operations keep theirs enabled.
        resources = {**resources, "endpoint_id": _new_endpoint(target)}
    missing = [name for name in re.findall(r"{(\w+)}", op.path) if name not in resources]
    if missing and OPTIONS.read_only:
        pytest.skip(f"--read-only: the tenant has no {', '.join(missing)} to read")
    if missing:
        pytest.fail(f"no {', '.join(missing)} to call {op.label} with: {resources}")
    path = {name: resources[name] for name in resources if name in op.path_parameters}
    kwargs = {"path_parameters": path}
    body = request_example(schema, op)
    if body is not None:
        kwargs.update(body=body, media_type=request_media_type(op))
    case = op.Case(**kwargs)
    # The happy path first, with every check (schemas, headers, ...) on a real resource.
    response = case.call_and_validate(headers={checks.API_KEY_HEADER: target.key}, **call_kwargs())
    assert 200 <= response.status_code < 300, response.text
    if not target.scoped_keys:
        # Keys of known scopes are needed for the 403s; no key and a wrong key need none.
        problems = checks.probe_with_keys(
            case, expect_success=not deletes, only_unauthenticated=True
        )
    else:
        problems = checks.probe_with_keys(case, expect_success=not deletes)
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
    """Real page tokens walk the tickets once each (the generated runs cannot forge one).

    Against a live tenant (which may hold many tickets) the walk stops after 12 pages:
    the 3 tickets made here are the most recently active, so they come first.
    """
    created = set()
    if not OPTIONS.read_only:
        created = {create_ticket(schema, target.key)["summary"]["ticket_id"] for _ in range(3)}
    seen: list[str] = []
    query: dict = {"limit": 1}
    for _ in range(12 if target.base_url else 1000):
        _, response = send(schema, "listTickets", target.key, query=query)
        page = response.json()
        seen += [item["ticket_id"] for item in page["items"]]
        if not page["next_page_token"]:
            break
        query = {"limit": 1, "page_token": page["next_page_token"]}
    assert len(seen) == len(set(seen)), "a ticket came back twice"
    assert created <= set(seen), "a created ticket was never listed"
