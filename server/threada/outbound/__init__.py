"""Outbound side of actions: check, join and send a tenant's custom_http call.

The actions domain calls, in order:

- `validate_base_url(url) -> str` when an admin sets `actions_base_url`;
- `validate_custom_http(payload)` when an action is requested (a bad
  payload raises `InvalidRequest`, nothing is recorded or sent);
- `run_custom_http(base_url=..., method=..., path=..., headers=...,
  body_json=..., policy=..., action_id=...) -> Outcome`, which never raises
  for what the target does.

`OutboundPolicy.from_env()` gives the operator's limits and allow-list.
"""

from threada.outbound.client import USER_AGENT, Outcome, run_custom_http
from threada.outbound.policy import METADATA_ADDRESSES, OutboundPolicy, parse_allow_list
from threada.outbound.transport import BlockedByPolicy, resolve_host
from threada.outbound.validation import (
    METHODS,
    build_target_url,
    validate_base_url,
    validate_custom_http,
)

__all__ = [
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
    "validate_base_url",
    "validate_custom_http",
]
