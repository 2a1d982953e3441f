from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.api_error_api_error_body import ApiErrorApiErrorBody


T = TypeVar("T", bound="ApiError")


@_attrs_define
class ApiError:
    """The envelope of every error. `error.code` always equals the HTTP status.

    Attributes:
        error (ApiErrorApiErrorBody): What went wrong.
    """

    error: ApiErrorApiErrorBody

    def to_dict(self) -> dict[str, Any]:
        error = self.error.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "error": error,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.api_error_api_error_body import ApiErrorApiErrorBody

        d = dict(src_dict)
        error = ApiErrorApiErrorBody.from_dict(d.pop("error"))

        api_error = cls(
            error=error,
        )

        return api_error
