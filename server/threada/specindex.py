"""One index of the spec, built once at start: operations, methods, scopes, routes.

Security (which scopes an operation accepts), the middleware and the error mapping
(`Allow` on 405), and the resolver (which operations only read) all read this index
instead of walking the document themselves.
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclasses.dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str  # lower case, as in the spec
    path: str  # the spec's path template, without the base path
    # Alternative scope lists (any one of them suffices), from the security requirements.
    scopes: tuple[tuple[str, ...], ...]

    @property
    def reads_only(self) -> bool:
        return self.method in ("get", "head")


class SpecIndex:
    """Built from the bundle's document; immutable afterwards."""

    def __init__(self, document: dict) -> None:
        self.base_path = urlsplit(document["servers"][0]["url"]).path.rstrip("/")
        default_security = document.get("security", [])
        operations: dict[str, Operation] = {}
        routes: list[tuple[re.Pattern[str], str]] = []
        for path, item in document.get("paths", {}).items():
            methods = []
            for method, op in item.items():
                if method not in HTTP_METHODS or not isinstance(op, dict):
                    continue
                methods.append(method.upper())
                if "operationId" not in op:
                    continue
                requirements = op.get("security", default_security)
                operations[op["operationId"]] = Operation(
                    operation_id=op["operationId"],
                    method=method,
                    path=path,
                    scopes=tuple(
                        tuple(sorted({s for scopes in req.values() for s in scopes}))
                        for req in requirements
                    ),
                )
            if "GET" in methods and "HEAD" not in methods:
                methods.append("HEAD")
            pattern = re.escape(self.base_path + path)
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
            routes.append((re.compile(f"^{pattern}/?$"), ", ".join(sorted(methods))))
        self.operations = operations
        self._routes = routes

    def allow(self, path: str) -> str | None:
        """The `Allow` header's value for a request path (full, with the base path)."""
        for pattern, methods in self._routes:
            if pattern.match(path):
                return methods
        return None

    def scopes_text(self, operation_id: str | None, required: list[str] | None) -> str:
        """What an operation accepts, for a 403's message ("a or b and c")."""
        op = self.operations.get(operation_id or "")
        alternatives = [list(a) for a in op.scopes if a] if op else []
        if not alternatives:
            alternatives = [sorted(required or [])]
        return " or ".join(" and ".join(a) for a in alternatives if a)
