from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.api_error import ApiError
from ...models.webhook_delivery_list import WebhookDeliveryList
from ...models.webhook_delivery_status import WebhookDeliveryStatus
from ...types import UNSET, Response, Unset


def _get_kwargs(
    endpoint_id: str,
    *,
    status: WebhookDeliveryStatus | Unset = UNSET,
    limit: int | Unset = 25,
    page_token: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    params["limit"] = limit

    params["page_token"] = page_token

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/webhook_endpoints/{endpoint_id}/deliveries".format(
            endpoint_id=quote(str(endpoint_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiError | WebhookDeliveryList | None:
    if response.status_code == 200:
        response_200 = WebhookDeliveryList.from_dict(response.json())

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
) -> Response[ApiError | WebhookDeliveryList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    endpoint_id: str,
    *,
    client: AuthenticatedClient,
    status: WebhookDeliveryStatus | Unset = UNSET,
    limit: int | Unset = 25,
    page_token: str | Unset = UNSET,
) -> Response[ApiError | WebhookDeliveryList]:
    """List an endpoint's deliveries

     **Scope:** `support.webhooks`.

    The endpoint's deliveries, newest first (by `created_at`, ties broken by `delivery_id`): status,
    attempts, the last answer's status code and excerpt, and when the next attempt is due. Kept for 30
    days.

    Args:
        endpoint_id (str):
        status (WebhookDeliveryStatus | Unset): - `pending`: not delivered yet; `next_attempt_at`
            says when it is tried (again). While
              the endpoint is disabled its pending deliveries wait, and go out once it is enabled;
            - `succeeded`: your endpoint answered 2xx;
            - `failed`: every attempt of the retry schedule failed (redeliver it to try again).
        limit (int | Unset):  Default: 25.
        page_token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | WebhookDeliveryList]
    """

    kwargs = _get_kwargs(
        endpoint_id=endpoint_id,
        status=status,
        limit=limit,
        page_token=page_token,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    endpoint_id: str,
    *,
    client: AuthenticatedClient,
    status: WebhookDeliveryStatus | Unset = UNSET,
    limit: int | Unset = 25,
    page_token: str | Unset = UNSET,
) -> ApiError | WebhookDeliveryList | None:
    """List an endpoint's deliveries

     **Scope:** `support.webhooks`.

    The endpoint's deliveries, newest first (by `created_at`, ties broken by `delivery_id`): status,
    attempts, the last answer's status code and excerpt, and when the next attempt is due. Kept for 30
    days.

    Args:
        endpoint_id (str):
        status (WebhookDeliveryStatus | Unset): - `pending`: not delivered yet; `next_attempt_at`
            says when it is tried (again). While
              the endpoint is disabled its pending deliveries wait, and go out once it is enabled;
            - `succeeded`: your endpoint answered 2xx;
            - `failed`: every attempt of the retry schedule failed (redeliver it to try again).
        limit (int | Unset):  Default: 25.
        page_token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | WebhookDeliveryList
    """

    return sync_detailed(
        endpoint_id=endpoint_id,
        client=client,
        status=status,
        limit=limit,
        page_token=page_token,
    ).parsed


async def asyncio_detailed(
    endpoint_id: str,
    *,
    client: AuthenticatedClient,
    status: WebhookDeliveryStatus | Unset = UNSET,
    limit: int | Unset = 25,
    page_token: str | Unset = UNSET,
) -> Response[ApiError | WebhookDeliveryList]:
    """List an endpoint's deliveries

     **Scope:** `support.webhooks`.

    The endpoint's deliveries, newest first (by `created_at`, ties broken by `delivery_id`): status,
    attempts, the last answer's status code and excerpt, and when the next attempt is due. Kept for 30
    days.

    Args:
        endpoint_id (str):
        status (WebhookDeliveryStatus | Unset): - `pending`: not delivered yet; `next_attempt_at`
            says when it is tried (again). While
              the endpoint is disabled its pending deliveries wait, and go out once it is enabled;
            - `succeeded`: your endpoint answered 2xx;
            - `failed`: every attempt of the retry schedule failed (redeliver it to try again).
        limit (int | Unset):  Default: 25.
        page_token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | WebhookDeliveryList]
    """

    kwargs = _get_kwargs(
        endpoint_id=endpoint_id,
        status=status,
        limit=limit,
        page_token=page_token,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    endpoint_id: str,
    *,
    client: AuthenticatedClient,
    status: WebhookDeliveryStatus | Unset = UNSET,
    limit: int | Unset = 25,
    page_token: str | Unset = UNSET,
) -> ApiError | WebhookDeliveryList | None:
    """List an endpoint's deliveries

     **Scope:** `support.webhooks`.

    The endpoint's deliveries, newest first (by `created_at`, ties broken by `delivery_id`): status,
    attempts, the last answer's status code and excerpt, and when the next attempt is due. Kept for 30
    days.

    Args:
        endpoint_id (str):
        status (WebhookDeliveryStatus | Unset): - `pending`: not delivered yet; `next_attempt_at`
            says when it is tried (again). While
              the endpoint is disabled its pending deliveries wait, and go out once it is enabled;
            - `succeeded`: your endpoint answered 2xx;
            - `failed`: every attempt of the retry schedule failed (redeliver it to try again).
        limit (int | Unset):  Default: 25.
        page_token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | WebhookDeliveryList
    """

    return (
        await asyncio_detailed(
            endpoint_id=endpoint_id,
            client=client,
            status=status,
            limit=limit,
            page_token=page_token,
        )
    ).parsed
