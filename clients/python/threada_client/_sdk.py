"""The hand-written layer over the generated client (see the package docstring)."""

from __future__ import annotations

import email.utils
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx

from threada_client.generated import AuthenticatedClient
from threada_client.generated.api.actions import get_action, list_actions, run_action
from threada_client.generated.api.messages import add_message, list_messages
from threada_client.generated.api.tickets import (
    create_ticket,
    get_ticket,
    list_tickets,
    update_ticket,
)
from threada_client.generated.models import (
    Action,
    ActionCreate,
    ActionEnvelope,
    Channel,
    Message,
    MessageCreate,
    MessageEnvelope,
    TicketCreate,
    TicketEnvelope,
    TicketPatch,
    TicketPriority,
    TicketStatus,
    TicketSummary,
)
from threada_client.generated.types import UNSET, Response

# The spec's first server (servers[0].url); `make clients` keeps it in step.
DEFAULT_BASE_URL = "https://api.threada.ai/api/v1/public"
# Retried only where repeating cannot do a thing twice: safe methods, and POSTs,
# which always carry an Idempotency-Key (the server replays the first answer).
RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({429, 503})

T = TypeVar("T")


class ThreadaError(Exception):
    """An error answer of the API: its envelope `{"error": {type, message, code, ...}}`."""

    def __init__(
        self,
        *,
        type: str,  # noqa: A002 - the envelope's name
        message: str,
        code: int,
        request_id: str | None = None,
        details: list[dict[str, str]] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{code} {type}: {message}")
        self.type = type
        self.message = message
        self.code = code
        self.request_id = request_id
        self.details = details or []
        self.retry_after = retry_after

    @classmethod
    def from_response(cls, status: int, content: bytes, headers: Mapping[str, str]) -> ThreadaError:
        try:
            error = json.loads(content)["error"]
            return cls(
                type=error["type"],
                message=error["message"],
                code=error["code"],
                request_id=error.get("request_id") or headers.get("x-request-id"),
                details=error.get("details"),
                retry_after=_retry_after(headers),
            )
        except (ValueError, KeyError, TypeError):
            # Not the envelope (a proxy's page, say): still a typed error.
            return cls(
                type="unexpected_response",
                message=content[:200].decode("utf-8", "replace"),
                code=status,
                request_id=headers.get("x-request-id"),
            )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)  # an HTTP-date
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RetryTransport(httpx.BaseTransport):
    """Adds an Idempotency-Key to each POST that has none (the same one on its retries),
    and retries 429 (after Retry-After), 503 and connection errors with exponential
    backoff, for retryable requests only."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        *,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 60.0,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "idempotency-key" not in request.headers:
            request.headers["Idempotency-Key"] = str(uuid.uuid4())
        retryable = request.method in RETRYABLE_METHODS or "idempotency-key" in request.headers
        attempt = 0
        while True:
            wait = self.backoff * 2**attempt
            try:
                response = self.inner.handle_request(request)
            except httpx.TransportError:
                if not retryable or attempt >= self.max_retries:
                    raise
            else:
                if (
                    response.status_code not in RETRYABLE_STATUSES
                    or not retryable
                    or attempt >= self.max_retries
                ):
                    return response
                after = _retry_after(response.headers)
                if after is not None:
                    wait = after
                response.read()
                response.close()
            self.sleep(min(wait, self.max_wait))
            attempt += 1

    def close(self) -> None:
        self.inner.close()


def _ok(response: Response[Any], kind: type[T]) -> T:
    if isinstance(response.parsed, kind) and response.status_code < 400:
        return response.parsed
    raise ThreadaError.from_response(
        int(response.status_code), response.content, dict(response.headers)
    )


def _model(kind: Any, value: Any) -> Any:
    return kind.from_dict(value) if isinstance(value, Mapping) else value


class _Resource:
    def __init__(self, client: AuthenticatedClient) -> None:
        self._client = client


_ENUM_FILTERS = {"status": TicketStatus, "channel": Channel, "priority": TicketPriority}


class Tickets(_Resource):
    def list(self, **filters: Any) -> Any:
        """One page: `TicketList` (items, next_page_token). Filters as in the spec;
        `status`, `channel` and `priority` take lists of enum members or plain strings."""
        from threada_client.generated.models import TicketList

        for name, kind in _ENUM_FILTERS.items():
            if name in filters:
                filters[name] = [kind(v) for v in filters[name]]
        return _ok(list_tickets.sync_detailed(client=self._client, **filters), TicketList)

    def iterate(self, **filters: Any) -> Iterator[TicketSummary]:
        """Every ticket matching the filters, page after page."""
        return _pages(self.list, filters)

    def create(
        self, body: TicketCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> TicketEnvelope:
        return _ok(
            create_ticket.sync_detailed(
                client=self._client,
                body=_model(TicketCreate, body),
                idempotency_key=idempotency_key or UNSET,
            ),
            TicketEnvelope,
        )

    def get(self, ticket_id: str) -> TicketEnvelope:
        return _ok(get_ticket.sync_detailed(ticket_id, client=self._client), TicketEnvelope)

    def update(self, ticket_id: str, patch: TicketPatch | Mapping[str, Any]) -> TicketEnvelope:
        return _ok(
            update_ticket.sync_detailed(
                ticket_id, client=self._client, body=_model(TicketPatch, patch)
            ),
            TicketEnvelope,
        )


class Messages(_Resource):
    def list(self, ticket_id: str, **params: Any) -> Any:
        from threada_client.generated.models import MessageList

        return _ok(
            list_messages.sync_detailed(ticket_id, client=self._client, **params), MessageList
        )

    def iterate(self, ticket_id: str, **params: Any) -> Iterator[Message]:
        return _pages(lambda **p: self.list(ticket_id, **p), params)

    def add(
        self,
        ticket_id: str,
        body: MessageCreate | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> MessageEnvelope:
        return _ok(
            add_message.sync_detailed(
                ticket_id,
                client=self._client,
                body=_model(MessageCreate, body),
                idempotency_key=idempotency_key or UNSET,
            ),
            MessageEnvelope,
        )


class Actions(_Resource):
    def list(self, ticket_id: str, **params: Any) -> Any:
        from threada_client.generated.models import ActionList

        return _ok(list_actions.sync_detailed(ticket_id, client=self._client, **params), ActionList)

    def iterate(self, ticket_id: str, **params: Any) -> Iterator[Action]:
        return _pages(lambda **p: self.list(ticket_id, **p), params)

    def run(
        self,
        ticket_id: str,
        body: ActionCreate | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> ActionEnvelope:
        return _ok(
            run_action.sync_detailed(
                ticket_id,
                client=self._client,
                body=_model(ActionCreate, body),
                idempotency_key=idempotency_key or UNSET,
            ),
            ActionEnvelope,
        )

    def get(self, ticket_id: str, action_id: str) -> ActionEnvelope:
        return _ok(
            get_action.sync_detailed(ticket_id, action_id, client=self._client), ActionEnvelope
        )


def _pages(fetch: Callable[..., Any], params: dict[str, Any]) -> Iterator[Any]:
    params = dict(params)
    while True:
        page = fetch(**params)
        yield from page.items
        token = page.next_page_token
        if not token:
            return
        params["page_token"] = token


class Threada:
    """The Threada API: `tickets`, `messages` and `actions`.

    `api_key` is sent as `X-Api-Key` on every request. `base_url` defaults to
    the production server. `max_retries`, `backoff` (seconds, doubled each
    try) and `sleep` tune the retries; `headers` are added to every request.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        max_retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 30.0,
        sleep: Callable[[float], Any] = time.sleep,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retry = RetryTransport(
            transport, max_retries=max_retries, backoff=backoff, sleep=sleep
        )
        self.generated = AuthenticatedClient(
            base_url=base_url.rstrip("/"),
            token=api_key,
            auth_header_name="X-Api-Key",
            prefix="",
            headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout),
            httpx_args={"transport": self.retry},
        )
        self.tickets = Tickets(self.generated)
        self.messages = Messages(self.generated)
        self.actions = Actions(self.generated)

    def close(self) -> None:
        self.generated.get_httpx_client().close()

    def __enter__(self) -> Threada:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
