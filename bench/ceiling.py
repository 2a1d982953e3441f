"""The ceiling: bare Starlette on uvicorn returning a fixed JSON body.

The body is the spec's own `GET /tickets` example, serialized once at import,
so the bytes on the wire match what the mock and Prism send. Nothing a Python
ASGI service does per request can be cheaper than this on this machine.

    uvicorn bench.ceiling:app --no-access-log --http threada.serving:CoalescingHttpToolsProtocol
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BUNDLE = Path(__file__).resolve().parent.parent / "openapi" / "dist" / "openapi.json"


def _example_body() -> bytes:
    spec = json.loads(BUNDLE.read_text())
    content = spec["paths"]["/tickets"]["get"]["responses"]["200"]["content"]["application/json"]
    ref = next(iter(content["examples"].values()))["$ref"]
    example = spec["components"]["examples"][ref.rsplit("/", 1)[1]]["value"]
    return json.dumps(example, separators=(",", ":")).encode()


BODY = _example_body()


async def tickets(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/tickets", tickets)])
