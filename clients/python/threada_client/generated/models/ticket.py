from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.contact import Contact
    from ..models.message import Message
    from ..models.ticket_summary import TicketSummary


T = TypeVar("T", bound="Ticket")


@_attrs_define
class Ticket:
    """A ticket with its contact and conversation.

    Attributes:
        summary (TicketSummary): A ticket without its conversation, as lists show it.
        contact (Contact): The customer the ticket is with. Fields that were never given are left out.
        messages (list[Message]): The ticket's latest messages, at most 20, oldest first. List the whole
            conversation with `GET /tickets/{ticket_id}/messages`.
    """

    summary: TicketSummary
    contact: Contact
    messages: list[Message]

    def to_dict(self) -> dict[str, Any]:
        summary = self.summary.to_dict()

        contact = self.contact.to_dict()

        messages = []
        for messages_item_data in self.messages:
            messages_item = messages_item_data.to_dict()
            messages.append(messages_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "summary": summary,
                "contact": contact,
                "messages": messages,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.contact import Contact
        from ..models.message import Message
        from ..models.ticket_summary import TicketSummary

        d = dict(src_dict)
        summary = TicketSummary.from_dict(d.pop("summary"))

        contact = Contact.from_dict(d.pop("contact"))

        messages = []
        _messages = d.pop("messages")
        for messages_item_data in _messages:
            messages_item = Message.from_dict(messages_item_data)

            messages.append(messages_item)

        ticket = cls(
            summary=summary,
            contact=contact,
            messages=messages,
        )

        return ticket
