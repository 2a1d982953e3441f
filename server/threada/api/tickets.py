"""/tickets and /tickets/{ticket_id}."""

from __future__ import annotations

from sqlalchemy import Connection

from threada.api._common import Resource, Response, claim, principal, reply, stored
from threada.domain import tickets
from threada.domain.errors import InvalidRequest
from threada.domain.idempotency import StoredResponse
from threada.ids import parse_rfc3339


class Tickets(Resource):
    def listTickets(  # noqa: N802 - named by operationId
        self,
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
                    details=[
                        {"field": "query.updated_after", "reason": "not an RFC 3339 date-time"}
                    ],
                ) from None
        page = tickets.list_tickets(
            self.s.db,
            principal=principal(),
            tokens=self.s.tokens,
            status=status,
            channel=channel,
            priority=priority,
            tag=tag,
            updated_after=after,
            limit=limit,
            page_token=page_token,
        )
        return page, 200, {}

    def createTicket(self, body: dict) -> Response:  # noqa: N802
        who = principal()

        def produce(conn: Connection) -> StoredResponse:
            ticket = tickets.insert_ticket(conn, principal=who, body=body)
            location = f"{self.s.base_path}/tickets/{ticket['summary']['ticket_id']}"
            return stored({"ticket": ticket}, 201, {"Location": location})

        return reply(self.s.idempotency.write_once(self.s.db, claim(body), produce))

    def getTicket(self, ticket_id: str) -> Response:  # noqa: N802
        ticket = tickets.get_ticket(self.s.db, principal=principal(), ticket_id=ticket_id)
        return {"ticket": ticket}, 200, {}

    def updateTicket(self, ticket_id: str, body: dict) -> Response:  # noqa: N802
        ticket = tickets.update_ticket(
            self.s.db, principal=principal(), ticket_id=ticket_id, patch=body
        )
        return {"ticket": ticket}, 200, {}
