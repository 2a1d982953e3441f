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

    Every rule is checked before anything is sent; a payload that breaks one is
    refused with `400 invalid_request` naming the field. The schema states each
    rule it can. These it cannot, and the API applies them as well:

    - `url`: a `.` or `..` segment is refused also when percent-encoded more
      than once (`%252e`); percent-encoding must decode to UTF-8 (no overlong
      forms such as `%c0%ae`); no segment may hold an encoded slash, backslash
      or control character at any layer of encoding.
    - `headers`: names are unique without regard to letter case (`X-A` and
      `x-a` together are refused).
    - `body_json`: at most 64 KiB once encoded as UTF-8, and it must parse as
      strict JSON (no `NaN` or `Infinity`).

        Attributes:
            type_ (Literal['custom_http']): The action type. Only `custom_http` exists today.
            method (HttpMethod): The HTTP method of a `custom_http` action's request.
            url (str): The path to call under your tenant's actions base URL, starting with one `/` (`//host` is a host, and
                refused), in URL characters (percent-encode the rest as `%` and two hex digits); a query string is allowed.
                Empty segments (`//`), `.` and `..` segments (also as `%2e`, or before a `;`) and an encoded slash or backslash
                (`%2f`, `%5c`) in the path are refused with `400`.
            headers (CustomHttpPayloadHeaders | Unset): Extra request headers: at most 20; names are HTTP tokens up to 100
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
            body_json (str | Unset): The request body: a string that holds JSON (not a JSON object), sent
                as it is with `Content-Type: application/json`. It must parse as JSON.
                Not allowed with `GET` or `DELETE`.
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
