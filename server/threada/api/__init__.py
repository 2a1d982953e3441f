"""Thin handlers, one module per resource, functions named by the spec's operationId."""
