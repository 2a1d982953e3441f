"""`make bench`: the server, the mock, Prism, the Connexion floor and a Starlette ceiling.

    python -m bench.run [--tickets N] [--duration S] [--rounds R] [--connections C] [--smoke]

Every scenario is a one-thread wrk run at a fixed number of connections for a
fixed duration (after a warm-up in the first round); every server is started
once, pinned to one core, with wrk pinned to the other (see harness.pinning),
and rounds cycle through all scenarios, the best round of each being reported.
Results go to bench/results/ (results.json, results.md, chart.png); a smoke run
writes to bench/work/smoke/ instead, so it never replaces the committed figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import functools
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench import harness, pg, profile, report
from bench.seed import Seeded, seed

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
BUNDLE = ROOT / "openapi" / "dist" / "openapi.yaml"
BASE = "/api/v1/public"
PRISM = HERE / "node_modules" / ".bin" / "prism"
SECRET = "bench-page-token-secret-not-for-production"
DEEP_PAGE = 10_000
LIMIT = 25
FILTER = "status=pending&channel=email&priority=high"
# CPU busy fraction (all cores, our servers idle) below which the machine counts as quiet.
QUIET = 0.15


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--tickets", type=int, default=int(os.environ.get("BENCH_TICKETS") or 1_000_000)
    )
    ap.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION") or 8))
    ap.add_argument("--warmup", type=float, default=float(os.environ.get("BENCH_WARMUP") or 2))
    ap.add_argument(
        "--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS") or 32)
    )
    ap.add_argument(
        "--smoke",
        action="store_true",
        default=os.environ.get("BENCH_SMOKE", "") not in ("", "0"),
        help="20,000 tickets, 2 s per scenario, results under bench/work/smoke/",
    )
    ap.add_argument(
        "--quiet-wait",
        type=float,
        default=float(os.environ.get("BENCH_QUIET_WAIT") or 0),
        help="wait up to this many seconds before each scenario for other CPU use to drop",
    )
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS") or 2))
    ap.add_argument(
        "--profile",
        action="store_true",
        default=os.environ.get("BENCH_PROFILE", "") not in ("", "0"),
        help="after each measured server scenario, one more run under py-spy (bench/work/profile/)",
    )
    ap.add_argument(
        "--only",
        default=os.environ.get("BENCH_ONLY", ""),
        help="comma-separated scenario names, shell patterns (server_pg_*) or groups: "
        + ", ".join(GROUPS),
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_QUICK", "") not in ("", "0"),
        help="the full run's data, but 3 s per scenario, one round, results in bench/work/quick/",
    )
    ap.add_argument(
        "--pg",
        type=int,
        default=int(os.environ.get("BENCH_PG") or 1),
        help="0: skip every PostgreSQL scenario",
    )
    ap.add_argument(
        "--growth",
        default=os.environ.get("BENCH_GROWTH") or "100000,1000000,5000000",
        help="ticket counts of the PostgreSQL growth table",
    )
    args = ap.parse_args(argv)
    if args.quick:
        if "BENCH_DURATION" not in os.environ:
            args.duration = 3
        args.warmup = min(args.warmup, 1)
        if "BENCH_ROUNDS" not in os.environ:
            args.rounds = 1
    if args.smoke:
        if "BENCH_TICKETS" not in os.environ:
            args.tickets = 20_000
        if "BENCH_DURATION" not in os.environ:
            args.duration = 2
        args.warmup = min(args.warmup, 1)
        if "BENCH_ROUNDS" not in os.environ:
            args.rounds = 1
    out_dir = WORK / "smoke" if args.smoke else WORK / "quick" if args.quick else HERE / "results"
    if args.smoke and "BENCH_GROWTH" not in os.environ:
        args.growth = "10000,20000"
    started = time.perf_counter()

    harness.raise_priority()  # this process's group, which includes wrk
    pin = harness.pinning()
    log(f"pinning: server on CPU {pin['server']}, wrk on CPU {pin['wrk']}")
    seeded = seed(WORK, args.tickets, log=log)

    # Writes during the run must not touch the cached seed: serve a copy.
    run_db = WORK / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(run_db) + suffix).unlink(missing_ok=True)
    shutil.copyfile(seeded.path, run_db)

    only = Selection(args.only)
    results: list[dict] = []
    with ExitStack() as stack:
        ctx = Context(args=args, pin=pin, seeded=seeded, run_db=run_db, stack=stack)
        # Every PostgreSQL seed first: loading one restarts the cluster (on a new port) with
        # the loading settings, which would cut off any server already serving from it.
        ctx.seed_pg(only)
        scenarios: list[Scenario] = []
        groups = (
            *(functools.partial(server_scenarios, framework=fw) for fw in FRAMEWORKS),
            pg_scenarios,
            two_process_scenarios,
            growth_scenarios,
            mock_scenarios,
            prism_scenarios,
            floor_scenarios,
            ceiling_scenarios,
        )
        for group in groups:
            scenarios.extend(sc for sc in group(ctx, only) if only(sc.name))
        # Rounds go through every scenario in turn, so a burst of other work on the machine
        # hits one round of a scenario, not all of them; the best round is reported.
        rounds: dict[str, list[dict]] = {sc.name: [] for sc in scenarios}
        for n in range(args.rounds):
            log(f"round {n + 1} of {args.rounds}")
            # A new order each round (reproducible): a machine whose speed drifts within a
            # round then slows a different part of the list each time, and the targets'
            # paired ratios (bench.report) compare figures taken in the same round.
            order = list(scenarios)
            random.Random(n).shuffle(order)
            for sc in order:
                last = n == args.rounds - 1
                res = ctx.measure(sc, warmup=n == 0, profile_it=args.profile and last)
                rounds[sc.name].append(res)
        for sc in scenarios:
            best = max(rounds[sc.name], key=lambda r: r["rps"])
            path = sc.url.split(str(_port(sc.url)), 1)[1]
            results.append(
                {
                    "name": sc.name,
                    "target": sc.target,
                    "database": sc.database,
                    "path": path,
                    **best,
                    "rounds_rps": [r["rps"] for r in rounds[sc.name]],
                }
            )

    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": _command(args),
        "smoke": args.smoke,
        "tickets": seeded.tickets,
        "tenants": [{"name": t["name"], "tickets": t["count"]} for t in seeded.tenants],
        "seed_seconds": seeded.seconds,
        "seed_cached": seeded.cached,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": args.connections,
        "wrk": f"wrk {harness.wrk_version()}, 1 thread",
        "pinning": pin,
        "nice": harness.priority(),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "prism": "@stoplight/prism-cli " + _prism_version(),
        "git": _git_head(),
        "deep_page": ctx.deep_page,
        "deep_token": ctx.deep_token_how,
        "filter": FILTER,
        "server_framework": _server_framework(),
        "startup_s": ctx.startup,
        "rounds": args.rounds,
        "prism_paths": ctx.prism_paths,
        "filters": FILTERS,
        "postgresql": ctx.pg_meta,
        "two_process": ctx.two_process,
        "growth": ctx.growth,
        "wall_s": round(time.perf_counter() - started, 1),
    }
    doc = report.build(meta, results)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out_dir / "results.md").write_text(report.markdown(doc))
    report.chart(doc, out_dir / "chart.png")
    if doc["meta"].get("growth"):
        report.growth_chart(doc, out_dir / "growth.png")
    if args.profile:
        # The text summaries travel with the results; the flame graphs stay in bench/work/.
        (out_dir / "profile").mkdir(exist_ok=True)
        for summary in (WORK / "profile").glob("*.txt"):
            if summary.stem in {r["name"] for r in results}:
                shutil.copyfile(summary, out_dir / "profile" / summary.name)
    print()
    print(report.markdown(doc))
    print(report.readme_table(doc))
    log(f"wrote {out_dir}/results.json, results.md, chart.png in {meta['wall_s']:.0f} s")
    return 0


# Groups BENCH_ONLY accepts, as shell patterns over scenario names.
GROUPS = {
    "sqlite": ["server_*"],
    "pg": ["server_pg_*", "server_pg2_*", "growth_*"],
    "pg1": ["server_pg_*"],
    "pg2": ["server_pg2_*"],
    "growth": ["growth_*"],
    "filters": ["*_filter_*", "*_list_first"],
    "writes": ["*_create_ticket", "*_add_message"],
    "refs": ["mock_list", "prism_list", "floor_*", "ceiling"],
}


class Selection:
    """BENCH_ONLY: names, shell patterns and GROUPS, comma-separated; empty selects all.
    Prism is always in: every target is a ratio to Prism in the same run."""

    def __init__(self, text: str) -> None:
        self.patterns: list[str] = []
        for word in (w.strip() for w in text.split(",")):
            if word:
                self.patterns += GROUPS.get(word, [word])
        if self.patterns:
            self.patterns.append("prism_list")

    def __call__(self, name: str) -> bool:
        if not self.patterns:
            return True
        return any(
            fnmatch.fnmatchcase(name, p) and not (p == "server_*" and _on_pg(name))
            for p in self.patterns
        )

    def any(self, names: list[str]) -> bool:
        return any(self(n) for n in names)


def _on_pg(name: str) -> bool:
    return name.startswith(("server_pg_", "server_pg2_", "growth_"))


@dataclass
class Scenario:
    name: str
    target: str
    url: str
    pid: int | list[int] | None = None
    wrk: dict = field(default_factory=dict)
    database: str = "sqlite"
    pg: pg.BenchCluster | None = None


class Context:
    def __init__(self, *, args, pin, seeded, run_db: Path, stack: ExitStack) -> None:
        self.args = args
        self.pin = pin
        self.seeded = seeded
        self.run_db = run_db
        self.stack = stack
        self.startup: dict[str, float] = {}
        self.deep_page = DEEP_PAGE
        self.deep_token_how = ""
        self.prism_paths: dict[str, int] = {}
        self.server_files: dict[str, dict[str, Path]] = {}
        self.pg: pg.BenchCluster | None = None
        self.pg_meta: dict = {}
        self.two_process: dict = {}
        self.growth: list[dict] = []
        self.pg_runs: dict[tuple[int, bool], tuple[Seeded, str]] = {}
        self.pg_seeds: dict[int, Seeded] = {}

    def cluster(self) -> pg.BenchCluster:
        """The bench's PostgreSQL, started on first use with the production settings."""
        if self.pg is None:
            self.pg = pg.BenchCluster(WORK, log=log)
            self.pg.start(pg.PRODUCTION)
            self.stack.callback(self.pg.stop)
            version = self.pg.execute("SHOW server_version")[0][0]
            self.pg_meta = {
                "version": version,
                "settings": pg.PRODUCTION,
                "pinning": "not pinned: shares both cores with the server and wrk",
                "seeds": {},
            }
            log(f"pg: PostgreSQL {version} on 127.0.0.1:{self.pg.port}")
        return self.pg

    def pg_database(self, tickets: int, *, copy: bool) -> tuple[Seeded, str]:
        """The seeded PostgreSQL database for `tickets`; with `copy`, a fresh copy of it
        (its writes never reach the seed), else the seed itself (read-only scenarios)."""
        if (tickets, copy) not in self.pg_runs:
            cluster = self.cluster()
            seeded = self._pg_seed(tickets)
            name = str(seeded.path)
            info = {"seed_seconds": seeded.seconds, "cached": seeded.cached, "database": name}
            if copy:
                target = f"run_{tickets}"
                info["copy_seconds"] = cluster.copy_database(name, target)
                name = target
                log(f"pg: {target} copied from {seeded.path} in {info['copy_seconds']} s")
            self.pg_meta["seeds"][name] = info
            self.pg_runs[tickets, copy] = (seeded, name)
        return self.pg_runs[tickets, copy]

    def seed_pg(self, only: Selection) -> None:
        """Seed (or find) every PostgreSQL database the selected scenarios serve."""
        if not self.args.pg or not pg.available():
            return
        sizes = []
        two = [f"server_pg2_{s}" for s in TWO_PROCESS_SCENARIOS]
        if only.any(pg_names()) or only.any(two):
            sizes.append(self.seeded.tickets)
        sizes += [int(n) for n in self.args.growth.split(",") if n and only(f"growth_{n}")]
        for n in sizes:
            self._pg_seed(n)

    def _pg_seed(self, tickets: int) -> Seeded:
        """pg.seed once per run and count: a second call would find the seed cached and
        report it so, although this run loaded it."""
        if tickets not in self.pg_seeds:
            self.pg_seeds[tickets] = pg.seed(self.cluster(), WORK, tickets, log=log)
        return self.pg_seeds[tickets]

    def start(self, server: harness.Server) -> harness.Server:
        """Start a server that stays up (idle when not measured) until the run ends."""
        return self.stack.enter_context(server.start())

    def measure(self, sc: Scenario, *, warmup: bool, profile_it: bool) -> dict:
        kw = {"connections": self.args.connections, "cpus": self.pin["wrk"], **sc.wrk}
        if warmup and self.args.warmup > 0:
            harness.run_wrk(sc.url, duration=self.args.warmup, **kw)
        # Other work on the machine: optionally wait for it to settle, then measure how much
        # CPU it took during the run (all CPU time minus the server's and wrk's).
        deadline = time.monotonic() + self.args.quiet_wait
        while self.args.quiet_wait and harness.cpu_busy() > QUIET:
            if time.monotonic() > deadline:
                break
            time.sleep(2)
        extra = sc.pg.cpu_seconds if sc.pg else None
        before = harness.cpu_times(sc.pid, extra)
        res = harness.run_wrk(sc.url, duration=self.args.duration, **kw)
        after = harness.cpu_times(sc.pid, extra)
        res["other_cpu"] = harness.other_cpu(before, after)
        # CPU per request moves far less with other work on the machine than req/s does.
        if sc.pid and res["requests"]:
            spent = after["server"] - before["server"]
            res["cpu_ms_per_req"] = round(spent / res["requests"] * 1000, 3)
        if sc.pg and res["requests"]:
            spent = after["extra"] - before["extra"]
            res["pg_cpu_ms_per_req"] = round(spent / res["requests"] * 1000, 3)
        log(
            f"{sc.name:<26} {res['rps']:>9,.0f} req/s  p50 {res['p50_ms']:>7.2f} ms  "
            f"p99 {res['p99_ms']:>7.2f} ms  non-2xx {res['non_2xx']}  "
            f"CPU {res.get('cpu_ms_per_req', 0):.3f} ms/req  "
            + (f"PG {res['pg_cpu_ms_per_req']:.3f} ms/req  " if "pg_cpu_ms_per_req" in res else "")
            + f"other work {res['other_cpu']:.2f} cores"
        )
        if res["non_2xx"] or res["socket_errors"]:
            log(
                f"  WARNING: {sc.name}: statuses {res['statuses']}, {res['socket_errors']} socket "
                f"errors; first error body: {res['error_sample']}"
            )
        if profile_it and isinstance(sc.pid, int) and sc.target == "server":
            summary = profile.record(
                sc.pid,
                self.args.duration,
                WORK / "profile",
                sc.name,
                lambda: harness.run_wrk(sc.url, duration=self.args.duration, **kw),
            )
            log(f"  profile: {summary} (and .svg)")
        return res


def _pid(server: harness.Server) -> int | None:
    return server.proc.pid if server.proc else None


def _port(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


def _status(url: str, headers: dict) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _get_json(url: str, headers: dict) -> dict:
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


# --- the server --------------------------------------------------------------------------------

# The server on each Connexion framework it supports: scenario-name prefix, THREADA_FRAMEWORK.
# Each is its own process on the same database copy (ctx.run_db); the scenarios are the same.
FRAMEWORKS = {
    "flask": ("server", {"THREADA_FRAMEWORK": "flask"}),  # FlaskApp, a supported mode
    "async": ("server_async", {}),  # AsyncApp, the default (the bench clears THREADA_FRAMEWORK)
}
# The framework the filter combinations, PostgreSQL and the two-process scenarios run on.
PRODUCTION_FRAMEWORK = "async"
SERVER_SCENARIOS = (
    "list_first",
    "list_deep",
    "list_filtered",
    "get",
    "create_ticket",
    "add_message",
)
# Every documented filter of GET /tickets alone and in combination (the spec: filters combine
# with AND, values of one filter with OR), each against the first page of the same server.
FILTERS = {
    "status": "status=pending",
    "channel": "channel=email",
    "channel_rare": "channel=api",
    "priority": "priority=high",
    "tag": "tag=vip",
    "status_tag": "status=pending&tag=billing",
    "combined": FILTER,
    "statuses": "status=open&status=pending",
    "channels": "channel=email&channel=chat",
    "updated_after": "updated_after={recent}",
}


def server_names(framework: str) -> list[str]:
    """The scenario names on `framework`: server_list_first, ..., server_async_add_message."""
    prefix = FRAMEWORKS[framework][0]
    names = [f"{prefix}_{s}" for s in SERVER_SCENARIOS]
    if framework == PRODUCTION_FRAMEWORK:
        names += [f"{prefix}_filter_{f}" for f in FILTERS]
    return names


def pg_names(prefix: str = "server_pg") -> list[str]:
    return [f"{prefix}_{s}" for s in SERVER_SCENARIOS] + [f"{prefix}_filter_{f}" for f in FILTERS]


class Store:
    """Read-only SQL on the database a server runs on (`?` placeholders)."""

    def __init__(self, *, sqlite: Path | None = None, dsn: str | None = None) -> None:
        self.sqlite, self.dsn = sqlite, dsn

    def rows(self, sql: str, *params) -> list[tuple]:
        if self.sqlite is not None:
            con = sqlite3.connect(f"file:{self.sqlite}?mode=ro", uri=True)
            try:
                return list(con.execute(sql, params))
            finally:
                con.close()
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return list(conn.execute(sql.replace("?", "%s"), params))

    def column(self, sql: str, *params) -> list:
        return [r[0] for r in self.rows(sql, *params)]

    def row(self, sql: str, *params) -> tuple:
        return self.rows(sql, *params)[0]


def server_scenarios(ctx: Context, only: Selection, framework: str = "flask") -> list[Scenario]:
    """The server scenarios on one framework, on the run's SQLite copy."""
    prefix, extra = FRAMEWORKS[framework]
    if not only.any(server_names(framework)):
        return []
    store = Store(sqlite=ctx.run_db)
    url = f"sqlite:///{ctx.run_db.as_posix()}"
    return _server_group(
        ctx,
        prefix=prefix,
        env=extra,
        url=url,
        store=store,
        seeded=ctx.seeded,
        filters=framework == PRODUCTION_FRAMEWORK,
        describe=f"threada serve --workers 1, uvicorn, {framework}, SQLite",
    )


def pg_scenarios(ctx: Context, only: Selection) -> list[Scenario]:
    """The same scenarios on PostgreSQL (a copy of the seed at the run's ticket count)."""
    if not only.any(pg_names()) or not ctx.args.pg:
        return []
    if not pg.available():
        log("pg: PostgreSQL 15 is not installed: PostgreSQL scenarios NOT RUN")
        return []
    seeded, name = ctx.pg_database(ctx.args.tickets, copy=True)
    cluster = ctx.cluster()
    return _server_group(
        ctx,
        prefix="server_pg",
        env=FRAMEWORKS[PRODUCTION_FRAMEWORK][1],
        url=cluster.url(name),
        store=Store(dsn=cluster.dsn(name)),
        seeded=seeded,
        filters=True,
        describe=f"threada serve --workers 1, uvicorn, {PRODUCTION_FRAMEWORK}, PostgreSQL",
        cluster=cluster,
    )


def _server_group(
    ctx: Context,
    *,
    prefix: str,
    env: dict,
    url: str,
    store: Store,
    seeded: Seeded,
    filters: bool,
    describe: str,
    cluster: pg.BenchCluster | None = None,
) -> list[Scenario]:
    """One server on `url`, started now and idle when not measured, set up before the first
    measurement, so the database checks below (the page token, the open tickets) see the seed
    as it was. The POST scenarios' writes leave them valid for every round: a new ticket or a
    message moves a ticket to the front of the open list, in front of the deep page's keyset
    position, and an agent's message leaves a ticket open."""
    port = harness.free_port()
    server = _threada_server(ctx, prefix, port, {"THREADA_DATABASE_URL": url, **env})
    tenant = seeded.tenants[0]
    headers = {"X-Api-Key": tenant["key"]}
    base = f"http://127.0.0.1:{port}{BASE}"
    ctx.start(server)
    ctx.startup[prefix] = round(
        server.wait_ready(f"{BASE}/tickets?limit=1", headers=headers, timeout=120), 2
    )
    log(f"{prefix} ready in {ctx.startup[prefix]:.2f} s ({describe})")
    # Made and checked against each server: all must hand out the same tokens.
    token = deep_token(ctx, store, base, headers, tenant)
    files = _server_files(ctx, prefix, store, seeded, tenant)
    plan = _plan(base, token, files, seeded)
    if filters:
        recent = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        stamp = recent.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        for name, query in FILTERS.items():
            plan[f"filter_{name}"] = (
                f"{base}/tickets?{query.format(recent=stamp)}&limit={LIMIT}",
                {},
            )
    database = "postgresql" if cluster else "sqlite"
    return [
        Scenario(
            f"{prefix}_{s}",
            "server",
            u,
            _pid(server),
            {"headers": headers, **kw},
            database=database,
            pg=cluster,
        )
        for s, (u, kw) in plan.items()
    ]


def _plan(
    base: str, token: str, files: dict[str, Path], seeded: Seeded
) -> dict[str, tuple[str, dict]]:
    # New tickets go to the second tenant: tens of thousands of identical tickets (open,
    # normal, email, tag "bench") at the head of the first tenant's list would turn its
    # filter scenarios, measured after them in a shuffled round, into rare-value filters
    # that the seeded distribution does not have. Messages go to the first tenant's
    # seeded tickets, which only move them to the head.
    writer = {"X-Api-Key": seeded.tenants[-1]["key"]}
    return {
        "list_first": (f"{base}/tickets?limit={LIMIT}", {}),
        "list_deep": (f"{base}/tickets?limit={LIMIT}&page_token={token}", {}),
        "list_filtered": (f"{base}/tickets?{FILTER}&limit={LIMIT}", {}),
        "get": (f"{base}/tickets", {"paths_file": files["get_paths"]}),
        # Every POST /tickets carries a fresh Idempotency-Key, as a careful client sends.
        "create_ticket": (
            f"{base}/tickets",
            {
                "method": "POST",
                "body_file": files["ticket_body"],
                "idempotency": True,
                "headers": writer,
            },
        ),
        "add_message": (
            f"{base}/tickets",
            {
                "method": "POST",
                "paths_file": files["message_paths"],
                "body_file": files["message_body"],
            },
        ),
    }


def _server_files(
    ctx: Context, prefix: str, store: Store, seeded: Seeded, tenant: dict
) -> dict[str, Path]:
    """Request paths and bodies for the server scenarios on one database."""
    key = "pg" if prefix.startswith("server_pg") else "sqlite"
    if key in ctx.server_files:
        return ctx.server_files[key]
    ids = seeded.sample_ticket_ids
    # Closed tickets refuse new messages (409): post to open ones.
    open_ids = store.column(
        "SELECT ticket_id FROM tickets WHERE tenant_id = ? AND status = 'open' "
        "ORDER BY ticket_id LIMIT 1000",
        tenant["tenant_id"],
    )
    ticket_body = {
        "subject": "Bench ticket {{ID}}",
        "channel": "email",
        "priority": "normal",
        "tags": ["bench"],
        "contact": {"name": "Bench", "email": "bench@example.com"},
        "initial_message": {"role": "user", "content": "Where is my order?"},
    }
    ctx.server_files[key] = {
        "get_paths": _lines_file(f"{key}_get_paths.txt", [f"{BASE}/tickets/{i}" for i in ids]),
        "message_paths": _lines_file(
            f"{key}_message_paths.txt", [f"{BASE}/tickets/{i}/messages" for i in open_ids]
        ),
        "ticket_body": _file("ticket_body.json", json.dumps(ticket_body)),
        "message_body": _file(
            "message_body.json", json.dumps({"role": "agent", "content": "Reply {{ID}}"})
        ),
    }
    return ctx.server_files[key]


def _threada_server(
    ctx: Context, name: str, port: int, extra: dict, *, cpus: str | None = "server"
) -> harness.Server:
    var = WORK / "var"
    var.mkdir(exist_ok=True)
    # The shipped defaults, except the database, a fixed page-token secret and `extra`;
    # an empty THREADA_FRAMEWORK means the default even if the caller's shell sets one.
    env = {
        "THREADA_DATABASE_URL": f"sqlite:///{ctx.run_db.as_posix()}",
        "THREADA_SECRET_KEY": SECRET,
        "THREADA_VAR_DIR": str(var),
        "THREADA_FRAMEWORK": "",
        "THREADA_KEY_CACHE_SECONDS": "",
        **extra,
    }
    threada = str(Path(sys.executable).with_name("threada"))
    return harness.Server(
        name=name,
        cmd=[threada, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        port=port,
        log_path=WORK / "logs" / f"{name}.log",
        env=env,
        cwd=WORK,
        cpus=ctx.pin[cpus] if cpus else None,
    )


def deep_token(ctx: Context, store: Store, base: str, headers: dict, tenant: dict) -> str:
    """The page_token of page DEEP_PAGE of the default (open) list, made with the server's own
    PageTokens at the keyset position read from the database; checked against tokens the server
    handed out while walking the first pages, and against the page's first row."""
    from threada.domain.pagination import PageTokens

    open_count = store.row(
        "SELECT count(*) FROM tickets WHERE tenant_id = ? AND status = 'open'",
        tenant["tenant_id"],
    )[0]
    pages = max(1, (open_count + LIMIT - 1) // LIMIT)
    page = min(DEEP_PAGE, pages)
    if page < DEEP_PAGE:
        log(f"only {pages:,} pages of open tickets: using page {page:,}")
    ctx.deep_page = page
    tokens = PageTokens(SECRET.encode())
    filters = {
        "status": ["open"],
        "channel": None,
        "priority": None,
        "tag": None,
        "updated_after": None,
    }

    def token_for(n: int) -> str:
        row = store.row(
            "SELECT updated_at, ticket_id FROM tickets WHERE tenant_id = ? AND status = 'open' "
            "ORDER BY updated_at DESC, ticket_id DESC LIMIT 1 OFFSET ?",
            tenant["tenant_id"],
            (n - 1) * LIMIT - 1,
        )
        return tokens.encode(
            tenant_id=tenant["tenant_id"], kind="tickets", filters=filters, position=list(row)
        )

    # Walk three pages the ordinary way; the generated tokens must be the server's own.
    walked = []
    url = f"{base}/tickets?limit={LIMIT}"
    for _ in range(3):
        page_doc = _get_json(url, headers)
        walked.append(page_doc["next_page_token"])
        url = f"{base}/tickets?limit={LIMIT}&page_token={walked[-1]}"
    generated = [token_for(n) for n in (2, 3, 4)]
    if page > 1 and generated == walked:
        token = token_for(page)
        ctx.deep_token_how = (
            f"generated with threada.domain.pagination.PageTokens at the keyset position of row "
            f"{(page - 1) * LIMIT:,} (matches the tokens the server returned for pages 2-4)"
        )
    else:
        log("generated page tokens differ from the server's: walking the pages instead")
        token = walked[-1]
        for _ in range(4, page):
            token = _get_json(f"{base}/tickets?limit={LIMIT}&page_token={token}", headers)[
                "next_page_token"
            ]
        ctx.deep_token_how = f"walked page by page over HTTP ({page:,} pages)"
    if page == 1:
        return ""
    # The deep page starts where the database says it does.
    first = _get_json(f"{base}/tickets?limit={LIMIT}&page_token={token}", headers)["items"][0]
    expected = store.row(
        "SELECT ticket_id FROM tickets WHERE tenant_id = ? AND status = 'open' "
        "ORDER BY updated_at DESC, ticket_id DESC LIMIT 1 OFFSET ?",
        tenant["tenant_id"],
        (page - 1) * LIMIT,
    )[0]
    if first["ticket_id"] != expected:
        raise RuntimeError(f"page {page} starts at {first['ticket_id']}, expected {expected}")
    log(f"page {page:,} token: {ctx.deep_token_how}")
    return token


def _file(name: str, text: str) -> Path:
    path = WORK / "scenario" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _lines_file(name: str, lines: list[str]) -> Path:
    return _file(name, "\n".join(lines) + "\n")


# --- PostgreSQL: two processes, growth -------------------------------------------------------

TWO_PROCESS_SCENARIOS = ("list_first", "create_ticket", "add_message")


def two_process_scenarios(ctx: Context, only: Selection) -> list[Scenario]:
    """Two `threada serve` processes (as two hosts would run: separate processes, one shared
    PostgreSQL database and secret), wrk splitting the connections between them; first the
    cross-process checks (bench.multi), recorded in the results."""
    names = [f"server_pg2_{s}" for s in TWO_PROCESS_SCENARIOS]
    if not only.any(names) or not ctx.args.pg or not pg.available():
        return []
    from bench import multi

    seeded, name = ctx.pg_database(ctx.args.tickets, copy=True)
    cluster = ctx.cluster()
    url = cluster.url(name)
    env = {"THREADA_DATABASE_URL": url, **FRAMEWORKS[PRODUCTION_FRAMEWORK][1]}
    servers, ports = [], []
    for i in (1, 2):
        port = harness.free_port()
        server = _threada_server(ctx, f"server_pg2_{i}", port, env)
        ctx.start(server)
        servers.append(server)
        ports.append(port)
    tenant = seeded.tenants[0]
    headers = {"X-Api-Key": tenant["key"]}
    for i, server in enumerate(servers, 1):
        ctx.startup[f"server_pg2_{i}"] = round(
            server.wait_ready(f"{BASE}/tickets?limit=1", headers=headers, timeout=120), 2
        )
    log(f"server_pg2: two processes on ports {ports}, one database {name}")
    ctx.two_process = multi.check_all(
        [f"http://127.0.0.1:{p}{BASE}" for p in ports], url=url, key=tenant["key"], log=log
    )
    files = _server_files(ctx, "server_pg", Store(dsn=cluster.dsn(name)), seeded, tenant)
    plan = _plan(f"http://127.0.0.1:{ports[0]}{BASE}", "", files, seeded)
    pids = [pid for pid in (_pid(s) for s in servers) if pid]
    return [
        Scenario(
            f"server_pg2_{s}",
            "server",
            plan[s][0],
            pids,
            {"headers": headers, "ports": ports, **plan[s][1]},
            database="postgresql",
            pg=cluster,
        )
        for s in TWO_PROCESS_SCENARIOS
    ]


def growth_scenarios(ctx: Context, only: Selection) -> list[Scenario]:
    """First page on PostgreSQL at each size of --growth: one server per seeded database
    (read-only scenarios, so the seeds are served as they are), and the list statement's
    own time in the database (EXPLAIN ANALYZE, best of 20), which no other load disturbs."""
    sizes = [int(n) for n in ctx.args.growth.split(",") if n]
    names = [f"growth_{n}" for n in sizes]
    if not only.any(names) or not ctx.args.pg or not pg.available():
        return []
    out = []
    for n in sizes:
        if not only(f"growth_{n}"):
            continue
        seeded, name = ctx.pg_database(n, copy=False)
        cluster = ctx.cluster()
        port = harness.free_port()
        env = {"THREADA_DATABASE_URL": cluster.url(name), **FRAMEWORKS[PRODUCTION_FRAMEWORK][1]}
        server = _threada_server(ctx, f"growth_{n}", port, env)
        tenant = seeded.tenants[0]
        headers = {"X-Api-Key": tenant["key"]}
        ctx.start(server)
        ctx.startup[f"growth_{n}"] = round(
            server.wait_ready(f"{BASE}/tickets?limit=1", headers=headers, timeout=120), 2
        )
        plan_ms, plan = _explain_first_page(cluster.dsn(name), tenant["tenant_id"])
        ctx.growth.append(
            {
                "tickets": seeded.tickets,
                "tenant_tickets": tenant["count"],
                "database": name,
                "explain_ms": plan_ms,
                "plan": plan,
                "size": cluster.execute(f"SELECT pg_size_pretty(pg_database_size('{name}'))")[0][0],
            }
        )
        log(f"growth_{n}: first-page statement {plan_ms:.3f} ms in PostgreSQL ({plan[0]})")
        url = f"http://127.0.0.1:{port}{BASE}/tickets?limit={LIMIT}"
        out.append(
            Scenario(
                f"growth_{n}",
                "server",
                url,
                _pid(server),
                {"headers": headers},
                database="postgresql",
                pg=cluster,
            )
        )
    return out


def _explain_first_page(dsn: str, tenant_id: str) -> tuple[float, list[str]]:
    """The server's own first-page statement (repo.list_tickets), EXPLAIN ANALYZE'd."""
    import psycopg
    from sqlalchemy.dialects import postgresql
    from threada.storage import repo

    stmt = repo._list_tickets_stmt(1, 0, 0, False, False, False).stmt
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={}))
    params = {"tenant_id": tenant_id, "status_0": "open", "limit": LIMIT + 1}
    best, lines = float("inf"), []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(20):
            rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + sql, params).fetchall()
            text = [r[0] for r in rows]
            ms = next(
                float(line.split(":")[1].split()[0])
                for line in text
                if line.startswith("Execution Time")
            )
            if ms < best:
                best, lines = ms, text
    return round(best, 3), lines


# --- the mock, Prism and the ceiling -----------------------------------------------------------


def mock_scenarios(ctx: Context, only: Selection) -> list[Scenario]:
    if not only("mock_list"):
        return []
    port = harness.free_port()
    threada = str(Path(sys.executable).with_name("threada"))
    server = harness.Server(
        name="mock",
        # One key at wrk's rate: the limit raised, as the server bench raises its tenant's.
        cmd=[threada, "mock", "--host", "127.0.0.1", "--port", str(port), "--rate-limit", "0"],
        port=port,
        log_path=WORK / "logs" / "mock.log",
        cwd=ROOT,
        cpus=ctx.pin["server"],
    )
    headers = {"X-Api-Key": "thr_live_bench"}
    ctx.start(server)
    ctx.startup["mock"] = round(
        server.wait_ready(f"{BASE}/tickets?limit={LIMIT}", headers=headers), 2
    )
    log(f"mock ready in {ctx.startup['mock']:.2f} s (spawn to first 200)")
    url = f"http://127.0.0.1:{port}{BASE}/tickets?limit={LIMIT}"
    return [Scenario("mock_list", "mock", url, _pid(server), wrk={"headers": headers})]


def prism_scenarios(ctx: Context, only: Selection) -> list[Scenario]:
    if not only("prism_list"):
        return []
    port = harness.free_port()
    server = harness.Server(
        name="prism",
        cmd=[str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(BUNDLE)],
        port=port,
        log_path=WORK / "logs" / "prism.log",
        cwd=HERE,
        cpus=ctx.pin["server"],
    )
    headers = {"X-Api-Key": "thr_live_bench"}
    ctx.start(server)
    # Prism mounts the paths at its root although the first server URL is absolute
    # (https://api.threada.ai/api/v1/public): check both, serve the one that answers.
    ctx.startup["prism"] = round(server.wait_ready(f"/tickets?limit={LIMIT}", headers=headers), 2)
    log(f"prism ready in {ctx.startup['prism']:.2f} s (spawn to first 200 on /tickets)")
    for path in (f"/tickets?limit={LIMIT}", f"{BASE}/tickets?limit={LIMIT}"):
        ctx.prism_paths[path] = _status(f"http://127.0.0.1:{port}{path}", headers)
    log(f"prism answers: {ctx.prism_paths}")
    url = f"http://127.0.0.1:{port}/tickets?limit={LIMIT}"
    return [Scenario("prism_list", "prism", url, _pid(server), wrk={"headers": headers})]


# The floors and the ceiling run on uvicorn the way `threada serve` runs the server (its HTTP
# protocol, one write per response), so that each ratio compares like with like.
SERVED_LIKE_THREADA = ("--http", "threada.serving:CoalescingHttpToolsProtocol")


def floor_scenarios(ctx: Context, only: Selection) -> list[Scenario]:
    """Connexion with a trivial handler (bench/floor.py), FlaskApp as the server and AsyncApp."""
    out = []
    for kind in ("flask", "async"):
        name = f"floor_{kind}"
        if not only(name):
            continue
        port = harness.free_port()
        server = harness.Server(
            name=name,
            cmd=[
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "bench.floor:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                *SERVED_LIKE_THREADA,
            ],
            port=port,
            log_path=WORK / "logs" / f"{name}.log",
            env={"FLOOR_APP": kind},
            cwd=ROOT,
            cpus=ctx.pin["server"],
        )
        headers = {"X-Api-Key": "thr_live_bench"}
        ctx.start(server)
        path = f"{BASE}/tickets?limit={LIMIT}"
        ctx.startup[name] = round(server.wait_ready(path, headers=headers), 2)
        out.append(
            Scenario(
                name, "floor", f"http://127.0.0.1:{port}{path}", _pid(server), {"headers": headers}
            )
        )
    return out


def ceiling_scenarios(ctx: Context, only: Selection) -> list[Scenario]:
    if not only("ceiling"):
        return []
    port = harness.free_port()
    server = harness.Server(
        name="ceiling",
        cmd=[
            sys.executable,
            "-m",
            "uvicorn",
            "bench.ceiling:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            *SERVED_LIKE_THREADA,
        ],
        port=port,
        log_path=WORK / "logs" / "ceiling.log",
        cwd=ROOT,
        cpus=ctx.pin["server"],
    )
    ctx.start(server)
    ctx.startup["ceiling"] = round(server.wait_ready("/tickets"), 2)
    return [Scenario("ceiling", "ceiling", f"http://127.0.0.1:{port}/tickets", _pid(server))]


# --- facts about the run -----------------------------------------------------------------------


def _command(args) -> str:
    parts = ["make bench"]
    if args.smoke:
        parts.append("BENCH_SMOKE=1")
    if args.tickets != 1_000_000 and not args.smoke:
        parts.append(f"BENCH_TICKETS={args.tickets}")
    if args.duration != 8 and not args.smoke:
        parts.append(f"BENCH_DURATION={args.duration:g}")
    if args.rounds != 2 and not args.smoke:
        parts.append(f"BENCH_ROUNDS={args.rounds}")
    if args.connections != 32:
        parts.append(f"BENCH_CONNECTIONS={args.connections}")
    return " ".join(parts)


def _server_framework() -> str:
    """The framework `threada serve` uses by default (the bench clears THREADA_FRAMEWORK)."""
    from threada.config import Settings

    return getattr(Settings(), "framework", "flask")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _prism_version() -> str:
    try:
        pkg = HERE / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
        return json.loads(pkg.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


def _git_head() -> str:
    """HEAD, marked when tracked code outside bench/ differs from it (it is measured too)."""
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", "server", "mock", "openapi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() + (" +uncommitted changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    sys.exit(main())
