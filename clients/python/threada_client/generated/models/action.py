from __future__ import annotations

import datetime
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

from ..models.action_status import ActionStatus

if TYPE_CHECKING:
    from ..models.action_result import ActionResult
    from ..models.custom_http_payload import CustomHttpPayload


T = TypeVar("T", bound="Action")


@_attrs_define
class Action:
    """An action run for a ticket, with its outcome.

    Attributes:
        action_id (str): The action's id. Opaque.
        tenant_id (str): The id of the tenant (workspace) that owns the resource. Opaque.
        ticket_id (str): The ticket's id. Opaque; do not parse it.
        action_type (Literal['custom_http']): The action type, as in `payload.type`.
        status (ActionStatus): Where an action stands: `queued` (accepted, not started), `running`
            (the request is in flight), `succeeded` (the target answered 2xx) or
            `failed` (the target answered otherwise, timed out, could not be
            reached, or the request was refused by policy; see `result.error`).
            `succeeded` and `failed` are final.
        requested_by (str): Who ran the action: `api_key:` followed by the id of the API key used.
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
        created_at (datetime.datetime): An RFC 3339 time in UTC, with a `Z` and always three fractional digits
            (milliseconds), so text order is time order.
        completed_at (datetime.datetime | None): When the action reached `succeeded` or `failed`; `null` before.
        result (ActionResult | None): The outcome; `null` until the action has run.
    """

    action_id: str
    tenant_id: str
    ticket_id: str
    action_type: Literal["custom_http"]
    status: ActionStatus
    requested_by: str
    payload: CustomHttpPayload
    created_at: datetime.datetime
    completed_at: datetime.datetime | None
    result: ActionResult | None

    def to_dict(self) -> dict[str, Any]:
        from ..models.action_result import ActionResult

        action_id = self.action_id

        tenant_id = self.tenant_id

        ticket_id = self.ticket_id

        action_type = self.action_type

        status = self.status.value

        requested_by = self.requested_by

        payload = self.payload.to_dict()

        created_at = self.created_at.isoformat()

        completed_at: None | str
        if isinstance(self.completed_at, datetime.datetime):
            completed_at = self.completed_at.isoformat()
        else:
            completed_at = self.completed_at

        result: dict[str, Any] | None
        if isinstance(self.result, ActionResult):
            result = self.result.to_dict()
        else:
            result = self.result

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "action_id": action_id,
                "tenant_id": tenant_id,
                "ticket_id": ticket_id,
                "action_type": action_type,
                "status": status,
                "requested_by": requested_by,
                "payload": payload,
                "created_at": created_at,
                "completed_at": completed_at,
                "result": result,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.action_result import ActionResult
        from ..models.custom_http_payload import CustomHttpPayload

        d = dict(src_dict)
        action_id = d.pop("action_id")

        tenant_id = d.pop("tenant_id")

        ticket_id = d.pop("ticket_id")

        action_type = cast(Literal["custom_http"], d.pop("action_type"))
        if action_type != "custom_http":
            raise ValueError(
                f"action_type must match const 'custom_http', got '{action_type}'"
            )

        status = ActionStatus(d.pop("status"))

        requested_by = d.pop("requested_by")

        payload = CustomHttpPayload.from_dict(d.pop("payload"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_completed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                completed_at_type_0 = datetime.datetime.fromisoformat(data)

                return completed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        completed_at = _parse_completed_at(d.pop("completed_at"))

        def _parse_result(data: object) -> ActionResult | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = ActionResult.from_dict(data)

                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ActionResult | None, data)

        result = _parse_result(d.pop("result"))

        action = cls(
            action_id=action_id,
            tenant_id=tenant_id,
            ticket_id=ticket_id,
            action_type=action_type,
            status=status,
            requested_by=requested_by,
            payload=payload,
            created_at=created_at,
            completed_at=completed_at,
            result=result,
        )

        return action
