"""What must hold when several `threada serve` processes share one database and secret.

`check_all` runs three checks against two (or more) running servers and returns what it saw;
`make bench` records it in the results, and server/tests/test_two_processes.py asserts it
on a small database in `make test`:

- page tokens: a token handed out by one process is accepted by the other, and both serve
  the same next page for it;
- idempotency: concurrent POST /tickets with one Idempotency-Key, spread over the processes,
  create one ticket, and every answer is that ticket;
- rate limits: a key limited to N requests a minute, hit from both processes at once, gets at
  most N accepted in the window (and not far fewer: each process may hold back at most one
  unspent slice of its lease).
"""

from __future__ import annotations

import math
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

RATE_LIMIT = 120  # per minute, for the key the rate-limit check makes
SLICE = 0.1  # threada.domain.ratelimit.RateLimiter's default slice_fraction


def check_all(bases: list[str], *, url: str, key: str, log=print) -> dict:
    """`bases`: each process's API base URL; `url`: the shared database (for a limited key and
    the ticket count); `key`: a key with every scope on a tenant with a high limit."""
    out = {
        "processes": len(bases),
        "page_tokens": page_tokens(bases, key),
        "idempotency": idempotency(bases, url=url, key=key),
        "rate_limit": rate_limit(bases, url=url),
    }
    for name in ("page_tokens", "idempotency", "rate_limit"):
        log(f"two processes: {name}: {out[name]}")
    return out


def page_tokens(bases: list[str], key: str) -> dict:
    headers = {"X-Api-Key": key}
    seen = []
    with httpx.Client(timeout=30) as client:
        for first, other in ((bases[0], bases[1]), (bases[1], bases[0])):
            page1 = client.get(f"{first}/tickets", params={"limit": 5}, headers=headers)
            token = page1.json()["next_page_token"]
            there = client.get(
                f"{other}/tickets", params={"limit": 5, "page_token": token}, headers=headers
            )
            here = client.get(
                f"{first}/tickets", params={"limit": 5, "page_token": token}, headers=headers
            )
            seen.append(
                {
                    "status": there.status_code,
                    "same_page": there.status_code == 200
                    and [t["ticket_id"] for t in there.json()["items"]]
                    == [t["ticket_id"] for t in here.json()["items"]],
                }
            )
    return {
        "checked": len(seen),
        "accepted": sum(s["status"] == 200 for s in seen),
        "same_page": all(s["same_page"] for s in seen),
        "ok": all(s["status"] == 200 and s["same_page"] for s in seen),
    }


def idempotency(bases: list[str], *, url: str, key: str, keys: int = 5, each: int = 8) -> dict:
    """`keys` Idempotency-Keys, each sent `each` times at once, alternating processes."""
    import sqlalchemy as sa

    headers = {"X-Api-Key": key, "Content-Type": "application/json"}
    marker = f"two-process idempotency {uuid.uuid4().hex[:12]}"
    statuses: list[int] = []
    distinct_per_key: list[int] = []

    def post(args: tuple[int, str, int]) -> tuple[int, str | None]:
        i, idem, n = args
        body = {
            "subject": f"{marker} {n}",
            "channel": "email",
            "contact": {"email": "two@example.com"},
            "initial_message": {"role": "user", "content": "Hello"},
        }
        with httpx.Client(timeout=60) as client:
            r = client.post(
                f"{bases[i % len(bases)]}/tickets",
                json=body,
                headers={**headers, "Idempotency-Key": idem},
            )
        ticket = r.json()["ticket"]["summary"]["ticket_id"] if r.status_code == 201 else None
        return r.status_code, ticket

    with ThreadPoolExecutor(max_workers=each) as pool:
        for n in range(keys):
            idem = f"two-process-{uuid.uuid4().hex}"
            answers = list(pool.map(post, [(i, idem, n) for i in range(each)]))
            statuses += [s for s, _ in answers]
            distinct_per_key.append(len({t for _, t in answers if t}))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            created = conn.execute(
                sa.text("SELECT count(*) FROM tickets WHERE subject LIKE :m"), {"m": marker + "%"}
            ).scalar_one()
    finally:
        engine.dispose()
    return {
        "keys": keys,
        "requests": len(statuses),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "tickets_created": created,
        "distinct_tickets_per_key": sorted(set(distinct_per_key)),
        "ok": created == keys and set(distinct_per_key) == {1} and set(statuses) == {201},
    }


def rate_limit(bases: list[str], *, url: str, limit: int = RATE_LIMIT) -> dict:
    """A fresh key limited to `limit` a minute; 2.5x that many requests from 8 clients at once
    over all processes, inside one window."""
    from threada.domain import auth
    from threada.storage.db import Database

    db = Database(url)
    try:
        name = f"two-process-{uuid.uuid4().hex[:8]}"
        tenant = auth.create_tenant(db, name=name)
        auth.set_rate_limit(db, tenant=tenant["tenant_id"], per_minute=limit)
        _, secret = auth.create_key(db, tenant=name, name="limited", scopes=["support.read"])
    finally:
        db.dispose()
    # Fixed one-minute windows: start in a fresh one with time to spare.
    into = time.time() % 60
    if into > 40:
        time.sleep(60.5 - into)
    window = int(time.time() // 60)
    total = int(limit * 2.5)

    def get(i: int) -> int:
        with httpx.Client(timeout=30) as client:
            base = bases[i % len(bases)]
            r = client.get(f"{base}/tickets", params={"limit": 1}, headers={"X-Api-Key": secret})
            return r.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(get, range(total)))
    same_window = int(time.time() // 60) == window
    accepted = statuses.count(200)
    # Each process may end the window holding part of a slice it leased and did not spend.
    floor = limit - len(bases) * math.ceil(limit * SLICE)
    return {
        "limit_per_minute": limit,
        "requests": total,
        "accepted": accepted,
        "refused_429": statuses.count(429),
        "other": len(statuses) - accepted - statuses.count(429),
        "one_window": same_window,
        "lowest_allowed": floor,
        "ok": same_window
        and floor <= accepted <= limit
        and accepted + statuses.count(429) == total,
    }
