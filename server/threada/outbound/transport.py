"""An httpx async transport that only connects to addresses the policy allows.

The guard sits in httpcore's network backend, the one place every
connection is opened, and it is the only guard: the sync entry points run
the same async path. For each connection it resolves the host once
(`resolve_host`), refuses the connection when any resolved address is not
allowed, and then opens the socket to those same vetted IP addresses, never
to the name. There is no second lookup for a rebinding DNS server to answer
differently. TLS still uses the host name: httpcore takes SNI and
certificate checking from the request URL, and httpx takes the Host header
from it, so only the TCP connect sees the address.

A connection kept alive by a shared client was vetted when it was opened;
the policy is fixed for the life of the transport.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import threading
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


async def _resolve_within(host: str, port: int, timeout: float | None) -> list[str]:
    # getaddrinfo takes no timeout and cannot be cancelled: run it in a daemon thread and
    # stop waiting (an executor thread would hold the loop's shutdown until it returned).
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[str]] = loop.create_future()

    def settle(value: list[str] | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value or [])

    def work() -> None:
        try:
            value, error = resolve_host(host, port), None
        except Exception as exc:  # noqa: BLE001 - handed back to the loop
            value, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, value, error)
        except RuntimeError:  # the loop is gone: nobody is waiting any more
            pass

    threading.Thread(target=work, name="threada-outbound-dns", daemon=True).start()
    try:
        async with asyncio.timeout(timeout):
            return await future
    except TimeoutError:
        raise httpcore.ConnectTimeout(
            f"resolving {host} took longer than {timeout or 0:.1f}s"
        ) from None
    except (OSError, UnicodeError) as exc:
        raise ResolutionFailed(f"could not resolve host {host}") from exc


def vet_addresses(
    policy: OutboundPolicy, host: str, addresses: Iterable[str], *, literal: bool
) -> list[IPAddress]:
    """The guard: `addresses` (what `host` resolved to) as IP addresses, or `BlockedByPolicy`.

    `literal` says `host` was an IP address itself (no host-name allowance applies).
    """
    vetted = [ipaddress.ip_address(a) for a in addresses]
    if not vetted:
        raise ResolutionFailed(f"could not resolve host {host}")
    host_allowed = not literal and policy.allows_host(host)
    for address in vetted:
        reason = policy.blocked_reason(address, host_allowed=host_allowed)
        if reason is not None:
            raise BlockedByPolicy(reason)
    return vetted


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, vet, then connect to the vetted addresses only."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def vetted_addresses(
        self, host: str, port: int, timeout: float | None
    ) -> list[IPAddress]:
        """Resolve `host` once and return its addresses, or raise `BlockedByPolicy`."""
        literal = host[1:-1] if host.startswith("[") else host
        try:
            ipaddress.ip_address(literal)
        except ValueError:
            resolved = await _resolve_within(host, port, timeout)
            return vet_addresses(self._policy, host, resolved, literal=False)
        return vet_addresses(self._policy, host, [literal], literal=True)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        started = loop.time()
        addresses = await self.vetted_addresses(host, port, timeout)
        failure: Exception | None = None
        for address in addresses:
            left = None if timeout is None else timeout - (loop.time() - started)
            if left is not None and left <= 0:
                raise httpcore.ConnectTimeout(f"connecting to {host} timed out")
            try:
                # An IP literal: the connect does no lookup of its own.
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=left,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, *args: object, **kwargs: object
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedByPolicy("unix sockets are never used for actions")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(
    policy: OutboundPolicy, *, max_connections: int = 1, keepalive: int = 0
) -> httpx.AsyncHTTPTransport:
    """An HTTP/1.1 async transport, no retries, no proxies, connecting through `GuardedBackend`.

    httpx's transport has no public hook for the network backend, so its
    connection pool is replaced by one built with ours; the check below
    fails loudly if a future httpx renames that attribute.
    """
    context = ssl.create_default_context(cafile=policy.ca_file or certifi.where())
    transport = httpx.AsyncHTTPTransport(verify=context, retries=0)
    if not isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        raise RuntimeError("httpx.AsyncHTTPTransport no longer keeps an httpcore pool in _pool")
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context,
        max_connections=max_connections,
        max_keepalive_connections=keepalive,
        http1=True,
        http2=False,
        retries=0,
        network_backend=GuardedBackend(policy),
    )
    return transport
