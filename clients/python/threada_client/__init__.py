"""Threada public API client for Python.

    from threada_client import Threada
    client = Threada(api_key="thr_live_...")            # base URL: the spec's server
    page = client.tickets.list(limit=25)                  # one page (TicketList)
    for ticket in client.tickets.iterate(status=["open"]):  # every page
        print(ticket.ticket_id, ticket.subject)

The models and the HTTP calls are generated from the bundled spec by
openapi-python-client (`threada_client.generated`, rebuilt by `make clients`);
this package adds the thin layer around them (`threada_client._sdk`): the key
set once, page iteration, Idempotency-Keys, retries and typed errors.
"""

from threada_client._sdk import DEFAULT_BASE_URL, Threada, ThreadaError
from threada_client.generated import models

__all__ = ["DEFAULT_BASE_URL", "Threada", "ThreadaError", "models"]
