"""run_custom_http against real receivers on 127.0.0.1: what is sent, what is refused.

Nothing here sends traffic anywhere but 127.0.0.1. Host names other than
`localhost` are answered by replacing `threada.outbound.transport.resolve_host`;
every socket connect in the process is recorded, so "blocked" means no
connection was even attempted.
"""

from __future__ import annotations

import gzip
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpcore
import pytest
import threada.outbound.transport as transport
from threada.domain.errors import InvalidRequest
from threada.outbound import OutboundPolicy, Outcome, run_custom_http

from testsupport import needs

LOOPBACK = OutboundPolicy.allowing("127.0.0.1", connect_timeout=1.0, total_timeout=2.0)


# --- receivers ------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(values) <= 1, values
        return values[0] if values else None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"status":"success"}'
    headers: dict[str, str] = field(default_factory=dict)


class Receiver(http.server.ThreadingHTTPServer):
    """An HTTP server that records each request and answers with `reply`."""

    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.accepts = 0
        self.seen: list[Seen] = []
        self.reply = Reply()
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def get_request(self) -> tuple[socket.socket, object]:
        self.accepts += 1
        return super().get_request()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.seen.append(Seen(self.command, self.path, list(self.headers.items()), body))
        reply = self.server.reply
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: object) -> None:
        pass


class RawListener:
    """A TCP listener running `behave(conn)` for each connection; counts accepts."""

    def __init__(self, behave) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepts = 0
        self.stopping = threading.Event()
        self._conns: list[socket.socket] = []
        self._behave = behave
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepts += 1
            self._conns.append(conn)
            threading.Thread(target=self._behave, args=(conn, self.stopping), daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        self.sock.close()
        for conn in self._conns:
            conn.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def listeners() -> Iterator[list[RawListener]]:
    made: list[RawListener] = []
    yield made
    for listener in made:
        listener.stop()


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every TCP connect the outbound backend opens in this test (host, port), in order."""
    calls: list[tuple] = []
    real = httpcore.AnyIOBackend.connect_tcp

    async def spy(self, host, port, *args, **kwargs):
        calls.append((host, port))
        return await real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", spy)
    return calls


class FakeDNS(dict):
    """Names put in this dict resolve to the given addresses; others fail. Logs lookups."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups: list[str] = []

    def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self[host]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    fake = FakeDNS()
    monkeypatch.setattr(transport, "resolve_host", fake.resolve)
    return fake


def call(base_url: str, path: str = "/hooks/zapier", **kwargs) -> Outcome:
    arguments = {
        "method": "POST",
        "headers": {"X-Source": "threada"},
        "body_json": '{"event":"ticket_updated"}',
        "policy": LOOPBACK,
    }
    arguments.update(kwargs)
    return run_custom_http(base_url=base_url, path=path, **arguments)


# --- what the receiver gets -----------------------------------------------------


def test_the_receiver_gets_exactly_what_was_asked(receiver: Receiver) -> None:
    body = '{"event": "ticket_updated", "ticket": {"id": "tkt_1", "tags": ["vip"]}, "n": 1.50}'
    outcome = run_custom_http(
        base_url=f"http://127.0.0.1:{receiver.port}/base",
        method="POST",
        path="/hooks/zapier?source=threada&x=%20y",
        headers={"X-Source": "threada", "Authorization": "Bearer s3cret"},
        body_json=body,
        policy=LOOPBACK,
        action_id="act_01JKQ3W1N3P5Q7R9S1T3V5X7Z9",
    )
    assert outcome.succeeded, outcome
    assert outcome.http_status == 200
    assert outcome.error is None
    assert outcome.response_excerpt == '{"status":"success"}'
    assert not outcome.response_truncated
    assert 0 <= outcome.duration_ms < 2000
    [seen] = receiver.seen
    assert seen.method == "POST"
    assert seen.path == "/base/hooks/zapier?source=threada&x=%20y"
    assert seen.body == body.encode()
    assert seen.header("Content-Type") == "application/json"
    assert seen.header("Content-Length") == str(len(body.encode()))
    assert seen.header("X-Source") == "threada"
    assert seen.header("Authorization") == "Bearer s3cret"
    assert seen.header("User-Agent") == "Threada-Actions/1.0"
    assert seen.header("X-Threada-Action-Id") == "act_01JKQ3W1N3P5Q7R9S1T3V5X7Z9"
    assert seen.header("Host") == f"127.0.0.1:{receiver.port}"
    assert seen.header("Accept-Encoding") == "identity"
    names = {k.lower() for k, _ in seen.headers}
    assert names <= {
        "host",
        "accept",
        "accept-encoding",
        "connection",
        "user-agent",
        "x-threada-action-id",
        "x-source",
        "authorization",
        "content-type",
        "content-length",
    }


@pytest.mark.parametrize(
    ("method", "body_json"),
    [("GET", None), ("DELETE", None), ("PUT", '{"a": 1}'), ("PATCH", "[]"), ("POST", None)],
)
def test_each_method_is_sent_as_is(receiver: Receiver, method: str, body_json: str | None) -> None:
    outcome = call(
        f"http://127.0.0.1:{receiver.port}",
        "/x/y",
        method=method,
        body_json=body_json,
        headers=None,
    )
    assert outcome.succeeded
    [seen] = receiver.seen
    assert (seen.method, seen.path) == (method, "/x/y")
    assert seen.body == (body_json or "").encode()
    assert seen.header("Content-Type") == ("application/json" if body_json else None)
    assert seen.header("X-Threada-Action-Id") is None


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_succeeds(receiver: Receiver, status: int) -> None:
    receiver.reply = Reply(status=status, body=b"" if status == 204 else b"ok")
    outcome = call(f"http://127.0.0.1:{receiver.port}")
    assert (outcome.succeeded, outcome.http_status, outcome.error) == (True, status, None)
    assert outcome.response_excerpt == (None if status == 204 else "ok")


@pytest.mark.parametrize("status", [400, 404, 500, 503])
def test_error_statuses_fail_with_the_status(receiver: Receiver, status: int) -> None:
    receiver.reply = Reply(status=status, body=b"Internal Server Error")
    outcome = call(f"http://127.0.0.1:{receiver.port}")
    assert not outcome.succeeded
    assert outcome.http_status == status
    assert outcome.error == f"target answered {status}"
    assert outcome.response_excerpt == "Internal Server Error"


# --- redirects, size cap --------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_not_followed(
    receiver: Receiver, second_receiver: Receiver, status: int
) -> None:
    elsewhere = f"http://127.0.0.1:{second_receiver.port}/stolen"
    receiver.reply = Reply(status=status, body=b"moved", headers={"Location": elsewhere})
    outcome = call(f"http://127.0.0.1:{receiver.port}/base")
    assert not outcome.succeeded
    assert outcome.http_status == status
    assert outcome.error == f"redirect not followed ({status})"
    assert len(receiver.seen) == 1
    assert second_receiver.accepts == 0 and second_receiver.seen == []


def test_the_response_read_is_capped(receiver: Receiver) -> None:
    receiver.reply = Reply(body=("é" + "x" * 1023).encode() * 2048)  # 2 MiB
    policy = OutboundPolicy.allowing("127.0.0.1", max_response_bytes=64 * 1024)
    outcome = call(f"http://127.0.0.1:{receiver.port}", policy=policy)
    assert outcome.succeeded
    assert outcome.response_truncated
    excerpt = outcome.response_excerpt or ""
    assert excerpt.startswith("éxxx") and len(excerpt.encode()) <= 1024


def test_the_excerpt_is_safe_to_store(receiver: Receiver) -> None:
    receiver.reply = Reply(status=500, body=b"bad\x00\xff\xfe" + b"y" * 5000)
    outcome = call(f"http://127.0.0.1:{receiver.port}")
    assert outcome.response_excerpt is not None
    assert outcome.response_excerpt.startswith("bad\ufffd\ufffd\ufffdyyy")
    assert len(outcome.response_excerpt) <= 1024
    assert not outcome.response_truncated
    assert outcome.as_result() == {
        "http_status": 500,
        "duration_ms": outcome.duration_ms,
        "error": "target answered 500",
        "response_excerpt": outcome.response_excerpt,
    }


def test_a_tiny_cap_still_gives_what_it_can(receiver: Receiver) -> None:
    receiver.reply = Reply(body=b"0123456789abcdef")
    policy = OutboundPolicy.allowing("127.0.0.1", max_response_bytes=10)
    outcome = call(f"http://127.0.0.1:{receiver.port}", policy=policy)
    assert (outcome.response_excerpt, outcome.response_truncated) == ("0123456789", True)


def test_a_compressed_answer_still_gives_a_bounded_excerpt(receiver: Receiver) -> None:
    receiver.reply = Reply(
        body=gzip.compress(b"z" * 1_000_000), headers={"Content-Encoding": "gzip"}
    )
    outcome = call(f"http://127.0.0.1:{receiver.port}")
    assert outcome.succeeded
    assert outcome.response_excerpt == "z" * 1024


# --- failures of the target -----------------------------------------------------


def test_a_refused_port_fails_as_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = call(f"http://127.0.0.1:{port}")
    assert outcome == Outcome(False, None, outcome.duration_ms, "connection refused", None)


def _never_answer(conn: socket.socket, stopping: threading.Event) -> None:
    stopping.wait()


def test_a_target_that_never_answers_times_out_within_the_bound(
    listeners: list[RawListener],
) -> None:
    silent = RawListener(_never_answer)
    listeners.append(silent)
    policy = OutboundPolicy.allowing("127.0.0.1", connect_timeout=0.5, total_timeout=1.0)
    started = time.monotonic()
    outcome = call(f"http://127.0.0.1:{silent.port}", policy=policy)
    elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 1.0 + 0.5
    assert silent.accepts == 1
    assert (outcome.succeeded, outcome.http_status, outcome.error) == (
        False,
        None,
        "timeout after 1.0s",
    )
    assert 900 <= outcome.duration_ms < 1500


def _drip(conn: socket.socket, stopping: threading.Event) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while not stopping.wait(0.05):
        try:
            conn.sendall(b"x")
        except OSError:
            return


def test_a_dripping_body_cannot_stretch_the_total_timeout(listeners: list[RawListener]) -> None:
    dripping = RawListener(_drip)
    listeners.append(dripping)
    policy = OutboundPolicy.allowing("127.0.0.1", connect_timeout=0.5, total_timeout=1.0)
    started = time.monotonic()
    outcome = call(f"http://127.0.0.1:{dripping.port}", policy=policy)
    assert time.monotonic() - started < 1.0 + 0.5
    assert (outcome.succeeded, outcome.http_status, outcome.error) == (
        False,
        200,
        "timeout after 1.0s",
    )


def _garbage(conn: socket.socket, stopping: threading.Event) -> None:
    conn.recv(65536)
    conn.sendall(b"SMTP ready\r\n\r\n")
    conn.close()


def _hang_up(conn: socket.socket, stopping: threading.Event) -> None:
    conn.recv(65536)
    conn.close()


@pytest.mark.parametrize("behave", [_garbage, _hang_up])
def test_a_broken_answer_fails_without_raising(listeners: list[RawListener], behave) -> None:
    broken = RawListener(behave)
    listeners.append(broken)
    outcome = call(f"http://127.0.0.1:{broken.port}")
    assert not outcome.succeeded and outcome.http_status is None
    assert outcome.error is not None
    # A close with request bytes still unread makes the kernel send a reset.
    assert outcome.error.startswith("invalid response: ") or (
        behave is _hang_up and outcome.error == "connection reset by peer"
    )


def test_slow_dns_is_bounded_by_the_connect_timeout(
    monkeypatch: pytest.MonkeyPatch, connects: list[tuple]
) -> None:
    release = threading.Event()
    monkeypatch.setattr(transport, "resolve_host", lambda host, port: release.wait(5) or [])
    policy = OutboundPolicy(connect_timeout=0.3, total_timeout=2.0)
    started = time.monotonic()
    try:
        outcome = call("http://slow.test", policy=policy)
    finally:
        release.set()
    assert time.monotonic() - started < 0.3 + 0.5
    assert outcome.error == "connect timeout after 0.3s"
    assert connects == []


def test_an_unknown_host_fails(dns: FakeDNS, connects: list[tuple]) -> None:
    outcome = call("http://nowhere.test")
    assert outcome.error == "could not resolve host nowhere.test"
    assert connects == []


# --- refused before any connection ----------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "http://127.0.0.1/elsewhere",
        "//127.0.0.1/elsewhere",
        "/../elsewhere",
        "/hooks/../../elsewhere",
        "/%2e%2e/elsewhere",
        "/hooks\\..\\elsewhere",
        "/hooks%2f..%2f..%2felsewhere",
    ],
)
def test_bad_paths_raise_before_any_connection(
    receiver: Receiver, connects: list[tuple], path: str
) -> None:
    with pytest.raises(InvalidRequest):
        call(f"http://127.0.0.1:{receiver.port}/base", path)
    assert connects == [] and receiver.accepts == 0


@pytest.mark.parametrize(
    "base_url",
    ["ftp://127.0.0.1/base", "http://user@127.0.0.1/base", "http://127.0.0.1:0", "http://h/../x"],
)
def test_a_bad_base_url_fails_without_raising(base_url: str, connects: list[tuple]) -> None:
    outcome = call(base_url)
    assert not outcome.succeeded and outcome.http_status is None
    assert outcome.error and outcome.error.startswith("invalid actions_base_url ")
    assert connects == []


def test_loopback_is_blocked_unless_allowed(receiver: Receiver, connects: list[tuple]) -> None:
    outcome = call(f"http://127.0.0.1:{receiver.port}/base", policy=OutboundPolicy())
    assert outcome == Outcome(
        False, None, outcome.duration_ms, "blocked by policy: 127.0.0.1 is a loopback address", None
    )
    assert connects == [] and receiver.accepts == 0


def test_localhost_is_blocked_by_what_it_resolves_to(
    receiver: Receiver, connects: list[tuple]
) -> None:
    outcome = call(f"http://localhost:{receiver.port}/base", policy=OutboundPolicy())
    assert outcome.error and outcome.error.startswith("blocked by policy: ")
    assert "loopback address" in outcome.error
    assert connects == [] and receiver.accepts == 0


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (["10.0.0.5"], "blocked by policy: 10.0.0.5 is a private address"),
        (["169.254.169.254"], "blocked by policy: 169.254.169.254 is a cloud metadata address"),
        (["fd00:ec2::254"], "blocked by policy: fd00:ec2::254 is a cloud metadata address"),
        (["100.100.100.200"], "blocked by policy: 100.100.100.200 is a cloud metadata address"),
        (["127.0.0.1", "10.0.0.5"], "blocked by policy: 10.0.0.5 is a private address"),
        (["::ffff:10.0.0.5"], "blocked by policy: ::ffff:a00:5 (IPv4 10.0.0.5) is a private"),
    ],
)
def test_names_resolving_to_private_or_metadata_addresses_are_blocked(
    dns: FakeDNS, connects: list[tuple], answer: list[str], error: str
) -> None:
    dns["hooks.test"] = answer
    # 127.0.0.1 and the link-local range are allowed: metadata stays blocked regardless.
    policy = OutboundPolicy.allowing("127.0.0.1", "169.254.0.0/16")
    outcome = call("https://hooks.test/base", policy=policy)
    assert not outcome.succeeded and outcome.http_status is None
    assert outcome.error is not None and outcome.error.startswith(error)
    assert connects == []


def test_ip_literal_metadata_and_private_bases_are_blocked(connects: list[tuple]) -> None:
    for base in (
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:169.254.169.254]",
        "http://10.0.0.5",
        "http://0.0.0.0",
        "http://[::1]",
    ):
        outcome = call(base, policy=OutboundPolicy())
        assert outcome.error and outcome.error.startswith("blocked by policy: "), base
    assert connects == []


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "017700000001", "127.1"])
def test_odd_spellings_of_loopback_are_judged_by_what_they_resolve_to(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, connects: list[tuple], host: str
) -> None:
    # The system resolver's numeric parsing, with no DNS query possible.
    def numeric_only(name: str, port: int) -> list[str]:
        infos = socket.getaddrinfo(name, port, flags=socket.AI_NUMERICHOST)
        return [info[4][0] for info in infos]

    monkeypatch.setattr(transport, "resolve_host", numeric_only)
    outcome = call(f"http://{host}:{receiver.port}", policy=OutboundPolicy())
    assert outcome.error == "blocked by policy: 127.0.0.1 is a loopback address"
    assert connects == [] and receiver.accepts == 0


def test_the_socket_connects_to_the_vetted_address_not_the_name(
    receiver: Receiver, dns: FakeDNS, connects: list[tuple]
) -> None:
    dns["hooks.test"] = ["127.0.0.1"]
    outcome = call(f"http://hooks.test:{receiver.port}/base")
    assert outcome.succeeded, outcome
    assert dns.lookups == ["hooks.test"]
    assert connects == [("127.0.0.1", receiver.port)]
    [seen] = receiver.seen
    assert seen.header("Host") == f"hooks.test:{receiver.port}"
    assert seen.path == "/base/hooks/zapier"


def test_a_rebinding_name_gets_one_lookup_per_call(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, connects: list[tuple]
) -> None:
    # First answer vetted and allowed, any later answer would be the metadata address.
    answers = iter([["127.0.0.1"]])
    monkeypatch.setattr(
        transport, "resolve_host", lambda host, port: next(answers, ["169.254.169.254"])
    )
    outcome = call(f"http://rebind.test:{receiver.port}")
    assert outcome.succeeded, outcome
    assert connects == [("127.0.0.1", receiver.port)]
    outcome = call(f"http://rebind.test:{receiver.port}")
    assert outcome.error == "blocked by policy: 169.254.169.254 is a cloud metadata address"
    assert connects == [("127.0.0.1", receiver.port)]


def test_an_allowed_host_name_may_resolve_privately(
    receiver: Receiver, dns: FakeDNS, connects: list[tuple]
) -> None:
    dns["hooks.internal"] = ["127.0.0.1"]
    policy = OutboundPolicy.allowing("hooks.internal")
    assert call(f"http://hooks.internal:{receiver.port}", policy=policy).succeeded
    assert call(f"http://127.0.0.1:{receiver.port}", policy=policy).error == (
        "blocked by policy: 127.0.0.1 is a loopback address"
    )
    assert connects == [("127.0.0.1", receiver.port)]
    dns["hooks.internal"] = ["169.254.169.254"]
    outcome = call("http://hooks.internal", policy=policy)
    assert outcome.error == "blocked by policy: 169.254.169.254 is a cloud metadata address"
    assert len(connects) == 1


def test_proxy_settings_in_the_environment_are_ignored(
    receiver: Receiver, second_receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = f"http://127.0.0.1:{second_receiver.port}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert call(f"http://127.0.0.1:{receiver.port}").succeeded
    assert len(receiver.seen) == 1 and second_receiver.accepts == 0


# --- TLS: connect to the address, verify and send SNI for the name ---------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        needs("openssl", "makes the self-signed certificate for the TLS test")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=hooks.test",
            "-addext",
            "subjectAltName=DNS:hooks.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_receiver(certificate: tuple[Path, Path]) -> Iterator[tuple[Receiver, list[str | None]]]:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server = Receiver(tls=context)
    yield server, names
    server.stop()


def test_https_verifies_and_sends_sni_for_the_name(
    tls_receiver: tuple[Receiver, list[str | None]],
    certificate: tuple[Path, Path],
    dns: FakeDNS,
    connects: list[tuple],
) -> None:
    receiver, sni = tls_receiver
    dns["hooks.test"] = ["127.0.0.1"]
    policy = OutboundPolicy.allowing("127.0.0.1", ca_file=str(certificate[0]))
    outcome = call(f"https://hooks.test:{receiver.port}/base", policy=policy)
    assert outcome.succeeded, outcome
    assert connects == [("127.0.0.1", receiver.port)]
    assert sni == ["hooks.test"]
    [seen] = receiver.seen
    assert seen.header("Host") == f"hooks.test:{receiver.port}"
    assert seen.path == "/base/hooks/zapier"


def test_https_refuses_a_certificate_for_another_name(
    tls_receiver: tuple[Receiver, list[str | None]], certificate: tuple[Path, Path]
) -> None:
    receiver, _ = tls_receiver
    policy = OutboundPolicy.allowing("127.0.0.1", ca_file=str(certificate[0]))
    outcome = call(f"https://127.0.0.1:{receiver.port}/base", policy=policy)
    assert not outcome.succeeded and outcome.http_status is None
    assert outcome.error and outcome.error.startswith("TLS certificate not trusted: ")
    assert receiver.seen == []


def test_https_refuses_an_untrusted_certificate(
    tls_receiver: tuple[Receiver, list[str | None]], dns: FakeDNS
) -> None:
    receiver, _ = tls_receiver
    dns["hooks.test"] = ["127.0.0.1"]
    outcome = call(f"https://hooks.test:{receiver.port}/base")
    assert outcome.error and outcome.error.startswith("TLS certificate not trusted: ")
    assert receiver.seen == []


# --- the shared async client (AsyncOutbound.send), as webhooks and actions use it ----------


def test_async_outbound_sends_bytes_and_shares_connections(
    receiver: Receiver, connects: list[tuple], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    monkeypatch.setattr(_Handler, "protocol_version", "HTTP/1.1")  # keep-alive

    from threada.outbound import AsyncOutbound

    async def main() -> list[Outcome]:
        async with AsyncOutbound(LOOPBACK) as outbound:
            return [
                await outbound.send(
                    method="POST",
                    url=f"http://127.0.0.1:{receiver.port}/deliveries/{n}",
                    headers={"Content-Type": "application/octet-stream", "X-N": str(n)},
                    content=bytes([n, 0, 255]),
                )
                for n in range(3)
            ]

    outcomes = asyncio.run(main())
    assert [o.succeeded for o in outcomes] == [True, True, True]
    assert [s.path for s in receiver.seen] == ["/deliveries/0", "/deliveries/1", "/deliveries/2"]
    assert [s.body for s in receiver.seen] == [bytes([n, 0, 255]) for n in range(3)]
    assert receiver.seen[2].header("X-N") == "2"
    # one connection, vetted once, reused for the next two calls
    assert connects == [("127.0.0.1", receiver.port)]


def test_async_outbound_blocks_and_times_out_per_call(
    listeners: list[RawListener], connects: list[tuple]
) -> None:
    import asyncio

    from threada.outbound import AsyncOutbound

    silent = RawListener(lambda conn, stopping: stopping.wait(5))
    listeners.append(silent)

    async def main() -> tuple[Outcome, Outcome, float]:
        async with AsyncOutbound(OutboundPolicy()) as strict:
            blocked = await strict.send(method="GET", url=f"http://127.0.0.1:{silent.port}/")
        async with AsyncOutbound(LOOPBACK) as outbound:
            started = time.monotonic()
            slow = await outbound.send(
                method="GET", url=f"http://127.0.0.1:{silent.port}/", timeout=0.3
            )
            return blocked, slow, time.monotonic() - started

    blocked, slow, took = asyncio.run(main())
    assert not blocked.succeeded and blocked.error.startswith("blocked by policy")
    assert not slow.succeeded and slow.error == "timeout after 0.3s"
    assert took < 1.0
    assert connects == [("127.0.0.1", silent.port)]
