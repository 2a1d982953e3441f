from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.action_create import ActionCreate
from ...models.action_envelope import ActionEnvelope
from ...models.api_error import ApiError
from ...types import UNSET, Response, Unset


def _get_kwargs(
    ticket_id: str,
    *,
    body: ActionCreate,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/tickets/{ticket_id}/actions".format(
            ticket_id=quote(str(ticket_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ActionEnvelope | ApiError | None:
    if response.status_code == 201:
        response_201 = ActionEnvelope.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = ApiError.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ApiError.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ApiError.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ApiError.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ApiError.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = ApiError.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = ApiError.from_dict(response.json())

        return response_415

    if response.status_code == 429:
        response_429 = ApiError.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ApiError.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ApiError.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ActionEnvelope | ApiError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: ActionCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[ActionEnvelope | ApiError]:
    """Run an action

     **Scope:** `support.actions`.

    Runs a `custom_http` action for the ticket: sends the request to
    `url` joined to your tenant's actions base URL, within this request,
    and answers with the outcome (`succeeded` for a 2xx answer, `failed`
    otherwise, with `result` telling why). The call times out after a few
    seconds, follows no redirects, and may only reach public addresses.

    The answer is `201` whether the target succeeded or not: the action was
    recorded either way. A tenant without an actions base URL gets `409
    conflict` and nothing is sent. With an `Idempotency-Key`, a retry
    returns the recorded action and never calls the target twice; an action
    whose call was cut off (the server stopped mid-way) is recorded as
    `failed` with the error `interrupted`, and a retry returns that.

    A tenant has at most a few actions in flight at once (4 unless your
    administrator set another number), and the server has a limit for all
    tenants together; past either the answer is `429 rate_limited` with
    `Retry-After`, and the message says which limit was reached.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset):
        body (ActionCreate): The action to run. Unknown fields are rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ActionEnvelope | ApiError]
    """

    kwargs = _get_kwargs(
        ticket_id=ticket_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: ActionCreate,
    idempotency_key: str | Unset = UNSET,
) -> ActionEnvelope | ApiError | None:
    """Run an action

     **Scope:** `support.actions`.

    Runs a `custom_http` action for the ticket: sends the request to
    `url` joined to your tenant's actions base URL, within this request,
    and answers with the outcome (`succeeded` for a 2xx answer, `failed`
    otherwise, with `result` telling why). The call times out after a few
    seconds, follows no redirects, and may only reach public addresses.

    The answer is `201` whether the target succeeded or not: the action was
    recorded either way. A tenant without an actions base URL gets `409
    conflict` and nothing is sent. With an `Idempotency-Key`, a retry
    returns the recorded action and never calls the target twice; an action
    whose call was cut off (the server stopped mid-way) is recorded as
    `failed` with the error `interrupted`, and a retry returns that.

    A tenant has at most a few actions in flight at once (4 unless your
    administrator set another number), and the server has a limit for all
    tenants together; past either the answer is `429 rate_limited` with
    `Retry-After`, and the message says which limit was reached.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset):
        body (ActionCreate): The action to run. Unknown fields are rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ActionEnvelope | ApiError
    """

    return sync_detailed(
        ticket_id=ticket_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: ActionCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[ActionEnvelope | ApiError]:
    """Run an action

     **Scope:** `support.actions`.

    Runs a `custom_http` action for the ticket: sends the request to
    `url` joined to your tenant's actions base URL, within this request,
    and answers with the outcome (`succeeded` for a 2xx answer, `failed`
    otherwise, with `result` telling why). The call times out after a few
    seconds, follows no redirects, and may only reach public addresses.

    The answer is `201` whether the target succeeded or not: the action was
    recorded either way. A tenant without an actions base URL gets `409
    conflict` and nothing is sent. With an `Idempotency-Key`, a retry
    returns the recorded action and never calls the target twice; an action
    whose call was cut off (the server stopped mid-way) is recorded as
    `failed` with the error `interrupted`, and a retry returns that.

    A tenant has at most a few actions in flight at once (4 unless your
    administrator set another number), and the server has a limit for all
    tenants together; past either the answer is `429 rate_limited` with
    `Retry-After`, and the message says which limit was reached.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset):
        body (ActionCreate): The action to run. Unknown fields are rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ActionEnvelope | ApiError]
    """

    kwargs = _get_kwargs(
        ticket_id=ticket_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: ActionCreate,
    idempotency_key: str | Unset = UNSET,
) -> ActionEnvelope | ApiError | None:
    """Run an action

     **Scope:** `support.actions`.

    Runs a `custom_http` action for the ticket: sends the request to
    `url` joined to your tenant's actions base URL, within this request,
    and answers with the outcome (`succeeded` for a 2xx answer, `failed`
    otherwise, with `result` telling why). The call times out after a few
    seconds, follows no redirects, and may only reach public addresses.

    The answer is `201` whether the target succeeded or not: the action was
    recorded either way. A tenant without an actions base URL gets `409
    conflict` and nothing is sent. With an `Idempotency-Key`, a retry
    returns the recorded action and never calls the target twice; an action
    whose call was cut off (the server stopped mid-way) is recorded as
    `failed` with the error `interrupted`, and a retry returns that.

    A tenant has at most a few actions in flight at once (4 unless your
    administrator set another number), and the server has a limit for all
    tenants together; past either the answer is `429 rate_limited` with
    `Retry-After`, and the message says which limit was reached.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset):
        body (ActionCreate): The action to run. Unknown fields are rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ActionEnvelope | ApiError
    """

    return (
        await asyncio_detailed(
            ticket_id=ticket_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
