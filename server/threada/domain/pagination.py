"""Opaque, signed keyset page tokens.

A token carries the position after which the next page starts, plus what it
is bound to: the tenant, the list it belongs to and its filters. It is
serialized and HMAC-signed with itsdangerous (Flask's own signing library)
under the server secret. Anything altered, or the token of another tenant, list
or filter set, is a 400.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from threada.domain.errors import InvalidRequest


class PageTokens:
    def __init__(self, secret: bytes) -> None:
        self._serializer = URLSafeSerializer(secret, salt="threada.page-token.v1")

    def encode(self, *, tenant_id: str, kind: str, filters: Any, position: list) -> str:
        return self._serializer.dumps(
            {"t": tenant_id, "k": kind, "f": _digest(filters), "p": position}
        )

    def decode(self, token: str, *, tenant_id: str, kind: str, filters: Any) -> list:
        try:
            data = self._serializer.loads(token)
        except BadSignature:
            raise _bad() from None
        if (
            not isinstance(data, dict)
            or data.get("t") != tenant_id
            or data.get("k") != kind
            or data.get("f") != _digest(filters)
            or not isinstance(data.get("p"), list)
        ):
            raise _bad()
        return data["p"]


def _digest(filters: Any) -> str:
    canonical = json.dumps(filters, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _bad() -> InvalidRequest:
    return InvalidRequest(
        "page_token is not valid for this request: pass the next_page_token of the previous "
        "page unchanged, with the same filters",
        details=[{"field": "page_token", "reason": "invalid or does not match the filters"}],
    )
