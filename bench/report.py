"""Ratios, targets, the Markdown table and the chart for a benchmark run."""

from __future__ import annotations

from pathlib import Path

LABELS = {
    "server_list_first": "Server GET /tickets?limit=25 (first page)",
    "server_list_deep": "Server GET /tickets?limit=25, page {deep_page:,} (token)",
    "server_list_filtered": "Server GET /tickets?{filter}&limit=25",
    "server_get": "Server GET /tickets/{{id}}",
    "server_create_ticket": "Server POST /tickets",
    "server_add_message": "Server POST /tickets/{{id}}/messages",
    "server_async_list_first": "Server on AsyncApp (THREADA_FRAMEWORK=async), first page",
    "mock_list": "Mock GET /tickets?limit=25",
    "prism_list": "Prism 5.16 GET /tickets?limit=25",
    "floor_flask": "Connexion FlaskApp, trivial handler (floor)",
    "floor_async": "Connexion AsyncApp, trivial handler (floor)",
    "ceiling": "Bare Starlette + uvicorn, fixed body",
}


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
    first = by.get("server_list_first", {}).get("rps")
    deep = by.get("server_list_deep", {}).get("rps")
    mock = by.get("mock_list", {}).get("rps")
    ratio = round(first / prism, 2) if first and prism else None
    add(
        "server first page vs Prism",
        ">= 1.0x Prism, one worker",
        ratio,
        None if ratio is None else ratio >= 1.0,
    )
    ratio = round(deep / first, 2) if deep and first else None
    add(
        f"server page {meta.get('deep_page', 10_000):,} vs first page",
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
        f"does not hit every round of one scenario). Server: `threada serve --workers 1` "
        f"(uvicorn), framework {meta.get('server_framework', 'flask')}, SQLite in WAL mode.",
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
    floor = by.get("floor_flask")
    if floor and floor.get("vs_prism") is not None:
        line = (
            f"Framework floor: Connexion FlaskApp with a trivial handler and no database serves "
            f"{floor['rps']:,.0f} req/s ({floor['vs_prism']:.2f}x Prism)"
        )
        if "floor_async" in by:
            line += (
                f", AsyncApp {by['floor_async']['rps']:,.0f} ({by['floor_async']['vs_prism']:.2f}x)"
            )
        first = by.get("server_list_first")
        if first:
            line += (
                f"; the server's first page is {first['rps'] / floor['rps']:.2f}x the FlaskApp "
                f"floor"
            )
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


def chart(doc: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(reversed(doc["scenarios"]))
    colors = {
        "server": "#3b6ea5",
        "mock": "#4f9d69",
        "prism": "#c0504d",
        "floor": "#c9a94b",
        "ceiling": "#999999",
    }
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.2), dpi=100)
    bars = ax.barh(
        [r["label"] for r in rows],
        [r["rps"] for r in rows],
        color=[colors.get(r["target"], "#777") for r in rows],
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
