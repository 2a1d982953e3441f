"""Cheap checks of the bench's parsing and reporting (not in `make test`'s testpaths):

.venv/bin/pytest bench/tests
"""

import json

import pytest

from bench import harness, profile, report, run

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8080/tickets
  1 threads and 32 connections
BENCH_JSON {"requests": 50000, "duration_us": 10000000, "bytes": 1000, \
"errors": {"connect": 0, "read": 1, "write": 0, "status": 3, "timeout": 0}, \
"latency_us": {"p50": 1250, "p90": 2000, "p99": 7440, "max": 9000, "mean": 1300.5}, \
"statuses": {"409": 3}, "error_sample": "{\\u0022error\\u0022: 1}"}
"""


def test_parse_wrk_reads_the_lua_report():
    res = harness.parse_wrk(WRK_OUTPUT)
    assert res["rps"] == 5000.0
    assert (res["p50_ms"], res["p99_ms"]) == (1.25, 7.44)
    assert res["non_2xx"] == 3 and res["socket_errors"] == 1
    assert res["statuses"] == {"409": 3}
    assert json.loads(res["error_sample"]) == {"error": 1}


def test_parse_wrk_without_report_fails_loudly():
    with pytest.raises(ValueError, match="BENCH_JSON"):
        harness.parse_wrk("Requests/sec: 100\n")


def _row(name, target, rps):
    return {"name": name, "target": target, "rps": rps, "p50_ms": 1.0, "p99_ms": 2.0}


META = {
    "deep_page": 10_000,
    "filter": "status=open",
    "startup_s": {"mock": 0.4},
    "command": "make bench",
    "date": "2026-11-25T21:00:00Z",
    "git": "abc",
    "tickets": 1000,
    "tenants": [{"name": "a", "tickets": 1000}],
    "cpus": 2,
    "cpu_model": "x",
    "pinning": {"server": "0", "wrk": "1"},
    "wrk": "wrk 4, 1 thread",
    "connections": 32,
    "duration_s": 10,
    "warmup_s": 2,
    "server_framework": "flask",
}


def test_every_server_scenario_on_both_frameworks_has_a_label():
    flask, on_async = run.server_names("flask"), run.server_names("async")
    assert flask == [
        "server_list_first",
        "server_list_deep",
        "server_list_filtered",
        "server_get",
        "server_create_ticket",
        "server_add_message",
    ]
    # The production framework also runs every documented filter combination.
    filters = [f"server_async_filter_{f}" for f in run.FILTERS]
    assert on_async == [name.replace("server_", "server_async_", 1) for name in flask] + filters
    assert set(run.FILTERS) == set(report.FILTER_QUERIES)
    for fw, (prefix, _) in run.FRAMEWORKS.items():
        assert report.SERVER_APPS[prefix][1] == fw
    for name in flask:
        assert report.label(name, META).startswith("Server (FlaskApp) ")
        assert report.server_app(name) == "FlaskApp"
    for name in on_async + run.pg_names():
        assert not report.label(name, META).startswith(name), name
    for name in on_async:
        assert report.label(name, META).startswith("Server (AsyncApp) ")
        assert report.server_app(name) == "AsyncApp"
    assert report.server_app("floor_async") is None
    # AsyncApp is the default: its server runs with THREADA_FRAMEWORK cleared.
    assert run.FRAMEWORKS["async"][1] == {}
    assert run.FRAMEWORKS["flask"][1] == {"THREADA_FRAMEWORK": "flask"}


def test_bench_only_skips_a_framework_none_of_whose_scenarios_is_asked_for():
    # No server is started (the context is never touched) when BENCH_ONLY names none.
    assert run.server_scenarios(None, run.Selection("server_get"), framework="async") == []
    assert run.server_scenarios(None, run.Selection("server_async_get"), framework="flask") == []
    assert run.pg_scenarios(None, run.Selection("sqlite")) == []


def test_bench_only_takes_names_patterns_and_groups():
    everything = run.Selection("")
    assert everything("server_pg_get") and everything("ceiling")
    pg_only = run.Selection("pg")
    assert pg_only("server_pg_list_first") and pg_only("server_pg2_create_ticket")
    assert pg_only("growth_5000000") and pg_only("prism_list")  # Prism: every ratio needs it
    assert not pg_only("server_async_list_first") and not pg_only("mock_list")
    sqlite = run.Selection("sqlite")
    assert sqlite("server_async_filter_tag") and not sqlite("server_pg_get")
    pattern = run.Selection("server_*_create_ticket")
    assert pattern("server_pg_create_ticket") and not pattern("server_pg_get")


def test_ratios_and_targets(tmp_path):
    doc = report.build(
        META,
        [
            _row("server_list_first", "server", 1000),
            _row("server_list_deep", "server", 700),
            _row("server_async_list_first", "server", 2500),
            _row("server_async_list_deep", "server", 2400),
            _row("mock_list", "mock", 25000),
            _row("prism_list", "prism", 2000),
            _row("floor_flask", "floor", 4000),
            _row("floor_async", "floor", 5000),
            _row("ceiling", "ceiling", 10000),
        ],
    )
    by = {r["name"]: r for r in doc["scenarios"]}
    assert by["server_list_first"]["vs_prism"] == 0.5
    assert by["server_list_first"]["vs_ceiling"] == 0.1
    assert by["server_async_list_first"]["vs_prism"] == 1.25
    targets = {t["target"]: (t["value"], t["status"]) for t in doc["targets"]}
    assert targets == {
        "FlaskApp: first page vs Prism": (0.5, "missed"),
        "AsyncApp: first page vs Prism": (1.25, "missed"),  # the goal is 1.5x
        "AsyncApp: page 10,000 vs first page": (0.96, "met"),
        "AsyncApp: POST /tickets (Idempotency-Key) vs Prism": (None, "n/a"),
        "AsyncApp: POST /tickets/{id}/messages vs Prism": (None, "n/a"),
        "mock vs Prism": (12.5, "met"),
        "mock start (spawn to first 200)": (0.4, "met"),
    }
    text = report.markdown(doc)
    assert "| Server (FlaskApp) GET /tickets?limit=25, page 10,000 (token) |" in text
    assert "| Server (AsyncApp) GET /tickets?limit=25 (first page) |" in text
    assert (
        "on both Connexion frameworks, each in its own process on the same database: "
        "FlaskApp (the default) and AsyncApp (`THREADA_FRAMEWORK=async`)" in text
    )
    assert "0.25x the FlaskApp floor on FlaskApp, 0.50x the AsyncApp floor on AsyncApp" in text
    report.chart(doc, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").stat().st_size > 1000


def test_report_of_one_framework():
    doc = report.build(META, [_row("server_async_get", "server", 900)])
    text = report.markdown(doc)
    assert "(uvicorn) on Connexion AsyncApp (`THREADA_FRAMEWORK=async`);" in text
    # No first page measured: no server target, and nothing to compare the mock with.
    assert not any(":" in t["target"] for t in doc["targets"])
    assert doc["targets"][0] == {
        "target": "mock vs Prism",
        "goal": ">= 10.0x Prism",
        "value": None,
        "status": "n/a",
    }


def test_postgresql_two_processes_growth_and_the_readme_table(tmp_path):
    meta = {
        **META,
        "postgresql": {"version": "15.18", "settings": {"shared_buffers": "2GB"}, "seeds": {}},
        "two_process": {
            "page_tokens": {"checked": 2, "accepted": 2, "same_page": True, "ok": True},
            "idempotency": {"keys": 5, "requests": 40, "statuses": {"201": 40}, "ok": True},
            "rate_limit": {"limit_per_minute": 120, "accepted": 121, "ok": False},
        },
        "growth": [
            {"tickets": 100_000, "explain_ms": 0.10, "size": "150 MB", "plan": ["Limit"]},
            {"tickets": 5_000_000, "explain_ms": 0.11, "size": "7 GB", "plan": ["Limit"]},
        ],
    }
    doc = report.build(
        meta,
        [
            _row("server_async_list_first", "server", 3000),
            _row("server_async_filter_tag", "server", 2000),
            _row("server_pg_list_first", "server", 2000),
            _row("server_pg_create_ticket", "server", 1500),
            _row("server_pg2_list_first", "server", 2200),
            _row("growth_100000", "server", 2100),
            _row("growth_5000000", "server", 2000),
            _row("prism_list", "prism", 2000),
        ],
    )
    targets = {t["target"]: (t["value"], t["status"]) for t in doc["targets"]}
    assert targets["AsyncApp: `tag=vip` vs first page"] == (0.67, "missed")
    assert targets["AsyncApp, PostgreSQL: first page vs Prism"] == (1.0, "met")
    assert targets["AsyncApp, PostgreSQL: POST /tickets (Idempotency-Key) vs Prism"] == (
        0.75,
        "met",
    )
    assert targets["two processes vs one: first page, PostgreSQL (same server core)"][0] == 1.1
    assert targets["two processes: rate limit exact across two processes (accepted <= limit)"] == (
        None,
        "missed",
    )
    assert targets["growth: first-page statement at 5,000,000 vs 100,000 tickets (PostgreSQL)"] == (
        1.1,
        "met",
    )
    table = report.readme_table(doc)
    assert "| `GET /tickets?limit=25`, first page | 3,000 | 1.50x |" in table
    assert "| 5,000,000 | 0.110 | 2,000 |" in table
    assert "| 100,000 | 150 MB | 0.100 |" in report.markdown(doc)
    report.growth_chart(doc, tmp_path / "growth.png")
    assert (tmp_path / "growth.png").stat().st_size > 1000


def test_profile_summary(tmp_path):
    raw = tmp_path / "p.raw"
    raw.write_text(
        "main (/x/site-packages/a.py:1);hot (/x/server/threada/ids.py:9) 3\n"
        "main (/x/site-packages/a.py:1);cold (/x/site-packages/b.py:2) 1\n"
    )
    text = profile.summarize(raw)
    assert "75.0%  hot (threada/ids.py)" in text


def test_targets_pair_figures_of_the_same_round():
    """A machine that slows down during the run: the best rounds of two scenarios come from
    different phases, and their ratio says nothing; the median of same-round ratios does."""
    from bench import report

    rows = [
        {"name": "prism_list", "rps": 1000.0, "rounds_rps": [1000.0, 700.0, 500.0]},
        # Twice Prism in two rounds of three; best/best would compare its 1,400 with
        # Prism's 1,000 of the fast first round and say 1.4.
        {"name": "server_async_list_first", "rps": 1400.0, "rounds_rps": [1400.0, 1400.0, 1000.0]},
        {"name": "mock_list", "rps": 12000.0, "rounds_rps": [12000.0, 8400.0, 6000.0]},
    ]
    meta = {"startup_s": {}, "rounds": 3}
    targets = {t["target"]: t["value"] for t in report.targets({r["name"]: r for r in rows}, meta)}
    assert targets["AsyncApp: first page vs Prism"] == 2.0
    assert targets["mock vs Prism"] == 12.0
