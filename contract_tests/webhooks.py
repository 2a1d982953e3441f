"""The contract of a webhook delivery: Standard Webhooks signature and the spec's payload.

`WebhookContract(document).problems(body, headers, secret)` lists what is wrong with one
delivered request, read from the spec alone: the three `webhook-*` headers present, the
signature valid for the endpoint's secret (checked with the `standardwebhooks` library,
as partners will), `webhook-id` equal to the payload's `id`, a JSON body, and the payload
valid (JSON Schema 2020-12) against the schema the spec's `webhooks` section gives for its
`type`. Any receiver can use it (`contract_tests.test_webhooks` does, on the server and
on the mock).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class WebhookContract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.validators: dict[str, Draft202012Validator] = {}
        for name, item in (document.get("webhooks") or {}).items():
            schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
            self.validators[name] = Draft202012Validator(
                {**schema, "components": document.get("components", {})},
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )

    def problems(self, body: bytes, headers: Mapping[str, str], secret: str) -> list[str]:
        found: list[str] = []
        lower = {k.lower(): v for k, v in headers.items()}
        missing = [h for h in HEADERS if not lower.get(h)]
        if missing:
            return [f"missing header(s) {', '.join(missing)}"]
        if not lower.get("content-type", "").startswith("application/json"):
            found.append(f"content-type is {lower.get('content-type')!r}, not application/json")
        try:
            Webhook(secret).verify(body, dict(lower), json_parse=False)
        except WebhookVerificationError as exc:
            found.append(f"signature: {exc}")
        try:
            event = json.loads(body)
        except ValueError:
            return [*found, "the body is not JSON"]
        if not isinstance(event, dict):
            return [*found, "the body is not a JSON object"]
        if event.get("id") != lower["webhook-id"]:
            found.append(f"webhook-id {lower['webhook-id']!r} is not the payload's id")
        validator = self.validators.get(event.get("type"))  # type: ignore[arg-type]
        if validator is None:
            return [*found, f"type {event.get('type')!r} is not an event of the spec"]
        for error in validator.iter_errors(event):
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            found.append(f"{event['type']} payload at {where}: {error.message}")
        return found
