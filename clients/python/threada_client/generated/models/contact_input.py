from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ContactInput")


@_attrs_define
class ContactInput:
    """The customer the ticket is with. Give at least an `email` or a `phone`
    (a contact with neither is answered `400 invalid_request`); `name` is how
    your team will see them.

        Attributes:
            name (str | Unset): The customer's display name.
            email (str | Unset): The customer's email address.
            phone (str | Unset): The customer's phone number in E.164 form (for WhatsApp, SMS and voice).
    """

    name: str | Unset = UNSET
    email: str | Unset = UNSET
    phone: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        email = self.email

        phone = self.phone

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if email is not UNSET:
            field_dict["email"] = email
        if phone is not UNSET:
            field_dict["phone"] = phone

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name", UNSET)

        email = d.pop("email", UNSET)

        phone = d.pop("phone", UNSET)

        contact_input = cls(
            name=name,
            email=email,
            phone=phone,
        )

        return contact_input
