from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.action import Action


T = TypeVar("T", bound="ActionEnvelope")


@_attrs_define
class ActionEnvelope:
    """An action, wrapped in `action`.

    Attributes:
        action (Action): An action run for a ticket, with its outcome.
    """

    action: Action

    def to_dict(self) -> dict[str, Any]:
        action = self.action.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "action": action,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.action import Action

        d = dict(src_dict)
        action = Action.from_dict(d.pop("action"))

        action_envelope = cls(
            action=action,
        )

        return action_envelope
