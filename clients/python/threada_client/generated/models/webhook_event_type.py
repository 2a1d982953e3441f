from enum import StrEnum


class WebhookEventType(StrEnum):
    ACTION_COMPLETED = "action.completed"
    MESSAGE_CREATED = "message.created"
    TICKET_CREATED = "ticket.created"
    TICKET_UPDATED = "ticket.updated"

    def __str__(self) -> str:
        return str(self.value)
