from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.channel import Channel
from ..models.message_role import MessageRole

T = TypeVar("T", bound="Message")


@_attrs_define
class Message:
    """One message of a ticket's conversation.

    Attributes:
        message_id (str): The message's id. Opaque.
        ticket_id (str): The ticket's id. Opaque; do not parse it.
        role (MessageRole): Who wrote a message: `user` (the customer), `agent` (a person on your
            team), `assistant` (an AI assistant answering for your team) or `system`
            (an automatic or internal note).
        content (str): The message text (plain text).
        channel (Channel): The channel a ticket or message came through:
            `email`, `chat` (website or in-app live chat), `web` (web form),
            `whatsapp`, `sms`, `voice` (phone call; `content` holds the transcript
            or a summary), `messenger` (Facebook Messenger), `instagram` (direct
            messages), `telegram`, `api` (created through this API by another
            system).
        external_message_id (None | str): Your system's id for this message, if one was given; unique within the ticket.
        created_at (datetime.datetime): An RFC 3339 time in UTC, with a `Z` and always three fractional digits
            (milliseconds), so text order is time order.
    """

    message_id: str
    ticket_id: str
    role: MessageRole
    content: str
    channel: Channel
    external_message_id: None | str
    created_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        message_id = self.message_id

        ticket_id = self.ticket_id

        role = self.role.value

        content = self.content

        channel = self.channel.value

        external_message_id: None | str
        external_message_id = self.external_message_id

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "message_id": message_id,
                "ticket_id": ticket_id,
                "role": role,
                "content": content,
                "channel": channel,
                "external_message_id": external_message_id,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        message_id = d.pop("message_id")

        ticket_id = d.pop("ticket_id")

        role = MessageRole(d.pop("role"))

        content = d.pop("content")

        channel = Channel(d.pop("channel"))

        def _parse_external_message_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        external_message_id = _parse_external_message_id(d.pop("external_message_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        message = cls(
            message_id=message_id,
            ticket_id=ticket_id,
            role=role,
            content=content,
            channel=channel,
            external_message_id=external_message_id,
            created_at=created_at,
        )

        return message
