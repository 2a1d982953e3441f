from __future__ import annotations

from collections.abc import Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    Self,
    TypeVar,
    cast,
)

from attrs import define as _attrs_define

from ..models.http_method import HttpMethod
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.custom_http_payload_headers import CustomHttpPayloadHeaders


T = TypeVar("T", bound="CustomHttpPayload")


@_attrs_define
class CustomHttpPayload:
    """An HTTP request to send for the ticket. `url` is a path, joined to your
    tenant's actions base URL (set by an admin, e.g.
    `https://hooks.zapier.com`): a full URL, a host, a backslash, or `..`
    segments are refused. Requests are not redirected, time out after a few
    seconds, and may only reach public addresses.

        Attributes:
            type_ (Literal['custom_http']): The action type. Only `custom_http` exists today.
            method (HttpMethod): The HTTP method of a `custom_http` action's request.
            url (str): The path to call under your tenant's actions base URL, starting with one `/` (`//host` is a host, and
                refused), in URL characters (percent-encode the rest); a query string is allowed. `.` and `..` segments, encoded
                or not, are refused with `400`.
            headers (CustomHttpPayloadHeaders | Unset): Extra request headers (at most 20; names are HTTP tokens up to 100
                characters, values up to 1024 characters). Hop-by-hop and routing
                headers (`Host`, `Content-Length`, `Transfer-Encoding`, `Connection`,
                `Forwarded`, `X-Forwarded-*`, ...) are refused.
            body_json (str | Unset): The request body: a string that holds JSON (not a JSON object), sent
                as it is with `Content-Type: application/json`. It must parse as JSON.
    """

    type_: Literal["custom_http"]
    method: HttpMethod
    url: str
    headers: CustomHttpPayloadHeaders | Unset = UNSET
    body_json: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        method = self.method.value

        url = self.url

        headers: dict[str, Any] | Unset = UNSET
        if not isinstance(self.headers, Unset):
            headers = self.headers.to_dict()

        body_json = self.body_json

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "method": method,
                "url": url,
            }
        )
        if headers is not UNSET:
            field_dict["headers"] = headers
        if body_json is not UNSET:
            field_dict["body_json"] = body_json

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.custom_http_payload_headers import CustomHttpPayloadHeaders

        d = dict(src_dict)
        type_ = cast(Literal["custom_http"], d.pop("type"))
        if type_ != "custom_http":
            raise ValueError(f"type must match const 'custom_http', got '{type_}'")

        method = HttpMethod(d.pop("method"))

        url = d.pop("url")

        _headers = d.pop("headers", UNSET)
        headers: CustomHttpPayloadHeaders | Unset
        if isinstance(_headers, Unset):
            headers = UNSET
        else:
            headers = CustomHttpPayloadHeaders.from_dict(_headers)

        body_json = d.pop("body_json", UNSET)

        custom_http_payload = cls(
            type_=type_,
            method=method,
            url=url,
            headers=headers,
            body_json=body_json,
        )

        return custom_http_payload
