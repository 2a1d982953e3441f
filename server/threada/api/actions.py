"""/tickets/{ticket_id}/actions."""

from __future__ import annotations

from threada.api._common import Response, idempotent, principal, services
from threada.domain import actions


def runAction(ticket_id: str, body: dict) -> Response:  # noqa: N802 - named by operationId
    def produce() -> Response:
        s = services()
        act = actions.run_action(
            s.db,
            principal=principal(),
            ticket_id=ticket_id,
            payload=body["payload"],
            policy=s.outbound,
        )
        location = f"{s.base_path}/tickets/{ticket_id}/actions/{act['action_id']}"
        return {"action": act}, 201, {"Location": location}

    return idempotent(body, produce)


def listActions(  # noqa: N802
    ticket_id: str, limit: int = 25, page_token: str | None = None
) -> Response:
    s = services()
    page = actions.list_actions(
        s.db,
        principal=principal(),
        tokens=s.tokens,
        ticket_id=ticket_id,
        limit=limit,
        page_token=page_token,
    )
    return page, 200, {}


def getAction(ticket_id: str, action_id: str) -> Response:  # noqa: N802
    act = actions.get_action(
        services().db, principal=principal(), ticket_id=ticket_id, action_id=action_id
    )
    return {"action": act}, 200, {}
