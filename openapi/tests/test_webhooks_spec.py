"""The spec's `webhooks` section: the four events, a shared envelope, examples valid 2020-12."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

BUNDLE = Path(__file__).resolve().parents[1] / "dist" / "openapi.json"
EVENTS = ("ticket.created", "ticket.updated", "message.created", "action.completed")


def _document() -> dict:
    return json.loads(BUNDLE.read_text())


def test_each_event_has_a_schema_on_the_shared_envelope_and_a_valid_example():
    doc = _document()
    assert tuple(doc["webhooks"]) == EVENTS
    envelope = doc["components"]["schemas"]["WebhookEvent"]
    assert envelope["required"] == ["id", "type", "created_at", "tenant_id", "data"]
    for name in EVENTS:
        op = doc["webhooks"][name]["post"]
        media = op["requestBody"]["content"]["application/json"]
        headers = {p["$ref"].rsplit("/", 1)[1] for p in op["parameters"]}
        assert headers == {"WebhookId", "WebhookTimestamp", "WebhookSignature"}
        validator = Draft202012Validator(
            {**media["schema"], "components": doc["components"]},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        [example] = media["examples"].values()
        value = doc["components"]["examples"][example["$ref"].rsplit("/", 1)[1]]["value"]
        assert value["type"] == name
        assert not list(validator.iter_errors(value)), name
        # The event types are exclusive: another type's `type` fails this schema.
        other = {**value, "type": next(e for e in EVENTS if e != name)}
        assert list(validator.iter_errors(other)), name
        # ... and the envelope is closed (unevaluatedProperties: false).
        assert list(validator.iter_errors({**value, "extra": 1})), name


def test_retry_schedule_and_verification_are_documented():
    doc = _document()
    tag = next(t for t in doc["tags"] if t["name"] == "Webhooks")["description"]
    for text in ("5 s", "22 h 45 min", "at least 24 hours", "standardwebhooks", "verify"):
        assert text in tag, text
    assert "support.webhooks" in doc["info"]["description"]
