"""CPU time per request, in process: the app's own cost without a network or load generator.

    python -m bench.inprocess [--framework flask|async] [--n 5000] [--scenario NAME ...]
                              [--db bench/work/seed-100000-rev0001-v1.db] [--profile]
                              [--url postgresql+psycopg://... --meta bench/work/pg-seed_...json]

Builds the app with `create_app` on a copy of a seeded database (the bench
helper's `bench/work/seed-*.db`; `python -m bench.seed` makes one), then
drives N requests per scenario through the ASGI app directly (raw ASGI calls
on one event loop, one at a time) and reports `time.process_time()` per
request, i.e. CPU of every thread of this process (the FlaskApp's WSGI thread
hand-off included). CPU time barely moves when other work shares the machine,
unlike wall-clock throughput, so it is the figure to compare changes with.
`--profile` runs each scenario once more under pyinstrument and prints the tree.

`--url` runs on that database instead (e.g. a copy of the bench's PostgreSQL seed, with
`--meta` its description); on PostgreSQL it also counts the statements each request sends
(pg_stat_statements, BEGIN/COMMIT/ROLLBACK included: one round trip each) and lists them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = ROOT / "bench" / "work" / "seed-100000-rev0001-v1.db"
BASE = "/api/v1/public"


def _scope(method: str, path: str, query: str, headers: list[tuple[bytes, bytes]]) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }


async def call(
    app, method: str, path: str, *, query: str = "", key: str, body: bytes = b"", idem: str = ""
):
    headers = [(b"host", b"127.0.0.1:8080"), (b"x-api-key", key.encode())]
    if idem:
        headers.append((b"idempotency-key", idem.encode()))
    if body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    out: dict = {"status": None, "body": []}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out["body"].append(message.get("body", b""))

    await app(_scope(method, path, query, headers), receive, send)
    return out["status"], b"".join(out["body"])


def scenarios(meta: dict, token: str, open_ids: list[str]) -> dict:
    key = meta["tenants"][0]["key"]
    ids = meta["sample_ticket_ids"]
    ticket_body = json.dumps(
        {
            "subject": "Order 1234 has not arrived",
            "channel": "email",
            "priority": "normal",
            "tags": ["shipping"],
            "contact": {"name": "Ada", "email": "ada@example.com"},
            "initial_message": {"role": "user", "content": "Where is my order?"},
        }
    ).encode()
    message_body = json.dumps({"role": "agent", "content": "On its way."}).encode()
    return {
        "list_first": lambda i: ("GET", f"{BASE}/tickets", "limit=25", key, b""),
        "list_token": lambda i: (
            "GET",
            f"{BASE}/tickets",
            f"limit=25&page_token={token}",
            key,
            b"",
        ),
        "list_filtered": lambda i: (
            "GET",
            f"{BASE}/tickets",
            "status=pending&channel=email&priority=high&limit=25",
            key,
            b"",
        ),
        "get": lambda i: ("GET", f"{BASE}/tickets/{ids[i % len(ids)]}", "", key, b""),
        "create": lambda i: ("POST", f"{BASE}/tickets", "", key, ticket_body),
        # The same with an Idempotency-Key, new for every request (as make bench sends it).
        "create_idem": lambda i: ("POST", f"{BASE}/tickets", "", key, ticket_body),
        "add_message": lambda i: (
            "POST",
            f"{BASE}/tickets/{open_ids[i % len(open_ids)]}/messages",
            "",
            key,
            message_body,
        ),
    }


EXPECTED = {
    "list_first": 200,
    "list_token": 200,
    "list_filtered": 200,
    "get": 200,
    "create": 201,
    "create_idem": 201,
    "add_message": 201,
}


def build(framework: str, db_path: Path, workdir: Path, url: str | None = None):
    from threada.app import create_app

    if url is None:
        copy = workdir / "inprocess.db"
        if not copy.exists():
            shutil.copyfile(db_path, copy)
        url = f"sqlite:///{copy}"
    return create_app(
        {
            "database_url": url,
            "var_dir": workdir,
            "secret_key": "inprocess-bench-secret",
            "default_rate_limit": 10**9,
            "framework": framework,
        }
    )


async def run(args) -> None:
    from threada import storage  # noqa: F401 - import cost outside the measurement

    meta_path = args.meta or str(args.db).removesuffix(".db") + ".json"
    meta = json.loads(Path(meta_path).read_text())
    workdir = Path(tempfile.mkdtemp(prefix="threada-inprocess-"))
    try:
        app = build(args.framework, Path(args.db), workdir, args.url)
        counter = StatementCounter(args.url) if args.url and "postgresql" in args.url else None
        # Tenant limits from the seed would stop the run with 429s: lift them.
        from threada.storage.tables import tenants

        db = app.threada_services.db
        with db.write() as conn:
            conn.execute(tenants.update().values(rate_limit_per_minute=10**9))
        key = meta["tenants"][0]["key"]
        status, body = await call(app, "GET", f"{BASE}/tickets", query="limit=25", key=key)
        assert status == 200, (status, body)
        # Page 3's token, as a client would hold it.
        token = json.loads(body)["next_page_token"]
        status, body = await call(
            app, "GET", f"{BASE}/tickets", query=f"limit=25&page_token={token}", key=key
        )
        token = json.loads(body)["next_page_token"]
        from threada.storage.tables import tickets

        with db.read() as conn:
            open_ids = list(
                conn.execute(
                    sa.select(tickets.c.ticket_id)
                    .where(
                        tickets.c.tenant_id == meta["tenants"][0]["tenant_id"],
                        tickets.c.status != "closed",
                    )
                    .limit(500)
                ).scalars()
            )
        table = scenarios(meta, token, open_ids)
        names = args.scenario or list(table)
        results = {}
        for name in names:
            make = table[name]
            for i in range(min(200, args.n)):  # warm-up
                m, p, q, k, b = make(i)
                status, body = await call(app, m, p, query=q, key=k, body=b, idem=_idem(name))
                assert status == EXPECTED[name], (name, status, body[:300])
            samples = []
            if counter:
                counter.reset()
            for i in range(args.n):
                m, p, q, k, b = make(i)
                t0 = time.process_time()
                status, _ = await call(app, m, p, query=q, key=k, body=b, idem=_idem(name))
                samples.append(time.process_time() - t0)
                if status != EXPECTED[name]:
                    raise SystemExit(f"{name}: status {status}")
            total = sum(samples)
            results[name] = {
                "cpu_us_mean": round(1e6 * total / args.n, 1),
                "cpu_us_median": round(1e6 * statistics.median(samples), 1),
            }
            if counter:
                per_request, top = counter.read(args.n)
                results[name]["statements_per_request"] = per_request
                results[name]["statements"] = top
            print(
                f"{args.framework:5} {name:12} mean {results[name]['cpu_us_mean']:8.1f} us"
                f"  median {results[name]['cpu_us_median']:8.1f} us   (n={args.n})",
                flush=True,
            )
            if counter:
                print(f"      {results[name]['statements_per_request']:.2f} statements/request:")
                for calls, query in results[name]["statements"]:
                    print(f"      {calls:6.2f}  {query}")
            if args.profile:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0002, async_mode="enabled")
                profiler.start()
                for i in range(args.n):
                    m, p, q, k, b = make(i)
                    await call(app, m, p, query=q, key=k, body=b, idem=_idem(name))
                profiler.stop()
                print(profiler.output_text(unicode=False, color=False, show_all=False))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _idem(scenario: str) -> str:
    return uuid.uuid4().hex if scenario == "create_idem" else ""


class StatementCounter:
    """Statements (round trips) the server sends PostgreSQL, from pg_stat_statements."""

    def __init__(self, url: str) -> None:
        import psycopg

        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        row = self.conn.execute(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ).fetchone()
        self.dbid = row[0] if row else 0

    def reset(self) -> None:
        self.conn.execute("SELECT pg_stat_statements_reset()")

    def read(self, requests: int) -> tuple[float, list[tuple[float, str]]]:
        rows = self.conn.execute(
            "SELECT calls, round((total_exec_time / calls * 1000)::numeric, 1), query "
            "FROM pg_stat_statements WHERE dbid = %s "
            "AND query NOT LIKE '%%pg_stat_statements%%' ORDER BY calls DESC",
            (self.dbid,),
        ).fetchall()
        total = sum(r[0] for r in rows) / requests
        top = [
            (round(c / requests, 2), f"{us:7.1f} us  " + " ".join(q.split())[:100])
            for c, us, q in rows[:12]
        ]
        return round(total, 2), top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--framework", choices=("flask", "async"), default="async")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--scenario", action="append", choices=list(EXPECTED))
    parser.add_argument("--db", default=str(DEFAULT_DB))
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--url", help="a database URL to run on instead of a copy of --db")
    parser.add_argument("--meta", help="the seed's description (tenants, keys, sample ids)")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
