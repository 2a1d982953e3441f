from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.api_error import ApiError
from ...models.message_create import MessageCreate
from ...models.message_envelope import MessageEnvelope
from ...types import UNSET, Response, Unset


def _get_kwargs(
    ticket_id: str,
    *,
    body: MessageCreate,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/tickets/{ticket_id}/messages".format(
            ticket_id=quote(str(ticket_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiError | MessageEnvelope | None:
    if response.status_code == 200:
        response_200 = MessageEnvelope.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = MessageEnvelope.from_dict(response.json())

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
) -> Response[ApiError | MessageEnvelope]:
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
    body: MessageCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[ApiError | MessageEnvelope]:
    """Add a message

     **Scope:** `support.write`.

    Adds a message to the ticket's conversation and moves the ticket's
    `last_message_at` and `updated_at` to now. The message takes the
    ticket's channel unless you give one. A customer (`user`) message on a
    `solved` ticket reopens it. A `closed` ticket takes no messages
    (`409 conflict`).

    If a message with the same `external_message_id` already exists on the
    ticket, nothing is added: the existing message is returned with `200`.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset):
        body (MessageCreate): A message to add to a ticket's conversation. Unknown fields are
            rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | MessageEnvelope]
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
    body: MessageCreate,
    idempotency_key: str | Unset = UNSET,
) -> ApiError | MessageEnvelope | None:
    """Add a message

     **Scope:** `support.write`.

    Adds a message to the ticket's conversation and moves the ticket's
    `last_message_at` and `updated_at` to now. The message takes the
    ticket's channel unless you give one. A customer (`user`) message on a
    `solved` ticket reopens it. A `closed` ticket takes no messages
    (`409 conflict`).

    If a message with the same `external_message_id` already exists on the
    ticket, nothing is added: the existing message is returned with `200`.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset):
        body (MessageCreate): A message to add to a ticket's conversation. Unknown fields are
            rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | MessageEnvelope
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
    body: MessageCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[ApiError | MessageEnvelope]:
    """Add a message

     **Scope:** `support.write`.

    Adds a message to the ticket's conversation and moves the ticket's
    `last_message_at` and `updated_at` to now. The message takes the
    ticket's channel unless you give one. A customer (`user`) message on a
    `solved` ticket reopens it. A `closed` ticket takes no messages
    (`409 conflict`).

    If a message with the same `external_message_id` already exists on the
    ticket, nothing is added: the existing message is returned with `200`.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset):
        body (MessageCreate): A message to add to a ticket's conversation. Unknown fields are
            rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | MessageEnvelope]
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
    body: MessageCreate,
    idempotency_key: str | Unset = UNSET,
) -> ApiError | MessageEnvelope | None:
    """Add a message

     **Scope:** `support.write`.

    Adds a message to the ticket's conversation and moves the ticket's
    `last_message_at` and `updated_at` to now. The message takes the
    ticket's channel unless you give one. A customer (`user`) message on a
    `solved` ticket reopens it. A `closed` ticket takes no messages
    (`409 conflict`).

    If a message with the same `external_message_id` already exists on the
    ticket, nothing is added: the existing message is returned with `200`.

    Args:
        ticket_id (str):
        idempotency_key (str | Unset):
        body (MessageCreate): A message to add to a ticket's conversation. Unknown fields are
            rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | MessageEnvelope
    """

    return (
        await asyncio_detailed(
            ticket_id=ticket_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
