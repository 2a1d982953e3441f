"""Typed domain errors.

The domain raises these; the web layer maps each one, in one place, to the
error envelope `{"error": {"type", "message", "code"}}` with `code` equal to
the HTTP status. `type` values are the spec's `ErrorType` enum.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: `type` and `status` name the envelope the client sees."""

    type: str = "internal_error"
    status: int = 500

    def __init__(self, message: str, *, details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(DomainError):
    type = "invalid_request"
    status = 400


class AuthenticationFailed(DomainError):
    type = "authentication_failed"
    status = 401


class PermissionDenied(DomainError):
    type = "permission_denied"
    status = 403


class NotFound(DomainError):
    type = "not_found"
    status = 404


class Conflict(DomainError):
    type = "conflict"
    status = 409


class IdempotencyConflict(DomainError):
    type = "idempotency_conflict"
    status = 409


class PayloadTooLarge(DomainError):
    type = "payload_too_large"
    status = 413


class RateLimited(DomainError):
    type = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int, quota: object = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        # The rate-limit state for the X-RateLimit-* headers, when the limiter knows it.
        self.quota = quota


class ServiceUnavailable(DomainError):
    """The database (or another dependency) did not answer within its bound: retry later."""

    type = "service_unavailable"
    status = 503

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
