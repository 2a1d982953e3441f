from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.webhook_endpoint import WebhookEndpoint


T = TypeVar("T", bound="WebhookEndpointWithSecret")


@_attrs_define
class WebhookEndpointWithSecret:
    """A webhook endpoint and its new signing secret (shown this once).

    Attributes:
        webhook_endpoint (WebhookEndpoint): A URL of yours that receives the tenant's events, signed.
        secret (str): The endpoint's signing secret in the Standard Webhooks form: `whsec_`
            followed by the base64 of 32 random bytes. Shown once, when the endpoint is
            created and when the secret is rotated; keep it where your receiver can
            read it.
    """

    webhook_endpoint: WebhookEndpoint
    secret: str

    def to_dict(self) -> dict[str, Any]:
        webhook_endpoint = self.webhook_endpoint.to_dict()

        secret = self.secret

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "webhook_endpoint": webhook_endpoint,
                "secret": secret,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.webhook_endpoint import WebhookEndpoint

        d = dict(src_dict)
        webhook_endpoint = WebhookEndpoint.from_dict(d.pop("webhook_endpoint"))

        secret = d.pop("secret")

        webhook_endpoint_with_secret = cls(
            webhook_endpoint=webhook_endpoint,
            secret=secret,
        )

        return webhook_endpoint_with_secret
