from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.ticket_priority import TicketPriority
from ..models.ticket_status import TicketStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="TicketPatch")


@_attrs_define
class TicketPatch:
    """The fields to change, as a JSON merge patch (RFC 7396): fields you leave
    out keep their value; `tags` replaces the whole list. None of these fields
    can be removed, so `null` is refused. Unknown fields are rejected. A
    `closed` ticket can no longer change.

        Attributes:
            subject (str | Unset): A new subject.
            status (TicketStatus | Unset): Where a ticket stands:
                - `open`: waiting for your team;
                - `pending`: waiting for the customer;
                - `on_hold`: waiting for a third party or an internal team;
                - `solved`: answered; reopens to `open` when the customer writes again;
                - `closed`: finished; no longer changes.
            priority (TicketPriority | Unset): How urgent a ticket is, from `low` to `urgent`. New tickets are `normal`
                unless set.
            tags (list[str] | Unset): The new, complete list of tags (`[]` removes them all).
    """

    subject: str | Unset = UNSET
    status: TicketStatus | Unset = UNSET
    priority: TicketPriority | Unset = UNSET
    tags: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        subject = self.subject

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        priority: str | Unset = UNSET
        if not isinstance(self.priority, Unset):
            priority = self.priority.value

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if subject is not UNSET:
            field_dict["subject"] = subject
        if status is not UNSET:
            field_dict["status"] = status
        if priority is not UNSET:
            field_dict["priority"] = priority
        if tags is not UNSET:
            field_dict["tags"] = tags

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        subject = d.pop("subject", UNSET)

        _status = d.pop("status", UNSET)
        status: TicketStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = TicketStatus(_status)

        _priority = d.pop("priority", UNSET)
        priority: TicketPriority | Unset
        if isinstance(_priority, Unset):
            priority = UNSET
        else:
            priority = TicketPriority(_priority)

        tags = cast(list[str], d.pop("tags", UNSET))

        ticket_patch = cls(
            subject=subject,
            status=status,
            priority=priority,
            tags=tags,
        )

        return ticket_patch
