from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.webhook_delivery_status import WebhookDeliveryStatus
from ..models.webhook_event_type import WebhookEventType

T = TypeVar("T", bound="WebhookDelivery")


@_attrs_define
class WebhookDelivery:
    """One event's delivery to one endpoint, with its attempts so far.

    Attributes:
        delivery_id (str): The delivery's id. Opaque.
        endpoint_id (str): The webhook endpoint's id. Opaque.
        event_id (str): The event's id, sent as `id` in the payload and as the `webhook-id` header (the same on every
            attempt).
        event_type (WebhookEventType): What happened:
            - `ticket.created`: a ticket was opened (through the API or any channel);
            - `ticket.updated`: a ticket's `subject`, `status`, `priority` or `tags` changed;
            - `message.created`: a message was added to a ticket's conversation;
            - `action.completed`: an action reached `succeeded` or `failed`.
        status (WebhookDeliveryStatus): - `pending`: not delivered yet; `next_attempt_at` says when it is tried (again).
            While
              the endpoint is disabled its pending deliveries wait, and go out once it is enabled;
            - `succeeded`: your endpoint answered 2xx;
            - `failed`: every attempt of the retry schedule failed (redeliver it to try again).
        attempts (int): Attempts made since the delivery was queued (or queued again by the redeliver operation).
        created_at (datetime.datetime): An RFC 3339 time in UTC, with a `Z` and always three fractional digits
            (milliseconds), so text order is time order.
        last_attempt_at (datetime.datetime | None): When the last attempt started; `null` before the first.
        next_attempt_at (datetime.datetime | None): When the next attempt is due; `null` once `succeeded` or `failed`.
        last_response_code (int | None): The HTTP status your endpoint answered last; `null` when none arrived (timeout,
            refused connection).
        last_response_excerpt (None | str): The first 1 KiB of your endpoint's last answer, when it had a body.
        last_error (None | str): Why the last attempt failed; `null` when it succeeded or none was made.
    """

    delivery_id: str
    endpoint_id: str
    event_id: str
    event_type: WebhookEventType
    status: WebhookDeliveryStatus
    attempts: int
    created_at: datetime.datetime
    last_attempt_at: datetime.datetime | None
    next_attempt_at: datetime.datetime | None
    last_response_code: int | None
    last_response_excerpt: None | str
    last_error: None | str

    def to_dict(self) -> dict[str, Any]:
        delivery_id = self.delivery_id

        endpoint_id = self.endpoint_id

        event_id = self.event_id

        event_type = self.event_type.value

        status = self.status.value

        attempts = self.attempts

        created_at = self.created_at.isoformat()

        last_attempt_at: None | str
        if isinstance(self.last_attempt_at, datetime.datetime):
            last_attempt_at = self.last_attempt_at.isoformat()
        else:
            last_attempt_at = self.last_attempt_at

        next_attempt_at: None | str
        if isinstance(self.next_attempt_at, datetime.datetime):
            next_attempt_at = self.next_attempt_at.isoformat()
        else:
            next_attempt_at = self.next_attempt_at

        last_response_code: int | None
        last_response_code = self.last_response_code

        last_response_excerpt: None | str
        last_response_excerpt = self.last_response_excerpt

        last_error: None | str
        last_error = self.last_error

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "delivery_id": delivery_id,
                "endpoint_id": endpoint_id,
                "event_id": event_id,
                "event_type": event_type,
                "status": status,
                "attempts": attempts,
                "created_at": created_at,
                "last_attempt_at": last_attempt_at,
                "next_attempt_at": next_attempt_at,
                "last_response_code": last_response_code,
                "last_response_excerpt": last_response_excerpt,
                "last_error": last_error,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        delivery_id = d.pop("delivery_id")

        endpoint_id = d.pop("endpoint_id")

        event_id = d.pop("event_id")

        event_type = WebhookEventType(d.pop("event_type"))

        status = WebhookDeliveryStatus(d.pop("status"))

        attempts = d.pop("attempts")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_last_attempt_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_attempt_at = _parse_last_attempt_at(d.pop("last_attempt_at"))

        def _parse_next_attempt_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_attempt_at = _parse_next_attempt_at(d.pop("next_attempt_at"))

        def _parse_last_response_code(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        last_response_code = _parse_last_response_code(d.pop("last_response_code"))

        def _parse_last_response_excerpt(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_response_excerpt = _parse_last_response_excerpt(
            d.pop("last_response_excerpt")
        )

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))

        webhook_delivery = cls(
            delivery_id=delivery_id,
            endpoint_id=endpoint_id,
            event_id=event_id,
            event_type=event_type,
            status=status,
            attempts=attempts,
            created_at=created_at,
            last_attempt_at=last_attempt_at,
            next_attempt_at=next_attempt_at,
            last_response_code=last_response_code,
            last_response_excerpt=last_response_excerpt,
            last_error=last_error,
        )

        return webhook_delivery
