"""The server's own request checks, run on the mock's requests.

Not a copy of the server's rules: the very classes the server hands Connexion
(`threada.spec.validator_map`: `Parameter2020Validator`, `JSONBody2020Validator`),
fed the same resolved parameter and schema definitions and Connexion's own
URI parser (`OpenAPIURIParser`) to coerce query and path values. So a bad
request gets the same `400 invalid_request` (or `413 payload_too_large`) with
the same `details[].field` paths on both, the body size limit is the same
setting, and a change to the server's validation (ECMA-262 patterns, email
format, strict JSON parsing) reaches the mock with no change here.

Parameter verdicts are memoized per operation and raw request values: the
hot path (`GET /tickets?limit=25` again and again) is then one dict lookup.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.lifecycle import ConnexionRequest
from connexion.uri_parsing import OpenAPIURIParser
from threada import spec as server_spec

_CACHE_LIMIT = 10_000


class OperationChecks:
    """Parameter and body checks of one operation, as the server's validation middleware
    runs them (parameters first, then the body)."""

    def __init__(
        self,
        parameters: list[dict[str, Any]],
        body: dict[str, Any] | None,
        *,
        max_body: int,
    ) -> None:
        self.parameters = parameters
        self.body = body  # the requestBody, refs inlined
        validators = server_spec.validator_map(max_body_bytes=max_body)
        self.uri_parser = OpenAPIURIParser(parameters, {})
        self.param_validator = validators["parameter"](
            parameters, uri_parser=self.uri_parser, strict_validation=False
        )
        self.body_validators: MediaTypeDict = validators["body"]
        self.header_names = [p["name"].lower() for p in parameters if p["in"] == "header"]
        self._cache: dict[tuple[Any, ...], dict[str, Any]] = {}

    def params(
        self,
        scope: dict[str, Any],
        path_params: dict[str, str],
        defaults: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Coerced path, query and header values, with `defaults` for those not sent;
        raises the server's InvalidRequest. The values are shared between requests with
        the same raw values: read them, do not change them."""
        wanted = self.header_names
        header_values = (
            tuple(v for k, v in scope["headers"] if k.decode("latin-1") in wanted) if wanted else ()
        )
        key = (scope.get("query_string") or b"", *path_params.values(), *header_values)
        hit = self._cache.get(key)
        if hit is None:
            request = ConnexionRequest(
                {**scope, "path_params": path_params}, uri_parser=self.uri_parser
            )
            self.param_validator.validate_request(request)
            hit = {**copy.deepcopy(defaults or {}), **request.query_params, **request.path_params}
            for p in self.parameters:
                if p["in"] == "header" and request.headers.get(p["name"]) is not None:
                    hit[p["name"]] = request.headers[p["name"]]
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = hit
        return dict(hit)

    async def read_body(self, scope: dict[str, Any], receive: Any, media: str) -> Any:
        """The parsed JSON body, after the server's body validator has passed it (size,
        UTF-8, JSON, schema); None without one. Other media types: the raw bytes."""
        assert self.body is not None
        content = self.body.get("content") or {}
        definition: dict[str, Any] = content.get(media) or next(
            (d for m, d in content.items() if m.lower() == media), {}
        )
        schema = definition.get("schema")
        try:
            validator_cls = self.body_validators[media]
        except KeyError:
            validator_cls = None
        if schema and validator_cls is not None:
            validator = validator_cls(
                schema=schema,
                required=bool(self.body.get("required", False)),
                nullable=False,
                encoding="utf-8",
                strict_validation=False,
                uri_parser=self.uri_parser,
            )
            receive, scope = await validator.wrap_receive(receive, scope=scope)
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        if validator_cls is None:
            return raw
        return json.loads(raw) if raw else None
