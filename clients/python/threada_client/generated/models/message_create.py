from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.channel import Channel
from ..models.message_role import MessageRole
from ..types import UNSET, Unset

T = TypeVar("T", bound="MessageCreate")


@_attrs_define
class MessageCreate:
    """A message to add to a ticket's conversation. Unknown fields are rejected.

    Attributes:
        role (MessageRole): Who wrote a message: `user` (the customer), `agent` (a person on your
            team), `assistant` (an AI assistant answering for your team) or `system`
            (an automatic or internal note).
        content (str): The message text (plain text).
        channel (Channel | Unset): The channel a ticket or message came through:
            `email`, `chat` (website or in-app live chat), `web` (web form),
            `whatsapp`, `sms`, `voice` (phone call; `content` holds the transcript
            or a summary), `messenger` (Facebook Messenger), `instagram` (direct
            messages), `telegram`, `api` (created through this API by another
            system).
        external_message_id (str | Unset): Your system's id for the message (an email Message-ID, a WhatsApp message
            id...). Unique within a ticket; used to avoid duplicates.
    """

    role: MessageRole
    content: str
    channel: Channel | Unset = UNSET
    external_message_id: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        role = self.role.value

        content = self.content

        channel: str | Unset = UNSET
        if not isinstance(self.channel, Unset):
            channel = self.channel.value

        external_message_id = self.external_message_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "role": role,
                "content": content,
            }
        )
        if channel is not UNSET:
            field_dict["channel"] = channel
        if external_message_id is not UNSET:
            field_dict["external_message_id"] = external_message_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        role = MessageRole(d.pop("role"))

        content = d.pop("content")

        _channel = d.pop("channel", UNSET)
        channel: Channel | Unset
        if isinstance(_channel, Unset):
            channel = UNSET
        else:
            channel = Channel(_channel)

        external_message_id = d.pop("external_message_id", UNSET)

        message_create = cls(
            role=role,
            content=content,
            channel=channel,
            external_message_id=external_message_id,
        )

        return message_create
