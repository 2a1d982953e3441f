"""Loaded by every Python the docs tests start (PYTHONPATH): report each httpx answer.

Writes `::status <code>` to stderr for every response httpx receives, so a test can
check the statuses a snippet got without changing the snippet.
"""

import sys

try:
    import httpx
except ImportError:  # pragma: no cover - a snippet that needs no httpx
    httpx = None

if httpx is not None:
    _send = httpx.Client.send

    def _reporting_send(self, request, **kwargs):
        response = _send(self, request, **kwargs)
        print(f"::status {response.status_code}", file=sys.stderr, flush=True)
        return response

    httpx.Client.send = _reporting_send
