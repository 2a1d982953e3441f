"""The docs routes over HTTP, no browser: what is served where, and what is not."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest
import yaml
from starlette.responses import PlainTextResponse
from threada.docs import DocsMiddleware

from docs_tests.conftest import BASE_PATH, BUNDLE, BUNDLE_JSON, DocsServer

REMOTE_ASSET = re.compile(
    r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//"""
)


def get(server: DocsServer, path: str, method: str = "GET") -> httpx.Response:
    return httpx.request(method, server.url + path, follow_redirects=False, timeout=30)


def test_the_spec_is_the_committed_bundle_byte_for_byte_and_needs_no_key(
    docs_server: DocsServer,
) -> None:
    as_json = get(docs_server, "/openapi.json")
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.content == BUNDLE_JSON.read_bytes()
    as_yaml = get(docs_server, "/openapi.yaml")
    assert as_yaml.status_code == 200
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert as_yaml.content == BUNDLE.read_bytes()


@pytest.mark.parametrize(
    ("path", "target"),
    [("/ui", "/ui/"), ("/docs", "/docs/"), ("/redoc", "/docs/")],
)
def test_short_paths_redirect_to_the_pages(docs_server: DocsServer, path: str, target: str) -> None:
    response = get(docs_server, path)
    assert response.status_code == 308
    assert response.headers["location"] == BASE_PATH + target


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/ui/", "text/html"),
        ("/ui/index.html", "text/html"),
        ("/ui/swagger-ui.css", "text/css"),
        ("/ui/swagger-ui-bundle.js", "text/javascript"),
        ("/ui/favicon-32x32.png", "image/png"),
        ("/docs/", "text/html"),
        ("/docs/redoc.standalone.js", "text/javascript"),
    ],
)
def test_pages_and_assets_are_served_locally(
    docs_server: DocsServer, path: str, media_type: str
) -> None:
    response = get(docs_server, path)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith(media_type)
    head = get(docs_server, path, method="HEAD")
    assert head.status_code == 200
    if media_type == "text/html":
        assert not REMOTE_ASSET.search(response.text), "a page loads an asset from another host"
    if path.endswith("redoc.standalone.js"):
        assert b"cdn.redoc.ly" not in response.content


def test_other_methods_and_paths_are_left_to_the_api(docs_server: DocsServer) -> None:
    assert get(docs_server, "/openapi.json", method="POST").status_code in (404, 405)
    assert get(docs_server, "/ui/package.json").status_code == 404
    assert get(docs_server, "/docs/../../package.json").status_code == 404


def test_without_the_npm_packages_pages_say_how_to_install_and_the_spec_is_still_served(
    tmp_path: Path,
) -> None:
    async def api(scope, receive, send):
        await PlainTextResponse("api", status_code=404)(scope, receive, send)

    app = DocsMiddleware(
        api, base_path=BASE_PATH, bundle_path=BUNDLE, node_modules=tmp_path / "node_modules"
    )

    async def fetch(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://docs.test") as client:
            return await client.get(BASE_PATH + path)

    for path in ("/ui/", "/docs/", "/docs/redoc.standalone.js", "/ui/swagger-ui-bundle.js"):
        response = asyncio.run(fetch(path))
        assert response.status_code == 503
        assert "make install" in response.text
    assert asyncio.run(fetch("/openapi.json")).content == BUNDLE_JSON.read_bytes()
    assert asyncio.run(fetch("/tickets")).text == "api"


def test_the_static_reference_is_one_self_contained_file(static_reference: Path) -> None:
    page = static_reference.read_text(encoding="utf-8")
    assert not REMOTE_ASSET.search(page), "the static page loads an asset from another host"
    assert "cdn.redoc.ly" not in page
    assert '<script src="data:text/javascript;base64,' in page
    assert 'id="openapi-spec" type="application/json"' in page


def test_a_spec_with_only_a_yaml_file_is_served_in_both_forms(tmp_path: Path) -> None:
    spec = tmp_path / "only.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: Only YAML, version: '1'}\npaths: {}\n")

    async def api(scope, receive, send):
        await PlainTextResponse("api", status_code=404)(scope, receive, send)

    app = DocsMiddleware(api, base_path=BASE_PATH, bundle_path=spec, node_modules=tmp_path)

    async def fetch(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://docs.test") as client:
            return await client.get(BASE_PATH + path)

    assert asyncio.run(fetch("/openapi.yaml")).content == spec.read_bytes()
    as_json = json.loads(asyncio.run(fetch("/openapi.json")).content)
    assert as_json == yaml.safe_load(spec.read_text())


def test_the_hindi_reference_is_served_beside_the_english_one_with_a_switch(
    docs_server: DocsServer,
) -> None:
    page = get(docs_server, "/docs/hi/")
    assert page.status_code == 200
    assert '<html lang="hi">' in page.text
    assert '<a href="../" hreflang="en" lang="en">English</a>' in page.text
    assert not REMOTE_ASSET.search(page.text)
    english = get(docs_server, "/docs/")
    assert '<html lang="en">' in english.text
    assert '<a href="hi/" hreflang="hi" lang="hi">हिन्दी</a>' in english.text
    spec = get(docs_server, "/docs/hi/openapi.json")
    assert spec.status_code == 200
    assert spec.content == BUNDLE_JSON.with_name("openapi.hi.json").read_bytes()
    assert get(docs_server, "/docs/hi/redoc.standalone.js").status_code == 200
    redirect = get(docs_server, "/docs/hi")
    assert redirect.status_code == 308
    assert redirect.headers["location"] == BASE_PATH + "/docs/hi/"
    assert get(docs_server, "/docs/xx/").status_code == 404
