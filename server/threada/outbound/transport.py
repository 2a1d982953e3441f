"""An httpx transport that only connects to addresses the policy allows.

The guard sits in httpcore's network backend, the one place every
connection is opened. For each connection it resolves the host once
(`resolve_host`), refuses the connection when any resolved address is not
allowed, and then opens the socket to those same vetted IP addresses, never
to the name. There is no second lookup for a rebinding DNS server to answer
differently. TLS still uses the host name: httpcore takes SNI and
certificate checking from the request URL, and httpx takes the Host header
from it, so only the TCP connect sees the address.

The backend also carries the call's total deadline: every connect, TLS
handshake, read and write gets at most the time left, so a server that
drips bytes cannot stretch the call past `total_timeout`.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable

import certifi
import httpcore
import httpx

from threada.outbound.policy import IPAddress, OutboundPolicy


class BlockedByPolicy(Exception):
    """The target resolved to an address the policy refuses; nothing was connected."""


class ResolutionFailed(httpcore.ConnectError):
    """The host name did not resolve (httpx reports it as a ConnectError)."""


def resolve_host(host: str, port: int) -> list[str]:
    """Addresses for `host`, in getaddrinfo order. Tests replace this function."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _resolve_within(host: str, port: int, timeout: float) -> list[str]:
    # getaddrinfo takes no timeout; run it in a daemon thread and stop waiting.
    result: dict[str, object] = {}

    def work() -> None:
        try:
            result["addresses"] = resolve_host(host, port)
        except Exception as exc:  # noqa: BLE001 - handed back to the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=work, name="threada-outbound-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout:.1f}s")
    error = result.get("error")
    if isinstance(error, Exception):
        raise ResolutionFailed(f"could not resolve host {host}") from error
    return list(result["addresses"])  # type: ignore[call-overload]


def _clamp(deadline: float, timeout: float | None, exc: type[Exception]) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise exc("total timeout reached")
    return remaining if timeout is None else min(timeout, remaining)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the call's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(self._deadline, timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(self._deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(self._deadline, timeout, httpcore.ConnectTimeout)
        return DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, timeout), self._deadline
        )

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolve, vet, then connect to the vetted addresses only."""

    def __init__(self, policy: OutboundPolicy, deadline: float) -> None:
        self._policy = policy
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()
        self.connected_to: str | None = None

    def vetted_addresses(self, host: str, port: int, timeout: float) -> list[IPAddress]:
        """Resolve `host` once and return its addresses, or raise `BlockedByPolicy`."""
        literal = host[1:-1] if host.startswith("[") else host
        try:
            addresses = [ipaddress.ip_address(literal)]
            host_allowed = False
        except ValueError:
            addresses = [ipaddress.ip_address(a) for a in _resolve_within(host, port, timeout)]
            host_allowed = self._policy.allows_host(host)
        if not addresses:
            raise ResolutionFailed(f"could not resolve host {host}")
        for address in addresses:
            if self._policy.allows_target(address, port):
                continue
            reason = self._policy.blocked_reason(address, host_allowed=host_allowed)
            if reason is not None:
                raise BlockedByPolicy(reason)
        return addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.vetted_addresses(
            host, port, _clamp(self._deadline, timeout, httpcore.ConnectTimeout)
        )
        failure: Exception | None = None
        for address in addresses:
            try:
                # An IP literal: create_connection does no lookup of its own.
                stream = self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=_clamp(self._deadline, timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            self.connected_to = str(address)
            return DeadlineStream(stream, self._deadline)
        assert failure is not None
        raise failure

    def connect_unix_socket(self, *args: object, **kwargs: object) -> httpcore.NetworkStream:
        raise BlockedByPolicy("unix sockets are never used for actions")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def guarded_transport(policy: OutboundPolicy, deadline: float) -> httpx.HTTPTransport:
    """An HTTP/1.1 transport, no retries, no proxies, connecting through `GuardedBackend`.

    httpx's transport has no public hook for the network backend, so its
    connection pool is replaced by one built with ours; the check below
    fails loudly if a future httpx renames that attribute.
    """
    context = ssl.create_default_context(cafile=policy.ca_file or certifi.where())
    transport = httpx.HTTPTransport(verify=context, retries=0)
    if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
        raise RuntimeError("httpx.HTTPTransport no longer keeps an httpcore pool in _pool")
    transport._pool.close()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=context,
        max_connections=1,
        http1=True,
        http2=False,
        retries=0,
        network_backend=GuardedBackend(policy, deadline),
    )
    return transport


def reachability_problem(base_url: str, policy: OutboundPolicy, timeout: float = 3.0) -> str | None:
    """Why a call to (validated) `base_url` would be refused, by exactly the check a call
    makes before it connects (resolve once, vet every address), or None when it would
    be let through. A name that does not resolve here is not judged (the call resolves
    it again where and when it runs)."""
    parts = httpx.URL(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    backend = GuardedBackend(policy, time.monotonic() + timeout)
    host = parts.host if ":" not in parts.host else f"[{parts.host}]"
    try:
        backend.vetted_addresses(host, port, timeout)
    except BlockedByPolicy as exc:
        return f"blocked by policy: {exc}"
    except (ResolutionFailed, httpcore.ConnectTimeout):
        return None
    return None
