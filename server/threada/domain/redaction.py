"""Credentials in an action's payload are write-only: stored for the call, never answered."""

from __future__ import annotations

from typing import Any

REDACTED = "[redacted]"
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_SECRET_WORDS = ("token", "secret", "key", "signature", "password")


def is_secret_header(name: str) -> bool:
    """Whether a header's value is a credential: Authorization, Proxy-Authorization, Cookie,
    or a name holding token, secret, key, signature or password (any case)."""
    lower = name.lower()
    return lower in _SECRET_HEADERS or any(word in lower for word in _SECRET_WORDS)


def redacted(payload: Any) -> Any:
    """The payload as clients see it: credential header values are write-only."""
    headers = payload.get("headers") if isinstance(payload, dict) else None
    if not isinstance(headers, dict) or not any(is_secret_header(n) for n in headers):
        return payload
    shown = {n: REDACTED if is_secret_header(n) else v for n, v in headers.items()}
    return {**payload, "headers": shown}
