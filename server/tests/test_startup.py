"""Start-up checks: a database that cannot be served from stops `threada serve` (and every
command that opens it) with one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from server.tests.test_serve import THREADA, _free_port


def _serve(tmp_path: Path, url: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THREADA_")}
    clean.update(env, THREADA_DATABASE_URL=url, THREADA_VAR_DIR=str(tmp_path / "var"))
    return subprocess.run(
        [str(THREADA), "serve", "--host", "127.0.0.1", "--port", str(_free_port())],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _assert_one_line_failure(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("Error: database:"), errors
    for word in words:
        assert word in errors[0], errors[0]


def _fresh(path: Path) -> None:
    # A good database at the current schema (what `threada db upgrade` makes).
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THREADA_")}
    clean["THREADA_DATABASE_URL"] = f"sqlite:///{path}"
    clean["THREADA_VAR_DIR"] = str(path.parent)
    subprocess.run([str(THREADA), "db", "upgrade"], env=clean, check=True, capture_output=True)


def test_corrupt_database(tmp_path: Path) -> None:
    db = tmp_path / "threada.db"
    db.write_bytes(b"this is not a database" * 200)
    _assert_one_line_failure(_serve(tmp_path, f"sqlite:///{db}"), "not a usable SQLite")


def test_schema_newer_than_the_code(tmp_path: Path) -> None:
    db = tmp_path / "threada.db"
    _fresh(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    _assert_one_line_failure(_serve(tmp_path, f"sqlite:///{db}"), "9999_from_the_future")


def test_read_only_database_file(tmp_path: Path) -> None:
    # SQLite's read-only mode: what a file without write permission gives a process that is
    # not root (this machine and CI run as root, which writes through chmod 444).
    db = tmp_path / "threada.db"
    _fresh(db)
    url = f"sqlite:///file:{db}?mode=ro&uri=true"
    _assert_one_line_failure(_serve(tmp_path, url), "read-only")


def test_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    url = f"sqlite:///{blocker / 'sub' / 'threada.db'}"
    _assert_one_line_failure(_serve(tmp_path, url), "cannot create the directory")
