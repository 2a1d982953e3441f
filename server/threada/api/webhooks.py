"""/webhook_endpoints and their deliveries."""

from __future__ import annotations

from threada.api._common import Response, Services, idempotent, principal, services
from threada.domain import webhooks
from threada.outbound import OutboundPolicy


def _policy(s: Services) -> OutboundPolicy:
    return s.webhook_policy or s.outbound


def listWebhookEndpoints(  # noqa: N802 - named by operationId
    limit: int = 25, page_token: str | None = None
) -> Response:
    s = services()
    page = webhooks.list_endpoints(
        s.db, principal=principal(), tokens=s.tokens, limit=limit, page_token=page_token
    )
    return page, 200, {}


def createWebhookEndpoint(body: dict) -> Response:  # noqa: N802
    def produce() -> Response:
        s = services()
        endpoint, secret = webhooks.create_endpoint(
            s.db, principal=principal(), body=body, policy=_policy(s)
        )
        location = f"{s.base_path}/webhook_endpoints/{endpoint['endpoint_id']}"
        return {"webhook_endpoint": endpoint, "secret": secret}, 201, {"Location": location}

    return idempotent(body, produce)


def getWebhookEndpoint(endpoint_id: str) -> Response:  # noqa: N802
    endpoint = webhooks.get_endpoint(services().db, principal=principal(), endpoint_id=endpoint_id)
    return {"webhook_endpoint": endpoint}, 200, {}


def updateWebhookEndpoint(endpoint_id: str, body: dict) -> Response:  # noqa: N802
    s = services()
    endpoint = webhooks.update_endpoint(
        s.db, principal=principal(), endpoint_id=endpoint_id, patch=body, policy=_policy(s)
    )
    return {"webhook_endpoint": endpoint}, 200, {}


def deleteWebhookEndpoint(endpoint_id: str) -> Response:  # noqa: N802
    endpoint = webhooks.delete_endpoint(
        services().db, principal=principal(), endpoint_id=endpoint_id
    )
    return {"webhook_endpoint": endpoint}, 200, {}


def rotateWebhookSecret(endpoint_id: str) -> Response:  # noqa: N802
    def produce() -> Response:
        s = services()
        endpoint, secret = webhooks.rotate_secret(
            s.db,
            principal=principal(),
            endpoint_id=endpoint_id,
            grace_seconds=s.webhook_secret_grace_seconds,
        )
        return {"webhook_endpoint": endpoint, "secret": secret}, 200, {}

    return idempotent(None, produce)


def listWebhookDeliveries(  # noqa: N802
    endpoint_id: str, status: str | None = None, limit: int = 25, page_token: str | None = None
) -> Response:
    s = services()
    page = webhooks.list_deliveries(
        s.db,
        principal=principal(),
        tokens=s.tokens,
        endpoint_id=endpoint_id,
        status=status,
        limit=limit,
        page_token=page_token,
    )
    return page, 200, {}


def redeliverWebhook(endpoint_id: str, delivery_id: str) -> Response:  # noqa: N802
    def produce() -> Response:
        d = webhooks.redeliver(
            services().db, principal=principal(), endpoint_id=endpoint_id, delivery_id=delivery_id
        )
        return {"delivery": d}, 202, {}

    return idempotent(None, produce)
