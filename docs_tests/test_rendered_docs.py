"""The API reference as a partner sees it: rendered in headless Chromium.

Three pages: the static file `make docs` writes (opened from disk), and the
Redoc and Swagger UI pages the server serves. Each must show every operation
of the bundle, log no console error, fetch nothing from another host (the
browser cannot resolve any), and leave a screenshot in test-artifacts/docs/.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from docs_tests.browser import Browser, Page
from docs_tests.conftest import DocsServer, Operation

pytestmark = pytest.mark.chromium

LOCAL_SCHEMES = {"data", "blob", "file", "about"}


def assert_clean(page: Page, *, allowed_host: str | None = None) -> None:
    """No console errors, no failed loads, and nothing requested from another host."""
    page.browser.pump(0.3)  # late errors (a failed image, a rejected promise)
    errors = page.errors()
    assert not errors, "the page logged errors:\n" + "\n".join(errors)
    foreign = [
        url
        for url in page.requested_urls()
        if urlparse(url).scheme not in LOCAL_SCHEMES and urlparse(url).netloc != allowed_host
    ]
    assert not foreign, f"the page fetched from other hosts: {foreign}"


def wait_for_redoc(page: Page, operations: list[Operation]) -> None:
    ids = json.dumps([op.operation_id for op in operations])
    page.wait_for(
        f"{ids}.every(id => document.getElementById('operation/' + id))",
        what="Redoc to render every operation",
    )


def assert_redoc_shows(page: Page, operations: list[Operation], spec: dict) -> None:
    """Each operation has its section (summary, method, path) and its menu entry."""
    shown = page.evaluate(
        """(() => Object.fromEntries(
            [...document.querySelectorAll('[id^="operation/"]')].map(
                e => [e.id.slice("operation/".length), e.innerText])))()"""
    )
    menu = page.evaluate(
        "[...document.querySelectorAll('[data-item-id*=\"/operation/\"]')]"
        ".map(e => e.getAttribute('data-item-id').split('/operation/')[1])"
    )
    missing = []
    for op in operations:
        text = shown.get(op.operation_id, "")
        for needle in (op.summary, op.method.upper(), op.path):
            if needle not in text:
                missing.append(f"{op.operation_id}: {needle!r} not in its section")
        if op.operation_id not in menu:
            missing.append(f"{op.operation_id}: not in the menu")
    assert not missing, "\n".join(missing)
    title = page.evaluate("document.querySelector('h1') && document.querySelector('h1').innerText")
    assert spec["info"]["title"] in (title or "")
    assert page.evaluate("document.body.innerText.includes('Something went wrong')") is False


def test_static_reference_shows_every_operation_offline(
    browser: Browser,
    static_reference: Path,
    operations: list[Operation],
    spec: dict,
    artifacts: Path,
) -> None:
    page = browser.new_page()
    try:
        page.goto(static_reference.as_uri())
        wait_for_redoc(page, operations)
        assert_redoc_shows(page, operations, spec)
        page.screenshot(artifacts / "static-reference.png")
        page.screenshot(
            artifacts / "static-reference-operation.png",
            element=f'[id="operation/{operations[1].operation_id}"]',
        )
        assert_clean(page)
    finally:
        page.close()


def test_served_redoc_shows_every_operation(
    browser: Browser,
    docs_server: DocsServer,
    operations: list[Operation],
    spec: dict,
    artifacts: Path,
) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{docs_server.url}/redoc")  # the alias redirects to /docs/
        assert page.evaluate("location.pathname").endswith("/docs/")
        wait_for_redoc(page, operations)
        assert_redoc_shows(page, operations, spec)
        page.screenshot(artifacts / "served-redoc.png")
        assert_clean(page, allowed_host=urlparse(docs_server.url).netloc)
    finally:
        page.close()


def test_served_swagger_ui_shows_every_operation_and_tries_one_with_the_key(
    browser: Browser,
    docs_server: DocsServer,
    operations: list[Operation],
    artifacts: Path,
) -> None:
    page = browser.new_page()
    host = urlparse(docs_server.url).netloc
    try:
        page.goto(f"{docs_server.url}/ui")
        page.wait_for(
            f"document.querySelectorAll('.opblock').length >= {len(operations)}",
            what="Swagger UI to list every operation",
        )
        listed = page.evaluate(
            """[...document.querySelectorAll('.opblock')].map(e => ({
                id: (e.querySelector('.opblock-summary-operation-id') || {}).innerText,
                summary: (e.querySelector('.opblock-summary-description') || {}).innerText,
                path: e.querySelector('.opblock-summary-path').getAttribute('data-path'),
                method: e.querySelector('.opblock-summary-method').innerText}))"""
        )
        by_id = {entry["id"]: entry for entry in listed}
        for op in operations:
            entry = by_id.get(op.operation_id)
            assert entry, f"{op.operation_id} is not listed"
            assert (entry["summary"], entry["path"], entry["method"]) == (
                op.summary,
                op.path,
                op.method.upper(),
            )
        assert "OAS 3.1" in page.evaluate("document.querySelector('.info').innerText")
        page.screenshot(artifacts / "swagger-ui.png")
        assert_clean(page, allowed_host=host)

        # Try it out, as a partner would: Authorize with a key, then Execute.
        key = docs_server.api_key or "thr_live_docs-test-key"
        page.click(".auth-wrapper .authorize")
        page.wait_for("!!document.querySelector('.modal-ux input[type=text]')", what="auth dialog")
        page.type_into(".modal-ux input[type=text]", key)
        page.click(".modal-ux .auth-btn-wrapper .authorize")
        page.wait_for(
            "[...document.querySelectorAll('.modal-ux button')]"
            ".some(b => b.innerText === 'Logout')",
            what="the key to be accepted",
        )
        page.click(".modal-ux .btn-done")
        list_tickets = next(op for op in operations if op.operation_id == "listTickets")
        block = f"#operations-Tickets-{list_tickets.operation_id}"
        page.click(f"{block} .opblock-summary-control")
        page.wait_for(f"!!document.querySelector('{block} .try-out__btn')", what="Try it out")
        page.click(f"{block} .try-out__btn")
        page.wait_for(f"!!document.querySelector('{block} .execute')", what="Execute")
        # Swagger UI pre-fills each parameter with its example; the example page token
        # is (rightly) not valid on this server, so clear it as a partner would.
        page.set_value(f"{block} tr[data-param-name=page_token] input", "")
        page.browser.pump(0.6)  # Swagger UI debounces its inputs (300 ms)
        page.click(f"{block} .execute")
        status = page.wait_for(
            f"(document.querySelector('{block} .live-responses-table tbody .response-col_status')"
            " || {}).innerText",
            what="the live response",
        )
        sent = page.requests_to(f"{list_tickets.path}")
        assert sent, "Swagger UI sent no request"
        request = sent[-1]
        assert urlparse(request["url"]).netloc == host, "try-it-out must call this server"
        headers = {name.lower(): value for name, value in request["headers"].items()}
        assert headers.get("x-api-key") == key
        page.screenshot(artifacts / "swagger-ui-try-it-out.png", element=block)
        if docs_server.real:
            body = page.evaluate(
                f"(document.querySelector('{block} .live-responses-table tbody .microlight')"
                " || {}).innerText"
            )
            assert status.split()[0] == "200", f"{request['url']} answered {status}: {body}"
    finally:
        page.close()
