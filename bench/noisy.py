"""Noisy neighbour: tenant B's latency while tenant A keeps its cap of slow actions in flight.

    python -m bench.noisy                      # both frameworks, SQLite, hook answering after 5 s
    python -m bench.noisy --framework async --duration 3 --database-url postgresql+psycopg://...

The server (`create_app`, real uvicorn on 127.0.0.1, a free port) runs in this process;
tenant A's actions go to a local hook that answers after `hook_delay` seconds. First
tenant B alone (idle), then B again while A holds its cap of actions in flight (and is
refused past it). B cycles `GET /tickets`, `POST /tickets` and `GET /openapi.json`, one
request at a time with a short pause; p50/p99 per request kind, in milliseconds.
server/tests/test_isolation.py runs `measure` and checks the figures.
"""

from __future__ import annotations

import argparse
import http.server
import socket
import statistics
import tempfile
import threading
import time
import typing as t
import uuid
from pathlib import Path

import httpx

BASE = "/api/v1/public"
TICKET = {
    "subject": "Where is my order?",
    "channel": "email",
    "contact": {"email": "b@example.com"},
    "initial_message": {"role": "user", "content": "Hello"},
}


class SlowHook:
    """A hook that answers 200 after `delay` seconds; counts what it received."""

    def __init__(self, delay: float) -> None:
        hook = self
        self.received = 0
        self._lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: t.Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with hook._lock:
                    hook.received += 1
                time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class LiveServer:
    """`app` under uvicorn in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, app: t.Any) -> None:
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p99": p99, "n": len(ordered)}


def tenant_b_latencies(url: str, key: str, duration: float) -> dict[str, dict[str, float]]:
    """B's requests for `duration` seconds: {kind: {p50, p99, n}} in milliseconds."""
    kinds = {
        "GET /tickets": ("GET", f"{BASE}/tickets?limit=25", None),
        "POST /tickets": ("POST", f"{BASE}/tickets", TICKET),
        "GET /openapi.json": ("GET", f"{BASE}/openapi.json", None),
    }
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    with httpx.Client(base_url=url, timeout=30, headers={"X-Api-Key": key}) as client:
        stop = time.monotonic() + duration
        while time.monotonic() < stop:
            for kind, (method, path, body) in kinds.items():
                started = time.perf_counter()
                r = client.request(method, path, json=body)
                samples[kind].append((time.perf_counter() - started) * 1000)
                if r.status_code >= 400:
                    raise AssertionError(f"tenant B: {kind} answered {r.status_code}: {r.text}")
            time.sleep(0.01)
    return {kind: percentiles(values) for kind, values in samples.items()}


def measure(
    framework: str,
    *,
    database_url: str | None = None,
    hook_delay: float = 5.0,
    duration: float = 2.5,
    extra_attempts: int = 2,
) -> dict[str, t.Any]:
    """Run the scenario once; returns B's figures idle and busy and A's refusals."""
    from threada.app import create_app
    from threada.domain import auth, tickets
    from threada.outbound import OutboundPolicy

    if duration + 1.0 > hook_delay:
        raise ValueError("B's busy measurement must end while A's actions are in flight")
    hook = SlowHook(hook_delay)
    with tempfile.TemporaryDirectory(prefix="threada-noisy-") as tmp:
        app = create_app(
            {
                "framework": framework,
                "database_url": database_url or f"sqlite:///{Path(tmp) / 'noisy.db'}",
                "var_dir": tmp,
                "secret_key": "noisy-" + uuid.uuid4().hex,
                "outbound_policy": OutboundPolicy.allowing(
                    "127.0.0.1", connect_timeout=2.0, total_timeout=hook_delay + 5.0
                ),
            }
        )
        services = app.threada_services
        db = services.db
        cap = services.max_actions_in_flight
        a = auth.create_tenant(db, name="noisy-a-" + uuid.uuid4().hex[:8])
        auth.set_actions_base_url(db, tenant=a["tenant_id"], base_url=hook.url)
        _, a_key = auth.create_key(db, tenant=a["tenant_id"], name="a", scopes=list(auth.SCOPES))
        b = auth.create_tenant(db, name="noisy-b-" + uuid.uuid4().hex[:8])
        auth.set_rate_limit(db, tenant=b["tenant_id"], per_minute=1_000_000)
        _, b_key = auth.create_key(db, tenant=b["tenant_id"], name="b", scopes=list(auth.SCOPES))
        principal = auth.authenticate(db, a_key)
        assert principal is not None
        ticket_id = tickets.create_ticket(db, principal=principal, body=TICKET)["summary"][
            "ticket_id"
        ]
        live = LiveServer(app)
        try:
            tenant_b_latencies(live.url, b_key, 0.3)  # warm-up
            idle = tenant_b_latencies(live.url, b_key, duration)
            action = {"payload": {"type": "custom_http", "method": "POST", "url": "/slow"}}
            results: list[httpx.Response] = []

            def run_one() -> None:
                with httpx.Client(base_url=live.url, timeout=hook_delay + 30) as c:
                    results.append(
                        c.post(
                            f"{BASE}/tickets/{ticket_id}/actions",
                            json=action,
                            headers={"X-Api-Key": a_key},
                        )
                    )

            started = time.monotonic()
            held = [threading.Thread(target=run_one) for _ in range(cap)]
            for thread in held:
                thread.start()
            while hook.received < cap:
                if time.monotonic() - started > hook_delay:
                    raise AssertionError(f"only {hook.received} of {cap} actions reached the hook")
                time.sleep(0.01)
            refused = []
            with httpx.Client(base_url=live.url, timeout=30) as c:
                for _ in range(extra_attempts):
                    r = c.post(
                        f"{BASE}/tickets/{ticket_id}/actions",
                        json=action,
                        headers={"X-Api-Key": a_key},
                    )
                    refused.append(
                        (r.status_code, r.headers.get("retry-after"), r.json()["error"]["message"])
                    )
            busy = tenant_b_latencies(live.url, b_key, duration)
            busy_ended = time.monotonic() - started
            for thread in held:
                thread.join()
            return {
                "framework": framework,
                "cap": cap,
                "idle": idle,
                "busy": busy,
                "busy_within_hold": busy_ended < hook_delay,
                "a_refused": refused,
                "a_results": [r.status_code for r in results],
                "a_statuses": [r.json()["action"]["status"] for r in results],
                "hook_calls": hook.received,
            }
        finally:
            live.close()
            hook.close()
            db.dispose()


def report(result: dict[str, t.Any]) -> str:
    lines = [f"{result['framework']}: tenant A holds {result['cap']} actions (hook 5 s)"]
    for phase in ("idle", "busy"):
        for kind, figures in result[phase].items():
            lines.append(
                f"  B {phase:4} {kind:18} p50 {figures['p50']:6.1f} ms  "
                f"p99 {figures['p99']:6.1f} ms  (n={figures['n']})"
            )
    for status, retry_after, message in result["a_refused"]:
        lines.append(f"  A past its cap: {status} Retry-After={retry_after} {message}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=["async", "flask"], action="append")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--duration", type=float, default=2.5)
    args = parser.parse_args()
    for framework in args.framework or ["async", "flask"]:
        print(report(measure(framework, database_url=args.database_url, duration=args.duration)))


if __name__ == "__main__":
    main()
