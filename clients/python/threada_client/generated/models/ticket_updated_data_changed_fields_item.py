from enum import StrEnum


class TicketUpdatedDataChangedFieldsItem(StrEnum):
    PRIORITY = "priority"
    STATUS = "status"
    SUBJECT = "subject"
    TAGS = "tags"

    def __str__(self) -> str:
        return str(self.value)
