"""Webhook deliveries through the one guarded outbound path, and the webhooks' policy.

`post_webhook` sends one delivery with issue 13's `AsyncOutbound` (httpx's async client
on the guarded network backend: the host is resolved once, every address vetted by the
policy, the socket opened to the vetted addresses only), so a slow receiver holds a
socket, not a thread. `vet_url_addresses` is the same guard for a URL given at
registration: resolved and vetted, nothing connected.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from threada.domain.errors import InvalidRequest
from threada.outbound.client import AsyncOutbound, Outcome, _ms_since
from threada.outbound.policy import OutboundPolicy, parse_allow_list
from threada.outbound.transport import resolve_host, vet_addresses
from threada.outbound.validation import validate_base_url

USER_AGENT = "Threada-Webhooks/1.0"


async def post_webhook(
    outbound: AsyncOutbound, *, url: str, headers: Mapping[str, str], body: bytes
) -> Outcome:
    """POST `body` to `url` with `headers`; an `Outcome`, never an exception for what the
    target does. The URL is checked again (syntax here; addresses at connect time: a host
    that now resolves to a refused address fails with `blocked by policy`). No redirects;
    the whole call ends within the policy's `total_timeout`."""
    started = time.monotonic()
    try:
        target = validate_base_url(url)
    except InvalidRequest as exc:
        return Outcome(False, None, _ms_since(started), f"invalid {exc.message}", None)
    sent = {"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers}
    return await outbound.send(method="POST", url=target, headers=sent, content=body)


def vet_url_addresses(url: str, policy: OutboundPolicy) -> None:
    """Resolve the host of a (validated) URL once and vet every address with the policy:
    `BlockedByPolicy` when one is refused. A name that does not resolve within the
    policy's connect timeout passes (the delivery resolves and vets again)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = "[" in parts.netloc or _is_address(host)
    if literal:
        vet_addresses(policy, host, port, [host], literal=True)
        return
    found: dict[str, list[str]] = {}

    def work() -> None:  # getaddrinfo takes no timeout: wait for it a bounded time
        try:
            found["addresses"] = resolve_host(host, port)
        except (OSError, UnicodeError):
            found["addresses"] = []

    thread = threading.Thread(target=work, name="threada-webhook-dns", daemon=True)
    thread.start()
    thread.join(policy.connect_timeout)
    addresses = found.get("addresses") or []
    if addresses:
        vet_addresses(policy, host, port, addresses, literal=False)


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def webhook_policy_from_env(environ: Mapping[str, str] | None = None) -> OutboundPolicy:
    """The outbound policy for webhook deliveries: the actions' one (`THREADA_ACTIONS_*`),
    with `THREADA_WEBHOOKS_ALLOW` (same form) replacing its allow list when set."""
    env = os.environ if environ is None else environ
    base = OutboundPolicy.from_env(env)
    raw = env.get("THREADA_WEBHOOKS_ALLOW", "")
    if not raw.strip():
        return base
    try:
        hosts, networks = parse_allow_list(raw.split(","))
    except ValueError as exc:
        raise ValueError(f"THREADA_WEBHOOKS_ALLOW: {exc}") from None
    return dataclasses.replace(base, allow_hosts=hosts, allow_networks=networks)
