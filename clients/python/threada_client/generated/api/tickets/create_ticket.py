from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.api_error import ApiError
from ...models.ticket_create import TicketCreate
from ...models.ticket_envelope import TicketEnvelope
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: TicketCreate,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/tickets",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiError | TicketEnvelope | None:
    if response.status_code == 201:
        response_201 = TicketEnvelope.from_dict(response.json())

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
) -> Response[ApiError | TicketEnvelope]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TicketCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[ApiError | TicketEnvelope]:
    """Create a ticket

     **Scope:** `support.write`.

    Opens a ticket with its contact and first message. The message takes the
    ticket's channel. The ticket starts `open`, with priority `normal`
    unless you set one. Send an `Idempotency-Key` to make retries safe.

    Args:
        idempotency_key (str | Unset):
        body (TicketCreate): A new ticket with its first message. Unknown fields are rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | TicketEnvelope]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: TicketCreate,
    idempotency_key: str | Unset = UNSET,
) -> ApiError | TicketEnvelope | None:
    """Create a ticket

     **Scope:** `support.write`.

    Opens a ticket with its contact and first message. The message takes the
    ticket's channel. The ticket starts `open`, with priority `normal`
    unless you set one. Send an `Idempotency-Key` to make retries safe.

    Args:
        idempotency_key (str | Unset):
        body (TicketCreate): A new ticket with its first message. Unknown fields are rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | TicketEnvelope
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TicketCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[ApiError | TicketEnvelope]:
    """Create a ticket

     **Scope:** `support.write`.

    Opens a ticket with its contact and first message. The message takes the
    ticket's channel. The ticket starts `open`, with priority `normal`
    unless you set one. Send an `Idempotency-Key` to make retries safe.

    Args:
        idempotency_key (str | Unset):
        body (TicketCreate): A new ticket with its first message. Unknown fields are rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | TicketEnvelope]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: TicketCreate,
    idempotency_key: str | Unset = UNSET,
) -> ApiError | TicketEnvelope | None:
    """Create a ticket

     **Scope:** `support.write`.

    Opens a ticket with its contact and first message. The message takes the
    ticket's channel. The ticket starts `open`, with priority `normal`
    unless you set one. Send an `Idempotency-Key` to make retries safe.

    Args:
        idempotency_key (str | Unset):
        body (TicketCreate): A new ticket with its first message. Unknown fields are rejected.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | TicketEnvelope
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
