from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.channel import Channel
from ..models.ticket_priority import TicketPriority
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.contact_input import ContactInput
    from ..models.initial_message import InitialMessage


T = TypeVar("T", bound="TicketCreate")


@_attrs_define
class TicketCreate:
    """A new ticket with its first message. Unknown fields are rejected.

    Attributes:
        subject (str): A one-line summary of the customer's request.
        channel (Channel): The channel a ticket or message came through:
            `email`, `chat` (website or in-app live chat), `web` (web form),
            `whatsapp`, `sms`, `voice` (phone call; `content` holds the transcript
            or a summary), `messenger` (Facebook Messenger), `instagram` (direct
            messages), `telegram`, `api` (created through this API by another
            system).
        contact (ContactInput): The customer the ticket is with. Give at least an `email` or a `phone`
            (a contact with neither is answered `400 invalid_request`); `name` is how
            your team will see them.
        initial_message (InitialMessage): The first message of the ticket. It takes the ticket's channel.
        priority (TicketPriority | Unset): How urgent a ticket is, from `low` to `urgent`. New tickets are `normal`
            unless set.
        tags (list[str] | Unset): Tags to set on the ticket (none by default).
    """

    subject: str
    channel: Channel
    contact: ContactInput
    initial_message: InitialMessage
    priority: TicketPriority | Unset = UNSET
    tags: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        subject = self.subject

        channel = self.channel.value

        contact = self.contact.to_dict()

        initial_message = self.initial_message.to_dict()

        priority: str | Unset = UNSET
        if not isinstance(self.priority, Unset):
            priority = self.priority.value

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "subject": subject,
                "channel": channel,
                "contact": contact,
                "initial_message": initial_message,
            }
        )
        if priority is not UNSET:
            field_dict["priority"] = priority
        if tags is not UNSET:
            field_dict["tags"] = tags

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.contact_input import ContactInput
        from ..models.initial_message import InitialMessage

        d = dict(src_dict)
        subject = d.pop("subject")

        channel = Channel(d.pop("channel"))

        contact = ContactInput.from_dict(d.pop("contact"))

        initial_message = InitialMessage.from_dict(d.pop("initial_message"))

        _priority = d.pop("priority", UNSET)
        priority: TicketPriority | Unset
        if isinstance(_priority, Unset):
            priority = UNSET
        else:
            priority = TicketPriority(_priority)

        tags = cast(list[str], d.pop("tags", UNSET))

        ticket_create = cls(
            subject=subject,
            channel=channel,
            contact=contact,
            initial_message=initial_message,
            priority=priority,
            tags=tags,
        )

        return ticket_create
