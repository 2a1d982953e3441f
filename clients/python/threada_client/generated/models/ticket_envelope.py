from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.ticket import Ticket


T = TypeVar("T", bound="TicketEnvelope")


@_attrs_define
class TicketEnvelope:
    """A ticket, wrapped in `ticket`.

    Attributes:
        ticket (Ticket): A ticket with its contact and conversation.
    """

    ticket: Ticket

    def to_dict(self) -> dict[str, Any]:
        ticket = self.ticket.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "ticket": ticket,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.ticket import Ticket

        d = dict(src_dict)
        ticket = Ticket.from_dict(d.pop("ticket"))

        ticket_envelope = cls(
            ticket=ticket,
        )

        return ticket_envelope
