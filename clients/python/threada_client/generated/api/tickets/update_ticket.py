from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.api_error import ApiError
from ...models.ticket_envelope import TicketEnvelope
from ...models.ticket_patch import TicketPatch
from ...types import Response


def _get_kwargs(
    ticket_id: str,
    *,
    body: TicketPatch,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/tickets/{ticket_id}".format(
            ticket_id=quote(str(ticket_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/merge-patch+json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiError | TicketEnvelope | None:
    if response.status_code == 200:
        response_200 = TicketEnvelope.from_dict(response.json())

        return response_200

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
) -> Response[ApiError | TicketEnvelope]:
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
    body: TicketPatch,
) -> Response[ApiError | TicketEnvelope]:
    """Update a ticket

     **Scope:** `support.write`.

    Changes a ticket's `subject`, `status`, `priority` or `tags` with
    JSON merge patch semantics (RFC 7396): send only the fields to change;
    `tags` replaces the whole list. `null` is refused, since none of these
    fields can be removed. `updated_at` moves to now when anything changes.
    A `closed` ticket can no longer change (`409 conflict`).

    Send the body as `application/merge-patch+json`; `application/json` is
    accepted too and means the same.

    Args:
        ticket_id (str):
        body (TicketPatch): The fields to change, as a JSON merge patch (RFC 7396): fields you
            leave
            out keep their value; `tags` replaces the whole list. None of these fields
            can be removed, so `null` is refused. Unknown fields are rejected. A
            `closed` ticket can no longer change.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | TicketEnvelope]
    """

    kwargs = _get_kwargs(
        ticket_id=ticket_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: TicketPatch,
) -> ApiError | TicketEnvelope | None:
    """Update a ticket

     **Scope:** `support.write`.

    Changes a ticket's `subject`, `status`, `priority` or `tags` with
    JSON merge patch semantics (RFC 7396): send only the fields to change;
    `tags` replaces the whole list. `null` is refused, since none of these
    fields can be removed. `updated_at` moves to now when anything changes.
    A `closed` ticket can no longer change (`409 conflict`).

    Send the body as `application/merge-patch+json`; `application/json` is
    accepted too and means the same.

    Args:
        ticket_id (str):
        body (TicketPatch): The fields to change, as a JSON merge patch (RFC 7396): fields you
            leave
            out keep their value; `tags` replaces the whole list. None of these fields
            can be removed, so `null` is refused. Unknown fields are rejected. A
            `closed` ticket can no longer change.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | TicketEnvelope
    """

    return sync_detailed(
        ticket_id=ticket_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: TicketPatch,
) -> Response[ApiError | TicketEnvelope]:
    """Update a ticket

     **Scope:** `support.write`.

    Changes a ticket's `subject`, `status`, `priority` or `tags` with
    JSON merge patch semantics (RFC 7396): send only the fields to change;
    `tags` replaces the whole list. `null` is refused, since none of these
    fields can be removed. `updated_at` moves to now when anything changes.
    A `closed` ticket can no longer change (`409 conflict`).

    Send the body as `application/merge-patch+json`; `application/json` is
    accepted too and means the same.

    Args:
        ticket_id (str):
        body (TicketPatch): The fields to change, as a JSON merge patch (RFC 7396): fields you
            leave
            out keep their value; `tags` replaces the whole list. None of these fields
            can be removed, so `null` is refused. Unknown fields are rejected. A
            `closed` ticket can no longer change.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | TicketEnvelope]
    """

    kwargs = _get_kwargs(
        ticket_id=ticket_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    ticket_id: str,
    *,
    client: AuthenticatedClient,
    body: TicketPatch,
) -> ApiError | TicketEnvelope | None:
    """Update a ticket

     **Scope:** `support.write`.

    Changes a ticket's `subject`, `status`, `priority` or `tags` with
    JSON merge patch semantics (RFC 7396): send only the fields to change;
    `tags` replaces the whole list. `null` is refused, since none of these
    fields can be removed. `updated_at` moves to now when anything changes.
    A `closed` ticket can no longer change (`409 conflict`).

    Send the body as `application/merge-patch+json`; `application/json` is
    accepted too and means the same.

    Args:
        ticket_id (str):
        body (TicketPatch): The fields to change, as a JSON merge patch (RFC 7396): fields you
            leave
            out keep their value; `tags` replaces the whole list. None of these fields
            can be removed, so `null` is refused. Unknown fields are rejected. A
            `closed` ticket can no longer change.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | TicketEnvelope
    """

    return (
        await asyncio_detailed(
            ticket_id=ticket_id,
            client=client,
            body=body,
        )
    ).parsed
