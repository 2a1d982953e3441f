"""Building real requests from the spec: its request examples, and real resources to act on."""

from __future__ import annotations

import copy
from typing import Any

import schemathesis

from contract_tests.checks import API_KEY_HEADER, _resolve
from contract_tests.runtime import call_kwargs


def operations(schema: schemathesis.BaseSchema) -> list[schemathesis.APIOperation]:
    return [result.ok() for result in schema.get_all_operations()]


def operation_by_id(
    schema: schemathesis.BaseSchema, operation_id: str
) -> schemathesis.APIOperation:
    for op in operations(schema):
        if op.definition.raw.get("operationId") == operation_id:
            return op
    raise KeyError(operation_id)


def request_media_type(op: schemathesis.APIOperation) -> str:
    """The operation's JSON request media type (`application/json` or a `+json` one,
    such as the PATCH's `application/merge-patch+json`)."""
    content = op.definition.raw.get("requestBody", {}).get("content", {})
    return next(
        (m for m in content if m == "application/json" or m.endswith("+json")),
        "application/json",
    )


def request_example(schema: schemathesis.BaseSchema, op: schemathesis.APIOperation) -> Any:
    """The first named example of the operation's JSON request body (None without a body)."""
    document = schema.raw_schema
    body = _resolve(document, op.definition.raw.get("requestBody"))
    if not body:
        return None
    media = body["content"][request_media_type(op)]
    if "examples" in media:
        first = next(iter(media["examples"].values()))
        return copy.deepcopy(_resolve(document, first)["value"])
    return copy.deepcopy(media["example"])


def send(
    schema: schemathesis.BaseSchema,
    operation_id: str,
    key: str,
    *,
    path: dict[str, str] | None = None,
    query: dict[str, Any] | None = None,
    body: Any = None,
    validate: bool = True,
) -> tuple[schemathesis.Case, schemathesis.Response]:
    """Send one real request with `key`; validate it with every check unless told not to."""
    op = operation_by_id(schema, operation_id)
    kwargs: dict[str, Any] = {"path_parameters": path or {}, "query": query or {}}
    if body is not None:
        kwargs["body"] = body
        kwargs["media_type"] = request_media_type(op)
    case = op.Case(**kwargs)
    headers = {API_KEY_HEADER: key}
    if validate:
        response = case.call_and_validate(headers=headers, **call_kwargs())
    else:
        response = case.call(headers=headers, **call_kwargs())
    return case, response


def create_ticket(
    schema: schemathesis.BaseSchema, key: str, *, validate: bool = True, **overrides: Any
) -> dict:
    body = request_example(schema, operation_by_id(schema, "createTicket"))
    body.update(overrides)
    _, response = send(schema, "createTicket", key, body=body, validate=validate)
    assert response.status_code == 201, response.text
    return response.json()["ticket"]
