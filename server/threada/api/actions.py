"""/tickets/{ticket_id}/actions.

`runAction` is a coroutine on both frameworks: its database work runs in the thread
pool and the hook call is awaited on the event loop (httpx's async client), so a slow
hook holds a socket, not a thread (on AsyncApp; FlaskApp runs it in its WSGI thread).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from threada.api._common import Resource, Response, claim, principal, reply, stored
from threada.domain import actions
from threada.domain.idempotency import StoredResponse
from threada.outbound import run_custom_http_async


class Actions(Resource):
    async def runAction(self, ticket_id: str, body: dict) -> Response:  # noqa: N802
        s = self.s
        who = principal()
        request_claim = claim(body)
        payload = body["payload"]

        def respond(act: dict) -> StoredResponse:
            location = f"{s.base_path}/tickets/{ticket_id}/actions/{act['action_id']}"
            return stored({"action": act}, 201, {"Location": location})

        s.actions_in_flight.acquire()  # or 429 naming the server's limit
        try:
            begun = await run_in_threadpool(
                lambda: actions.begin_action(
                    s.db,
                    principal=who,
                    ticket_id=ticket_id,
                    payload=payload,
                    policy=s.outbound,
                    default_cap=s.max_actions_in_flight,
                    idempotency=s.idempotency,
                    claim=request_claim,
                    respond=respond,
                )
            )
            if begun.replay is not None:
                return reply(begun.replay)
            assert begun.row is not None and begun.base_url is not None
            outcome = await run_custom_http_async(
                base_url=begun.base_url,
                method=payload["method"],
                path=payload["url"],
                headers=payload.get("headers"),
                body_json=payload.get("body_json"),
                policy=s.outbound,
                action_id=begun.row["action_id"],
                outbound=s.outbound_client,
            )
            row = begun.row
            response = await run_in_threadpool(
                lambda: actions.finish_action(
                    s.db,
                    row=row,
                    outcome=outcome,
                    idempotency=s.idempotency,
                    claim=request_claim,
                    respond=respond,
                )
            )
        finally:
            s.actions_in_flight.release()
        return reply(response)

    def listActions(  # noqa: N802
        self, ticket_id: str, limit: int = 25, page_token: str | None = None
    ) -> Response:
        page = actions.list_actions(
            self.s.db,
            principal=principal(),
            tokens=self.s.tokens,
            ticket_id=ticket_id,
            limit=limit,
            page_token=page_token,
        )
        return page, 200, {}

    def getAction(self, ticket_id: str, action_id: str) -> Response:  # noqa: N802
        act = actions.get_action(
            self.s.db, principal=principal(), ticket_id=ticket_id, action_id=action_id
        )
        return {"action": act}, 200, {}
