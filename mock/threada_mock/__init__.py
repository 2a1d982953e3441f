"""Spec-driven mock server for the Threada public API.

Everything it serves is read from the bundled OpenAPI 3.1 document: paths,
examples, headers, scopes and error types. See `threada_mock.app.build_app`.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
