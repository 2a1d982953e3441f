"""The bad-input corpus (`bad_input.py`) against the server, on every backend: each case
answers a documented 4xx in the envelope, `code` equal to the status, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from threada.domain import auth, tickets

from bad_input import CASES, Case
from server.tests.apihelpers import BASE, example_ticket

TABLES = ("tickets", "ticket_tags", "messages", "actions", "idempotency_records")


@pytest.fixture(scope="session")
def victim(db: Any) -> dict:
    """One tenant with a key of every scope and one ticket (shared by every case)."""
    import uuid

    row = auth.create_tenant(db, name=f"bad-input-{uuid.uuid4().hex[:8]}")
    _, secret = auth.create_key(db, tenant=row["tenant_id"], name="all", scopes=list(auth.SCOPES))
    principal = auth.authenticate(db, secret)
    ticket = tickets.create_ticket(db, principal=principal, body=example_ticket())
    return {"tenant_id": row["tenant_id"], "key": secret, "ticket": ticket["summary"]["ticket_id"]}


def snapshot(db: Any, tenant_id: str, ticket_id: str) -> tuple:
    with db.read() as conn:
        counts = tuple(
            conn.execute(
                sa.text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"),  # noqa: S608
                {"t": tenant_id},
            ).scalar_one()
            for table in TABLES
        )
        row = conn.execute(
            sa.text(
                "SELECT subject, status, priority, updated_at FROM tickets WHERE ticket_id = :i"
            ),
            {"i": ticket_id},
        ).one()
    return counts, tuple(row)


def send(client: Any, case: Case, key: str, ticket: str) -> Any:
    headers: list[tuple[bytes, bytes]] = [
        (k.encode("utf-8"), v.encode("utf-8", "surrogateescape")) for k, v in case.headers
    ]
    if case.auth and not any(k.lower() == b"x-api-key" for k, _ in headers):
        headers.append((b"X-Api-Key", key.encode()))
    return client.request(
        case.method,
        case.url(ticket=ticket, action="act_01HX0000000000000000000000"),
        content=case.body,
        headers=headers,
    )


def assert_envelope(response: Any, case: Case) -> None:
    status = response.status_code
    assert 400 <= status < 500, f"{case.id}: {status} {response.text[:300]}"
    assert status in case.statuses, (
        f"{case.id}: {status} not in {set(case.statuses)}: {response.text[:300]}"
    )
    assert response.headers["content-type"].startswith("application/json"), case.id
    err = response.json()["error"]
    assert err["code"] == status, case.id
    assert isinstance(err["type"], str) and isinstance(err["message"], str)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_answers_4xx_and_writes_nothing(
    case: Case, raw_client: Any, db: Any, victim: dict, backend: str
) -> None:
    before = snapshot(db, victim["tenant_id"], victim["ticket"])
    response = send(raw_client, case, victim["key"], victim["ticket"])
    assert_envelope(response, case)
    assert snapshot(db, victim["tenant_id"], victim["ticket"]) == before, case.id


def test_the_corpus_is_not_vacuous(raw_client: Any, victim: dict, backend: str) -> None:
    """The valid bodies the corpus spoils are accepted as they are."""
    from bad_input import BODIES

    for label, method, path, ctype, body in BODIES:
        if label == "runAction":
            continue  # needs an actions base URL; its validation runs before that check
        url = BASE + path.format(ticket=victim["ticket"], action="")
        response = raw_client.request(
            method, url, json=body, headers={"X-Api-Key": victim["key"], "Content-Type": ctype}
        )
        assert response.status_code in (200, 201), (label, response.text)
