from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.message_role import MessageRole
from ..types import UNSET, Unset

T = TypeVar("T", bound="InitialMessage")


@_attrs_define
class InitialMessage:
    """The first message of the ticket. It takes the ticket's channel.

    Attributes:
        role (MessageRole): Who wrote a message: `user` (the customer), `agent` (a person on your
            team), `assistant` (an AI assistant answering for your team) or `system`
            (an automatic or internal note).
        content (str): The message text (plain text).
        external_message_id (str | Unset): Your system's id for the message (an email Message-ID, a WhatsApp message
            id...). Unique within a ticket; used to avoid duplicates.
    """

    role: MessageRole
    content: str
    external_message_id: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        role = self.role.value

        content = self.content

        external_message_id = self.external_message_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "role": role,
                "content": content,
            }
        )
        if external_message_id is not UNSET:
            field_dict["external_message_id"] = external_message_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        role = MessageRole(d.pop("role"))

        content = d.pop("content")

        external_message_id = d.pop("external_message_id", UNSET)

        initial_message = cls(
            role=role,
            content=content,
            external_message_id=external_message_id,
        )

        return initial_message
