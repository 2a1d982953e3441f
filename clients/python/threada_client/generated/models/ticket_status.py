from enum import StrEnum


class TicketStatus(StrEnum):
    CLOSED = "closed"
    ON_HOLD = "on_hold"
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"

    def __str__(self) -> str:
        return str(self.value)
