"""The generator matrix: the bundle through the client generators partners use.

Each output must import or compile, and have a typed model for every schema of
the bundle (no `Any` / `unknown` standing for one). The SDKs' generated code
(`make clients`) must equal what the generators make from the bundle today.

Generated once per session into a temporary folder (`generated` fixture) and
reused by every test here.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from clients import generate as gen
from clients.conftest import ROOT
from testsupport import needs

BUNDLE_JSON = ROOT / "openapi" / "dist" / "openapi.json"
NODE_BIN = ROOT / "node_modules" / ".bin"
SEED = ROOT / "openapi" / "tests" / "fixtures" / "seed"


def _run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    run = subprocess.run(argv, capture_output=True, text=True, **kw)  # noqa: S603
    assert run.returncode == 0, f"{argv[0]} failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    return run


@pytest.fixture(scope="session")
def bundle() -> dict:
    return json.loads(BUNDLE_JSON.read_text())


@pytest.fixture(scope="session")
def schema_names(bundle) -> list[str]:
    return list(bundle["components"]["schemas"])


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """openapi-python-client and @hey-api/openapi-ts (as `make clients` runs them), and
    openapi-typescript, from today's bundle."""
    out = tmp_path_factory.mktemp("generated")
    gen.generate(out)
    _run(
        [
            str(NODE_BIN / "openapi-typescript"),
            str(BUNDLE_JSON),
            "-o",
            str(out / "ot" / "schema.d.ts"),
        ],
        cwd=ROOT,
    )
    return out


# --- the SDKs' generated code is fresh -----------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".ruff_cache" not in p.parts
    }


@pytest.mark.parametrize("part", [gen.PY_GENERATED, gen.TS_GENERATED], ids=["python", "typescript"])
def test_sdk_generated_code_is_fresh(generated, part):
    fresh, committed = _tree(generated / part), _tree(ROOT / "clients" / part)
    stale = sorted(k for k in fresh.keys() | committed.keys() if fresh.get(k) != committed.get(k))
    assert not stale, f"clients/{part} is stale ({stale[:5]}...): run `make clients` and commit"


# --- openapi-python-client -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def python_client(generated, tmp_path_factory):
    """The generated package, imported under a name of its own (its imports are relative)."""
    root = tmp_path_factory.mktemp("pyimport")
    shutil.copytree(generated / gen.PY_GENERATED, root / "threada_matrix_check")
    sys.path.insert(0, str(root))
    try:
        importlib.invalidate_caches()
        package = importlib.import_module("threada_matrix_check")
        modules = [
            importlib.import_module(
                ".".join(
                    (
                        "threada_matrix_check",
                        *p.relative_to(root / "threada_matrix_check").with_suffix("").parts,
                    )
                )
            )
            for p in sorted((root / "threada_matrix_check").rglob("*.py"))
            if p.name != "__init__.py"
        ]
        yield package, modules
    finally:
        sys.path.remove(str(root))


def test_python_client_imports_every_module(python_client):
    _package, modules = python_client
    assert any(m.__name__.endswith("api.tickets.update_ticket") for m in modules)
    assert len(modules) > 30


def test_python_client_has_a_typed_model_for_every_schema(python_client, bundle):
    package, _ = python_client
    models = importlib.import_module(package.__name__ + ".models")
    schemas = bundle["components"]["schemas"]
    missing, untyped = [], []
    for name, schema in schemas.items():
        if schema.get("type") == "object" or "enum" in schema:
            cls = getattr(models, name, None)
            if not isinstance(cls, type):
                missing.append(name)
                continue
            if attrs.has(cls):
                hints = {a.name: a.type for a in attrs.fields(cls)}
                untyped += [
                    f"{name}.{f}"
                    for f, hint in hints.items()
                    if re.search(r"\bAny\b", str(hint)) and f != "additional_properties"
                ]
    assert not missing, f"no model class for {missing}"
    assert not untyped, f"fields typed Any: {untyped}"
    # The schema that used to be Any: a real class with the three fields.
    fields = {f.name for f in attrs.fields(models.ContactInput)}
    assert {"name", "email", "phone"} <= fields


def test_python_client_round_trips_the_pages_create_example(python_client):
    package, _ = python_client
    models = importlib.import_module(package.__name__ + ".models")
    body = json.loads((SEED / "create_ticket.json").read_text())["request"]["body"]
    assert models.TicketCreate.from_dict(body).to_dict() == body


# --- TypeScript generators ------------------------------------------------------------------------


def _type_checks(schema_names: list[str], expr: str) -> str:
    """A TypeScript file that fails to compile if any schema's type is `any` or `unknown`,
    or if `contact: 42` is accepted as a ticket's contact."""
    lines = [
        "type IsAny<T> = 0 extends 1 & T ? true : false;",
        "type IsUnknown<T> = unknown extends T ? (IsAny<T> extends true ? false : true) : false;",
        "type Untyped<T> = IsAny<T> extends true ? true : IsUnknown<T>;",
        "type MustBeFalse<T extends false> = T;",
        "export type Checks = [",
        *[f"  MustBeFalse<Untyped<{expr.format(name=n)}>>, // {n}" for n in schema_names],
        "];",
        f"const bad: {expr.format(name='TicketCreate')} = {{",
        "  subject: 's', channel: 'email', initial_message: { role: 'user', content: 'x' },",
        "  // @ts-expect-error a number is not a contact",
        "  contact: 42,",
        "};",
        "export default bad;",
    ]
    return "\n".join(lines) + "\n"


def _tsc(files: list[Path], cwd: Path) -> None:
    _run(
        [
            str(NODE_BIN / "tsc"),
            "--noEmit",
            "--strict",
            "--skipLibCheck",
            "--target",
            "ES2022",
            "--module",
            "commonjs",
            "--moduleResolution",
            "node",
            "--lib",
            "ES2022,DOM,DOM.Iterable",
            "--types",
            "node",
            "--typeRoots",
            str(ROOT / "node_modules" / "@types"),
            *map(str, files),
        ],
        cwd=cwd,
    )


def test_openapi_typescript_output_compiles_with_every_schema_typed(generated, schema_names):
    folder = generated / "ot"
    check = folder / "check.ts"
    check.write_text(
        "import type { components } from './schema';\n"
        + _type_checks(schema_names, "components['schemas']['{name}']")
    )
    _tsc([folder / "schema.d.ts", check], folder)


def test_hey_api_output_compiles_with_every_schema_typed(generated, schema_names):
    folder = generated / gen.TS_GENERATED
    check = folder / "check.ts"
    check.write_text(
        "import type * as T from './types.gen';\n" + _type_checks(schema_names, "T.{name}")
    )
    _tsc([*sorted(folder.rglob("*.ts"))], folder)


def test_the_type_check_catches_an_untyped_schema(generated, schema_names, tmp_path):
    """The check above can fail: `unknown` for one schema is refused."""
    schema = tmp_path / "schema.d.ts"
    schema.write_text(
        "export interface components { schemas: {"
        + " ".join(f"{n}: {'unknown' if n == 'ContactInput' else 'string'};" for n in schema_names)
        + "} }\n"
    )
    check = tmp_path / "check.ts"
    check.write_text(
        "import type { components } from './schema';\n"
        + _type_checks(schema_names, "components['schemas']['{name}']")
    )
    with pytest.raises(AssertionError, match="does not satisfy the constraint 'false'"):
        _tsc([schema, check], tmp_path)


# --- openapi-generator (Java) ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def openapi_generator(tmp_path_factory) -> Path:
    if shutil.which("java") is None:
        needs(
            "java",
            "openapi-generator is a Java program (PyPI openapi-generator-cli bundles the jar)",
        )
    cli = Path(sys.executable).parent / "openapi-generator-cli"
    assert cli.exists(), "openapi-generator-cli is missing: `make install`"
    out = tmp_path_factory.mktemp("openapi-generator")
    # openapi-generator 7.26 turns the 3.1 `webhooks` section (requests Threada sends,
    # not operations a client calls) into a WebhooksApi that does not compile (python:
    # `webhook_id: ,`; typescript-fetch: duplicate imports). Its input here is the bundle
    # without that section; partners using it must drop it the same way
    # (clients/python/README.md says so).
    spec = json.loads(BUNDLE_JSON.read_text())
    spec.pop("webhooks", None)
    source = out / "openapi-no-webhooks.json"
    source.write_text(json.dumps(spec))
    for generator in ("python", "typescript-fetch"):
        _run(
            [
                str(cli),
                "generate",
                "-g",
                generator,
                "-i",
                str(source),
                "-o",
                str(out / generator),
                "--package-name",
                "threada_og",
                "--global-property",
                "apiTests=false,modelTests=false,apiDocs=false,modelDocs=false",
            ],
            env={**os.environ, "JAVA_OPTS": "-Xmx512m"},
            timeout=300,
        )
    return out


@pytest.mark.slow
def test_openapi_generator_python_keeps_every_field(openapi_generator):
    body = (SEED / "create_ticket.json").read_text()
    script = (
        "import json, sys\n"
        "from threada_og.models.ticket_create import TicketCreate\n"
        "from threada_og.models.api_error import ApiError\n"
        "import threada_og.api.tickets_api\n"
        "body = json.loads(sys.argv[1])['request']['body']\n"
        "made = TicketCreate.from_dict(body)\n"
        "assert made.to_dict() == body, made.to_dict()\n"
        "assert made.contact.email == body['contact']['email']\n"
        "print('ok')\n"
    )
    run = _run(
        [sys.executable, "-c", script, body],
        cwd=openapi_generator / "python",
        env={**os.environ, "PYTHONPATH": str(openapi_generator / "python")},
    )
    assert run.stdout.strip() == "ok"


@pytest.mark.slow
def test_openapi_generator_typescript_fetch_compiles_without_renames(openapi_generator):
    folder = openapi_generator / "typescript-fetch"
    text = "\n".join(p.read_text() for p in folder.rglob("*.ts"))
    assert "ModelError" not in text
    assert "export interface ApiError" in text
    _tsc(sorted(folder.rglob("*.ts")), folder)
