"""Webhook deliveries end to end: real receivers on 127.0.0.1, the dispatcher started with
the app, signatures checked with the standardwebhooks library, payloads against the spec.

The retry base is 0.05 s here (THREADA_WEBHOOKS_RETRY_BASE_SECONDS), so the schedule
0.05, 0.2, 0.8, 3.2 s runs in seconds; its shape is the production one.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook
from threada import spec
from threada.app import create_app
from threada.domain import auth, tickets
from threada.domain import webhooks as domain
from threada.domain.webhook_dispatch import Dispatcher, Schedule
from threada.outbound import OutboundPolicy
from threada.storage.db import Database

from server.tests.apihelpers import BASE, Tenant, example_ticket
from server.tests.conftest import new_database_url
from server.tests.webhookhelpers import EventChecker, WebhookReceiver, loads

WH = ("support.webhooks",)
ORDER = ["ticket.created", "ticket.updated", "message.created", "action.completed"]
SETTINGS = {
    "webhooks_retry_base_seconds": 0.05,
    "webhooks_max_attempts": 5,
    "webhooks_poll_seconds": 0.2,
    "webhooks_max_in_flight": 6,
    "webhooks_endpoint_max_in_flight": 3,
    "webhooks_tenant_max_in_flight": 4,
}


def local_policy(**kw: Any) -> OutboundPolicy:
    return OutboundPolicy.allowing("127.0.0.1", connect_timeout=1.0, total_timeout=5.0, **kw)


@pytest.fixture(scope="module")
def checker() -> EventChecker:
    return EventChecker(spec.load_spec())


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "sqlite-async"])
def wh(request, tmp_path_factory, pg_cluster):
    """(client, db, backend): an app of its own whose dispatcher runs while the client is open."""
    url = new_database_url(request.param, tmp_path_factory, pg_cluster)
    app = create_app(
        {
            "framework": "async" if request.param.endswith("-async") else "flask",
            "database_url": url,
            "var_dir": str(tmp_path_factory.mktemp("var")),
            "secret_key": "test-" + uuid.uuid4().hex,
            "outbound_policy": local_policy(),
            **SETTINGS,
        }
    )
    with app.test_client() as c:
        yield c, app.threada_services.db, request.param
    app.threada_services.db.dispose()


def new_tenant(db: Database, *, actions_base_url: str | None = None) -> Tenant:
    name = f"t-{uuid.uuid4().hex[:12]}"
    row = auth.create_tenant(db, name=name)
    if actions_base_url:
        auth.set_actions_base_url(db, tenant=row["tenant_id"], base_url=actions_base_url)
    scopes = {"all": ("support.read", "support.write", "support.actions"), "webhooks": WH}
    keys, ids = {}, {}
    for label, s in scopes.items():
        key, secret = auth.create_key(db, tenant=row["tenant_id"], name=label, scopes=list(s))
        keys[label], ids[label] = secret, key["key_id"]
    return Tenant(tenant_id=row["tenant_id"], name=name, keys=keys, key_ids=ids)


def register(c, t: Tenant, url: str, **body: Any) -> tuple[str, str]:
    r = c.post(f"{BASE}/webhook_endpoints", json={"url": url, **body}, headers=t.h("webhooks"))
    assert r.status_code == 201, r.text
    return r.json()["webhook_endpoint"]["endpoint_id"], r.json()["secret"]


def new_ticket(c, t: Tenant) -> str:
    r = c.post(f"{BASE}/tickets", json=example_ticket(), headers=t.h())
    assert r.status_code == 201, r.text
    return r.json()["ticket"]["summary"]["ticket_id"]


def deliveries(c, t: Tenant, eid: str) -> list[dict]:
    r = c.get(f"{BASE}/webhook_endpoints/{eid}/deliveries?limit=100", headers=t.h("webhooks"))
    assert r.status_code == 200, r.text
    return r.json()["items"]


def ticket_of(event: dict) -> str:
    data = event["data"]
    if "ticket" in data:
        return data["ticket"]["summary"]["ticket_id"]
    return (data.get("message") or data["action"])["ticket_id"]


def test_four_events_arrive_signed_valid_and_in_order_per_ticket(wh, checker):
    c, db, _ = wh
    receiver = WebhookReceiver()
    try:
        t = new_tenant(db, actions_base_url=receiver.url)
        _eid, secret = register(c, t, receiver.url + "/wh")
        ids = [new_ticket(c, t) for _ in range(2)]
        for tid in ids:  # the two tickets' changes interleave
            r = c.patch(f"{BASE}/tickets/{tid}", json={"status": "pending"}, headers=t.h())
            assert r.status_code == 200, r.text
        for tid in ids:
            r = c.post(
                f"{BASE}/tickets/{tid}/messages",
                json={"role": "agent", "content": "We are on it."},
                headers=t.h(),
            )
            assert r.status_code == 201, r.text
        for tid in ids:
            r = c.post(
                f"{BASE}/tickets/{tid}/actions",
                json={"payload": {"type": "custom_http", "method": "POST", "url": "/hooks/x"}},
                headers=t.h(),
            )
            assert r.status_code == 201 and r.json()["action"]["status"] == "succeeded", r.text
        assert receiver.wait_for(lambda: len(receiver.accepted("/wh")) >= 8, 15)
        time.sleep(0.3)  # nothing more may come
        got = receiver.accepted("/wh")
        assert len(got) == 8
        events = [checker.check(r, secret) for r in got]
        assert {e["tenant_id"] for e in events} == {t.tenant_id}
        assert len({e["id"] for e in events}) == 8
        for tid in ids:
            assert [e["type"] for e in events if ticket_of(e) == tid] == ORDER
        updated = next(e for e in events if e["type"] == "ticket.updated")
        assert updated["data"]["changed_fields"] == ["status"]
        assert updated["data"]["ticket"]["summary"]["status"] == "pending"
    finally:
        receiver.close()


def test_a_failing_receiver_gets_the_event_on_a_later_attempt(wh, checker):
    c, db, _ = wh
    # The first three attempts are answered 503, then 200.
    receiver = WebhookReceiver(lambda n, _p: (503 if n <= 3 else 200, 0.0))
    try:
        t = new_tenant(db)
        eid, secret = register(c, t, receiver.url + "/wh", event_types=["ticket.created"])
        new_ticket(c, t)
        assert receiver.wait_for(lambda: len(receiver.requests) >= 2, 10)
        [d] = deliveries(c, t, eid)
        assert d["status"] == "pending" and d["attempts"] >= 2
        assert d["last_response_code"] == 503 and "try later" in d["last_response_excerpt"]
        assert d["next_attempt_at"] is not None and d["last_error"] == "target answered 503"
        assert receiver.wait_for(lambda: len(receiver.accepted()) == 1, 15)
        [ok] = receiver.accepted()
        event = checker.check(ok, secret)
        assert {r["headers"]["webhook-id"] for r in receiver.requests} == {event["id"]}
        times = [r["at"] for r in receiver.requests]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        # 0.05, 0.2, 0.8 s nominal, +-20 % jitter: never sooner than that (a loaded
        # machine may only make them later).
        assert len(gaps) == 3
        assert gaps[0] >= 0.04 and gaps[1] >= 0.16 and gaps[2] >= 0.64, gaps
        [d] = deliveries(c, t, eid)
        assert d["status"] == "succeeded" and d["attempts"] == 4
        assert d["last_response_code"] == 200 and d["next_attempt_at"] is None

        # Redeliver: the same event (id, body) once more, signed again.
        r = c.post(
            f"{BASE}/webhook_endpoints/{eid}/deliveries/{d['delivery_id']}/redeliver",
            headers=t.h("webhooks"),
        )
        assert r.status_code == 202 and r.json()["delivery"]["status"] == "pending", r.text
        assert receiver.wait_for(lambda: len(receiver.accepted()) == 2, 10)
        again = receiver.accepted()[1]
        assert checker.check(again, secret)["id"] == event["id"]
        assert again["body"] == ok["body"]
    finally:
        receiver.close()


def test_rotation_signs_with_old_and_new_secret(wh):
    c, db, _ = wh
    receiver = WebhookReceiver()
    try:
        t = new_tenant(db)
        eid, old = register(c, t, receiver.url + "/wh", event_types=["ticket.created"])
        r = c.post(f"{BASE}/webhook_endpoints/{eid}/rotate_secret", headers=t.h("webhooks"))
        new = r.json()["secret"]
        new_ticket(c, t)
        assert receiver.wait_for(lambda: len(receiver.accepted()) == 1, 10)
        [got] = receiver.accepted()
        assert len(got["headers"]["webhook-signature"].split(" ")) == 2
        assert Webhook(old).verify(got["body"], got["headers"]) == Webhook(new).verify(
            got["body"], got["headers"]
        )
        with pytest.raises(Exception, match="signature"):
            Webhook(domain.new_secret()).verify(got["body"], got["headers"])
    finally:
        receiver.close()


def test_a_slow_tenant_does_not_delay_another(wh):
    """Tenant A's receiver takes 4 s per event and A has 10 events; B's events still go
    out at once: A holds at most its endpoint cap (3) of the dispatcher's 6 slots. (Without
    the caps A takes all 6 and B waits for the first of them to end: seconds.)"""
    c, db, _ = wh
    in_flight = {"now": 0, "max": 0}
    lock = threading.Lock()

    def slow(_n: int, _p: str) -> tuple[int, float]:
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
        time.sleep(4.0)
        with lock:
            in_flight["now"] -= 1
        return 200, 0.0

    slow_rx, fast_rx = WebhookReceiver(slow), WebhookReceiver()
    try:
        a, b = new_tenant(db), new_tenant(db)
        register(c, a, slow_rx.url + "/a", event_types=["ticket.created"])
        register(c, b, fast_rx.url + "/b", event_types=["ticket.created"])
        for _ in range(10):
            new_ticket(c, a)
        time.sleep(0.3)  # A's deliveries are in flight
        sent = {}
        for _ in range(3):
            tid = new_ticket(c, b)
            sent[tid] = time.monotonic()
        assert fast_rx.wait_for(lambda: len(fast_rx.accepted()) == 3, 10)
        latency = [
            r["at"] - sent[loads(r)["data"]["ticket"]["summary"]["ticket_id"]]
            for r in fast_rx.accepted()
        ]
        print(f"tenant B latency while A is slow: max {max(latency) * 1000:.0f} ms")
        assert max(latency) < 1.25, latency
        assert 1 <= in_flight["max"] <= 3
    finally:
        slow_rx.close()
        fast_rx.close()


@pytest.mark.slow
def test_an_endpoint_failing_the_whole_window_is_disabled_with_a_reason(wh):
    c, db, _ = wh
    status = {"code": 500}
    receiver = WebhookReceiver(lambda _n, _p: (status["code"], 0.0))
    try:
        t = new_tenant(db)
        eid, _secret = register(c, t, receiver.url + "/wh", event_types=["ticket.created"])
        new_ticket(c, t)

        def disabled() -> bool:
            r = c.get(f"{BASE}/webhook_endpoints/{eid}", headers=t.h("webhooks")).json()
            return r["webhook_endpoint"]["enabled"] is False

        assert receiver.wait_for(disabled, 15)
        ep = c.get(f"{BASE}/webhook_endpoints/{eid}", headers=t.h("webhooks")).json()
        assert "target answered 500" in ep["webhook_endpoint"]["disabled_reason"]
        [d] = deliveries(c, t, eid)
        assert d["status"] == "failed" and d["attempts"] == 5 and d["next_attempt_at"] is None
        assert len(receiver.requests) == 5
        # Disabled: redelivery is refused until it is enabled again.
        url = f"{BASE}/webhook_endpoints/{eid}/deliveries/{d['delivery_id']}/redeliver"
        assert c.post(url, headers=t.h("webhooks")).status_code == 409
        r = c.patch(
            f"{BASE}/webhook_endpoints/{eid}", json={"enabled": True}, headers=t.h("webhooks")
        )
        assert r.json()["webhook_endpoint"]["disabled_reason"] is None
        status["code"] = 200
        assert c.post(url, headers=t.h("webhooks")).status_code == 202
        assert receiver.wait_for(lambda: len(receiver.accepted()) == 1, 10)
    finally:
        receiver.close()


# --- the guard at delivery time, and the claim ---------------------------------------------


def _setup(db: Database, url: str, *, policy: OutboundPolicy) -> tuple[Any, str]:
    tenant = auth.create_tenant(db, name=f"t-{uuid.uuid4().hex[:12]}")
    _k, secret = auth.create_key(db, tenant=tenant["tenant_id"], name="k", scopes=list(auth.SCOPES))
    principal = auth.authenticate(db, secret)
    assert principal is not None
    ep, _s = domain.create_endpoint(
        db, principal=principal, body={"url": url, "event_types": ["ticket.created"]}, policy=policy
    )
    return principal, ep["endpoint_id"]


async def _run_for(dispatchers: list[Dispatcher], until, timeout: float) -> None:
    for d in dispatchers:
        d.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not until():
        await asyncio.sleep(0.05)
    for d in dispatchers:
        await d.stop()


def test_a_loopback_url_is_refused_at_delivery(tmp_path):
    """Registered while 127.0.0.1 was allowed; the dispatcher's policy no longer allows it:
    the attempt fails as blocked and nothing reaches the receiver."""
    db = Database(f"sqlite:///{tmp_path / 'guard.db'}")
    db.upgrade()
    receiver = WebhookReceiver()
    try:
        principal, eid = _setup(db, receiver.url + "/wh", policy=local_policy())
        tickets.create_ticket(db, principal=principal, body=example_ticket())
        strict = Dispatcher(db, OutboundPolicy(total_timeout=2.0), poll_seconds=0.05)

        def attempted() -> bool:
            rows = domain.list_deliveries(
                db, principal=principal, tokens=_Tokens(), endpoint_id=eid
            )["items"]
            return bool(rows) and rows[0]["attempts"] >= 1

        asyncio.run(_run_for([strict], attempted, 10))
        [d] = domain.list_deliveries(db, principal=principal, tokens=_Tokens(), endpoint_id=eid)[
            "items"
        ]
        assert d["status"] == "pending" and d["last_response_code"] is None
        assert "blocked by policy" in d["last_error"] and "loopback" in d["last_error"]
        assert receiver.requests == []
    finally:
        receiver.close()
        db.dispose()


class _Tokens:
    """Page tokens are not used by these single-page reads."""

    def encode(self, **_kw: Any) -> str:
        raise AssertionError("no second page expected")

    def decode(self, *_a: Any, **_kw: Any) -> list:
        raise AssertionError("no page token expected")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_claims_are_disjoint_ordered_and_taken_over_after_the_lease(
    backend, tmp_path_factory, pg_cluster
):
    db = Database(new_database_url(backend, tmp_path_factory, pg_cluster))
    db.upgrade()
    try:
        principal, _eid = _setup(db, "http://127.0.0.1:9/wh", policy=local_policy())
        ids = [
            tickets.create_ticket(db, principal=principal, body=example_ticket())["summary"][
                "ticket_id"
            ]
            for _ in range(6)
        ]
        policy = local_policy().__class__.allowing("127.0.0.1", total_timeout=0.2)
        # A 2 s lease: long enough that a loaded machine cannot let it run out between claims.
        kw = {"endpoint_max_in_flight": 100, "tenant_max_in_flight": 100, "lease_seconds": 2.0}
        one = Dispatcher(db, policy, max_in_flight=4, owner="one", **kw)
        two = Dispatcher(db, policy, max_in_flight=4, owner="two", **kw)
        got_one, _ = one._claim()
        got_two, _ = two._claim()
        assert len(got_one) == 4 and len(got_two) == 2
        assert not {r["delivery_id"] for r in got_one} & {r["delivery_id"] for r in got_two}
        assert two._claim()[0] == []  # everything is leased
        time.sleep(2.2)  # the leases run out
        taken = two._claim()[0]
        assert len(taken) == 4  # its cap; its own two leases ran out as well
        assert {r["delivery_id"] for r in taken} <= {r["delivery_id"] for r in got_one + got_two}
        assert len(ids) == 6
    finally:
        db.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_dispatchers_deliver_every_event_once(backend, tmp_path_factory, pg_cluster):
    """Two dispatchers (as two server processes would) share 30 events: each arrives once,
    and the ticket's later event waits for its first."""
    db = Database(new_database_url(backend, tmp_path_factory, pg_cluster))
    db.upgrade()
    receiver = WebhookReceiver(lambda _n, _p: (200, 0.05))
    try:
        principal, eid = _setup(db, receiver.url + "/wh", policy=local_policy())
        domain_update = {"event_types": ["ticket.created", "ticket.updated"]}
        domain.update_endpoint(
            db, principal=principal, endpoint_id=eid, patch=domain_update, policy=local_policy()
        )
        ids = []
        for _ in range(15):
            tid = tickets.create_ticket(db, principal=principal, body=example_ticket())["summary"][
                "ticket_id"
            ]
            tickets.update_ticket(
                db, principal=principal, ticket_id=tid, patch={"priority": "high"}
            )
            ids.append(tid)
        pair = [
            Dispatcher(db, local_policy(), poll_seconds=0.05, max_in_flight=4, owner=o)
            for o in ("a", "b")
        ]
        asyncio.run(_run_for(pair, lambda: len(receiver.accepted()) >= 30, 30))
        got = [loads(r) for r in receiver.accepted()]
        assert len(got) == 30 and len({e["id"] for e in got}) == 30
        for tid in ids:
            assert [e["type"] for e in got if ticket_of(e) == tid] == ORDER[:2]
    finally:
        receiver.close()
        db.dispose()


def test_schedule_spans_at_least_a_day_with_jitter():
    s = Schedule()
    assert s.max_attempts == 9
    assert s.shortest_window_seconds >= 24 * 3600
    low = [s.delay_seconds(n, rng=lambda: 0.0) for n in range(1, 9)]
    high = [s.delay_seconds(n, rng=lambda: 1.0) for n in range(1, 9)]
    assert low[0] == pytest.approx(4.0) and high[0] == pytest.approx(6.0)
    assert all(b == pytest.approx(a * 4) for a, b in zip(low, low[1:], strict=False))
    assert sum(low) >= 24 * 3600


def test_finished_deliveries_are_purged_after_30_days(tmp_path):
    import sqlalchemy as sa

    db = Database(f"sqlite:///{tmp_path / 'purge.db'}")
    db.upgrade()
    try:
        principal, _eid = _setup(db, "http://127.0.0.1:9/wh", policy=local_policy())
        for _ in range(3):
            tickets.create_ticket(db, principal=principal, body=example_ticket())
        day = 24 * 3600 * 1000
        with db.write() as conn:
            rows = conn.execute(sa.text("SELECT delivery_id FROM webhook_deliveries")).scalars()
            old, pending_old, recent = list(rows)
            conn.execute(
                sa.text("UPDATE webhook_deliveries SET created_at = created_at - :d"),
                {"d": 31 * day},
            )
            conn.execute(
                sa.text("UPDATE webhook_events SET created_at = created_at - :d"), {"d": 31 * day}
            )
            conn.execute(
                sa.text("UPDATE webhook_deliveries SET status='succeeded' WHERE delivery_id=:i"),
                {"i": old},
            )
            conn.execute(
                sa.text(
                    "UPDATE webhook_deliveries SET status='failed', created_at = created_at + :d"
                    " WHERE delivery_id=:i"
                ),
                {"i": recent, "d": 31 * day},
            )
        d = Dispatcher(db, local_policy())
        assert d.purge(now=int(time.time() * 1000)) == 1
        with db.read() as conn:
            left = set(
                conn.execute(sa.text("SELECT delivery_id FROM webhook_deliveries")).scalars()
            )
            events = conn.execute(sa.text("SELECT count(*) FROM webhook_events")).scalar()
        assert left == {pending_old, recent} and events == 2
    finally:
        db.dispose()
