"""/tickets and /tickets/{ticket_id}."""

from __future__ import annotations

from threada.api._common import Response, idempotent, principal, services
from threada.domain import tickets
from threada.domain.errors import InvalidRequest
from threada.ids import parse_rfc3339


def listTickets(  # noqa: N802 - named by operationId
    status: list[str] | None = None,
    channel: list[str] | None = None,
    priority: list[str] | None = None,
    tag: str | None = None,
    updated_after: str | None = None,
    limit: int = 25,
    page_token: str | None = None,
) -> Response:
    after = None
    if updated_after is not None:
        try:
            after = parse_rfc3339(updated_after)
        except ValueError:
            raise InvalidRequest(
                "updated_after must be an RFC 3339 date-time",
                details=[{"field": "query.updated_after", "reason": "not an RFC 3339 date-time"}],
            ) from None
    s = services()
    page = tickets.list_tickets(
        s.db,
        principal=principal(),
        tokens=s.tokens,
        status=status,
        channel=channel,
        priority=priority,
        tag=tag,
        updated_after=after,
        limit=limit,
        page_token=page_token,
    )
    return page, 200, {}


def createTicket(body: dict) -> Response:  # noqa: N802
    def produce() -> Response:
        s = services()
        ticket = tickets.create_ticket(s.db, principal=principal(), body=body)
        location = f"{s.base_path}/tickets/{ticket['summary']['ticket_id']}"
        return {"ticket": ticket}, 201, {"Location": location}

    return idempotent(body, produce)


def getTicket(ticket_id: str) -> Response:  # noqa: N802
    ticket = tickets.get_ticket(services().db, principal=principal(), ticket_id=ticket_id)
    return {"ticket": ticket}, 200, {}


def updateTicket(ticket_id: str, body: dict) -> Response:  # noqa: N802
    ticket = tickets.update_ticket(
        services().db, principal=principal(), ticket_id=ticket_id, patch=body
    )
    return {"ticket": ticket}, 200, {}
