import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.api_error import ApiError
from ...models.channel import Channel
from ...models.ticket_list import TicketList
from ...models.ticket_priority import TicketPriority
from ...models.ticket_status import TicketStatus
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: list[TicketStatus] | Unset = UNSET,
    channel: list[Channel] | Unset = UNSET,
    priority: list[TicketPriority] | Unset = UNSET,
    tag: str | Unset = UNSET,
    updated_after: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 25,
    page_token: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: list[str] | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = []
        for status_item_data in status:
            status_item = status_item_data.value
            json_status.append(status_item)

    params["status"] = json_status

    json_channel: list[str] | Unset = UNSET
    if not isinstance(channel, Unset):
        json_channel = []
        for channel_item_data in channel:
            channel_item = channel_item_data.value
            json_channel.append(channel_item)

    params["channel"] = json_channel

    json_priority: list[str] | Unset = UNSET
    if not isinstance(priority, Unset):
        json_priority = []
        for priority_item_data in priority:
            priority_item = priority_item_data.value
            json_priority.append(priority_item)

    params["priority"] = json_priority

    params["tag"] = tag

    json_updated_after: str | Unset = UNSET
    if not isinstance(updated_after, Unset):
        json_updated_after = updated_after.isoformat()
    params["updated_after"] = json_updated_after

    params["limit"] = limit

    params["page_token"] = page_token

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/tickets",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiError | TicketList | None:
    if response.status_code == 200:
        response_200 = TicketList.from_dict(response.json())

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
) -> Response[ApiError | TicketList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    status: list[TicketStatus] | Unset = UNSET,
    channel: list[Channel] | Unset = UNSET,
    priority: list[TicketPriority] | Unset = UNSET,
    tag: str | Unset = UNSET,
    updated_after: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 25,
    page_token: str | Unset = UNSET,
) -> Response[ApiError | TicketList]:
    """List tickets

     **Scope:** `support.read`.

    Lists your tenant's tickets across all channels, most recently active
    first (by `updated_at`, newest first; ties broken by `ticket_id`, so
    the order is total and stable). Without a `status` filter only `open`
    tickets are listed. Filters combine with AND; values of one filter
    combine with OR.

    Pages are cut by position: tickets created while you page appear on no
    later page and shift nothing. A ticket updated while you page moves to
    the front of the list, so it may be missed by a walk that is under way;
    use `updated_after` to catch up on changes.

    Args:
        status (list[TicketStatus] | Unset):
        channel (list[Channel] | Unset):
        priority (list[TicketPriority] | Unset):
        tag (str | Unset): A label on a ticket. Lowercase letters, digits, `-` and `_`, starting
            with a letter or digit.
        updated_after (datetime.datetime | Unset):
        limit (int | Unset):  Default: 25.
        page_token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | TicketList]
    """

    kwargs = _get_kwargs(
        status=status,
        channel=channel,
        priority=priority,
        tag=tag,
        updated_after=updated_after,
        limit=limit,
        page_token=page_token,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    status: list[TicketStatus] | Unset = UNSET,
    channel: list[Channel] | Unset = UNSET,
    priority: list[TicketPriority] | Unset = UNSET,
    tag: str | Unset = UNSET,
    updated_after: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 25,
    page_token: str | Unset = UNSET,
) -> ApiError | TicketList | None:
    """List tickets

     **Scope:** `support.read`.

    Lists your tenant's tickets across all channels, most recently active
    first (by `updated_at`, newest first; ties broken by `ticket_id`, so
    the order is total and stable). Without a `status` filter only `open`
    tickets are listed. Filters combine with AND; values of one filter
    combine with OR.

    Pages are cut by position: tickets created while you page appear on no
    later page and shift nothing. A ticket updated while you page moves to
    the front of the list, so it may be missed by a walk that is under way;
    use `updated_after` to catch up on changes.

    Args:
        status (list[TicketStatus] | Unset):
        channel (list[Channel] | Unset):
        priority (list[TicketPriority] | Unset):
        tag (str | Unset): A label on a ticket. Lowercase letters, digits, `-` and `_`, starting
            with a letter or digit.
        updated_after (datetime.datetime | Unset):
        limit (int | Unset):  Default: 25.
        page_token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | TicketList
    """

    return sync_detailed(
        client=client,
        status=status,
        channel=channel,
        priority=priority,
        tag=tag,
        updated_after=updated_after,
        limit=limit,
        page_token=page_token,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    status: list[TicketStatus] | Unset = UNSET,
    channel: list[Channel] | Unset = UNSET,
    priority: list[TicketPriority] | Unset = UNSET,
    tag: str | Unset = UNSET,
    updated_after: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 25,
    page_token: str | Unset = UNSET,
) -> Response[ApiError | TicketList]:
    """List tickets

     **Scope:** `support.read`.

    Lists your tenant's tickets across all channels, most recently active
    first (by `updated_at`, newest first; ties broken by `ticket_id`, so
    the order is total and stable). Without a `status` filter only `open`
    tickets are listed. Filters combine with AND; values of one filter
    combine with OR.

    Pages are cut by position: tickets created while you page appear on no
    later page and shift nothing. A ticket updated while you page moves to
    the front of the list, so it may be missed by a walk that is under way;
    use `updated_after` to catch up on changes.

    Args:
        status (list[TicketStatus] | Unset):
        channel (list[Channel] | Unset):
        priority (list[TicketPriority] | Unset):
        tag (str | Unset): A label on a ticket. Lowercase letters, digits, `-` and `_`, starting
            with a letter or digit.
        updated_after (datetime.datetime | Unset):
        limit (int | Unset):  Default: 25.
        page_token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiError | TicketList]
    """

    kwargs = _get_kwargs(
        status=status,
        channel=channel,
        priority=priority,
        tag=tag,
        updated_after=updated_after,
        limit=limit,
        page_token=page_token,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    status: list[TicketStatus] | Unset = UNSET,
    channel: list[Channel] | Unset = UNSET,
    priority: list[TicketPriority] | Unset = UNSET,
    tag: str | Unset = UNSET,
    updated_after: datetime.datetime | Unset = UNSET,
    limit: int | Unset = 25,
    page_token: str | Unset = UNSET,
) -> ApiError | TicketList | None:
    """List tickets

     **Scope:** `support.read`.

    Lists your tenant's tickets across all channels, most recently active
    first (by `updated_at`, newest first; ties broken by `ticket_id`, so
    the order is total and stable). Without a `status` filter only `open`
    tickets are listed. Filters combine with AND; values of one filter
    combine with OR.

    Pages are cut by position: tickets created while you page appear on no
    later page and shift nothing. A ticket updated while you page moves to
    the front of the list, so it may be missed by a walk that is under way;
    use `updated_after` to catch up on changes.

    Args:
        status (list[TicketStatus] | Unset):
        channel (list[Channel] | Unset):
        priority (list[TicketPriority] | Unset):
        tag (str | Unset): A label on a ticket. Lowercase letters, digits, `-` and `_`, starting
            with a letter or digit.
        updated_after (datetime.datetime | Unset):
        limit (int | Unset):  Default: 25.
        page_token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiError | TicketList
    """

    return (
        await asyncio_detailed(
            client=client,
            status=status,
            channel=channel,
            priority=priority,
            tag=tag,
            updated_after=updated_after,
            limit=limit,
            page_token=page_token,
        )
    ).parsed
