"""JSON Schema 2020-12 validators over the spec, built once at start.

The server's own validators (`threada.validation.Validator`: `jsonschema` with
ECMA-262 patterns and `email-validator` for `format: email`; and its verdict sped
up by `fast_check_for`, as the server's body validator does), so the mock
accepts and refuses exactly what the server does. It sees the whole
document, so `#/components/...` refs resolve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from threada.validation import fast_check_for, validator_for

from .spec import absolutize_refs

SPEC_URI = "urn:threada-mock:spec"

#: One error: (instance path as a list, message).
Problem = tuple[list[str | int], str]
Check = Callable[[Any], list[Problem]]


class ValidatorFactory:
    """Builds `check(instance) -> [problems]` functions for schemas of one document."""

    backend = "threada.validation"

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        resource = Resource.from_contents(doc, default_specification=DRAFT202012)
        self._registry = Registry().with_resource(SPEC_URI, resource)

    def check(self, schema: Any) -> Check:
        """A checker for `schema`, a node of the document (its refs are `#/...`)."""
        schema = absolutize_refs(schema, SPEC_URI)
        if isinstance(schema, bool):
            schema = {} if schema else {"not": {}}
        validator = validator_for(schema, registry=self._registry)
        # jsonschema-rs's verdict first (the same as the validator's, ten times sooner:
        # threada.validation.fast_check_for), built on first use so that start-up does not
        # pay for schemas no request reaches; the errors, when there are any, from jsonschema.
        fast: list[Callable[[Any], bool]] = []

        def check(instance: Any) -> list[Problem]:
            if not fast:
                found = fast_check_for(schema, resources=[(SPEC_URI, self.doc)])
                fast.append(found if found is not None else validator.is_valid)
            if fast[0](instance):
                return []
            return [(list(e.absolute_path), e.message) for e in validator.iter_errors(instance)]

        return check
