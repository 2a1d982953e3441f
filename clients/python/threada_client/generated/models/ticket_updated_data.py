from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.ticket_updated_data_changed_fields_item import (
    TicketUpdatedDataChangedFieldsItem,
)

if TYPE_CHECKING:
    from ..models.ticket import Ticket


T = TypeVar("T", bound="TicketUpdatedData")


@_attrs_define
class TicketUpdatedData:
    """The ticket after the change, and which of its fields changed.

    Attributes:
        ticket (Ticket): A ticket with its contact and conversation.
        changed_fields (list[TicketUpdatedDataChangedFieldsItem]): The fields whose value changed.
    """

    ticket: Ticket
    changed_fields: list[TicketUpdatedDataChangedFieldsItem]

    def to_dict(self) -> dict[str, Any]:
        ticket = self.ticket.to_dict()

        changed_fields = []
        for changed_fields_item_data in self.changed_fields:
            changed_fields_item = changed_fields_item_data.value
            changed_fields.append(changed_fields_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "ticket": ticket,
                "changed_fields": changed_fields,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.ticket import Ticket

        d = dict(src_dict)
        ticket = Ticket.from_dict(d.pop("ticket"))

        changed_fields = []
        _changed_fields = d.pop("changed_fields")
        for changed_fields_item_data in _changed_fields:
            changed_fields_item = TicketUpdatedDataChangedFieldsItem(
                changed_fields_item_data
            )

            changed_fields.append(changed_fields_item)

        ticket_updated_data = cls(
            ticket=ticket,
            changed_fields=changed_fields,
        )

        return ticket_updated_data
