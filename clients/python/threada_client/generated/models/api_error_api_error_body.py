from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.error_type import ErrorType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.api_error_api_error_body_api_error_detail import (
        ApiErrorApiErrorBodyApiErrorDetail,
    )


T = TypeVar("T", bound="ApiErrorApiErrorBody")


@_attrs_define
class ApiErrorApiErrorBody:
    """What went wrong.

    Attributes:
        type_ (ErrorType): What kind of error happened. Branch on this, not on `message`.
            - `invalid_request` (400): a parameter, the body or a page token is invalid; `details` says which field. Also,
            before any operation is reached, 408 (the request's headers took too long to arrive) and 431 (they are too
            large).
            - `authentication_failed` (401): the API key is missing, unknown, revoked or expired.
            - `permission_denied` (403): the key lacks the scope the operation needs.
            - `not_found` (404): no such resource for your tenant, or no such path.
            - `method_not_allowed` (405): the path exists but not with this method (see `Allow`).
            - `conflict` (409): the request conflicts with the resource's state or your settings.
            - `idempotency_conflict` (409): the `Idempotency-Key` was used with a different request.
            - `payload_too_large` (413): the body is over the size limit.
            - `unsupported_media_type` (415): the body is not `application/json`.
            - `rate_limited` (429): too many requests; wait for `Retry-After` seconds.
            - `internal_error` (500): a fault on our side; retry later and quote `request_id`.
            - `service_unavailable` (503): the service is busy or a dependency is slow; retry after `Retry-After` seconds.
        message (str): What went wrong, for people. Its wording may change.
        code (int): The HTTP status of the response.
        request_id (str | Unset): The request's id, as in the `X-Request-Id` header. Quote it to support.
        details (list[ApiErrorApiErrorBodyApiErrorDetail] | Unset): For `invalid_request`, each field at fault and why.
    """

    type_: ErrorType
    message: str
    code: int
    request_id: str | Unset = UNSET
    details: list[ApiErrorApiErrorBodyApiErrorDetail] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_.value

        message = self.message

        code = self.code

        request_id = self.request_id

        details: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.details, Unset):
            details = []
            for details_item_data in self.details:
                details_item = details_item_data.to_dict()
                details.append(details_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "message": message,
                "code": code,
            }
        )
        if request_id is not UNSET:
            field_dict["request_id"] = request_id
        if details is not UNSET:
            field_dict["details"] = details

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.api_error_api_error_body_api_error_detail import (
            ApiErrorApiErrorBodyApiErrorDetail,
        )

        d = dict(src_dict)
        type_ = ErrorType(d.pop("type"))

        message = d.pop("message")

        code = d.pop("code")

        request_id = d.pop("request_id", UNSET)

        _details = d.pop("details", UNSET)
        details: list[ApiErrorApiErrorBodyApiErrorDetail] | Unset = UNSET
        if _details is not UNSET:
            details = []
            for details_item_data in _details:
                details_item = ApiErrorApiErrorBodyApiErrorDetail.from_dict(
                    details_item_data
                )

                details.append(details_item)

        api_error_api_error_body = cls(
            type_=type_,
            message=message,
            code=code,
            request_id=request_id,
            details=details,
        )

        return api_error_api_error_body
