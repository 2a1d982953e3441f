"""Ratios, targets, the Markdown table and the chart for a benchmark run."""

from __future__ import annotations

from pathlib import Path

# The server's scenarios on each Connexion framework: scenario-name prefix -> (app, framework);
# the names are bench.run.server_names(framework), e.g. server_list_first, server_async_get.
SERVER_APPS = {"server": ("FlaskApp", "flask"), "server_async": ("AsyncApp", "async")}
SERVER_LABELS = {
    "list_first": "GET /tickets?limit=25 (first page)",
    "list_deep": "GET /tickets?limit=25, page {deep_page:,} (token)",
    "list_filtered": "GET /tickets?{filter}&limit=25",
    "get": "GET /tickets/{{id}}",
    "create_ticket": "POST /tickets",
    "add_message": "POST /tickets/{{id}}/messages",
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


def server_app(name: str) -> str | None:
    """The framework ("FlaskApp", "AsyncApp") a server scenario ran on; None for the others."""
    for prefix, (app, _) in SERVER_APPS.items():
        if name.startswith(prefix + "_") and name[len(prefix) + 1 :] in SERVER_LABELS:
            return app
    return None


def label(name: str, meta: dict) -> str:
    return LABELS.get(name, name).format(**meta)


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

    prism = by.get("prism_list", {}).get("rps")
    mock = by.get("mock_list", {}).get("rps")
    for prefix, (app, _) in SERVER_APPS.items():
        first = by.get(f"{prefix}_list_first", {}).get("rps")
        ratio = round(first / prism, 2) if first and prism else None
        add(
            f"server ({app}) first page vs Prism",
            ">= 1.0x Prism, one worker",
            ratio,
            None if ratio is None else ratio >= 1.0,
        )
    for prefix, (app, _) in SERVER_APPS.items():
        first = by.get(f"{prefix}_list_first", {}).get("rps")
        deep = by.get(f"{prefix}_list_deep", {}).get("rps")
        ratio = round(deep / first, 2) if deep and first else None
        add(
            f"server ({app}) page {meta.get('deep_page', 10_000):,} vs first page",
            ">= 0.80x first page",
            ratio,
            None if ratio is None else ratio >= 0.8,
        )
    ratio = round(mock / prism, 2) if mock and prism else None
    add("mock vs Prism", ">= 2.0x Prism", ratio, None if ratio is None else ratio >= 2.0)
    start = meta.get("startup_s", {}).get("mock")
    add("mock start (spawn to first 200)", "< 1.0 s", start, None if start is None else start < 1.0)
    return out


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
        f"{meta['tickets']:,} tickets ({tenants}) with 1-3 messages each in SQLite; "
        f"{meta['cpus']} cores ({meta['cpu_model']}), {pinning}; "
        f"{meta['wrk']}, {meta['connections']} connections, {meta['duration_s']:g} s per scenario "
        f"after {meta['warmup_s']:g} s warm-up, best of {meta.get('rounds', 1)} round(s) "
        f"(rounds interleave all scenarios, so a burst of other work on this shared machine "
        f"does not hit every round of one scenario). {_servers(doc)}",
        "",
        f"Other work on the machine during the reported runs (all CPU time minus the server's "
        f"and wrk's): {_other_range(doc)}. CPU ms/req is the measured process's CPU time per "
        f"request (Prism's includes its logging; wrk's is not counted).",
        "",
        "| Scenario | req/s | p50 ms | p99 ms | vs Prism | vs ceiling | each round req/s "
        "| CPU ms/req | other work, cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in doc["scenarios"]:
        bad = f" ({r['non_2xx']} non-2xx)" if r.get("non_2xx") else ""
        lines.append(
            f"| {r['label']}{bad} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
            f"| {_fmt(r['vs_prism'], '.2f')}x | {_fmt(r['vs_ceiling'], '.3f')}x "
            f"| {' / '.join(f'{x:,.0f}' for x in r.get('rounds_rps', [r['rps']]))} "
            f"| {_fmt(r.get('cpu_ms_per_req'), '.3f')} | {_fmt(r.get('other_cpu'), '.2f')} |"
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
    return "\n".join(lines) + "\n"


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
