"""/tickets/{ticket_id}/messages."""

from __future__ import annotations

from sqlalchemy import Connection

from threada.api._common import Resource, Response, claim, principal, reply, stored
from threada.domain import tickets
from threada.domain.idempotency import StoredResponse


class Messages(Resource):
    def listMessages(  # noqa: N802 - named by operationId
        self, ticket_id: str, limit: int = 25, page_token: str | None = None
    ) -> Response:
        page = tickets.list_messages(
            self.s.db,
            principal=principal(),
            tokens=self.s.tokens,
            ticket_id=ticket_id,
            limit=limit,
            page_token=page_token,
        )
        return page, 200, {}

    def addMessage(self, ticket_id: str, body: dict) -> Response:  # noqa: N802
        who = principal()

        def produce(conn: Connection) -> StoredResponse:
            msg, created = tickets.insert_message(
                conn, principal=who, ticket_id=ticket_id, body=body
            )
            # No Location on 201: a message has no URL of its own in the spec.
            return stored({"message": msg}, 201 if created else 200, {})

        return reply(self.s.idempotency.write_once(self.s.db, claim(body), produce))
