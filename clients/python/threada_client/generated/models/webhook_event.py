from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_event_type import WebhookEventType

if TYPE_CHECKING:
    from ..models.webhook_event_data import WebhookEventData


T = TypeVar("T", bound="WebhookEvent")


@_attrs_define
class WebhookEvent:
    """The envelope every webhook event shares. `data` holds the same shapes the
    API returns (`ticket`, `message`, `action`), as they were right after the
    change. The body is sent as JSON with `Content-Type: application/json`
    and signed as the Standard Webhooks specification describes (see the
    `webhooks` section and the `webhook-*` headers).

        Attributes:
            id (str): The event's id, also sent as the `webhook-id` header. It stays the same
                on every retry and redelivery: use it to ignore an event you have
                already processed (deliveries are at least once).
            type_ (WebhookEventType): What happened:
                - `ticket.created`: a ticket was opened (through the API or any channel);
                - `ticket.updated`: a ticket's `subject`, `status`, `priority` or `tags` changed;
                - `message.created`: a message was added to a ticket's conversation;
                - `action.completed`: an action reached `succeeded` or `failed`.
            created_at (datetime.datetime): An RFC 3339 time in UTC, with a `Z` and always three fractional digits
                (milliseconds), so text order is time order.
            tenant_id (str): The id of the tenant (workspace) that owns the resource. Opaque.
            data (WebhookEventData): What changed, in the API's own shapes; depends on `type`.
    """

    id: str
    type_: WebhookEventType
    created_at: datetime.datetime
    tenant_id: str
    data: WebhookEventData
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_.value

        created_at = self.created_at.isoformat()

        tenant_id = self.tenant_id

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "created_at": created_at,
                "tenant_id": tenant_id,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.webhook_event_data import WebhookEventData

        d = dict(src_dict)
        id = d.pop("id")

        type_ = WebhookEventType(d.pop("type"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        tenant_id = d.pop("tenant_id")

        data = WebhookEventData.from_dict(d.pop("data"))

        webhook_event = cls(
            id=id,
            type_=type_,
            created_at=created_at,
            tenant_id=tenant_id,
            data=data,
        )

        webhook_event.additional_properties = d
        return webhook_event

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
