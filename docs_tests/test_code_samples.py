"""Every operation's `x-codeSamples` (curl, Python, JavaScript), run against `threada mock`.

The samples come from the committed bundle (what Redoc shows); `make bundle-check`
proves the bundle is what the generator (`threada.docsbuild.samples`) writes today.
Each sample must exit 0 and get one answer whose status the operation documents as
a success.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from docs_tests import servers, snippets

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = json.loads((ROOT / "openapi" / "dist" / "openapi.json").read_text(encoding="utf-8"))
METHODS = ("get", "put", "post", "delete", "patch")
OPERATIONS = [
    op for item in BUNDLE["paths"].values() for method, op in item.items() if method in METHODS
]
LANGUAGES = ["curl", "Python (httpx)", "JavaScript (fetch)"]
CASES = [
    pytest.param(op, label, id=f"{op['operationId']}-{label.split()[0]}")
    for op in OPERATIONS
    for label in LANGUAGES
]


@pytest.fixture(scope="module")
def mock_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with servers.mock(tmp_path_factory.mktemp("mock")) as url:
        yield url


def test_every_operation_has_a_sample_in_each_language() -> None:
    for op in OPERATIONS:
        labels = [sample["label"] for sample in op.get("x-codeSamples", [])]
        assert labels == LANGUAGES, f"{op['operationId']}: {labels}"


@pytest.mark.parametrize(("op", "label"), CASES)
def test_the_sample_runs_against_the_mock_and_gets_a_documented_success(
    op: dict, label: str, mock_url: str, tmp_path: Path
) -> None:
    sample = next(s for s in op["x-codeSamples"] if s["label"] == label)
    assert snippets.PRODUCTION in sample["source"], "a sample calls the documented server"
    code = snippets.substitute(sample["source"], {snippets.PRODUCTION: mock_url})
    env = snippets.environment(tmp_path, {"THREADA_API_KEY": "docs-samples-key"})
    if label == "curl":
        run = snippets.run_shell(code, env)
    elif label.startswith("Python"):
        run = snippets.run_python(code, env)
    else:
        run = snippets.run_javascript(code, env, tmp_path)
    assert run.returncode == 0, run.explain()
    documented = {int(s) for s in op["responses"] if s.startswith("2")}
    assert len(run.statuses) == 1 and run.statuses[0] in documented, (
        f"{op['operationId']} ({label}) got {run.statuses}, documents {sorted(documented)}\n"
        + run.explain()
    )
