"""The framework floor: Connexion 3 with a trivial handler, as the server is built.

One operation, `GET /tickets` with a `limit` query parameter and an apiKey
scheme whose key-info function accepts any key without touching a database;
the handler returns the spec's list example as a dict (serialized per request,
as a real handler's result is). What the server spends above this figure is
its own work; what this spends below the ceiling is Connexion's (middleware
stack, parameter validation, and for FlaskApp the a2wsgi thread hand-off).

    FLOOR_APP=flask|async uvicorn --factory bench.floor:create_app \
        --http threada.serving:CoalescingHttpToolsProtocol
"""

from __future__ import annotations

import json
import os

from bench.ceiling import BODY

EXAMPLE = json.loads(BODY)

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "floor", "version": "1"},
    "servers": [{"url": "/api/v1/public"}],
    "components": {
        "securitySchemes": {
            "ApiKeyAuth": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Api-Key",
                "x-apikeyInfoFunc": "bench.floor.key_info",
            }
        }
    },
    "security": [{"ApiKeyAuth": []}],
    "paths": {
        "/tickets": {
            "get": {
                "operationId": "bench.floor.list_tickets",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "a page",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        }
    },
}


def key_info(api_key, required_scopes=None):
    return {"sub": "bench"}


def list_tickets(limit: int = 25):
    return EXAMPLE


async def list_tickets_async(limit: int = 25):
    return EXAMPLE


def create_app():
    import connexion

    if os.environ.get("FLOOR_APP", "flask") == "async":
        spec = json.loads(json.dumps(SPEC))
        spec["paths"]["/tickets"]["get"]["operationId"] = "bench.floor.list_tickets_async"
        app = connexion.AsyncApp(__name__)
        app.add_api(spec)
    else:
        app = connexion.FlaskApp(__name__)
        app.add_api(SPEC)
    return app
