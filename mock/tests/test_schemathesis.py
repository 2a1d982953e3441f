"""Requests the tests above did not think of: Schemathesis generates valid and invalid
ones for every operation, and its checks judge every answer (documented status and
content type, schema conformance, 401 without/with a wrong key, 405 with Allow...).
Small on purpose; the contract suite runs the full set against the mock."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from threada_mock.cli import build_app  # noqa: E402

from .conftest import BUNDLE  # noqa: E402

KEY = "smoke-all-scopes"


def _schema(tmp: Path, *, stateful: bool):
    config = tmp / "keys.json"
    scopes = ["support.read", "support.write", "support.actions"]
    config.write_text(json.dumps({"keys": {KEY: scopes}, "unknown_keys": "reject"}))
    app = build_app(BUNDLE, config=config, stateful=stateful, seed=3, rate_limit=0)
    st_config = SchemathesisConfig.from_dict(
        {
            "checks": {"enabled": True, "positive_data_acceptance": {"enabled": False}},
            "generation": {"mode": "all", "max-examples": 12, "deterministic": True},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": False},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "auth": {"openapi": {"ApiKeyAuth": {"api_key": KEY}}},
            "seed": 20261125,
        }
    )
    schema = schemathesis.openapi.from_dict(json.loads(BUNDLE.read_text()), config=st_config)
    statuses: list[int] = []

    async def counting(scope, receive, send):
        async def record(message):
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            await send(message)

        await app(scope, receive, record)

    schema.app = counting
    return schema, statuses


@pytest.mark.parametrize("stateful", [False, True], ids=["examples", "stateful"])
def test_schemathesis_finds_nothing(tmp_path, stateful):
    schema, statuses = _schema(tmp_path, stateful=stateful)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=10,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                case.call_and_validate()

            try:
                run()
            except BaseException as e:  # noqa: BLE001 - collect all operations' failures
                failures.append(f"{operation.label} ({mode.value}): {str(e)[:800]}")
    assert not failures, "\n\n".join(failures)
    mode = "stateful" if stateful else "examples"
    print(f"\nschemathesis against the mock ({mode}): {dict(Counter(statuses))}")
    # The key was used (not everything a 401) and invalid data was sent (some 400s).
    assert sum(200 <= s < 300 for s in statuses) > 10, Counter(statuses)
    assert {400, 401} <= set(statuses), Counter(statuses)
