"""The API reference as a partner sees it: rendered in headless Chromium.

Three pages: the static file `make docs` writes (opened from disk), and the
Redoc and Swagger UI pages the server serves. Each must show every operation
of the bundle, log no console error, fetch nothing from another host (the
browser cannot resolve any), and leave a screenshot in test-artifacts/docs/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from docs_tests.browser import Browser, Page
from docs_tests.conftest import BUNDLE_JSON as BUNDLE_PATH
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
    # Redoc's error page (a failed render), not the text of an error example in the docs.
    assert (
        page.evaluate(
            "[...document.querySelectorAll('h1, h2')]"
            ".some(e => e.innerText.startsWith('Something went wrong'))"
        )
        is False
    )


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


# --- languages, code samples, try-it-out (issue 16) -------------------------------------------

SAMPLE_LABELS = ("curl", "Python (httpx)", "JavaScript (fetch)")
DEVANAGARI = "[\\u0900-\\u097F]"


def hindi_spec() -> dict:
    return json.loads(BUNDLE_PATH.with_name("openapi.hi.json").read_text(encoding="utf-8"))


def assert_every_operation_has_its_samples_and_language(
    page: Page, operations: list[Operation], lang: str
) -> None:
    """Each operation section shows the three code-sample tabs; Hindi ones a Devanagari summary."""
    assert page.evaluate("document.documentElement.lang") == lang
    hindi = {
        op["operationId"]: op["summary"]
        for item in hindi_spec()["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    problems = []
    for op in operations:
        text = page.evaluate(f"document.getElementById('operation/{op.operation_id}').innerText")
        problems += [
            f"{op.operation_id}: no {label!r} tab" for label in SAMPLE_LABELS if label not in text
        ]
        if lang == "hi":
            summary = hindi[op.operation_id]
            if summary not in text or not re.search(DEVANAGARI, summary):
                problems.append(f"{op.operation_id}: Hindi summary {summary!r} not shown")
        elif op.summary not in text:
            problems.append(f"{op.operation_id}: summary {op.summary!r} not shown")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_served_reference_in_each_language_shows_every_operation_with_code_samples(
    browser: Browser,
    docs_server: DocsServer,
    operations: list[Operation],
    artifacts: Path,
    lang: str,
) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{docs_server.url}/docs/" + ("" if lang == "en" else f"{lang}/"))
        wait_for_redoc(page, operations)
        assert_every_operation_has_its_samples_and_language(page, operations, lang)
        # The guide is rendered before the reference: its first section precedes the first tag.
        order = page.evaluate(
            "[...document.querySelectorAll('[id^=\"tag/\"]')].map(e => e.id).slice(0, 2)"
        )
        assert order[0] == "tag/get-a-key", order
        page.screenshot(artifacts / f"served-redoc-{lang}.png")
        assert_clean(page, allowed_host=urlparse(docs_server.url).netloc)
    finally:
        page.close()


def test_static_hindi_reference_shows_every_operation_offline(
    browser: Browser, static_reference: Path, operations: list[Operation], artifacts: Path
) -> None:
    page = browser.new_page()
    try:
        page.goto(static_reference.with_name("index.hi.html").as_uri())
        wait_for_redoc(page, operations)
        assert_every_operation_has_its_samples_and_language(page, operations, "hi")
        page.screenshot(artifacts / "static-reference-hi.png")
        assert_clean(page)
    finally:
        page.close()


def test_the_language_switch_moves_between_english_and_hindi(
    browser: Browser, docs_server: DocsServer, operations: list[Operation]
) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{docs_server.url}/docs/")
        wait_for_redoc(page, operations)
        for target, lang, path in (("hi", "hi", "/docs/hi/"), ("en", "en", "/docs/")):
            before = page._loads()
            page.click(f"#language-switch a[hreflang={target}]")
            while page._loads() == before:
                page.browser.pump(0.1)
            assert page.evaluate("location.pathname").endswith(path)
            assert page.evaluate("document.documentElement.lang") == lang
            wait_for_redoc(page, operations)
    finally:
        page.close()


def _post_statuses(page: Page, path: str) -> list[tuple[int, str, dict]]:
    """(status, URL, request headers) of each POST to a URL ending with `path`."""
    sent = {
        e["params"]["requestId"]: e["params"]["request"]
        for e in page.events
        if e["method"] == "Network.requestWillBeSent"
        and e["params"]["request"]["method"] == "POST"
        and e["params"]["request"]["url"].endswith(path)
    }
    return [
        (e["params"]["response"]["status"], sent[rid]["url"], sent[rid]["headers"])
        for e in page.events
        if e["method"] == "Network.responseReceived" and (rid := e["params"]["requestId"]) in sent
    ]


def test_swagger_ui_deep_links_run_each_post_twice_with_the_key_entered_once(
    browser: Browser, docs_server: DocsServer, operations: list[Operation], artifacts: Path
) -> None:
    if not docs_server.real:
        pytest.skip("needs the real server")  # the bare docs app has no API behind it
    import httpx

    key = docs_server.api_key
    assert key
    # A webhook endpoint first, so the ticket below queues a delivery to it: the webhook
    # operations' path parameters then name things that exist.
    endpoint = httpx.post(
        f"{docs_server.url}/webhook_endpoints",
        headers={"X-Api-Key": key},
        json={"url": "https://hooks.example.com/threada/try-it-out"},
    )
    assert endpoint.status_code == 201, endpoint.text
    endpoint_id = endpoint.json()["webhook_endpoint"]["endpoint_id"]
    created = httpx.post(
        f"{docs_server.url}/tickets",
        headers={"X-Api-Key": key},
        json={
            "subject": "Try-it-out target",
            "channel": "email",
            "contact": {"email": "try@example.com"},
            "initial_message": {"role": "user", "content": "Hello"},
        },
    )
    assert created.status_code == 201, created.text
    ticket_id = created.json()["ticket"]["summary"]["ticket_id"]
    deliveries = httpx.get(
        f"{docs_server.url}/webhook_endpoints/{endpoint_id}/deliveries",
        headers={"X-Api-Key": key},
    )
    assert deliveries.status_code == 200 and deliveries.json()["items"], deliveries.text
    path_values = {
        "ticket_id": ticket_id,
        "endpoint_id": endpoint_id,
        "delivery_id": deliveries.json()["items"][0]["delivery_id"],
    }
    posts = [op for op in operations if op.method == "post"]
    assert posts
    spec_tags = {
        op["operationId"]: op["tags"][0]
        for item in json.loads(BUNDLE_PATH.read_text())["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    # Start signed out: an earlier test may have left its key in this browser's storage.
    page = browser.new_page()
    page.goto(f"{docs_server.url}/ui/")
    page.evaluate("localStorage.clear()")
    page.close()
    for index, op in enumerate(posts):
        page = browser.new_page()
        try:
            block = f"#operations-{spec_tags[op.operation_id]}-{op.operation_id}"
            page.goto(f"{docs_server.url}/ui/#/{spec_tags[op.operation_id]}/{op.operation_id}")
            page.wait_for(f"!!document.querySelector('{block} .try-out__btn')", what="deep link")
            if index == 0:  # Authorize once; the page keeps the key for every operation
                page.click(".auth-wrapper .authorize")
                page.wait_for("!!document.querySelector('.modal-ux input[type=text]')")
                page.type_into(".modal-ux input[type=text]", key)
                page.click(".modal-ux .auth-btn-wrapper .authorize")
                page.click(".modal-ux .btn-done")
            else:
                assert page.evaluate(
                    "!!document.querySelector('.auth-wrapper .authorize.locked')"
                ), "the key entered on the first page is not kept"
            page.click(f"{block} .try-out__btn")
            page.wait_for(f"!!document.querySelector('{block} .execute')", what="Execute")
            for name in re.findall(r"{(\w+)}", op.path):
                page.set_value(f"{block} tr[data-param-name={name}] input", path_values[name])
                page.browser.pump(0.6)  # Swagger UI debounces its inputs
            for attempt in (1, 2):
                page.click(f"{block} .execute")
                deadline = 40
                while len(_post_statuses(page, op.path.split("}")[-1])) < attempt and deadline:
                    page.browser.pump(0.5)
                    deadline -= 1
                page.browser.pump(0.3)
            results = _post_statuses(page, op.path.split("}")[-1])
            page.screenshot(artifacts / f"swagger-ui-{op.operation_id}.png", element=block)
            assert len(results) == 2, f"{op.operation_id}: {results}"
            for status, url, headers in results:
                assert 200 <= status < 300, f"{op.operation_id}: {url} answered {status}"
                assert "{" not in url and "%7B" not in url, f"unfilled path parameter: {url}"
                assert headers.get("X-Api-Key") == key
            keys = [headers.get("Idempotency-Key") for _, _, headers in results]
            assert all(keys) and keys[0] != keys[1], f"{op.operation_id}: Idempotency-Keys {keys}"
            assert_clean(page, allowed_host=urlparse(docs_server.url).netloc)
        finally:
            page.close()
