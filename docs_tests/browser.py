"""Headless Chromium driven over the DevTools protocol, just enough for the docs tests.

No browser download and no extra package: Debian's `chromium` and the
`websockets` client already in the venv. One browser per test session; one
`Page` per test, which records console errors, uncaught exceptions, failed
loads and every URL the page requested.
"""

from __future__ import annotations

import atexit
import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

# Chromium as root in a container, and nothing that phones home.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--window-size=1400,1000",
    # Any host but this machine fails to resolve: a page that needs the
    # internet (a CDN, web fonts) shows it as a failed load.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--remote-debugging-port=0",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """A headless Chromium process and a DevTools connection to it."""

    def __init__(self, executable: str) -> None:
        self._profile = tempfile.mkdtemp(prefix="threada-chromium-")
        # Even if the caller never reaches close() (a crash, an interrupted run).
        atexit.register(self.close)
        self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own binary path
            [executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"chromium did not start (exit {self._proc.returncode})")
            time.sleep(0.05)
        port, ws_path = port_file.read_text().splitlines()[:2]
        self._ws: ClientConnection = connect(
            f"ws://127.0.0.1:{port}{ws_path}", max_size=None, open_timeout=10
        ).__enter__()
        self._ids = itertools.count(1)
        self._events: dict[str, list[dict]] = {}

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and return its result; events met on the way are kept."""
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        while True:
            reply = self._receive(timeout=60)
            if reply is not None and reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def pump(self, timeout: float) -> None:
        """Read events for up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if self._receive(timeout=left) is None:
                return

    def _receive(self, timeout: float) -> dict | None:
        try:
            raw = self._ws.recv(timeout=timeout)
        except TimeoutError:
            return None
        message = json.loads(raw)
        if "method" in message:
            self._events.setdefault(message.get("sessionId", ""), []).append(message)
        return message

    def events(self, session: str) -> list[dict]:
        return self._events.setdefault(session, [])

    def new_page(self) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, target, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
        )
        return page

    def close(self) -> None:
        try:
            if hasattr(self, "_ws"):
                self._ws.close()
        finally:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            shutil.rmtree(self._profile, ignore_errors=True)


@dataclass
class Page:
    browser: Browser
    target: str
    session: str
    _seen_load: int = field(default=0)

    def send(self, method: str, params: dict | None = None) -> dict:
        return self.browser.send(method, params, session=self.session)

    @property
    def events(self) -> list[dict]:
        return self.browser.events(self.session)

    def goto(self, url: str, timeout: float = 30) -> None:
        before = self._loads()
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise AssertionError(f"navigation to {url} failed: {result['errorText']}")
        deadline = time.monotonic() + timeout
        while self._loads() == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not finish loading in {timeout} s")
            self.browser.pump(0.1)

    def _loads(self) -> int:
        return sum(1 for e in self.events if e["method"] == "Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20, what: str = "") -> Any:
        """Poll a JS expression until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s: {what or expression}")
            self.browser.pump(0.1)

    def click(self, selector: str) -> None:
        found = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return false; e.scrollIntoView(); e.click(); return true; })()"
        )
        if not found:
            raise AssertionError(f"nothing to click at {selector}")

    def type_into(self, selector: str, text: str) -> None:
        """Focus an input and type as a user would (React sees real key events)."""
        self.click(selector)
        self.send("Input.insertText", {"text": text})

    def set_value(self, selector: str, value: str) -> None:
        """Set an input's value the way React notices (native setter, then an input event)."""
        found = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return false;"
            " const set = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(e), 'value').set;"
            f" set.call(e, {json.dumps(value)});"
            " e.dispatchEvent(new Event('input', {bubbles: true}));"
            " e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()"
        )
        if not found:
            raise AssertionError(f"no input at {selector}")

    def screenshot(self, path: Path, *, element: str | None = None, max_height: int = 3000) -> Path:
        """Save a PNG of the page from the top (or of one element), at most `max_height` tall."""
        if element:
            box = self.evaluate(
                f"(() => {{ const r = document.querySelector({json.dumps(element)})"
                ".getBoundingClientRect();"
                " return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; })()"
            )
            clip = {"x": box["x"], "y": box["y"], "width": box["w"], "height": box["h"]}
        else:
            metrics = self.send("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            clip = {"x": 0, "y": 0, "width": 1400, "height": max(1000, size["height"])}
        clip["height"] = min(clip["height"], max_height)
        shot = self.send(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": {**clip, "scale": 1}},
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def requested_urls(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    def requests_to(self, url_suffix: str) -> list[dict]:
        """The requests (url, method, headers) whose URL path ends with `url_suffix`."""
        return [
            e["params"]["request"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
            and e["params"]["request"]["url"].split("?")[0].endswith(url_suffix)
        ]

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions, and loads that failed or got 4xx/5xx."""
        found = []
        for event in self.events:
            method, params = event["method"], event["params"]
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                args = params["args"]
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in args)
                found.append(f"console.{params['type']}: {text}")
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                text = details.get("exception", {}).get("description") or details.get("text")
                found.append(f"uncaught: {text}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                found.append(f"log ({entry['source']}): {entry['text']} {entry.get('url', '')}")
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                found.append(f"load failed: {params.get('errorText')} ({params['requestId']})")
        return found

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})
