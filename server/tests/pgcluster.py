"""A throw-away PostgreSQL cluster for the test session: initdb into a temp dir, one port.

Finds `initdb`/`postgres` on PATH or under /usr/lib/postgresql/*/bin. As root
(containers), the server runs as the `postgres` user (or `nobody`), since
PostgreSQL refuses to run as root. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        initdb, postgres = find_bin("initdb"), find_bin("postgres")
        if not initdb or not postgres:
            raise FileNotFoundError("initdb/postgres not found on PATH or /usr/lib/postgresql")
        self.dir = Path(tempfile.mkdtemp(prefix="threada-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        user = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    user = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            if user is None:
                raise RuntimeError("running as root and no unprivileged user for PostgreSQL")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self._user = user
        log = self.dir / "initdb.log"
        with open(log, "wb") as out:
            subprocess.run(
                [
                    initdb,
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                **self._as_user(),
            )
        self.proc = subprocess.Popen(
            [
                postgres,
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(self.dir),
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "server.log", "wb"),  # noqa: SIM115
            **self._as_user(),
        )
        self._wait_ready()

    def _as_user(self) -> dict:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "cwd": str(self.dir)}

    def _wait_ready(self, timeout: float = 30) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError((self.dir / "server.log").read_text())
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=1):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def dsn(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for pooled clients.
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
