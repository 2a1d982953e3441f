"""/webhook_endpoints and their deliveries."""

from __future__ import annotations

from sqlalchemy import Connection

from threada.api._common import Resource, Response, claim, principal, reply, stored
from threada.domain import webhooks
from threada.domain.idempotency import StoredResponse
from threada.outbound import OutboundPolicy


class Webhooks(Resource):
    @property
    def _policy(self) -> OutboundPolicy:
        return self.s.webhook_policy or self.s.outbound

    def listWebhookEndpoints(  # noqa: N802 - named by operationId
        self, limit: int = 25, page_token: str | None = None
    ) -> Response:
        page = webhooks.list_endpoints(
            self.s.db,
            principal=principal(),
            tokens=self.s.tokens,
            limit=limit,
            page_token=page_token,
        )
        return page, 200, {}

    def createWebhookEndpoint(self, body: dict) -> Response:  # noqa: N802
        who = principal()
        # Resolving the host (the outbound guard) happens before the transaction.
        url = webhooks.check_url(body.get("url"), self._policy)

        def produce(conn: Connection) -> StoredResponse:
            endpoint, secret = webhooks.insert_endpoint(conn, principal=who, body=body, url=url)
            location = f"{self.s.base_path}/webhook_endpoints/{endpoint['endpoint_id']}"
            return stored(
                {"webhook_endpoint": endpoint, "secret": secret}, 201, {"Location": location}
            )

        return reply(self.s.idempotency.write_once(self.s.db, claim(body), produce))

    def getWebhookEndpoint(self, endpoint_id: str) -> Response:  # noqa: N802
        endpoint = webhooks.get_endpoint(self.s.db, principal=principal(), endpoint_id=endpoint_id)
        return {"webhook_endpoint": endpoint}, 200, {}

    def updateWebhookEndpoint(self, endpoint_id: str, body: dict) -> Response:  # noqa: N802
        endpoint = webhooks.update_endpoint(
            self.s.db,
            principal=principal(),
            endpoint_id=endpoint_id,
            patch=body,
            policy=self._policy,
        )
        return {"webhook_endpoint": endpoint}, 200, {}

    def deleteWebhookEndpoint(self, endpoint_id: str) -> Response:  # noqa: N802
        endpoint = webhooks.delete_endpoint(
            self.s.db, principal=principal(), endpoint_id=endpoint_id
        )
        return {"webhook_endpoint": endpoint}, 200, {}

    def rotateWebhookSecret(self, endpoint_id: str) -> Response:  # noqa: N802
        who = principal()

        def produce(conn: Connection) -> StoredResponse:
            endpoint, secret = webhooks.rotate_secret(
                conn,
                principal=who,
                endpoint_id=endpoint_id,
                grace_seconds=self.s.webhook_secret_grace_seconds,
            )
            return stored({"webhook_endpoint": endpoint, "secret": secret}, 200, {})

        return reply(self.s.idempotency.write_once(self.s.db, claim(None), produce))

    def listWebhookDeliveries(  # noqa: N802
        self,
        endpoint_id: str,
        status: str | None = None,
        limit: int = 25,
        page_token: str | None = None,
    ) -> Response:
        page = webhooks.list_deliveries(
            self.s.db,
            principal=principal(),
            tokens=self.s.tokens,
            endpoint_id=endpoint_id,
            status=status,
            limit=limit,
            page_token=page_token,
        )
        return page, 200, {}

    def redeliverWebhook(self, endpoint_id: str, delivery_id: str) -> Response:  # noqa: N802
        who = principal()

        def produce(conn: Connection) -> StoredResponse:
            d = webhooks.requeue(
                conn, principal=who, endpoint_id=endpoint_id, delivery_id=delivery_id
            )
            return stored({"delivery": d}, 202, {})

        return reply(self.s.idempotency.write_once(self.s.db, claim(None), produce))
