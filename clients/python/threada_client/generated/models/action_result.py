from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="ActionResult")


@_attrs_define
class ActionResult:
    """What happened when the action ran.

    Attributes:
        http_status (int | None): The HTTP status the target answered; `null` when no answer came (timeout, refused,
            blocked).
        duration_ms (int): How long the request took, in milliseconds.
        error (None | str): Why the action failed (`timeout after 10s`, `connection refused`, `blocked by policy`,
            `target answered 500`...); `null` when it succeeded.
        response_excerpt (None | str): The start of the target's response body (at most 1024 characters), when there was
            one.
    """

    http_status: int | None
    duration_ms: int
    error: None | str
    response_excerpt: None | str

    def to_dict(self) -> dict[str, Any]:
        http_status: int | None
        http_status = self.http_status

        duration_ms = self.duration_ms

        error: None | str
        error = self.error

        response_excerpt: None | str
        response_excerpt = self.response_excerpt

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "http_status": http_status,
                "duration_ms": duration_ms,
                "error": error,
                "response_excerpt": response_excerpt,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_http_status(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        http_status = _parse_http_status(d.pop("http_status"))

        duration_ms = d.pop("duration_ms")

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        def _parse_response_excerpt(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        response_excerpt = _parse_response_excerpt(d.pop("response_excerpt"))

        action_result = cls(
            http_status=http_status,
            duration_ms=duration_ms,
            error=error,
            response_excerpt=response_excerpt,
        )

        return action_result
