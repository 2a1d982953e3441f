from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.webhook_endpoint import WebhookEndpoint


T = TypeVar("T", bound="WebhookEndpointEnvelope")


@_attrs_define
class WebhookEndpointEnvelope:
    """A webhook endpoint, wrapped in `webhook_endpoint`.

    Attributes:
        webhook_endpoint (WebhookEndpoint): A URL of yours that receives the tenant's events, signed.
    """

    webhook_endpoint: WebhookEndpoint

    def to_dict(self) -> dict[str, Any]:
        webhook_endpoint = self.webhook_endpoint.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "webhook_endpoint": webhook_endpoint,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.webhook_endpoint import WebhookEndpoint

        d = dict(src_dict)
        webhook_endpoint = WebhookEndpoint.from_dict(d.pop("webhook_endpoint"))

        webhook_endpoint_envelope = cls(
            webhook_endpoint=webhook_endpoint,
        )

        return webhook_endpoint_envelope
