from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CustomHttpPayloadHeaders")


@_attrs_define
class CustomHttpPayloadHeaders:
    """Extra request headers: at most 20; names are HTTP tokens up to 100
    characters; values are printable ASCII (inner tabs allowed) up to 1024
    characters, with no space or tab at either end. Hop-by-hop, framing and
    routing headers (`Host`, `Content-Length`, `Transfer-Encoding`,
    `Connection`, `Forwarded`, `X-Forwarded-*`, `Proxy-*`, ...) and the
    ones the service sets itself (`User-Agent`, `Content-Type`,
    `Accept-Encoding`, `X-Threada-*`) are refused, in any letter case.

    Credentials are write-only: the value of `Authorization`,
    `Proxy-Authorization`, `Cookie`, and of any header whose name contains
    `token`, `secret`, `key`, `signature` or `password` (in any case) is
    sent with the call but answered as `"[redacted]"` wherever the action
    is returned (its creation, an idempotent replay, get and list).

    """

    additional_properties: dict[str, str] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        custom_http_payload_headers = cls()

        custom_http_payload_headers.additional_properties = d
        return custom_http_payload_headers

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> str:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
