"""The TypeScript SDK's own tests (`node --test`), compiled with the pinned TypeScript,
run against the stateful mock and the live server started here (clients/conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from clients.conftest import ROOT, Target
from testsupport import needs

TS = ROOT / "clients" / "typescript"
TSC = ROOT / "node_modules" / ".bin" / "tsc"


@pytest.mark.slow
def test_typescript_sdk_against_mock_and_server(
    tmp_path, mock_target: Target, server_target: Target
):
    if shutil.which("node") is None:
        needs("node", "Node 20 runs the TypeScript SDK's tests")
    assert TSC.exists(), "node_modules is missing: run `make install`"
    out = tmp_path / "dist"
    compiled = subprocess.run(  # noqa: S603 - fixed argv
        [str(TSC), "-p", str(TS), "--outDir", str(out)], capture_output=True, text=True
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    targets = [
        {
            "name": t.name,
            "url": t.url,
            "key": t.key,
            "limited_key": t.limited_key,
            "control": t.control,
        }
        for t in (mock_target, server_target)
    ]
    run = subprocess.run(  # noqa: S603 - fixed argv
        ["node", "--test", "--test-reporter=spec", str(out / "test" / "sdk.test.js")],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "THREADA_SDK_TARGETS": json.dumps(targets), "THREADA_ROOT": str(ROOT)},
    )
    print(run.stdout)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert "# fail 0" in run.stdout or "fail 0" in run.stdout


def test_the_readme_example_compiles(tmp_path):
    """The README's TypeScript compiles against the SDK (its run is the test above)."""
    readme = (TS / "README.md").read_text()
    code = readme.split("```ts\n", 1)[1].split("```", 1)[0]
    head, body = code.split("\n", 1)
    assert head.startswith("import { Threada, ThreadaError } from '@threada/client';")
    example = tmp_path / "readme_example.ts"
    example.write_text(
        f"import {{ Threada, ThreadaError }} from {json.dumps(str(TS / 'src' / 'index'))};\n"
        f"export async function main(): Promise<void> {{\n{body}}}\n"
    )
    from clients.tests.test_generator_matrix import _tsc

    _tsc([example], tmp_path)
