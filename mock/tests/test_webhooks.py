"""`--stateful` webhooks: an endpoint registered with the mock receives the spec's example
events and then the events of the mock's own changes, signed (checked with the
standardwebhooks library) and valid against the spec's `webhooks` schemas."""

from __future__ import annotations

from server.tests.webhookhelpers import EventChecker, WebhookReceiver


def test_registered_endpoint_receives_example_and_live_events(make_client, bundle):
    receiver = WebhookReceiver()
    checker = EventChecker(bundle.doc)
    try:
        with make_client(bundle.path, stateful=True) as client:
            r = client.post(
                f"{bundle.base}/webhook_endpoints",
                json={
                    "url": receiver.url + "/wh",
                    "event_types": ["ticket.created", "message.created"],
                },
            )
            assert r.status_code == 201, r.text
            bundle.check("createWebhookEndpoint", r)
            eid, secret = r.json()["webhook_endpoint"]["endpoint_id"], r.json()["secret"]
            # The two example events come at once.
            assert receiver.wait_for(lambda: len(receiver.accepted()) == 2, 10)
            examples = [checker.check(x, secret) for x in receiver.accepted()]
            assert sorted(e["type"] for e in examples) == ["message.created", "ticket.created"]

            ticket = {
                "subject": "Parcel arrived damaged",
                "channel": "whatsapp",
                "contact": {"phone": "+351912345678"},
                "initial_message": {"role": "user", "content": "The box was crushed."},
            }
            r = client.post(f"{bundle.base}/tickets", json=ticket)
            assert r.status_code == 201, r.text
            tid = r.json()["ticket"]["summary"]["ticket_id"]
            r = client.post(
                f"{bundle.base}/tickets/{tid}/messages", json={"role": "agent", "content": "Sorry!"}
            )
            assert r.status_code == 201, r.text
            assert receiver.wait_for(lambda: len(receiver.accepted()) == 4, 10)
            live = [checker.check(x, secret) for x in receiver.accepted()[2:]]
            assert [e["type"] for e in live] == ["ticket.created", "message.created"]
            assert live[0]["data"]["ticket"]["summary"]["ticket_id"] == tid
            assert live[1]["data"]["message"]["content"] == "Sorry!"

            r = client.get(f"{bundle.base}/webhook_endpoints/{eid}/deliveries")
            bundle.check("listWebhookDeliveries", r)
            items = r.json()["items"]
            assert len(items) == 4 and {d["status"] for d in items} == {"succeeded"}

            # Elsewhere: registered, never sent (the delivery fails with the reason).
            r = client.post(
                f"{bundle.base}/webhook_endpoints",
                json={"url": "https://example.com/x", "event_types": ["ticket.created"]},
            )
            assert r.status_code == 201, r.text
            other = r.json()["webhook_endpoint"]["endpoint_id"]
            r = client.get(f"{bundle.base}/webhook_endpoints/{other}/deliveries")
            [d] = r.json()["items"]
            assert d["status"] == "failed" and "loopback" in d["last_error"]
            assert d["attempts"] == 0 and len(receiver.requests) == 4
            r = client.post(f"{bundle.base}/webhook_endpoints", json={"url": "ftp://x.example/"})
            assert r.status_code == 400, r.text
            bundle.check("createWebhookEndpoint", r)
    finally:
        receiver.close()
