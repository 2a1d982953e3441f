"""Run documentation snippets (shell, Python, JavaScript) and collect the HTTP statuses they got.

The snippets run exactly as a partner copies them; only the environment differs:
- curl reads `$CURL_HOME/.curlrc`, which adds `--write-out` printing `::status <code>` to
  stderr after each transfer;
- Python starts with `hooks/` on PYTHONPATH, whose `sitecustomize` reports each httpx answer;
- node runs with `--import hooks/fetch-status.mjs`, which reports each fetch answer.
`substitute()` swaps the documented production URL (and placeholders) for local ones.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HOOKS = Path(__file__).resolve().parent / "hooks"
STATUS = re.compile(r"^::status (\d{3})$", re.M)
PRODUCTION = "https://api.threada.ai/api/v1/public"


@dataclass
class Run:
    code: str
    returncode: int
    stdout: str
    stderr: str

    @property
    def statuses(self) -> list[int]:
        return [int(s) for s in STATUS.findall(self.stderr)]

    def explain(self) -> str:
        return (
            f"--- code\n{self.code}\n--- exit {self.returncode}\n--- stdout\n{self.stdout[-2000:]}"
            f"\n--- stderr\n{self.stderr[-2000:]}"
        )


def substitute(code: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        code = code.replace(old, new)
    return code


def environment(tmp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment snippets run in: status hooks, the venv's Python and threada first."""
    curl_home = tmp / "curl-home"
    curl_home.mkdir(parents=True, exist_ok=True)
    (curl_home / ".curlrc").write_text('write-out = "%{stderr}::status %{http_code}\\n"\n')
    env = dict(os.environ)
    env.update(extra or {})
    env.update(
        {
            "CURL_HOME": str(curl_home),
            "PYTHONPATH": str(HOOKS),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    return env


def run(argv: list[str], code: str, env: dict[str, str], timeout: float = 60) -> Run:
    result = subprocess.run(  # noqa: S603 - our own interpreters and snippets
        argv, input=code, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    return Run(code, result.returncode, result.stdout, result.stderr)


def run_shell(code: str, env: dict[str, str]) -> Run:
    return run(["bash", "-euo", "pipefail"], code, env)


def run_python(code: str, env: dict[str, str]) -> Run:
    return run([sys.executable, "-"], code, env)


def run_javascript(code: str, env: dict[str, str], tmp: Path) -> Run:
    node = shutil.which("node")
    assert node, "node is required (the project's npm tools need it too)"
    script = tmp / "sample.mjs"  # top-level await needs a module
    script.write_text(code)
    return run([node, "--import", (HOOKS / "fetch-status.mjs").as_uri(), str(script)], "", env)
