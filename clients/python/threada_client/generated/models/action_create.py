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
