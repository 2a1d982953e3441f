"""The spec, as Connexion 3.3 must see it: OpenAPI 3.1, validated with JSON Schema 2020-12.

Connexion 3.3 knows OpenAPI 3.0 only, in two places, and this module adapts
exactly those two, without rewriting the document:

1. The document check. Connexion validates a spec against its bundled 3.0
   meta-schema and refuses `openapi: 3.1.0`. `install_31_document_check()`
   replaces that check, for 3.1 documents only, with openapi-spec-validator's
   OpenAPI 3.1 validation (3.0 documents keep Connexion's own check).
2. Request validation. Connexion's validators are JSON Schema Draft 4, which
   ignores or misreads 2020-12 keywords (`const`, numeric
   `exclusiveMinimum`, `prefixItems`...). `VALIDATOR_MAP` gives Connexion
   (through `add_api(validator_map=...)`) validators with the same interface
   that use `Draft202012Validator`, compiled once per schema rather than per
   request, and that report errors as the product's `InvalidRequest` with
   `details` (`body.contact.email`: why).

The body validator also enforces the body size limit (413) and parses bodies
with `threada.validation.parse_json` (strict UTF-8 and JSON, no duplicate
members, bounded numbers and depth: 400), which Connexion would turn into 500s.
Every string, in the body and in every parameter, must be text without NUL or
lone surrogates (`threada.validation.text_problems`). Patterns are ECMA-262 and
`format: email` is checked (`threada.validation.Validator`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
import typing as t
from pathlib import Path

import yaml
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.spec import OpenAPISpecification, Specification
from connexion.validators import VALIDATOR_MAP as CONNEXION_VALIDATORS
from connexion.validators import JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator import validate as validate_spec

from threada import contract_extensions
from threada.domain.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from threada.validation import (
    BadInput,
    fast_check_for,
    parse_json,
    text_problems,
    validator_for,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BUNDLE = REPO_ROOT / "openapi" / "dist" / "openapi.yaml"

_REQUIRED = re.compile(r"^'(.+)' is a required property$")


# --- loading and the document check ----------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_spec(path: Path | None = None) -> dict:
    """The bundle as a dict (a fresh deep copy each call: Connexion mutates what it gets)."""
    path = Path(path or DEFAULT_BUNDLE)
    spec = _load(str(path), path.stat().st_mtime_ns)
    validate_openapi_31(spec)
    return contract_extensions.add_accepted_aliases(json.loads(json.dumps(spec)))


_validated: set[str] = set()
_validated_lock = threading.Lock()


def validate_openapi_31(spec: t.Mapping) -> None:
    """Validate a document as OpenAPI 3.1 (openapi-spec-validator); memoized by content."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()
    with _validated_lock:
        if digest in _validated:
            return
    validate_spec(dict(spec), cls=OpenAPIV31SpecValidator)
    with _validated_lock:
        _validated.add(digest)


# Connexion's own check, defined on the base class; kept for 3.0 documents.
_original_check = Specification.__dict__["_validate_spec"]


def _validate_spec(cls: type, spec: dict) -> None:
    if str(spec.get("openapi", "")).startswith("3.1"):
        validate_openapi_31(spec)
    else:
        _original_check.__func__(cls, spec)


def install_31_document_check() -> None:
    """Let Connexion accept OpenAPI 3.1 documents, validated as 3.1. Idempotent."""
    # Connexion logs a warning on every request to an operation with two request
    # media types (PATCH: merge-patch+json and json); it is noise, and costs.
    logging.getLogger("connexion.operations.openapi3").setLevel(logging.ERROR)
    OpenAPISpecification._validate_spec = classmethod(_validate_spec)  # type: ignore[method-assign,assignment]


# --- 2020-12 request validators --------------------------------------------------------------


_compiled: dict[int, tuple[t.Any, Draft202012Validator]] = {}
_compiled_lock = threading.Lock()


def _once(cache: dict[int, tuple[t.Any, t.Any]], schema: t.Any, build: t.Callable) -> t.Any:
    """`build(schema)`, once per schema object (keyed by id, the schema held so that its id
    is not reused), in a bounded cache."""
    key = id(schema)
    hit = cache.get(key)
    if hit is not None and hit[0] is schema:
        return hit[1]
    built = build(schema)
    with _compiled_lock:
        if len(cache) > 10_000:  # a bound, should a caller ever pass fresh dicts
            cache.clear()
        cache[key] = (schema, built)
    return built


def compiled(schema: dict) -> Draft202012Validator:
    """A 2020-12 validator for a schema dict, built once per schema object."""
    return _once(_compiled, schema, validator_for)


_fast: dict[int, tuple[t.Any, t.Callable[[t.Any], bool] | None]] = {}


def fast_check(schema: dict) -> t.Callable[[t.Any], bool] | None:
    """`validation.fast_check_for(schema)`, built once per schema object: its yes means
    valid; on its no, `compiled(schema)` finds the errors."""
    return _once(_fast, schema, fast_check_for)


def _where(prefix: str, error: ValidationError) -> str:
    parts = [prefix, *(str(p) for p in error.absolute_path)]
    if error.validator == "required":
        # Name the missing member itself: body.contact, not body.
        missing = _REQUIRED.match(error.message)
        if missing:
            parts.append(missing.group(1))
    return ".".join(parts)


def _reason(error: ValidationError) -> str:
    message = error.message
    return message if len(message) <= 300 else message[:297] + "..."


def schema_errors(validator: Draft202012Validator, instance: t.Any, prefix: str) -> list[dict]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [{"field": _where(prefix, e), "reason": _reason(e)} for e in errors[:10]]


def _invalid(details: list[dict]) -> InvalidRequest:
    first = details[0]
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return InvalidRequest(f"{first['field']}: {first['reason']}{more}", details=details)


class JSONBody2020Validator(JSONRequestBodyValidator):
    """JSON request bodies: size limit, strict UTF-8, JSON, then JSON Schema 2020-12."""

    max_body_bytes = 256 * 1024

    async def wrap_receive(self, receive: t.Any, *, scope: t.Any) -> t.Any:
        names = {name for name, _ in scope.get("headers", ())}
        length = dict(scope.get("headers", ())).get(b"content-length", b"")
        no_body = b"transfer-encoding" not in names and length.strip() in (b"", b"0")
        if not no_body and b"content-type" not in names:
            # Connexion would take the first declared media type and hand the handler raw
            # bytes (a 500); a body must say what it is.
            raise UnsupportedMediaType(
                "A request body needs a Content-Type header: send application/json."
            )
        if no_body:
            if self._required:
                raise InvalidRequest(
                    "A JSON request body is required.",
                    details=[{"field": "body", "reason": "missing or empty"}],
                )
            return await super().wrap_receive(receive, scope=scope)
        # Connexion's own version takes a body without Content-Length (chunked) for a
        # missing one; this reads whatever arrives. A chunked body is handed on with a
        # Content-Length, since the WSGI side reads nothing without one.
        messages: list = []

        async def stream() -> t.AsyncGenerator[bytes, None]:
            more_body = True
            while more_body:
                message = await receive()
                messages.append(message)
                more_body = message.get("more_body", False)
                yield message.get("body", b"")

        body = await self._parse(stream(), scope=scope)
        if not (body is None and self._nullable):
            self._validate(body)
        if length.strip():
            return self._insert_messages(receive, messages=messages), scope
        scope = {
            **scope,
            "headers": [(k, v) for k, v in scope["headers"] if k != b"transfer-encoding"],
        }
        return self._insert_body(receive, body=body, scope=scope)

    async def _parse(self, stream: t.AsyncGenerator[bytes, None], scope: t.Any) -> t.Any:
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body_bytes:
                raise _too_large(self.max_body_bytes)
        chunks: list[bytes] = []
        size = 0
        async for chunk in stream:
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _too_large(self.max_body_bytes)
            chunks.append(chunk)
        raw = b"".join(chunks)
        if not raw:
            return None
        try:
            return parse_json(raw)
        except BadInput as exc:
            raise _invalid([{"field": exc.field, "reason": exc.reason}]) from None

    def _validate(self, body: t.Any) -> dict | None:
        if body is None:
            raise InvalidRequest(
                "A JSON request body is required.",
                details=[{"field": "body", "reason": "missing or empty"}],
            )
        check = fast_check(self._schema)
        if check is not None and check(body):
            return None
        details = schema_errors(compiled(self._schema), body, "body")
        if details:
            raise _invalid(details)
        return None


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {limit} bytes.")


# Parameter values already found valid, per schema (the spec's schema dicts live as long as
# the app). Filters repeat a handful of values (`status=open`, `channel=email`), and running
# the JSON Schema validator for each was about a tenth of a filtered list request's CPU.
_VALID_PARAMETERS: set[tuple[int, t.Hashable]] = set()
_SCALARS = (str, int, float, bool)


def _value_key(value: t.Any) -> t.Hashable | None:
    """A key for `value` that keeps 1, 1.0, True and "1" apart; None if not a simple value."""
    if isinstance(value, _SCALARS):
        return (type(value).__name__, value)
    if isinstance(value, list) and len(value) <= 8 and all(isinstance(v, str) for v in value):
        return ("list", tuple(value))
    return None


class Parameter2020Validator(ParameterValidator):
    """Query, path and header parameters against their schemas, JSON Schema 2020-12."""

    @staticmethod
    def validate_parameter(parameter_type, value, param, param_name=None):  # noqa: ARG004
        if value is not None:
            bad = text_problems(value, "")
            if bad:
                return bad[0][1]
            schema = param.get("schema", param)
            key = _value_key(value)
            if key is not None and (id(schema), key) in _VALID_PARAMETERS:
                return None
            check = fast_check(schema)
            if check is None or not check(value):
                errors = list(compiled(schema).iter_errors(value))
                if errors:
                    return _reason(errors[0])
            if key is not None:
                if len(_VALID_PARAMETERS) > 4096:
                    _VALID_PARAMETERS.clear()
                _VALID_PARAMETERS.add((id(schema), key))
            return None
        if param.get("required"):
            return "is required"
        return None

    def validate_request(self, request: t.Any) -> None:
        if self.strict_validation:
            extra = self.validate_query_parameter_list(
                request, security_params=self.security_query_params
            )
            if extra:
                raise _invalid(
                    [{"field": f"query.{name}", "reason": "unknown parameter"} for name in extra]
                )
        details = []
        checks = (
            ("query", self.validate_query_parameter),
            ("path", self.validate_path_parameter),
            ("header", self.validate_header_parameter),
            ("cookie", self.validate_cookie_parameter),
        )
        for where, check in checks:
            for param in self.parameters.get(where, []):
                try:
                    error = check(param, request)
                except BadRequestProblem as exc:
                    error = str(exc.detail)
                if error:
                    details.append({"field": f"{where}.{param['name']}", "reason": error})
        if details:
            raise _invalid(details)


def validator_map(*, max_body_bytes: int) -> dict:
    """Connexion's validator map with the JSON body and parameter validators replaced."""
    body_cls = type(
        "JSONBody2020Validator", (JSONBody2020Validator,), {"max_body_bytes": max_body_bytes}
    )
    body = MediaTypeDict(dict(CONNEXION_VALIDATORS["body"]))
    body["*/*json"] = body_cls
    return {"parameter": Parameter2020Validator, "body": body}
