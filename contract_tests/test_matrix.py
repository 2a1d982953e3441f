"""The suite against the server on every framework and database it supports.

The in-process run of this pytest session covers the default (the framework
`threada.config.Settings` defaults to, or THREADA_FRAMEWORK; SQLite). This test runs
the suite, coverage verdicts included, on each other combination of Connexion
framework (FlaskApp, AsyncApp) and database (SQLite, PostgreSQL on the session's
throw-away cluster), side by side, with fewer generated cases.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from contract_tests.targets import REPO
from testsupport import needs

FRAMEWORKS = ("flask", "async")
DATABASES = ("sqlite", "postgresql")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(os.environ.get("CONTRACT_URL"))
        or os.environ.get("CONTRACT_TARGET", "server") != "server",
        reason="runs once, from the in-process server run",
    ),
]


def _default_framework() -> str:
    from threada.config import Settings

    return Settings.from_env().framework


COMBINATIONS = [
    (f, d) for f in FRAMEWORKS for d in DATABASES if (f, d) != (_default_framework(), "sqlite")
]


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[tuple[str, str], subprocess.CompletedProcess]]:
    from server.tests.pgcluster import Cluster, find_bin

    cluster = Cluster() if find_bin("initdb") and find_bin("postgres") else None
    procs: dict[tuple[str, str], Any] = {}
    try:
        for framework, database in COMBINATIONS:
            env = {
                **os.environ,
                "THREADA_FRAMEWORK": framework,
                "CONTRACT_MAX_EXAMPLES": "4",
                "CONTRACT_STATEFUL_SCENARIOS": "12",
                "CONTRACT_PHASES": "examples,fuzzing",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
            if database == "postgresql":
                if cluster is None:
                    continue
                name = f"contract_{uuid.uuid4().hex[:10]}"
                env["CONTRACT_DATABASE_URL"] = cluster.create_database(name)
            procs[(framework, database)] = subprocess.Popen(
                [sys.executable, "-m", "pytest"]
                + [
                    f"contract_tests/{f}"
                    for f in ("test_contract.py", "test_scopes.py", "test_stateful.py")
                ]
                + ["contract_tests/test_coverage.py", "-q", "-p", "no:cacheprovider"]
                + ["-W", "ignore::DeprecationWarning", "-o", "addopts=--import-mode=importlib"],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        deadline = time.monotonic() + 280
        results = {}
        for combo, proc in procs.items():
            out, _ = proc.communicate(timeout=max(1, deadline - time.monotonic()))
            results[combo] = subprocess.CompletedProcess(proc.args, proc.returncode, out)
        yield results
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
        if cluster is not None:
            cluster.stop()


@pytest.mark.parametrize(("framework", "database"), COMBINATIONS)
def test_the_server_keeps_the_contract(
    framework: str, database: str, runs: dict[tuple[str, str], subprocess.CompletedProcess]
) -> None:
    if (framework, database) not in runs:
        needs("postgresql server", "initdb/postgres not found (apt install postgresql)")
    run = runs[(framework, database)]
    assert run.returncode == 0, f"{framework} on {database}:\n{run.stdout[-6000:]}"
    assert "coverage: complete" in run.stdout, run.stdout[-3000:]
