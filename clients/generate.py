"""Generate the SDKs' code from the bundle: `make clients` (and the freshness check).

`python -m clients.generate [OUT]` writes the generated part of each SDK:

- `OUT/python/threada_client/generated/`: openapi-python-client (pinned in the dev
  extra), formatted by its own ruff post-hook;
- `OUT/typescript/src/generated/`: @hey-api/openapi-ts (pinned in package.json),
  its fetch client included, so the SDK has no runtime dependency.

OUT defaults to `clients/`. Only the `generated` folders are written; the
hand-written layer beside them is never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE_JSON = ROOT / "openapi" / "dist" / "openapi.json"
PY_GENERATED = Path("python/threada_client/generated")
TS_GENERATED = Path("typescript/src/generated")
BIN = Path(sys.executable).parent


def generate_python(out: Path, bundle: Path = BUNDLE_JSON) -> Path:
    target = out / PY_GENERATED
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "generated"
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        subprocess.run(  # noqa: S603 - fixed argv
            [
                str(BIN / "openapi-python-client"),
                "generate",
                "--path",
                str(bundle),
                "--output-path",
                str(raw),
                "--meta",
                "none",
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(raw, target, ignore=shutil.ignore_patterns(".ruff_cache", "__pycache__"))
    return target


def generate_typescript(out: Path, bundle: Path = BUNDLE_JSON) -> Path:
    target = out / TS_GENERATED
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - fixed argv
        [str(ROOT / "node_modules" / ".bin" / "openapi-ts"), "-i", str(bundle), "-o", str(target)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return target


def generate(out: Path) -> None:
    generate_python(out)
    generate_typescript(out)


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "clients")
