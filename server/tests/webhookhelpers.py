"""A webhook receiver on 127.0.0.1, and checks of what it received against the spec."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator
from standardwebhooks.webhooks import Webhook

# (request number from 1, path) -> (status, seconds to wait before answering)
Behaviour = Callable[[int, str], tuple[int, float]]


def always_ok(_n: int, _path: str) -> tuple[int, float]:
    return 200, 0.0


class WebhookReceiver:
    """Records every POST (time, path, headers, body); answers as `behaviour` says."""

    def __init__(self, behaviour: Behaviour = always_ok) -> None:
        self.behaviour = behaviour
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._count = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver._lock:
                    receiver._count += 1
                    n = receiver._count
                status, delay = receiver.behaviour(n, self.path)
                if delay:
                    time.sleep(delay)
                with receiver._lock:
                    receiver.requests.append(
                        {
                            "n": n,
                            "at": time.monotonic(),
                            "path": self.path,
                            "headers": dict(self.headers.items()),
                            "body": body,
                            "status": status,
                        }
                    )
                payload = b'{"ok":true}' if status < 300 else b'{"error":"try later"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def accepted(self, path: str | None = None) -> list[dict]:
        """The requests answered 2xx (on `path`), in arrival order."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r["status"] < 300 and (path is None or r["path"] == path)
            ]

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class EventChecker:
    """Checks a delivered request: Standard Webhooks signature (with the library) and the
    payload against the spec's `webhooks` schema for its type (JSON Schema 2020-12)."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self.validators: dict[str, Draft202012Validator] = {}
        for name, item in document["webhooks"].items():
            schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
            self.validators[name] = Draft202012Validator(
                {**schema, "components": document["components"]},
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )

    def check(self, request: dict, secret: str) -> dict:
        event = Webhook(secret).verify(request["body"], request["headers"])
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers["webhook-id"] == event["id"]
        assert headers["content-type"] == "application/json"
        validator = self.validators[event["type"]]
        errors = list(validator.iter_errors(event))
        assert not errors, f"{event['type']}: {errors[0].message} at {list(errors[0].path)}"
        return event


def loads(request: dict) -> dict:
    return json.loads(request["body"])
