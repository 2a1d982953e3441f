"""Helpers shared by the server's API tests."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import sqlalchemy as sa
from threada.storage.db import Database

BASE = "/api/v1/public"
ALL_SCOPES = ("support.read", "support.write", "support.actions")


@dataclasses.dataclass
class Tenant:
    tenant_id: str
    name: str
    keys: dict[str, str]  # label -> secret
    key_ids: dict[str, str]

    def h(self, label: str = "all", **extra: str) -> dict[str, str]:
        return {"X-Api-Key": self.keys[label], **extra}


def example_ticket(**overrides: Any) -> dict:
    """The product page's create-ticket request."""
    body = {
        "subject": "Refund request for order #48213",
        "priority": "normal",
        "channel": "email",
        "contact": {"name": "Priya Sharma", "email": "priya.sharma@example.com"},
        "tags": ["vip", "returns"],
        "initial_message": {
            "role": "user",
            "content": "Hi, I'd like a refund for order #48213. The jacket arrived torn.",
            "external_message_id": f"email-{uuid.uuid4().hex[:10]}",
        },
    }
    body.update(overrides)
    return body


def count_rows(db: Database, table: str, tenant_id: str) -> int:
    with db.read() as conn:
        return conn.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"),  # noqa: S608
            {"t": tenant_id},
        ).scalar_one()


def assert_error(response: Any, status: int, type_: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert err["code"] == status
    assert err["type"] == type_
    assert isinstance(err["message"], str) and err["message"]
    assert err["request_id"] == response.headers["x-request-id"]
    return err


class SpecResponseChecker:
    """Checks every response against the bundle: status documented, body valid under
    JSON Schema 2020-12, required headers present. (Connexion's own response validation
    is Draft 4 and runs inside the middleware that adds our headers, so tests use this.)"""

    def __init__(self, document: dict, base_path: str) -> None:
        import re

        from jsonschema import Draft202012Validator

        self._validator_cls = Draft202012Validator
        self.document = document
        self.routes = []
        for path, item in document["paths"].items():
            pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(base_path + path)) + "$"
            self.routes.append((re.compile(pattern), item))
        self._cache: dict = {}

    def _resolve(self, node: dict) -> dict:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def check(self, method: str, path: str, response: Any) -> None:
        item = next((i for p, i in self.routes if p.match(path)), None)
        if item is None or method.lower() not in item:
            return  # not an operation of the spec: checked by the envelope tests
        op = item[method.lower()]
        status = str(response.status_code)
        assert status in op["responses"], f"{method} {path}: undocumented status {status}"
        definition = self._resolve(op["responses"][status])
        for name, header in definition.get("headers", {}).items():
            if self._resolve(header).get("required"):
                assert name.lower() in response.headers, f"{method} {path} {status}: no {name}"
        content = definition.get("content", {})
        if content:
            media = response.headers.get("content-type", "").split(";")[0]
            assert media in content, f"{method} {path} {status}: undocumented type {media}"
            key = (method, path, status, media)
            schema = content[media]["schema"]
            validator = self._validator_cls(
                {**schema, "components": self.document["components"]},
                format_checker=self._validator_cls.FORMAT_CHECKER,
            )
            errors = list(validator.iter_errors(response.json()))
            assert not errors, f"{method} {path} {status}: {errors[0].message} at {key}"


class CheckedClient:
    """A test client whose every response is checked against the spec."""

    def __init__(self, client: Any, checker: SpecResponseChecker) -> None:
        self._client = client
        self._checker = checker

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self._client.request(method, url, **kwargs)
        self._checker.check(method, url.split("?")[0], response)
        return response

    def get(self, url: str, **kw: Any) -> Any:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.request("POST", url, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.request("PATCH", url, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.request("PUT", url, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.request("DELETE", url, **kw)
