"""Start a server on a free local port, wait until it answers, drive it with wrk.

On a machine with two or more cores the server is pinned to one core and wrk
(one thread) to another with `taskset`, so the load generator does not steal
the server's CPU; `pinning()` says which, and the results record it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
LUA = HERE / "lua" / "report.lua"
MARKER = "BENCH_JSON "


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinning() -> dict:
    """CPU sets for the server and for wrk: separate cores when there are at least two."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2 and shutil.which("taskset"):
        return {"server": str(cpus[0]), "wrk": str(cpus[1])}
    return {"server": None, "wrk": None}


def priority() -> int:
    """Nice value for the servers and wrk: -10 when we may raise priority (root), so that
    other work on a shared machine yields to the measured processes; BENCH_NICE overrides."""
    raw = os.environ.get("BENCH_NICE")
    if raw not in (None, ""):
        return int(raw)
    return -10 if os.geteuid() == 0 else 0


def raise_priority(pid: int | str = "self") -> None:
    """Give process `pid`'s scheduling group the bench's priority (best effort).

    With autogroup scheduling (Linux's default for desktop-style kernels, on here) each
    session competes as one group and a process's own nice value only ranks it inside its
    group, so the group's nice is what lets the measured processes outrank other sessions.
    """
    nice = priority()
    if not nice:
        return
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))
    except OSError:
        pass


def _pinned(cmd: list[str], cpus: str | None) -> list[str]:
    if cpus:
        cmd = ["taskset", "-c", cpus, *cmd]
    nice = priority()
    return ["nice", "-n", str(nice), *cmd] if nice and shutil.which("nice") else cmd


@dataclass
class Server:
    """A child process serving HTTP on 127.0.0.1:port; stop() ends it and its children."""

    name: str
    cmd: list[str]
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    cpus: str | None = None
    proc: subprocess.Popen | None = None
    started_at: float = 0.0

    def start(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            _pinned(self.cmd, self.cpus),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            cwd=self.cwd,
            start_new_session=True,
        )
        log.close()
        raise_priority(self.proc.pid)
        return self

    def wait_ready(self, path: str, *, headers: dict | None = None, timeout: float = 60) -> float:
        """Poll until `path` answers 200; seconds from spawn to the first 200."""
        url = f"http://127.0.0.1:{self.port}{path}"
        deadline = time.perf_counter() + timeout
        last = "no answer"
        while time.perf_counter() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.proc.returncode}); see {self.log_path}"
                )
            try:
                req = urllib.request.Request(url, headers=headers or {})
                with urllib.request.urlopen(req, timeout=5) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - self.started_at
                    last = f"HTTP {resp.status}"
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}: {exc.read()[:300]!r}"
                if exc.code != 503:
                    raise RuntimeError(f"{self.name} answered {last} for {url}") from None
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                last = str(exc)
            time.sleep(0.01)
        raise RuntimeError(f"{self.name} not ready after {timeout} s ({last}); see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def cpu_busy(seconds: float = 0.5) -> float:
    """Fraction of all CPU time spent busy over `seconds` (from /proc/stat); -1 if unknown."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return sum(values), idle

    try:
        total1, idle1 = sample()
        time.sleep(seconds)
        total2, idle2 = sample()
    except (OSError, ValueError, IndexError):
        return -1.0
    total = total2 - total1
    return round(1 - (idle2 - idle1) / total, 2) if total > 0 else -1.0


def cpu_times(pid: int | list[int] | None, extra: Callable[[], float] | None = None) -> dict:
    """CPU seconds so far: the whole machine (busy), process `pid` (or the sum of several),
    our reaped children (wrk), and `extra()` (e.g. PostgreSQL's processes)."""
    import resource

    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat", encoding="ascii") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    # Not busy for this purpose: idle, iowait, and interrupt time (the loopback traffic of the
    # run itself is largely softirq time that no process is charged with).
    idle = sum(values[3:7])
    proc = 0.0
    for one in pid if isinstance(pid, list) else [pid]:
        if not one:
            continue
        try:
            with open(f"/proc/{one}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            proc += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": time.monotonic(),
        "busy": (sum(values) - idle) / tick,
        "server": proc,
        "wrk": kids.ru_utime + kids.ru_stime,
        "extra": extra() if extra else 0.0,
    }


def other_cpu(before: dict, after: dict) -> float:
    """Cores used by anything but the server and wrk between two cpu_times() samples."""
    wall = after["wall"] - before["wall"]
    if wall <= 0:
        return 0.0
    ours = sum(after[k] - before.get(k, 0.0) for k in ("server", "wrk", "extra") if k in after)
    return round(max(0.0, (after["busy"] - before["busy"]) - ours) / wall, 2)


def wrk_version() -> str:
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    # "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer"
    words = (out.stdout + out.stderr).split()
    return words[1] if len(words) > 1 else "?"


def run_wrk(
    url: str,
    *,
    duration: float,
    connections: int,
    cpus: str | None = None,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    paths_file: Path | None = None,
    body_file: Path | None = None,
    ports: list[int] | None = None,
    idempotency: bool = False,
) -> dict:
    """One wrk run (fixed connections and duration); the parsed figures.

    One thread, or with `ports` one thread per port, each thread's connections going to
    its port on the URL's host: a round-robin split of the load over several servers
    (connection by connection) without a proxy in between."""
    env = {**os.environ, "BENCH_METHOD": method}
    if ports:
        env["BENCH_PORTS"] = ",".join(str(p) for p in ports)
    if idempotency:
        env["BENCH_IDEMPOTENCY"] = "1"
    if headers:
        env["BENCH_HEADERS"] = "\n".join(f"{k}: {v}" for k, v in headers.items())
    if paths_file:
        env["BENCH_PATHS"] = str(paths_file)
    if body_file:
        env["BENCH_BODY"] = str(body_file)
    cmd = [
        "wrk",
        f"-t{len(ports) if ports else 1}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
    ]
    out = subprocess.run(
        _pinned(cmd, cpus), capture_output=True, text=True, errors="replace", env=env, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    return parse_wrk(out.stdout)


def parse_wrk(text: str) -> dict:
    """Requests/s and latency percentiles (ms) from the report.lua line in wrk's output."""
    for line in text.splitlines():
        if line.startswith(MARKER):
            raw = json.loads(line[len(MARKER) :])
            break
    else:
        raise ValueError(f"no {MARKER.strip()} line in wrk output:\n{text}")
    seconds = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    errors = raw["errors"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p90_ms": round(lat["p90"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "max_ms": round(lat["max"] / 1000, 2),
        "non_2xx": errors["status"],
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        "statuses": raw.get("statuses") or {},
        "error_sample": raw.get("error_sample") or None,
    }
