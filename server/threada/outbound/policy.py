"""Operator settings for outbound calls, and which addresses they may reach.

An address is refused when it is loopback, private, link-local, multicast,
unspecified, reserved, shared (100.64.0.0/10), otherwise not globally
routable, or a cloud metadata address; for IPv6 the IPv4 address embedded
by IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) forms is judged
too. The operator can allow host names and networks (`THREADA_ACTIONS_ALLOW`).
Metadata addresses stay refused even inside an allowed network (or behind an
allowed host name) unless that exact address is listed: allowing
`169.254.0.0/16` for a device on the link must not open the instance's
credentials.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

# Instance metadata services: AWS (IMDS, ECS task metadata, IPv6 IMDS),
# GCP and Azure (169.254.169.254), Alibaba, Oracle.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "169.254.169.253",
        "169.254.169.123",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "100.100.100.200",
        "192.0.0.192",
    )
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Limits and allow-lists for `run_custom_http`.

    Timeouts are in seconds: `connect_timeout` bounds resolving and
    connecting (each attempt), `total_timeout` bounds the whole call, from
    resolution to the last byte read. At most `max_response_bytes` of the
    response body are read. `ca_file` replaces the default CA bundle.
    """

    connect_timeout: float = 3.0
    total_timeout: float = 10.0
    max_response_bytes: int = 64 * 1024
    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = ()
    ca_file: str | None = None
    # (tenant id, address, port): that tenant alone may reach that exact address and port,
    # whatever it is (demo mode's built-in receiver on loopback). Every other tenant, and
    # that tenant on any other address or port, gets the full guard.
    tenant_targets: tuple[tuple[str, str, int], ...] = ()
    # The (address, port) pairs of `tenant_targets` that apply to this policy's calls: set
    # by `for_tenant`, never from the environment.
    exact_targets: frozenset[tuple[IPAddress, int]] = frozenset()
    _exact: frozenset[IPAddress] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.connect_timeout > 0 or not self.total_timeout > 0:
            raise ValueError("timeouts must be positive numbers of seconds")
        if self.max_response_bytes < 0:
            raise ValueError("max_response_bytes must not be negative")
        hosts = frozenset(_normalise_host(h) for h in self.allow_hosts)
        object.__setattr__(self, "allow_hosts", hosts)
        networks = tuple(ipaddress.ip_network(n) for n in self.allow_networks)
        object.__setattr__(self, "allow_networks", networks)
        exact = frozenset(n.network_address for n in networks if n.num_addresses == 1)
        object.__setattr__(self, "_exact", exact)

    @classmethod
    def allowing(cls, *entries: str, **settings: object) -> OutboundPolicy:
        """A policy allowing the given host names and networks (`"127.0.0.1"`, `"10.0.0.0/8"`)."""
        hosts, networks = parse_allow_list(entries)
        return cls(allow_hosts=hosts, allow_networks=networks, **settings)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OutboundPolicy:
        """Read THREADA_ACTIONS_CONNECT_TIMEOUT, _TIMEOUT, _MAX_RESPONSE_BYTES, _ALLOW, _CA_FILE.

        Unset variables keep the defaults. `THREADA_ACTIONS_ALLOW` is a comma
        list of host names, addresses and CIDR networks. A bad value raises
        `ValueError` naming the variable.
        """
        env = os.environ if environ is None else environ
        settings: dict[str, object] = {}
        for name, key in (
            ("THREADA_ACTIONS_CONNECT_TIMEOUT", "connect_timeout"),
            ("THREADA_ACTIONS_TIMEOUT", "total_timeout"),
        ):
            raw = env.get(name, "").strip()
            if raw:
                try:
                    value = float(raw)
                except ValueError:
                    value = float("nan")
                if not value > 0 or value == float("inf"):
                    raise ValueError(f"{name} must be a positive number of seconds, got {raw!r}")
                settings[key] = value
        raw = env.get("THREADA_ACTIONS_MAX_RESPONSE_BYTES", "").strip()
        if raw:
            if not raw.isdigit():
                raise ValueError(
                    f"THREADA_ACTIONS_MAX_RESPONSE_BYTES must be a whole number, got {raw!r}"
                )
            settings["max_response_bytes"] = int(raw)
        raw = env.get("THREADA_ACTIONS_ALLOW", "")
        try:
            hosts, networks = parse_allow_list(raw.split(","))
        except ValueError as exc:
            raise ValueError(f"THREADA_ACTIONS_ALLOW: {exc}") from None
        ca_file = env.get("THREADA_ACTIONS_CA_FILE", "").strip() or None
        targets = []
        for entry in env.get("THREADA_ACTIONS_TENANT_TARGETS", "").split(","):
            if entry.strip():
                targets.append(_tenant_target(entry.strip()))
        return cls(
            allow_hosts=hosts,
            allow_networks=networks,
            ca_file=ca_file,
            tenant_targets=tuple(targets),
            **settings,  # type: ignore[arg-type]
        )

    def for_tenant(self, tenant_id: str) -> OutboundPolicy:
        """The policy for one tenant's calls: this one, plus the exact targets granted to
        that tenant alone."""
        targets = frozenset(
            (ipaddress.ip_address(address), port)
            for tenant, address, port in self.tenant_targets
            if tenant == tenant_id
        )
        if targets == self.exact_targets:
            return self
        return replace(self, exact_targets=targets)

    def allows_target(self, address: IPAddress, port: int) -> bool:
        """Whether this exact address and port were granted (see `for_tenant`)."""
        return (address, port) in self.exact_targets

    def allows_host(self, host: str) -> bool:
        return _normalise_host(host) in self.allow_hosts

    def blocked_reason(self, address: IPAddress, *, host_allowed: bool = False) -> str | None:
        """Why `address` may not be connected to, or None when it may.

        `host_allowed` says the name being connected to is allow-listed,
        which lifts every rule but the metadata one.
        """
        embedded = _embedded_ipv4(address)
        candidates = (address,) if embedded is None else (address, embedded)
        label = str(address) if embedded is None else f"{address} (IPv4 {embedded})"
        if any(a in METADATA_ADDRESSES for a in candidates):
            if any(a in self._exact for a in candidates):
                return None
            return f"{label} is a cloud metadata address"
        if host_allowed or any(a in n for a in candidates for n in self.allow_networks):
            return None
        # The embedded IPv4 address is where the packets end up: judge it first.
        for candidate in reversed(candidates):
            reason = _classify(candidate)
            if reason is not None:
                return f"{label} is {reason}"
        return None


def _tenant_target(entry: str) -> tuple[str, str, int]:
    """`ten_... 127.0.0.1:8080` -> (tenant id, address, port); ValueError naming the variable."""
    try:
        tenant, target = entry.split()
        address, _, port = target.rpartition(":")
        ipaddress.ip_address(address.strip("[]"))
        return tenant, address.strip("[]"), int(port)
    except ValueError:
        raise ValueError(
            f"THREADA_ACTIONS_TENANT_TARGETS: {entry!r} is not 'TENANT_ID ADDRESS:PORT'"
        ) from None


def _classify(address: IPAddress) -> str | None:
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.version == 4 and address in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a globally routable address"
    return None


def _embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    if not isinstance(address, IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _normalise_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def parse_allow_list(entries: Iterable[str]) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    """Split allow-list entries into host names and networks; an address is a /32 or /128."""
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text.strip("[]")))
            continue
        except ValueError as exc:
            if "/" in text or ":" in text or text.replace(".", "").isdigit():
                raise ValueError(f"{text!r} is not a valid address or network: {exc}") from None
        name = _normalise_host(text)
        if not _HOST_NAME.fullmatch(name):
            raise ValueError(f"{text!r} is not a valid host name, address or network")
        hosts.add(name)
    return frozenset(hosts), tuple(networks)
