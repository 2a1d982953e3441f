from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.custom_http_payload import CustomHttpPayload


T = TypeVar("T", bound="ActionCreate")


@_attrs_define
class ActionCreate:
    """The action to run. Unknown fields are rejected.

    Attributes:
        payload (CustomHttpPayload): An HTTP request to send for the ticket. `url` is a path, joined to your
            tenant's actions base URL (set by an admin, e.g.
            `https://hooks.zapier.com`): a full URL, a host, a backslash, or `..`
            segments are refused. Requests are not redirected, time out after a few
            seconds, and may only reach public addresses.
    """

    payload: CustomHttpPayload

    def to_dict(self) -> dict[str, Any]:
        payload = self.payload.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "payload": payload,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.custom_http_payload import CustomHttpPayload

        d = dict(src_dict)
        payload = CustomHttpPayload.from_dict(d.pop("payload"))

        action_create = cls(
            payload=payload,
        )

        return action_create
