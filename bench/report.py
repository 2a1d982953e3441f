"""Ratios, targets, the Markdown table and the chart for a benchmark run."""

from __future__ import annotations

import statistics
from pathlib import Path

# The server's scenarios on each Connexion framework: scenario-name prefix -> (app, framework);
# the names are bench.run.server_names(framework), e.g. server_list_first, server_async_get.
SERVER_APPS = {
    "server": ("FlaskApp", "flask"),
    "server_async": ("AsyncApp", "async"),
    "server_pg": ("AsyncApp, PostgreSQL", "async"),
    "server_pg2": ("2 AsyncApp processes, PostgreSQL", "async"),
}
# The configuration the issue's targets are about: the default framework (AsyncApp).
PRODUCTION = "server_async"
# Filter combinations (bench.run.FILTERS): scenario suffix -> query, for the labels.
FILTER_QUERIES = {
    "status": "status=pending",
    "channel": "channel=email",
    "channel_rare": "channel=api",
    "priority": "priority=high",
    "tag": "tag=vip",
    "status_tag": "status=pending&tag=billing",
    "combined": "status=pending&channel=email&priority=high",
    "statuses": "status=open&status=pending",
    "channels": "channel=email&channel=chat",
    "updated_after": "updated_after=(30 days ago)",
}
SERVER_LABELS = {
    "list_first": "GET /tickets?limit=25 (first page)",
    "list_deep": "GET /tickets?limit=25, page {deep_page:,} (token)",
    "list_filtered": "GET /tickets?{filter}&limit=25",
    "get": "GET /tickets/{{id}}",
    "create_ticket": "POST /tickets",
    "add_message": "POST /tickets/{{id}}/messages",
    **{f"filter_{k}": f"GET /tickets?{v}" for k, v in FILTER_QUERIES.items()},
}
LABELS = {
    **{
        f"{prefix}_{scenario}": f"Server ({app}) {text}"
        for prefix, (app, _) in SERVER_APPS.items()
        for scenario, text in SERVER_LABELS.items()
    },
    "mock_list": "Mock GET /tickets?limit=25",
    "prism_list": "Prism 5.16 GET /tickets?limit=25",
    "floor_flask": "Connexion FlaskApp, trivial handler (floor)",
    "floor_async": "Connexion AsyncApp, trivial handler (floor)",
    "ceiling": "Bare Starlette + uvicorn, fixed body",
}


def _label(name: str) -> str:
    if name in LABELS:
        return LABELS[name]
    if name.startswith("growth_"):
        return f"PostgreSQL, {int(name.split('_')[1]):,} tickets: GET /tickets?limit=25"
    return name


def server_app(name: str) -> str | None:
    """The framework ("FlaskApp", "AsyncApp") a server scenario ran on; None for the others."""
    for prefix, (app, _) in SERVER_APPS.items():
        if name.startswith(prefix + "_") and name[len(prefix) + 1 :] in SERVER_LABELS:
            return app
    return None


def label(name: str, meta: dict) -> str:
    return _label(name).format(**meta)


def build(meta: dict, results: list[dict]) -> dict:
    """The results document: every figure with its ratio to Prism and to the ceiling, and the
    targets with their status."""
    by = {r["name"]: r for r in results}
    prism = by.get("prism_list", {}).get("rps")
    ceiling = by.get("ceiling", {}).get("rps")
    for r in results:
        r["label"] = label(r["name"], meta)
        r["vs_prism"] = round(r["rps"] / prism, 2) if prism else None
        r["vs_ceiling"] = round(r["rps"] / ceiling, 3) if ceiling else None
    return {"meta": meta, "scenarios": results, "targets": targets(by, meta)}


def targets(by: dict, meta: dict) -> list[dict]:
    out = []

    def add(name: str, goal: str, value, ok) -> None:
        status = "n/a" if ok is None else ("met" if ok else "missed")
        out.append({"target": name, "goal": goal, "value": value, "status": status})

    def rps(name: str) -> float | None:
        return by.get(name, {}).get("rps") or None

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a and b else None

    def paired(a: str, b: str) -> float | None:
        """a's throughput over b's: with several rounds, the median of the rounds' own ratios
        (both measured in the same round, in a shuffled order), so that a machine whose speed
        drifts during the run (seen here: Prism 1,389 -> 814 req/s from the first round to
        the third) does not favour whichever scenario its slow phase missed."""
        ra = by.get(a, {}).get("rounds_rps") or []
        rb = by.get(b, {}).get("rounds_rps") or []
        if len(ra) > 1 and len(ra) == len(rb) and all(ra) and all(rb):
            return round(statistics.median(x / y for x, y in zip(ra, rb, strict=True)), 2)
        return ratio(rps(a), rps(b))

    # The issue's targets, per server core against Prism's GET /tickets in the same run:
    # (prefix, goal vs Prism for the first page, for writes).
    for prefix, first_goal, write_goal in (
        (PRODUCTION, 1.5, 1.0),
        ("server_pg", 1.0, 0.7),
    ):
        app = SERVER_APPS[prefix][0]
        first = rps(f"{prefix}_list_first")
        if first is None:
            continue
        r = paired(f"{prefix}_list_first", "prism_list")
        add(f"{app}: first page vs Prism", f">= {first_goal:.1f}x Prism", r, _ge(r, first_goal))
        deep = paired(f"{prefix}_list_deep", f"{prefix}_list_first")
        add(
            f"{app}: page {meta.get('deep_page', 10_000):,} vs first page",
            "within 1.2x of the first page (>= 0.83x)",
            deep,
            _ge(deep, 1 / 1.2),
        )
        for name in ["list_filtered", *(f"filter_{k}" for k in FILTER_QUERIES)]:
            r = paired(f"{prefix}_{name}", f"{prefix}_list_first")
            if r is None:
                continue
            query = meta.get("filter", "") if name == "list_filtered" else FILTER_QUERIES[name[7:]]
            add(
                f"{app}: `{query}` vs first page",
                "within 1.2x of the first page (>= 0.83x)",
                r,
                _ge(r, 1 / 1.2),
            )
        for name, what in (
            ("create_ticket", "POST /tickets (Idempotency-Key)"),
            ("add_message", "POST /tickets/{id}/messages"),
        ):
            r = paired(f"{prefix}_{name}", "prism_list")
            add(f"{app}: {what} vs Prism", f">= {write_goal:.1f}x Prism", r, _ge(r, write_goal))
    # The FlaskApp (a supported mode): the earlier goals, kept to see it does not fall back.
    first = rps("server_list_first")
    if first:
        r = paired("server_list_first", "prism_list")
        add("FlaskApp: first page vs Prism", ">= 1.0x Prism, one worker", r, _ge(r, 1.0))
    two = meta.get("two_process") or {}
    both = rps("server_pg2_list_first")
    if both:
        add(
            "two processes vs one: first page, PostgreSQL (same server core)",
            "reported (both share one server core here)",
            paired("server_pg2_list_first", "server_pg_list_first"),
            None,
        )
    for name, what in (
        ("page_tokens", "page tokens of one process accepted by the other"),
        ("idempotency", "one Idempotency-Key over two processes: one ticket"),
        ("rate_limit", "rate limit exact across two processes (accepted <= limit)"),
    ):
        if name in two:
            add(f"two processes: {what}", "holds", None, bool(two[name].get("ok")))
    growth = meta.get("growth") or []
    if len(growth) >= 2:
        small, large = growth[0], growth[-1]
        r = ratio(large["explain_ms"], small["explain_ms"])
        add(
            f"growth: first-page statement at {large['tickets']:,} vs {small['tickets']:,} "
            "tickets (PostgreSQL)",
            "flat (<= 1.2x)",
            r,
            None if r is None else r <= 1.2,
        )
    r = paired("mock_list", "prism_list")
    # Issue 18: the mock, with its frontend features at their defaults, at least 10x Prism.
    add("mock vs Prism", ">= 10.0x Prism", r, _ge(r, 10.0))
    start = meta.get("startup_s", {}).get("mock")
    add("mock start (spawn to first 200)", "< 1.0 s", start, None if start is None else start < 1.0)
    return out


def _ge(value: float | None, goal: float) -> bool | None:
    return None if value is None else value >= goal


def _fmt(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def _other_range(doc: dict) -> str:
    other = [r["other_cpu"] for r in doc["scenarios"] if r.get("other_cpu") is not None]
    if not other:
        return "not recorded"
    return f"{min(other):.2f} to {max(other):.2f} cores"


def markdown(doc: dict) -> str:
    meta = doc["meta"]
    pin = meta["pinning"]
    pinning = (
        f"server pinned to CPU {pin['server']}, wrk to CPU {pin['wrk']} (taskset)"
        if pin.get("server") is not None
        else "no pinning (fewer than two cores)"
    )
    if meta.get("nice"):
        pinning += f", both at nice {meta['nice']}"
    tenants = ", ".join(f"{t['name']} {t['tickets']:,}" for t in meta["tenants"])
    lines = [
        f"`{meta['command']}` on {meta['date']}, commit {meta['git']}: "
        f"{meta['tickets']:,} tickets ({tenants}) with 1-3 messages each, in SQLite "
        f"and in PostgreSQL {(meta.get('postgresql') or {}).get('version', '(not run)')}; "
        f"{meta['cpus']} cores ({meta['cpu_model']}), {pinning}; "
        f"{meta['wrk']}, {meta['connections']} connections, {meta['duration_s']:g} s per scenario "
        f"after {meta['warmup_s']:g} s warm-up, best of {meta.get('rounds', 1)} round(s) "
        f"(rounds interleave all scenarios, each round in a new shuffled order, so a burst "
        f"of other work on this shared machine does not hit every round of one scenario; "
        f"the targets' ratios are the median of each round's own ratio, both figures taken "
        f"in the same round). {_servers(doc)}",
        "",
        f"Other work on the machine during the reported runs (all CPU time minus the server's "
        f"and wrk's): {_other_range(doc)}. CPU ms/req is the measured process's CPU time per "
        f"request (Prism's includes its logging; wrk's is not counted); PG CPU ms/req is "
        f"PostgreSQL's (postmaster and backends), counted separately.",
        "",
        "| Scenario | req/s | p50 ms | p99 ms | vs Prism | vs ceiling | each round req/s "
        "| CPU ms/req | PG CPU ms/req | other work, cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in doc["scenarios"]:
        bad = f" ({r['non_2xx']} non-2xx)" if r.get("non_2xx") else ""
        lines.append(
            f"| {r['label']}{bad} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
            f"| {_fmt(r['vs_prism'], '.2f')}x | {_fmt(r['vs_ceiling'], '.3f')}x "
            f"| {' / '.join(f'{x:,.0f}' for x in r.get('rounds_rps', [r['rps']]))} "
            f"| {_fmt(r.get('cpu_ms_per_req'), '.3f')} | {_fmt(r.get('pg_cpu_ms_per_req'), '.3f')} "
            f"| {_fmt(r.get('other_cpu'), '.2f')} |"
        )
    lines += ["", "| Target | Goal | Measured | Status |", "|---|---|---:|---|"]
    for t in doc["targets"]:
        value = t["value"]
        shown = (
            "-"
            if value is None
            else (f"{value:.2f} s" if "start" in t["target"] else f"{value:.2f}x")
        )
        lines.append(f"| {t['target']} | {t['goal']} | {shown} | {t['status']} |")
    by = {r["name"]: r for r in doc["scenarios"]}
    floors, shares = [], []
    for prefix, (app, fw) in SERVER_APPS.items():
        floor = by.get(f"floor_{fw}")
        if not floor:
            continue
        floors.append(f"{app} {floor['rps']:,.0f} req/s ({_fmt(floor['vs_prism'], '.2f')}x Prism)")
        # Each framework's server against its own framework's floor.
        first = by.get(f"{prefix}_list_first")
        if first and floor["rps"]:
            shares.append(f"{first['rps'] / floor['rps']:.2f}x the {app} floor on {app}")
    if floors:
        line = "Framework floor, Connexion with a trivial handler and no database: " + ", ".join(
            floors
        )
        if shares:
            line += "; the server's first page is " + ", ".join(shares)
        lines += ["", line + "."]
    start = meta.get("startup_s", {})
    if start:
        lines += [
            "",
            "Start-up, spawn to first 200: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in start.items())
            + ".",
        ]
    if meta.get("prism_paths"):
        shown = ", ".join(f"`{p}` {code}" for p, code in meta["prism_paths"].items())
        lines.append(f"Prism serves the paths at its root: {shown}.")
    if meta.get("deep_token"):
        lines.append(f"Page {meta['deep_page']:,} token: {meta['deep_token']}.")
    lines += _postgresql_notes(doc)
    return "\n".join(lines) + "\n"


def _postgresql_notes(doc: dict) -> list[str]:
    meta = doc["meta"]
    out: list[str] = []
    pg = meta.get("postgresql") or {}
    if pg:
        settings = ", ".join(f"{k}={v}" for k, v in pg.get("settings", {}).items())
        out += ["", f"PostgreSQL {pg.get('version')}, {pg.get('pinning')}; settings: {settings}."]
        for name, info in pg.get("seeds", {}).items():
            how = "cached" if info.get("cached") else f"seeded in {info.get('seed_seconds')} s"
            copy = f", run copy made in {info['copy_seconds']} s" if "copy_seconds" in info else ""
            out.append(f"- `{name}`: {how}{copy}.")
    two = meta.get("two_process") or {}
    if two:
        tok, idem = two.get("page_tokens", {}), two.get("idempotency", {})
        rl = two.get("rate_limit", {})
        each = idem.get("requests", 0) // max(1, idem.get("keys", 1))
        out += [
            "",
            f"Two processes on one PostgreSQL database and secret (wrk splits the connections "
            f"between them; both pinned to the server core): page tokens of one accepted by the "
            f"other {tok.get('accepted')}/{tok.get('checked')} "
            f"(same page: {tok.get('same_page')}); {idem.get('keys')} Idempotency-Keys x {each} "
            f"concurrent requests over both: statuses {idem.get('statuses')}, "
            f"{idem.get('tickets_created')} tickets created; a key limited to "
            f"{rl.get('limit_per_minute')}/min hit {rl.get('requests')} times over both in one "
            f"window: {rl.get('accepted')} accepted, {rl.get('refused_429')} refused with 429 "
            f"(allowed range {rl.get('lowest_allowed')}-{rl.get('limit_per_minute')}).",
        ]
    growth = meta.get("growth") or []
    if growth:
        by = {r["name"]: r for r in doc["scenarios"]}
        out += [
            "",
            "Growth, first page on PostgreSQL (`GET /tickets?limit=25`, tenant A, open tickets):",
            "",
            "| Tickets | Database size | statement in PostgreSQL, ms (EXPLAIN ANALYZE, best of 20) "
            "| req/s | p50 ms | p99 ms |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for g in growth:
            r = by.get(f"growth_{g['tickets']}", {})
            out.append(
                f"| {g['tickets']:,} | {g.get('size', '-')} | {g['explain_ms']:.3f} "
                f"| {_fmt(r.get('rps'), ',.0f')} | {_fmt(r.get('p50_ms'), '.2f')} "
                f"| {_fmt(r.get('p99_ms'), '.2f')} |"
            )
        out += ["", "Plan at the largest size:", "", "```", *growth[-1].get("plan", []), "```"]
    return out


def readme_table(doc: dict) -> str:
    """The README's performance tables, ready to paste (the coordinator's copy of a full run)."""
    meta = doc["meta"]
    by = {r["name"]: r for r in doc["scenarios"]}
    prism = by.get("prism_list", {}).get("rps")

    def cell(name: str, key: str, spec: str) -> str:
        return _fmt(by.get(name, {}).get(key), spec)

    rows = [
        ("list_first", "`GET /tickets?limit=25`, first page"),
        ("list_deep", f"page {meta.get('deep_page', 10_000):,} (token)"),
        *((f"filter_{k}", f"`{v}`") for k, v in FILTER_QUERIES.items()),
        ("get", "`GET /tickets/{id}`"),
        ("create_ticket", "`POST /tickets` (Idempotency-Key)"),
        ("add_message", "`POST /tickets/{id}/messages`"),
    ]
    lines = [
        f"`{meta['command']}` on {meta['date'][:10]}, commit {meta['git']}, "
        f"{meta['tickets']:,} tickets; one server process on one core; Prism "
        f"{_fmt(prism, ',.0f')} req/s in the same run.",
        "",
        "| | SQLite req/s | vs Prism | CPU ms/req | PostgreSQL req/s | vs Prism "
        "| server CPU ms/req | PG CPU ms/req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, text in rows:
        a, b = f"{PRODUCTION}_{key}", f"server_pg_{key}"
        if a not in by and b not in by:
            continue
        lines.append(
            f"| {text} | {cell(a, 'rps', ',.0f')} | {cell(a, 'vs_prism', '.2f')}x "
            f"| {cell(a, 'cpu_ms_per_req', '.3f')} | {cell(b, 'rps', ',.0f')} "
            f"| {cell(b, 'vs_prism', '.2f')}x | {cell(b, 'cpu_ms_per_req', '.3f')} "
            f"| {cell(b, 'pg_cpu_ms_per_req', '.3f')} |"
        )
    two = [n for n in by if n.startswith("server_pg2_")]
    if two:
        lines += [
            "",
            "| Two processes, PostgreSQL | req/s | one process req/s | server CPU ms/req "
            "| PG CPU ms/req |",
            "|---|---:|---:|---:|---:|",
        ]
        for name in two:
            key = name[len("server_pg2_") :]
            lines.append(
                f"| {_label(name).format(**meta)} | {cell(name, 'rps', ',.0f')} "
                f"| {cell('server_pg_' + key, 'rps', ',.0f')} "
                f"| {cell(name, 'cpu_ms_per_req', '.3f')} "
                f"| {cell(name, 'pg_cpu_ms_per_req', '.3f')} |"
            )
    growth = meta.get("growth") or []
    if growth:
        lines += [
            "",
            "| Tickets (PostgreSQL) | first-page statement ms | req/s | p99 ms |",
            "|---:|---:|---:|---:|",
        ]
        for g in growth:
            name = f"growth_{g['tickets']}"
            lines.append(
                f"| {g['tickets']:,} | {g['explain_ms']:.3f} | {cell(name, 'rps', ',.0f')} "
                f"| {cell(name, 'p99_ms', '.1f')} |"
            )
    refs = [
        n for n in ("mock_list", "prism_list", "floor_flask", "floor_async", "ceiling") if n in by
    ]
    if refs:
        lines += ["", "| | req/s | p99 ms | vs Prism | vs ceiling |", "|---|---:|---:|---:|---:|"]
        for name in refs:
            lines.append(
                f"| {_label(name)} | {cell(name, 'rps', ',.0f')} | {cell(name, 'p99_ms', '.1f')} "
                f"| {cell(name, 'vs_prism', '.2f')}x | {cell(name, 'vs_ceiling', '.3f')}x |"
            )
    lines += ["", "| Target | Goal | Measured | Status |", "|---|---|---:|---|"]
    for t in doc["targets"]:
        shown = "-" if t["value"] is None else f"{t['value']:.2f}"
        lines.append(f"| {t['target']} | {t['goal']} | {shown} | {t['status']} |")
    return "\n".join(lines) + "\n"


def growth_chart(doc: dict, path: Path) -> None:
    """First-page time against the ticket count on PostgreSQL (log x): the statement's own
    time in the database and the request's p50 over HTTP."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    growth = doc["meta"]["growth"]
    by = {r["name"]: r for r in doc["scenarios"]}
    xs = [g["tickets"] for g in growth]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.plot(xs, [g["explain_ms"] for g in growth], marker="o", label="statement (EXPLAIN ANALYZE)")
    p50 = [by.get(f"growth_{n}", {}).get("p50_ms") for n in xs]
    if all(v is not None for v in p50):
        ax.plot(xs, p50, marker="s", label=f"request p50, {doc['meta']['connections']} connections")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("tickets (log scale)")
    ax.set_ylabel("ms")
    ax.set_title("First page on PostgreSQL as the table grows", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    """python -m bench.report [results.json]: print the README's tables from a run."""
    import json
    import sys

    here = Path(__file__).resolve().parent
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "results" / "results.json"
    print(readme_table(json.loads(source.read_text())))


if __name__ == "__main__":
    main()


def _servers(doc: dict) -> str:
    """Which frameworks the server ran on in this run (one process each, the same database)."""
    default = doc["meta"].get("server_framework", "flask")
    measured = {server_app(r["name"]) for r in doc["scenarios"]}
    apps = [
        f"{app} ({'the default' if fw == default else f'`THREADA_FRAMEWORK={fw}`'})"
        for app, fw in SERVER_APPS.values()
        if app in measured
    ]
    if not apps:
        return "Server: not measured."
    on = (
        f"on both Connexion frameworks, each in its own process on the same database: "
        f"{' and '.join(apps)}"
        if len(apps) > 1
        else f"on Connexion {apps[0]}"
    )
    return f"Server: `threada serve --workers 1` (uvicorn) {on}; SQLite in WAL mode."


def chart(doc: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(reversed(doc["scenarios"]))
    colors = {
        "server": "#3b6ea5",
        "server_async": "#7ea6d3",
        "mock": "#4f9d69",
        "prism": "#c0504d",
        "floor": "#c9a94b",
        "ceiling": "#999999",
    }
    # Wide enough that the longest label (the filtered list's) leaves the bars ~6 inches.
    longest = max(len(r["label"]) for r in rows)
    fig, ax = plt.subplots(figsize=(max(9, 6 + 0.07 * longest), 0.45 * len(rows) + 1.2), dpi=100)
    bars = ax.barh(
        [r["label"] for r in rows],
        [r["rps"] for r in rows],
        color=[
            colors["server_async"]
            if server_app(r["name"]) == "AsyncApp"
            else colors.get(r["target"], "#777")
            for r in rows
        ],
    )
    for bar, r in zip(bars, rows, strict=True):
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" {r['rps']:,.0f}  (p99 {r['p99_ms']:.1f} ms)",
            va="center",
            fontsize=8,
        )
    meta = doc["meta"]
    # Log scale: the figures span two orders of magnitude; Prism is the dashed reference.
    ax.set_xscale("log")
    prism = next((r["rps"] for r in rows if r["name"] == "prism_list"), None)
    if prism:
        ax.axvline(prism, color=colors["prism"], linestyle="--", linewidth=1)
    ax.set_xlabel(f"requests/s, log scale; {meta['connections']} connections; dashed: Prism")
    ax.set_title(f"{meta['tickets']:,} tickets, {meta['date'][:10]}", fontsize=10)
    low = min(r["rps"] for r in rows if r["rps"] > 0)
    ax.set_xlim(low / 2, max(r["rps"] for r in rows) * 8)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
