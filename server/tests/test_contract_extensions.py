"""threada.contract_extensions: Deprecation/Sunset headers from the spec, media-type aliases."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from threada import contract_extensions as ext
from threada.app import create_app
from threada.domain import auth

from server.tests.apihelpers import BASE

BUNDLE_JSON = Path(__file__).resolve().parents[2] / "openapi" / "dist" / "openapi.json"
DEPRECATED_AT = "2026-12-01T00:00:00Z"
SUNSET = "2027-06-30T00:00:00Z"


@pytest.fixture(scope="module")
def deprecated_app(tmp_path_factory):
    """The app factory serving a variant of the bundle where getTicket is deprecated."""
    tmp = tmp_path_factory.mktemp("deprecated")
    doc = json.loads(BUNDLE_JSON.read_text())
    op = doc["paths"]["/tickets/{ticket_id}"]["get"]
    op.update({"deprecated": True, "x-deprecated-at": DEPRECATED_AT, "x-sunset": SUNSET})
    spec = tmp / "openapi.json"
    spec.write_text(json.dumps(doc))
    app = create_app(
        {
            "database_url": f"sqlite:///{tmp / 'd.sqlite3'}",
            "var_dir": str(tmp),
            "secret_key": "x" + uuid.uuid4().hex,
            "spec_path": str(spec),
        }
    )
    db = app.threada_services.db
    tenant = auth.create_tenant(db, name="deprecations")
    _, key = auth.create_key(db, tenant=tenant["tenant_id"], name="k", scopes=list(auth.SCOPES))
    with app.test_client() as client:
        yield client, {"X-Api-Key": key}


def test_a_deprecated_operation_answers_deprecation_and_sunset(deprecated_app):
    client, headers = deprecated_app
    for r in (
        client.get(f"{BASE}/tickets/tkt_01JKQ3V9X8M2D4R7T5W6Y8Z0AB", headers=headers),  # 404
        client.get(f"{BASE}/tickets/tkt_01JKQ3V9X8M2D4R7T5W6Y8Z0AB"),  # 401, no key
    ):
        since = dt.datetime.fromisoformat(DEPRECATED_AT.replace("Z", "+00:00"))
        assert r.headers["deprecation"] == f"@{int(since.timestamp())}", r.status_code
        sunset = parsedate_to_datetime(r.headers["sunset"])
        assert sunset == dt.datetime(2027, 6, 30, tzinfo=dt.UTC)
        assert r.headers["sunset"].endswith(" GMT")


def test_other_operations_carry_no_deprecation(deprecated_app):
    client, headers = deprecated_app
    r = client.get(f"{BASE}/tickets", headers=headers)
    assert r.status_code == 200
    assert "deprecation" not in r.headers and "sunset" not in r.headers


def test_the_released_spec_deprecates_nothing_without_its_dates():
    doc = json.loads(BUNDLE_JSON.read_text())
    for item in doc["paths"].values():
        for method in ext.HTTP_METHODS:
            if method in item:
                ext.deprecation_headers(item[method])  # raises when a date is missing


def test_deprecated_without_a_date_is_refused():
    with pytest.raises(ValueError, match="x-deprecated-at"):
        ext.deprecation_headers({"operationId": "x", "deprecated": True})


def test_aliases_copy_the_documented_media_type():
    doc = {
        "paths": {
            "/t": {
                "patch": {
                    "requestBody": {
                        "content": {
                            "application/merge-patch+json": {
                                "x-also-accepts": ["application/json"],
                                "schema": {"type": "object"},
                            }
                        }
                    }
                }
            }
        }
    }
    content = ext.add_accepted_aliases(doc)["paths"]["/t"]["patch"]["requestBody"]["content"]
    assert content["application/json"] == {"schema": {"type": "object"}}


def test_patch_is_accepted_in_both_media_types(client, tenant):
    created = client.post(
        f"{BASE}/tickets",
        json={
            "subject": "s",
            "channel": "email",
            "contact": {"email": "a@example.com"},
            "initial_message": {"role": "user", "content": "hi"},
        },
        headers=tenant.h(),
    )
    ticket_id = created.json()["ticket"]["summary"]["ticket_id"]
    for media, priority in (("application/merge-patch+json", "high"), ("application/json", "low")):
        r = client.patch(
            f"{BASE}/tickets/{ticket_id}",
            content=json.dumps({"priority": priority}),
            headers=tenant.h(**{"Content-Type": media}),
        )
        assert r.status_code == 200, r.text
        assert r.json()["ticket"]["summary"]["priority"] == priority
