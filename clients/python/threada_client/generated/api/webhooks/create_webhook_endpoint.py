from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.api_error import ApiError
from ...models.webhook_endpoint_create import WebhookEndpointCreate
from ...models.webhook_endpoint_with_secret import WebhookEndpointWithSecret
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: WebhookEndpointCreate,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/webhook_endpoints",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiError | WebhookEndpointWithSecret | None:
    if response.status_code == 201:
        response_201 = WebhookEndpointWithSecret.from_dict(response.json())

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
) -> Response[ApiError | WebhookEndpointWithSecret]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: WebhookEndpointCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[ApiError | WebhookEndpointWithSecret]:
    """Register a webhook endpoint

     **Scope:** `support.webhooks`.

    Registers a URL that receives the tenant's events from now on (`POST`, JSON, signed; see the
    `webhooks` section). The answer carries the signing `secret`, **shown this once**.

    The URL must be `http(s)://` with a host that resolves to public addresses only: a loopback,
    private, link-local or metadata address is refused with `400 invalid_request` (and checked again at
    every delivery).

    Args:
        idempotency_key (str | Unset):
        body (WebhookEndpointCreate): A new webhook endpoint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | WebhookEndpointWithSecret]
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
    body: WebhookEndpointCreate,
    idempotency_key: str | Unset = UNSET,
) -> ApiError | WebhookEndpointWithSecret | None:
    """Register a webhook endpoint

     **Scope:** `support.webhooks`.

    Registers a URL that receives the tenant's events from now on (`POST`, JSON, signed; see the
    `webhooks` section). The answer carries the signing `secret`, **shown this once**.

    The URL must be `http(s)://` with a host that resolves to public addresses only: a loopback,
    private, link-local or metadata address is refused with `400 invalid_request` (and checked again at
    every delivery).

    Args:
        idempotency_key (str | Unset):
        body (WebhookEndpointCreate): A new webhook endpoint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | WebhookEndpointWithSecret
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: WebhookEndpointCreate,
    idempotency_key: str | Unset = UNSET,
) -> Response[ApiError | WebhookEndpointWithSecret]:
    """Register a webhook endpoint

     **Scope:** `support.webhooks`.

    Registers a URL that receives the tenant's events from now on (`POST`, JSON, signed; see the
    `webhooks` section). The answer carries the signing `secret`, **shown this once**.

    The URL must be `http(s)://` with a host that resolves to public addresses only: a loopback,
    private, link-local or metadata address is refused with `400 invalid_request` (and checked again at
    every delivery).

    Args:
        idempotency_key (str | Unset):
        body (WebhookEndpointCreate): A new webhook endpoint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | WebhookEndpointWithSecret]
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
    body: WebhookEndpointCreate,
    idempotency_key: str | Unset = UNSET,
) -> ApiError | WebhookEndpointWithSecret | None:
    """Register a webhook endpoint

     **Scope:** `support.webhooks`.

    Registers a URL that receives the tenant's events from now on (`POST`, JSON, signed; see the
    `webhooks` section). The answer carries the signing `secret`, **shown this once**.

    The URL must be `http(s)://` with a host that resolves to public addresses only: a loopback,
    private, link-local or metadata address is refused with `400 invalid_request` (and checked again at
    every delivery).

    Args:
        idempotency_key (str | Unset):
        body (WebhookEndpointCreate): A new webhook endpoint.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | WebhookEndpointWithSecret
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
