"""/tickets/{ticket_id}/messages."""

from __future__ import annotations

from threada.api._common import Response, idempotent, principal, services
from threada.domain import tickets


def listMessages(  # noqa: N802 - named by operationId
    ticket_id: str, limit: int = 25, page_token: str | None = None
) -> Response:
    s = services()
    page = tickets.list_messages(
        s.db,
        principal=principal(),
        tokens=s.tokens,
        ticket_id=ticket_id,
        limit=limit,
        page_token=page_token,
    )
    return page, 200, {}


def addMessage(ticket_id: str, body: dict) -> Response:  # noqa: N802
    def produce() -> Response:
        s = services()
        msg, created = tickets.add_message(
            s.db, principal=principal(), ticket_id=ticket_id, body=body
        )
        # No Location on 201: a message has no URL of its own in the spec.
        return {"message": msg}, 201 if created else 200, {}

    return idempotent(body, produce)
