"""Send one webhook delivery through the same guarded connection path as actions.

A blocking call (httpx's sync client on `guarded_transport`): the dispatcher runs it
in its own thread pool, off the event loop. Issue 13 adds an async guarded client;
this module is the one place to switch to it.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping

import httpx

from threada.domain.errors import InvalidRequest
from threada.outbound.client import Outcome, _describe, _excerpt, _ms_since, _read_capped
from threada.outbound.policy import OutboundPolicy, parse_allow_list
from threada.outbound.transport import guarded_transport
from threada.outbound.validation import validate_base_url

USER_AGENT = "Threada-Webhooks/1.0"


def post_webhook(
    *, url: str, headers: dict[str, str], body: bytes, policy: OutboundPolicy
) -> Outcome:
    """POST `body` to `url` with `headers`; an `Outcome`, never an exception for what the
    target does. The URL is checked again (syntax here, addresses at connect time: a host
    now resolving to a refused address fails with `blocked by policy`). No redirects; the
    whole call ends within `policy.total_timeout`."""
    started = time.monotonic()
    try:
        target = validate_base_url(url)
    except InvalidRequest as exc:
        return Outcome(False, None, _ms_since(started), f"invalid {exc.message}", None)
    sent = {
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
        "Content-Type": "application/json",
        **headers,
    }
    deadline = started + policy.total_timeout
    status: int | None = None
    try:
        timeout = httpx.Timeout(
            policy.total_timeout, connect=min(policy.connect_timeout, policy.total_timeout)
        )
        with (
            httpx.Client(
                transport=guarded_transport(policy, deadline),
                follow_redirects=False,
                trust_env=False,
                timeout=timeout,
            ) as client,
            client.stream("POST", target, headers=sent, content=body) as response,
        ):
            status = response.status_code
            raw, _truncated = _read_capped(response, policy.max_response_bytes)
            excerpt = _excerpt(raw, response.headers.get("content-encoding", ""))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a failed Outcome
        return Outcome(False, status, _ms_since(started), _describe(exc, policy, deadline), None)
    error = None
    if 300 <= status < 400:
        error = f"redirect not followed ({status})"
    elif not 200 <= status < 300:
        error = f"target answered {status}"
    return Outcome(error is None, status, _ms_since(started), error, excerpt)


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
