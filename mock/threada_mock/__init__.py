"""Spec-driven mock server for the Threada public API.

Everything it serves is read from the bundled OpenAPI 3.1 document: paths,
examples, headers, scopes and error types. It judges requests and changes its
stateful store with the server's own code (`threada_mock.checks`,
`threada_mock.state`). See `threada_mock.cli.build_app`.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
