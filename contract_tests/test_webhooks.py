"""Webhook deliveries keep the contract: every request the server (and the stateful mock)
delivers to a receiver on 127.0.0.1 is signed as Standard Webhooks says and carries a
payload valid against the spec's `webhooks` schemas. And the check itself catches a
tampered body, a wrong secret and a payload the spec does not allow."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from typing import Any

import pytest

from contract_tests.targets import BUNDLE, mock_target, server_target
from contract_tests.webhooks import WebhookContract
from server.tests.webhookhelpers import WebhookReceiver

DOCUMENT = json.loads(BUNDLE.read_text())
LIVE = bool(os.environ.get("CONTRACT_URL"))
BASE = "/api/v1/public"
TICKET = {
    "subject": "Refund request for order #48213",
    "channel": "email",
    "contact": {"name": "Priya Sharma", "email": "priya.sharma@example.com"},
    "initial_message": {"role": "user", "content": "Hi, I'd like a refund for order #48213."},
}


def _exercise(client: Any, key: str, receiver: WebhookReceiver) -> str:
    """Register the receiver, then create, update, message and act: the four events."""
    h = {"X-Api-Key": key}
    r = client.post(f"{BASE}/webhook_endpoints", json={"url": receiver.url + "/wh"}, headers=h)
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    r = client.post(f"{BASE}/tickets", json=TICKET, headers=h)
    assert r.status_code == 201, r.text
    tid = r.json()["ticket"]["summary"]["ticket_id"]
    r = client.patch(f"{BASE}/tickets/{tid}", json={"priority": "high"}, headers=h)
    assert r.status_code == 200, r.text
    r = client.post(
        f"{BASE}/tickets/{tid}/messages", json={"role": "agent", "content": "Done."}, headers=h
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"{BASE}/tickets/{tid}/actions",
        json={"payload": {"type": "custom_http", "method": "POST", "url": "/hooks/x"}},
        headers=h,
    )
    assert r.status_code == 201, r.text
    return secret


def _check_all(receiver: WebhookReceiver, secret: str, want: set[str]) -> None:
    contract = WebhookContract(DOCUMENT)
    got = receiver.accepted("/wh")
    types = {json.loads(r["body"])["type"] for r in got}
    assert want <= types, types
    problems = [p for r in got for p in contract.problems(r["body"], r["headers"], secret)]
    assert not problems, problems


@pytest.mark.slow
@pytest.mark.skipif(LIVE, reason="a live deployment cannot reach this machine's receiver")
def test_server_deliveries_keep_the_contract() -> None:
    from threada.domain.webhook_dispatch import Dispatcher, Schedule
    from threada.outbound import OutboundPolicy

    receiver = WebhookReceiver()
    try:
        # A fresh server of its own: the suite's other server holds fuzzed endpoint URLs.
        with server_target() as target:
            db = target.app.threada_services.db
            from threada.domain import auth

            tenant = auth.list_tenants(db)[0]
            auth.set_actions_base_url(db, tenant=tenant["tenant_id"], base_url=receiver.url)
            loop = asyncio.new_event_loop()
            dispatcher = Dispatcher(
                db,
                OutboundPolicy.allowing("127.0.0.1", total_timeout=5.0),
                schedule=Schedule(base_seconds=0.05),
                poll_seconds=0.05,
            )
            thread = threading.Thread(target=loop.run_forever, daemon=True)
            thread.start()

            async def start() -> None:
                dispatcher.start()

            asyncio.run_coroutine_threadsafe(start(), loop).result(10)
            try:
                with target.app.test_client() as client:
                    secret = _exercise(client, target.key, receiver)
                    receiver.wait_for(lambda: len(receiver.accepted("/wh")) >= 4, 15)
            finally:
                asyncio.run_coroutine_threadsafe(dispatcher.stop(), loop).result(15)
                loop.call_soon_threadsafe(loop.stop)
                thread.join(10)
                loop.close()
        _check_all(
            receiver,
            secret,
            {"ticket.created", "ticket.updated", "message.created", "action.completed"},
        )
    finally:
        receiver.close()


@pytest.mark.skipif(LIVE, reason="runs on the in-process mock only")
def test_mock_deliveries_keep_the_contract() -> None:
    from starlette.testclient import TestClient

    receiver = WebhookReceiver()
    try:
        with mock_target() as target, TestClient(target.app) as client:
            secret = _exercise(client, target.key, receiver)
            # The spec's four example events at registration, then the four live ones.
            receiver.wait_for(lambda: len(receiver.accepted("/wh")) >= 8, 15)
        assert len(receiver.accepted("/wh")) == 8
        _check_all(
            receiver,
            secret,
            {"ticket.created", "ticket.updated", "message.created", "action.completed"},
        )
    finally:
        receiver.close()


def test_the_check_catches_what_it_should() -> None:
    """Proven against deliberately broken deliveries, like the rest of the suite."""
    from standardwebhooks.webhooks import Webhook

    contract = WebhookContract(DOCUMENT)
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw5pP0RsOZcGE="
    example = DOCUMENT["components"]["examples"]["WebhookTicketCreated"]["value"]

    def signed(event: dict, *, key: str = secret) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(event)
        stamp = int(time.time())
        from datetime import UTC, datetime

        sig = Webhook(key).sign(event["id"], datetime.fromtimestamp(stamp, tz=UTC), body)
        return body.encode(), {
            "webhook-id": event["id"],
            "webhook-timestamp": str(stamp),
            "webhook-signature": sig,
            "content-type": "application/json",
        }

    body, headers = signed(example)
    assert contract.problems(body, headers, secret) == []
    tampered = body.replace(b"Refund", b"Refunc")
    assert any("signature" in p for p in contract.problems(tampered, headers, secret))
    other = "whsec_" + "3Ksd8fJ2mQpL0vXc9RtYbN5wE1uH7aZoG4iT6yPkU0M="
    assert any("signature" in p for p in contract.problems(*signed(example, key=other), secret))
    bad = {**example, "data": {"ticket": {"summary": {}}}}
    assert any("payload" in p for p in contract.problems(*signed(bad), secret))
    unknown = {**example, "type": "ticket.deleted"}
    assert contract.problems(*signed(unknown), secret) == [
        "type 'ticket.deleted' is not an event of the spec"
    ]
    no_sig = {k: v for k, v in headers.items() if k != "webhook-signature"}
    assert contract.problems(body, no_sig, secret) == ["missing header(s) webhook-signature"]
