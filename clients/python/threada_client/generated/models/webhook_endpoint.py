from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.webhook_event_type import WebhookEventType

T = TypeVar("T", bound="WebhookEndpoint")


@_attrs_define
class WebhookEndpoint:
    """A URL of yours that receives the tenant's events, signed.

    Attributes:
        endpoint_id (str): The webhook endpoint's id. Opaque.
        tenant_id (str): The id of the tenant (workspace) that owns the resource. Opaque.
        url (str): Where events are sent (`POST`), an `https://` (or `http://`) URL with a
            host that resolves to public addresses only: loopback, private,
            link-local and metadata addresses are refused, when the endpoint is
            registered and again at every delivery. No user info, query or fragment.
        description (None | str): Your note on what the endpoint is for; `null` when none.
        event_types (list[WebhookEventType]): The event types sent to this endpoint.
        enabled (bool): Whether events are sent. An endpoint that failed every delivery for the
            whole retry window (see the `webhooks` section) is disabled by Threada,
            with `disabled_reason` saying why; enable it again with `PATCH`.
        disabled_reason (None | str): Why Threada disabled the endpoint; `null` when enabled or disabled by you.
        created_at (datetime.datetime): An RFC 3339 time in UTC, with a `Z` and always three fractional digits
            (milliseconds), so text order is time order.
        updated_at (datetime.datetime): An RFC 3339 time in UTC, with a `Z` and always three fractional digits
            (milliseconds), so text order is time order.
    """

    endpoint_id: str
    tenant_id: str
    url: str
    description: None | str
    event_types: list[WebhookEventType]
    enabled: bool
    disabled_reason: None | str
    created_at: datetime.datetime
    updated_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        endpoint_id = self.endpoint_id

        tenant_id = self.tenant_id

        url = self.url

        description: None | str
        description = self.description

        event_types = []
        for event_types_item_data in self.event_types:
            event_types_item = event_types_item_data.value
            event_types.append(event_types_item)

        enabled = self.enabled

        disabled_reason: None | str
        disabled_reason = self.disabled_reason

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "endpoint_id": endpoint_id,
                "tenant_id": tenant_id,
                "url": url,
                "description": description,
                "event_types": event_types,
                "enabled": enabled,
                "disabled_reason": disabled_reason,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        endpoint_id = d.pop("endpoint_id")

        tenant_id = d.pop("tenant_id")

        url = d.pop("url")

        def _parse_description(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        event_types = []
        _event_types = d.pop("event_types")
        for event_types_item_data in _event_types:
            event_types_item = WebhookEventType(event_types_item_data)

            event_types.append(event_types_item)

        enabled = d.pop("enabled")

        def _parse_disabled_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        disabled_reason = _parse_disabled_reason(d.pop("disabled_reason"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        webhook_endpoint = cls(
            endpoint_id=endpoint_id,
            tenant_id=tenant_id,
            url=url,
            description=description,
            event_types=event_types,
            enabled=enabled,
            disabled_reason=disabled_reason,
            created_at=created_at,
            updated_at=updated_at,
        )

        return webhook_endpoint
