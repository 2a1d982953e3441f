"""JSON Schema 2020-12 validators over the spec, built once at start.

Uses `jsonschema_rs` (Rust, fast) when it is installed and `jsonschema`
otherwise; both see the whole document, so `#/components/...` refs resolve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .spec import absolutize_refs

SPEC_URI = "urn:threada-mock:spec"

#: One error: (instance path as a list, message).
Problem = tuple[list[str | int], str]
Check = Callable[[Any], list[Problem]]


class ValidatorFactory:
    """Builds `check(instance) -> [problems]` functions for schemas of one document."""

    def __init__(self, doc: dict[str, Any], *, prefer_rust: bool = True) -> None:
        self.doc = doc
        self.backend = "jsonschema"
        self._rs: Any = None
        if prefer_rust:
            rs: Any
            try:
                import jsonschema_rs as rs
            except ImportError:  # optional accelerator
                rs = None
            if rs is not None:
                self._rs = rs
                self._rs_registry = rs.Registry([(SPEC_URI, doc)])
                self.backend = "jsonschema_rs"
        if self._rs is None:
            import jsonschema
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012

            self._js = jsonschema
            resource = Resource.from_contents(doc, default_specification=DRAFT202012)
            self._js_registry = Registry().with_resource(SPEC_URI, resource)

    def check(self, schema: Any) -> Check:
        """A checker for `schema`, a node of the document (its refs are `#/...`)."""
        schema = absolutize_refs(schema, SPEC_URI)
        if isinstance(schema, bool):
            schema = {} if schema else {"not": {}}
        if self._rs is not None:
            v = self._rs.Draft202012Validator(
                schema, registry=self._rs_registry, validate_formats=True
            )

            def check_rs(instance: Any) -> list[Problem]:
                if v.is_valid(instance):
                    return []
                return [(list(e.instance_path), e.message) for e in v.iter_errors(instance)]

            return check_rs

        js = self._js
        jv = js.Draft202012Validator(
            schema,
            registry=self._js_registry,
            format_checker=js.Draft202012Validator.FORMAT_CHECKER,
        )

        def check_js(instance: Any) -> list[Problem]:
            if jv.is_valid(instance):
                return []
            return [(list(e.absolute_path), e.message) for e in jv.iter_errors(instance)]

        return check_js
