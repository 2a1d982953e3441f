"""What one run of the suite knows about itself: its options, its pace, its secrets, its results.

- `Options`: read once from the environment (the `threada-contract` command sets it).
- `PacedSession`: the `requests` session every call to a live target goes through. It
  paces from the `X-RateLimit-*` headers and waits out `Retry-After` on a 429, then
  sends again; a 429 that remains is answered to the checks, and `not_rate_limited`
  fails it: a refused request is never a pass.
- `Redactor`: every credential the run was given is replaced by the name of an
  environment variable (`$THREADA_API_KEY`) in every text the run writes.
- `Record`: every response (operation, status, which key) and every check result
  (operation x check, from Schemathesis' `after_validate` hook), every link followed;
  from them the coverage verdicts, the summary table and the JUnit report.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shlex
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import requests

API_KEY_HEADER = "X-Api-Key"
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
# The prefix of a key of a tenant marked for testing (`threada admin tenants create --testing`).
TEST_KEY_PREFIX = "thr_test_"
# Methods that change nothing; the others write (and are left out of --read-only runs,
# except their negative cases, which must change nothing).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Response headers any HTTP server or proxy may add, which no operation documents.
# Everything else an answer carries must be in the operation's documented response
# (`undocumented_headers`). One list, here.
TRANSPORT_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "date",
        "server",
        "vary",
        "via",
        "cache-control",
        "strict-transport-security",
        "alt-svc",
        # CORS: a browser protocol a gateway (or the mock, for frontends) adds to any answer.
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
        "access-control-max-age",
    }
)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclasses.dataclass(frozen=True)
class Options:
    read_only: bool = False
    # Write even though the key is not a testing tenant's (thr_test_).
    allow_live_tenant: bool = False
    # "spread": spread the window's remaining quota over the time left in it (default);
    # "burst": spend it at once and wait only when it runs out or on a 429.
    pacing: str = "spread"
    # Whether the coverage verdicts (test_coverage.py) are required; the drift test turns
    # them off to see the checks fail on their own.
    coverage: bool = True
    junit_path: str | None = None
    # Longest wait for one Retry-After; a longer one fails the request as rate-limited.
    max_wait: float = 65.0

    @classmethod
    def from_env(cls) -> Options:
        return cls(
            read_only=_flag("CONTRACT_READ_ONLY"),
            allow_live_tenant=_flag("CONTRACT_ALLOW_LIVE_TENANT"),
            pacing=os.environ.get("CONTRACT_PACING", "spread").strip() or "spread",
            coverage=os.environ.get("CONTRACT_COVERAGE", "on").strip().lower() != "off",
            junit_path=os.environ.get("CONTRACT_REPORT") or None,
            max_wait=float(os.environ.get("CONTRACT_MAX_WAIT", "65")),
        )


OPTIONS = Options.from_env()


# --- secrets ------------------------------------------------------------------------------------


def key_variable(scopes: Iterable[str] | None) -> str:
    """The environment variable a repro command names for a key: THREADA_API_KEY[_READ_WRITE]."""
    if scopes is None:
        return "THREADA_API_KEY"
    return "THREADA_API_KEY_" + "_".join(s.rsplit(".", 1)[-1].upper() for s in sorted(scopes))


class Redactor:
    """Replaces every secret it was given with `$VARIABLE` in any text."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None

    def add(self, secret: str | None, variable: str) -> None:
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets[secret] = variable
            alternatives = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in alternatives))

    def variable(self, secret: str) -> str | None:
        return self._secrets.get(secret)

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        text = self._pattern.sub(lambda m: "$" + self._secrets[m.group(0)], text)
        # A header in single quotes would not expand the variable: make it a double-quoted one.
        return re.sub(
            r"'(X-Api-Key: \$[A-Z_]+)'", lambda m: f'"{m.group(1)}"', text, flags=re.IGNORECASE
        )


REDACT = Redactor()


def curl_for(request: requests.PreparedRequest | Any) -> str:
    """A curl line that sends `request` again; a key shows as `$THREADA_API_KEY`, not itself."""
    parts = ["curl", "-X", str(request.method), shlex.quote(str(request.url))]
    skip = {"user-agent", "accept-encoding", "connection", "content-length"}
    for name, value in dict(request.headers).items():
        if name.lower() in skip or (name.lower() == "accept" and value == "*/*"):
            continue
        if name.lower() == API_KEY_HEADER.lower():
            variable = REDACT.variable(str(value))
            if variable is not None:
                parts += ["-H", f'"{API_KEY_HEADER}: ${variable}"']
                continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    body = request.body
    if body:
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        parts += ["-d", shlex.quote(str(body))]
    return REDACT(" ".join(parts))


# --- pacing -------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Bucket:
    """What the server last said about one key's quota."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float = 0.0  # monotonic time the window resets
    next_at: float = 0.0  # earliest monotonic time of the next request (spread pacing)


class Pacer:
    """Per key: how long to wait before the next request, from the last X-RateLimit-* seen."""

    def __init__(self, pacing: str = "spread", clock: Any = time.monotonic) -> None:
        self.pacing = pacing
        self.clock = clock
        self._buckets: dict[str, _Bucket] = defaultdict(_Bucket)
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, in total
        self.refused = 0  # 429s received (each waited out and sent again)
        self.sent = 0  # requests sent through the session (checks' own re-sends included)
        self.limits: set[int] = set()

    @staticmethod
    def _id(key: str | None) -> str:
        return hashlib.sha256((key or "").encode()).hexdigest()[:16]

    def delay(self, key: str | None) -> float:
        with self._lock:
            b = self._buckets[self._id(key)]
            now = self.clock()
            if b.remaining is not None and b.remaining <= 0 and b.reset_at > now:
                return b.reset_at - now
            return max(0.0, b.next_at - now) if self.pacing == "spread" else 0.0

    def observe(self, key: str | None, headers: Any) -> None:
        values = {}
        for name in RATE_LIMIT_HEADERS:
            raw = headers.get(name)
            if raw is None or not str(raw).isdigit():
                return
            values[name] = int(raw)
        limit, remaining, reset = (values[h] for h in RATE_LIMIT_HEADERS)
        with self._lock:
            b = self._buckets[self._id(key)]
            now = self.clock()
            b.limit, b.remaining = limit, remaining
            # A window that resets in 0 s ends within the second: count it as 1 s.
            b.reset_at = now + max(reset, 1)
            self.limits.add(limit)
            # Spread what is left of the window over the time left in it.
            b.next_at = now + (max(reset, 1) / max(remaining, 1) if remaining else 0.0)

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            time.sleep(seconds)


class PacedSession(requests.Session):
    """A session that keeps to the server's rate limit and sends a refused request again."""

    def __init__(self, pacer: Pacer, *, max_wait: float = 65.0, retries: int = 3) -> None:
        super().__init__()
        self.pacer = pacer
        self.max_wait = max_wait
        self.retries = retries

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        headers = kwargs.get("headers") or {}
        key = next((v for k, v in headers.items() if k.lower() == API_KEY_HEADER.lower()), None)
        for attempt in range(self.retries + 1):
            self.pacer.wait(self.pacer.delay(key))
            response = super().request(method, url, *args, **kwargs)
            self.pacer.sent += 1
            self.pacer.observe(key, response.headers)
            if response.status_code != 429 or attempt == self.retries:
                return response
            self.pacer.refused += 1
            retry_after = response.headers.get("Retry-After", "")
            wait = float(retry_after) if retry_after.isdigit() else 1.0
            if wait > self.max_wait:
                return response
            response.close()
            self.pacer.wait(wait)
        return response  # pragma: no cover (the loop returns)


PACER = Pacer(OPTIONS.pacing)
SESSION = PacedSession(PACER, max_wait=OPTIONS.max_wait)
_LIVE = {"on": False}


def set_live(live: bool) -> None:
    """Whether the target is reached over the network (then every call goes through SESSION)."""
    _LIVE["on"] = live


def call_kwargs() -> dict[str, Any]:
    """Keyword arguments for `Case.call`: the paced session for a live target, else none."""
    return {"session": SESSION} if _LIVE["on"] else {}


# --- what happened ------------------------------------------------------------------------------


@dataclasses.dataclass
class Tally:
    passes: int = 0
    failures: int = 0
    examples: list[str] = dataclasses.field(default_factory=list)  # first few failures, redacted


@dataclasses.dataclass
class Record:
    # operationId -> status -> count; and the same for the answers to the full key only
    statuses: dict[str, Counter] = dataclasses.field(default_factory=lambda: defaultdict(Counter))
    full_key_statuses: dict[str, Counter] = dataclasses.field(
        default_factory=lambda: defaultdict(Counter)
    )
    # operationId -> error types (and messages) the full key got
    full_key_errors: dict[str, Counter] = dataclasses.field(
        default_factory=lambda: defaultdict(Counter)
    )
    # (operationId, check) -> tally
    checks: dict[tuple[str, str], Tally] = dataclasses.field(
        default_factory=lambda: defaultdict(Tally)
    )
    # (source operation label, link name) -> number of times its target answered 2xx;
    # the links Schemathesis inferred (not in the spec) apart
    links: Counter = dataclasses.field(default_factory=Counter)
    inferred_links: Counter = dataclasses.field(default_factory=Counter)
    # the same, from the Hypothesis exploration only (the deterministic walk aside)
    explored_links: Counter = dataclasses.field(default_factory=Counter)
    # (test, operation label) -> status -> count (requests per test, for the summary)
    per_test: dict[tuple[str, str], Counter] = dataclasses.field(
        default_factory=lambda: defaultdict(Counter)
    )
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def response(self, op_id: str, label: str, status: int, *, full_key: bool, body: bytes) -> None:
        test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split("[")[0].split(" ")[0]
        with self.lock:
            self.statuses[op_id][status] += 1
            self.per_test[(test, label)][status] += 1
            if full_key:
                self.full_key_statuses[op_id][status] += 1
                if status >= 400:
                    try:
                        error = json.loads(body)["error"]
                        self.full_key_errors[op_id][(error.get("type"), error.get("message"))] += 1
                    except (ValueError, KeyError, TypeError):
                        pass

    def check(self, op_id: str, name: str, *, passed: bool, detail: str = "") -> None:
        with self.lock:
            tally = self.checks[(op_id, name)]
            if passed:
                tally.passes += 1
            else:
                tally.failures += 1
                if len(tally.examples) < 3:
                    tally.examples.append(REDACT(detail))

    def link(
        self, source: str, link: str, *, ok: bool, inferred: bool = False, explored: bool = True
    ) -> None:
        with self.lock:
            (self.inferred_links if inferred else self.links)[(source, link)] += 1 if ok else 0
            if explored and not inferred:
                self.explored_links[(source, link)] += 1 if ok else 0


RECORD = Record()


# --- reports ------------------------------------------------------------------------------------


def write_junit(
    path: str | Path, record: Record, verdicts: list[tuple[str, str, str | None]]
) -> None:
    """One test case per operation and check (classname = operationId, name = check).

    Then one per link (`links`) and per coverage verdict (`coverage`). Every text is
    redacted; failures carry the curl line that reproduces them.
    """
    suite = ET.Element("testsuite", name="threada-contract")
    total = failures = 0
    for (op_id, check), tally in sorted(record.checks.items()):
        case = ET.SubElement(suite, "testcase", classname=op_id, name=check)
        ET.SubElement(
            case, "system-out"
        ).text = f"passes: {tally.passes}, failures: {tally.failures}"
        total += 1
        if tally.failures:
            failures += 1
            failure = ET.SubElement(
                case,
                "failure",
                message=REDACT(f"{check} failed {tally.failures} time(s) on {op_id}"),
            )
            failure.text = REDACT("\n\n".join(tally.examples))
    for classname, name, problem in verdicts:
        case = ET.SubElement(suite, "testcase", classname=classname, name=name)
        total += 1
        if problem:
            failures += 1
            ET.SubElement(case, "failure", message=REDACT(problem)).text = REDACT(problem)
    suite.set("tests", str(total))
    suite.set("failures", str(failures))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ET.tostring(ET.ElementTree(suite).getroot(), encoding="unicode")
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + REDACT(text) + "\n")
