"""Settings are validated at start: a wrong value stops it with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from connexion import AsyncApp, FlaskApp
from threada.config import Settings, SettingsError

THREADA = Path(sys.executable).with_name("threada")


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("THREADA_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("THREADA_FRAMEWORK", "Async"),
        ("THREADA_FRAMEWORK", "starlette"),
        ("THREADA_MAX_BODY_BYTES", "lots"),
        ("THREADA_MAX_BODY_BYTES", "-5"),
        ("THREADA_DEFAULT_RATE_LIMIT", "0"),
        ("THREADA_DB_STATEMENT_TIMEOUT_MS", "1.5s"),
        ("THREADA_INLINE_READS", "maybe"),
        ("THREADA_MAX_ACTIONS_IN_FLIGHT", "0"),
    ],
)
def test_an_invalid_variable_is_named(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    message = str(caught.value)
    assert message.startswith(name + ":"), message
    assert "\n" not in message and repr(value) in message


def test_defaults_and_valid_values(clean_env, tmp_path):
    settings = Settings.from_env()
    assert settings.framework == "async"
    assert settings.sqlite_busy_timeout_ms == 5000 and settings.max_actions_in_flight == 4
    assert settings.database_url == "sqlite:///var/threada.db"
    clean_env.setenv("THREADA_FRAMEWORK", "flask")
    clean_env.setenv("THREADA_MAX_BODY_BYTES", "1024")
    clean_env.setenv("THREADA_VAR_DIR", str(tmp_path))
    settings = Settings.from_env()
    assert (settings.framework, settings.max_body_bytes) == ("flask", 1024)
    assert settings.database_url == f"sqlite:///{tmp_path.as_posix()}/threada.db"


def test_create_app_serves_asyncapp_by_default_and_flask_on_request(clean_env, tmp_path):
    from threada.app import create_app

    base = {"var_dir": str(tmp_path), "secret_key": "s" * 32}
    app = create_app(base)
    assert isinstance(app, AsyncApp)
    app.threada_services.db.dispose()
    flask = create_app({**base, "framework": "flask"})
    assert isinstance(flask, FlaskApp)
    flask.threada_services.db.dispose()
    with pytest.raises(SettingsError, match=r"^framework \(given to create_app\)"):
        create_app({**base, "framework": "Flask"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("THREADA_FRAMEWORK", "Async"),
        ("THREADA_MAX_BODY_BYTES", "-1"),
        ("THREADA_ACTIONS_TIMEOUT", "soon"),
    ],
)
def test_threada_serve_stops_with_one_line(tmp_path, name, value):
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADA_")}
    env[name] = value
    done = subprocess.run(
        [str(THREADA), "serve", "--port", "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    [line] = [x for x in done.stderr.splitlines() if x.strip()]
    assert name in line, line
    assert not (tmp_path / "var").exists()  # stopped before touching anything
