from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.channel import Channel
from ..models.ticket_priority import TicketPriority
from ..models.ticket_status import TicketStatus

T = TypeVar("T", bound="TicketSummary")


@_attrs_define
class TicketSummary:
    """A ticket without its conversation, as lists show it.

    Attributes:
        ticket_id (str): The ticket's id. Opaque; do not parse it.
        tenant_id (str): The id of the tenant (workspace) that owns the resource. Opaque.
        subject (str): A one-line summary of the customer's request.
        status (TicketStatus): Where a ticket stands:
            - `open`: waiting for your team;
            - `pending`: waiting for the customer;
            - `on_hold`: waiting for a third party or an internal team;
            - `solved`: answered; reopens to `open` when the customer writes again;
            - `closed`: finished; no longer changes.
        priority (TicketPriority): How urgent a ticket is, from `low` to `urgent`. New tickets are `normal` unless set.
        channel (Channel): The channel a ticket or message came through:
            `email`, `chat` (website or in-app live chat), `web` (web form),
            `whatsapp`, `sms`, `voice` (phone call; `content` holds the transcript
            or a summary), `messenger` (Facebook Messenger), `instagram` (direct
            messages), `telegram`, `api` (created through this API by another
            system).
        tags (list[str]): The ticket's tags, in the order they were set.
        created_at (datetime.datetime): An RFC 3339 time in UTC, with a `Z` and always three fractional digits
            (milliseconds), so text order is time order.
        updated_at (datetime.datetime): An RFC 3339 time in UTC, with a `Z` and always three fractional digits
            (milliseconds), so text order is time order.
        last_message_at (datetime.datetime): An RFC 3339 time in UTC, with a `Z` and always three fractional digits
            (milliseconds), so text order is time order.
    """

    ticket_id: str
    tenant_id: str
    subject: str
    status: TicketStatus
    priority: TicketPriority
    channel: Channel
    tags: list[str]
    created_at: datetime.datetime
    updated_at: datetime.datetime
    last_message_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        ticket_id = self.ticket_id

        tenant_id = self.tenant_id

        subject = self.subject

        status = self.status.value

        priority = self.priority.value

        channel = self.channel.value

        tags = self.tags

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        last_message_at = self.last_message_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "ticket_id": ticket_id,
                "tenant_id": tenant_id,
                "subject": subject,
                "status": status,
                "priority": priority,
                "channel": channel,
                "tags": tags,
                "created_at": created_at,
                "updated_at": updated_at,
                "last_message_at": last_message_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        ticket_id = d.pop("ticket_id")

        tenant_id = d.pop("tenant_id")

        subject = d.pop("subject")

        status = TicketStatus(d.pop("status"))

        priority = TicketPriority(d.pop("priority"))

        channel = Channel(d.pop("channel"))

        tags = cast(list[str], d.pop("tags"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        last_message_at = datetime.datetime.fromisoformat(d.pop("last_message_at"))

        ticket_summary = cls(
            ticket_id=ticket_id,
            tenant_id=tenant_id,
            subject=subject,
            status=status,
            priority=priority,
            channel=channel,
            tags=tags,
            created_at=created_at,
            updated_at=updated_at,
            last_message_at=last_message_at,
        )

        return ticket_summary
