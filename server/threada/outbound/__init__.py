"""Outbound side of actions: check, join and send a tenant's custom_http call.

The actions domain calls, in order:

- `validate_base_url(url) -> str` when an admin sets `actions_base_url`;
- `validate_custom_http(payload)` when an action is requested (a bad
  payload raises `InvalidRequest`, nothing is recorded or sent);
- `await run_custom_http_async(base_url=..., method=..., path=..., headers=...,
  body_json=..., policy=..., action_id=..., outbound=...) -> Outcome`, which
  never raises for what the target does (`run_custom_http` is the same for a
  caller without an event loop).

Anything else that calls out (webhook deliveries) uses `AsyncOutbound(policy)`
and `await outbound.send(method=..., url=..., headers=..., content=...,
timeout=...) -> Outcome`: the same guarded connection path (one SSRF guard,
`transport.GuardedBackend`), a shared connection pool, a total timeout per call.

`OutboundPolicy.from_env()` gives the operator's limits and allow-list.
"""

from threada.outbound.client import (
    USER_AGENT,
    AsyncOutbound,
    Outcome,
    run_custom_http,
    run_custom_http_async,
)
from threada.outbound.policy import METADATA_ADDRESSES, OutboundPolicy, parse_allow_list
from threada.outbound.transport import BlockedByPolicy, resolve_host
from threada.outbound.validation import (
    METHODS,
    build_target_url,
    validate_base_url,
    validate_custom_http,
)

__all__ = [
    "AsyncOutbound",
    "METADATA_ADDRESSES",
    "METHODS",
    "USER_AGENT",
    "BlockedByPolicy",
    "OutboundPolicy",
    "Outcome",
    "build_target_url",
    "parse_allow_list",
    "resolve_host",
    "run_custom_http",
    "run_custom_http_async",
    "validate_base_url",
    "validate_custom_http",
]
