from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ApiErrorApiErrorBodyApiErrorDetail")


@_attrs_define
class ApiErrorApiErrorBodyApiErrorDetail:
    """
    Attributes:
        field (str): Where the fault is, e.g. `body.contact.email`, `query.limit`, `header.Idempotency-Key`.
        reason (str): Why it was refused.
    """

    field: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "field": field,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        field = d.pop("field")

        reason = d.pop("reason")

        api_error_api_error_body_api_error_detail = cls(
            field=field,
            reason=reason,
        )

        return api_error_api_error_body_api_error_detail
