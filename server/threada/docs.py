"""The rendered API reference: served beside the API, and built as one static file.

Served under the API's base path, GET/HEAD, no API key:

    /openapi.json   the committed bundle `openapi/dist/openapi.json`, byte for byte
    /openapi.yaml   the committed bundle `openapi/dist/openapi.yaml`, byte for byte
    /ui/            Swagger UI 5: try-it-out, "Authorize" takes the X-Api-Key once for all
                    operations (kept across reloads), each POST gets a fresh
                    Idempotency-Key unless one is typed in, deep links work
    /docs/          Redoc: the reference to read (`/docs` and `/redoc` redirect here)
    /docs/<lang>/   the same in another language, from `openapi/dist/openapi.<lang>.json`
                    (`make bundle` builds it from a translation overlay), e.g. /docs/hi/;
                    its spec at /docs/<lang>/openapi.json. Every page links to the others.

`make docs` (`python -m threada.docs`) writes `openapi/dist/index.html` (and
`index.<lang>.html` per translation): the same Redoc pages with Redoc and the
spec inlined, to open from disk or host anywhere. They are generated, not
committed (a 1.3 MB copy of the bundle would need its own freshness check).

Assets come from the project's pinned npm packages (`swagger-ui-dist`,
`redoc`) in `node_modules/`, which `make run` and `make test` install first:
no build step, no vendored copy in git, and no page loads anything from
another host. Connexion's own UI (PyPI `swagger_ui_bundle`) is Swagger UI
4.15, which refuses OpenAPI 3.1, and Connexion's `/openapi.json` is its
refs-resolved, server-rewritten copy rather than the bundle; so create_app
should turn it off (`SwaggerUIOptions(serve_spec=False, swagger_ui=False)`).
These routes sit in front of it either way.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

SWAGGER_UI_PACKAGE = "swagger-ui-dist"
REDOC_PACKAGE = "redoc"
REDOC_JS = "bundles/redoc.standalone.js"

# Only these files are served from swagger-ui-dist: nothing else in node_modules is reachable.
_SWAGGER_UI_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")
_MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}

# Redoc's sidebar credit loads its logo from Redocly's CDN, unconditionally;
# the copy we serve or inline shows an empty inline image instead.
_REDOC_CDN_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_EMPTY_SVG = (
    b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
)

# Redoc options shared by the served and the static page.
_REDOC_OPTIONS = {
    "expandResponses": "200,201",
    "requiredPropsFirst": True,
    "jsonSampleExpandLevel": 3,
    "hideDownloadButton": False,
}


def mount_docs(
    connexion_app: Any,
    *,
    base_path: str,
    bundle_path: str | Path,
    node_modules: str | Path | None = None,
) -> None:
    """Serve the spec, Swagger UI and Redoc under `base_path` on a Connexion app.

    `bundle_path` is the bundle's YAML (or JSON) file; each is served as it is
    on disk (`make bundle` writes both; a missing one is derived from the other).
    `node_modules` defaults to the nearest `node_modules/` above the bundle.
    Call before the app starts serving.
    Missing npm packages do not stop the server: the pages then answer 503
    saying how to install them, and the spec is still served.
    """
    from connexion.middleware import MiddlewarePosition

    # Inside Connexion's exception middleware (errors get the envelope),
    # in front of its Swagger UI (when the stack has one), routing and security (no key needed).
    stack = [getattr(m, "func", m) for m in connexion_app.middleware.middlewares]
    swagger = MiddlewarePosition.BEFORE_SWAGGER
    connexion_app.add_middleware(
        DocsMiddleware,
        position=swagger if swagger.value in stack else MiddlewarePosition.BEFORE_ROUTING,
        base_path=base_path,
        bundle_path=bundle_path,
        node_modules=node_modules,
    )


def find_node_modules(start: Path) -> Path | None:
    """The nearest `node_modules/` in `start` or above it."""
    for directory in (start, *start.parents):
        candidate = directory / "node_modules"
        if candidate.is_dir():
            return candidate
    return None


def redoc_js(node_modules: Path) -> bytes:
    """Redoc's standalone bundle, with its one CDN reference made local."""
    return (
        (node_modules / REDOC_PACKAGE / REDOC_JS).read_bytes().replace(_REDOC_CDN_LOGO, _EMPTY_SVG)
    )


@dataclass(frozen=True)
class _Spec:
    json_bytes: bytes
    yaml_bytes: bytes
    title: str


# Language code -> its name in that language, for the language switch.
LANGUAGE_NAMES = {"en": "English", "hi": "हिन्दी"}


def translations(bundle_path: Path) -> dict[str, Path]:
    """The translated bundles beside the English one: language code -> `openapi.<lang>.json`."""
    found = {}
    for path in sorted(bundle_path.parent.glob(bundle_path.stem + ".*.json")):
        language = path.name[len(bundle_path.stem) + 1 : -len(".json")]
        if language.isalpha() and len(language) <= 3:
            found[language] = path
    return found


def _switch(current: str, languages: list[str], href: Callable[[str], str]) -> str:
    """The language switch: a link to each other language, named in that language."""
    links = [
        f'<a href="{href(lang)}" hreflang="{lang}" lang="{lang}">'
        f"{html.escape(LANGUAGE_NAMES.get(lang, lang))}</a>"
        for lang in ["en", *languages]
        if lang != current
    ]
    return '<nav id="language-switch" aria-label="Language">' + " · ".join(links) + "</nav>"


def _load_spec(bundle_path: Path) -> _Spec:
    """Both serializations of the bundle; a missing sibling (a test's own spec) is derived."""
    json_path, yaml_path = bundle_path.with_suffix(".json"), bundle_path.with_suffix(".yaml")
    if json_path.is_file():
        json_bytes = json_path.read_bytes()
        document = json.loads(json_bytes)
    else:
        document = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
        json_bytes = json.dumps(document, ensure_ascii=False, indent=2).encode()
    if yaml_path.is_file():
        yaml_bytes = yaml_path.read_bytes()
    else:
        yaml_bytes = yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode()
    title = document.get("info", {}).get("title") or "API"
    return _Spec(json_bytes=json_bytes, yaml_bytes=yaml_bytes, title=title)


Handler = Callable[[], Response]


class DocsMiddleware:
    """ASGI middleware: answers the docs routes, passes everything else on untouched."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_path: str,
        bundle_path: str | Path,
        node_modules: str | Path | None = None,
    ) -> None:
        self.app = app
        self.base = "/" + base_path.strip("/") if base_path.strip("/") else ""
        bundle = Path(bundle_path).resolve()
        # Read once at start: the pages show the spec this process serves.
        self.spec = _load_spec(bundle)
        self.translated = {lang: path.read_bytes() for lang, path in translations(bundle).items()}
        modules = Path(node_modules) if node_modules else find_node_modules(bundle.parent)
        self.swagger_dir = modules / SWAGGER_UI_PACKAGE if modules else None
        wanted = [(SWAGGER_UI_PACKAGE, f) for f in _SWAGGER_UI_FILES] + [(REDOC_PACKAGE, REDOC_JS)]
        self.missing = [
            f"node_modules/{package}/{file}"
            for package, file in wanted
            if modules is None or not (modules / package / file).is_file()
        ]
        self.redoc_js = redoc_js(modules) if modules and not self.missing else b""
        if self.missing:
            log.warning(
                "API reference pages unavailable until `make install` (npm ci); missing: %s",
                ", ".join(self.missing),
            )
        self.routes = self._routes()

    def _routes(self) -> dict[str, Handler]:
        b = self.base
        routes: dict[str, Handler] = {
            f"{b}/openapi.json": lambda: Response(
                self.spec.json_bytes, media_type="application/json"
            ),
            f"{b}/openapi.yaml": lambda: Response(
                self.spec.yaml_bytes, media_type="application/yaml"
            ),
            f"{b}/ui": lambda: RedirectResponse(f"{b}/ui/", status_code=308),
            f"{b}/ui/": self._swagger_ui_page,
            f"{b}/ui/index.html": self._swagger_ui_page,
            f"{b}/docs": lambda: RedirectResponse(f"{b}/docs/", status_code=308),
            f"{b}/redoc": lambda: RedirectResponse(f"{b}/docs/", status_code=308),
            f"{b}/docs/": self._redoc_page,
            f"{b}/docs/index.html": self._redoc_page,
            f"{b}/docs/redoc.standalone.js": self._redoc_js,
        }
        for name in _SWAGGER_UI_FILES:
            routes[f"{b}/ui/{name}"] = self._swagger_asset(name)
        for lang in self.translated:
            routes.update(self._language_routes(lang))
        return routes

    def _language_routes(self, lang: str) -> dict[str, Handler]:
        docs = f"{self.base}/docs/{lang}"
        return {
            docs: lambda: RedirectResponse(f"{docs}/", status_code=308),
            f"{docs}/": lambda: self._redoc_page(lang),
            f"{docs}/index.html": lambda: self._redoc_page(lang),
            f"{docs}/openapi.json": lambda: Response(
                self.translated[lang], media_type="application/json"
            ),
            f"{docs}/redoc.standalone.js": self._redoc_js,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = None
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            handler = self.routes.get(scope["path"])
        if handler is None:
            await self.app(scope, receive, send)
            return
        await handler()(scope, receive, send)

    def _swagger_asset(self, name: str) -> Handler:
        def serve() -> Response:
            if self.missing or self.swagger_dir is None:
                return self._unavailable()
            path = self.swagger_dir / name
            return FileResponse(
                path,
                media_type=_MEDIA_TYPES[path.suffix],
                headers={"Cache-Control": "public, max-age=3600"},
            )

        return serve

    def _redoc_js(self) -> Response:
        if self.missing:
            return self._unavailable()
        return Response(
            self.redoc_js,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    def _unavailable(self) -> Response:
        return PlainTextResponse(
            "The API reference pages need the project's npm packages, which are not "
            "installed here: run `make install` (npm ci) and restart the server.\n"
            f"Missing: {', '.join(self.missing)}\n"
            f"The spec itself is at {self.base}/openapi.json and {self.base}/openapi.yaml.\n",
            status_code=503,
        )

    def _swagger_ui_page(self) -> Response:
        if self.missing:
            return self._unavailable()
        return _html(_SWAGGER_UI_PAGE.replace("{{title}}", html.escape(self.spec.title)))

    def _redoc_page(self, lang: str = "en") -> Response:
        if self.missing:
            return self._unavailable()
        title = self.spec.title
        if lang != "en":
            title = json.loads(self.translated[lang]).get("info", {}).get("title") or title

        def href(to: str) -> str:  # relative: /docs/ and /docs/<lang>/
            if lang == "en":
                return f"{to}/"
            return "../" if to == "en" else f"../{to}/"

        switch = _switch(lang, list(self.translated), href)
        page = (
            _REDOC_PAGE.replace("{{title}}", html.escape(title))
            .replace("{{lang}}", lang)
            .replace("{{switch}}", switch)
            .replace("{{spec_url}}", "openapi.json" if lang != "en" else "../openapi.json")
        )
        return _html(page.replace("{{options}}", json.dumps(_REDOC_OPTIONS)))


def _html(body: str) -> Response:
    # Small pages that change with a deploy: always revalidate.
    return Response(body, media_type="text/html", headers={"Cache-Control": "no-cache"})


def build_static_reference(
    bundle_path: str | Path, output: str | Path, *, node_modules: str | Path | None = None
) -> list[Path]:
    """Write self-contained HTML files: Redoc and the spec inlined, nothing fetched.

    `output` gets the English reference; each translated bundle beside the English one
    (`openapi.<lang>.json`) gets `<output stem>.<lang>.html` beside it. Returns the files.
    """
    bundle = Path(bundle_path).resolve()
    spec = _load_spec(bundle)
    modules = Path(node_modules) if node_modules else find_node_modules(bundle.parent)
    if modules is None or not (modules / REDOC_PACKAGE / REDOC_JS).is_file():
        raise FileNotFoundError(
            f"node_modules/{REDOC_PACKAGE}/{REDOC_JS} not found: run `make install` (npm ci)"
        )
    # A data: URL carries the script whatever text it contains (no `</script>` hazards);
    # in the JSON, `<` only occurs inside strings, where \\u003c is the same character.
    script = base64.b64encode(redoc_js(modules)).decode("ascii")
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    languages = translations(bundle)
    files = {"en": (out, spec.json_bytes)}
    for lang, path in languages.items():
        files[lang] = (out.with_name(f"{out.stem}.{lang}{out.suffix}"), path.read_bytes())
    for lang, (target, raw) in files.items():
        document = json.loads(raw)
        spec_json = json.dumps(document, ensure_ascii=False).replace("<", "\\u003c")
        switch = _switch(lang, list(languages), lambda to: files[to][0].name)
        page = (
            _STATIC_PAGE.replace("{{title}}", html.escape(document["info"].get("title", "API")))
            .replace("{{lang}}", lang)
            .replace("{{switch}}", switch)
            .replace("{{options}}", json.dumps(_REDOC_OPTIONS))
            .replace("{{redoc}}", script)
            .replace("{{spec}}", spec_json)
        )
        target.write_text(page, encoding="utf-8")
    return [target for target, _ in files.values()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m threada.docs",
        description="Write the self-contained static API references (Redoc, spec inlined).",
    )
    parser.add_argument("--bundle", default="openapi/dist/openapi.yaml")
    parser.add_argument("--output", default="openapi/dist/index.html")
    parser.add_argument("--node-modules", default=None)
    args = parser.parse_args(argv)
    try:
        written = build_static_reference(args.bundle, args.output, node_modules=args.node_modules)
    except FileNotFoundError as exc:
        raise SystemExit(f"make docs: {exc}") from None
    for out in written:
        print(f"wrote {out} ({out.stat().st_size // 1024} KiB): open it in a browser, no server")


# Relative URLs only, so the pages work under any prefix a proxy adds.
# Swagger UI: the spec is served unchanged; the page puts "this server" first
# in the servers list so try-it-out calls the server it came from, not production.
_SWAGGER_UI_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{{title}}: try it (Swagger UI)</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="swagger-ui.css">
  <link rel="icon" type="image/png" href="favicon-32x32.png">
  <style>body { margin: 0; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="swagger-ui-bundle.js"></script>
  <script>
    // Two try-it-out traps, fixed on this page's copy of the spec (the served spec is unchanged):
    //
    // 1. Deep links (#/Tag/operationId) left `{ticket_id}` unfilled: Swagger UI expands a
    //    deep-linked operation at load and resolves only that operation's subtree, so a
    //    path-level `parameters: [{$ref}]` stays an unresolved reference (shown as an
    //    unnamed "any" field) and the request goes out with a literal `{ticket_id}`.
    //    Clicking the operation instead resolved it. So every parameter is resolved here
    //    and path-level parameters are copied into each operation (an operation's own
    //    parameter of the same name and location wins, as OpenAPI says).
    // 2. The spec's example Idempotency-Key was pre-filled in every POST, so a second try
    //    replayed the first answer (or got 409). Its example is dropped here, and each
    //    request without a key typed in gets a fresh one (addIdempotencyKey).
    function prepareForTryItOut(spec) {
      const deref = (node) => {
        for (let hops = 0; node && node.$ref && hops < 10; hops++) {
          node = node.$ref.slice(2).split("/")
            .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
            .reduce((at, part) => (at || {})[part], spec);
        }
        return node;
      };
      const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
      for (const item of Object.values(spec.paths || {})) {
        const shared = (item.parameters || []).map(deref);
        for (const method of methods) {
          const op = item[method];
          if (!op) continue;
          const own = (op.parameters || []).map(deref);
          const key = (p) => `${p.in}:${p.name}`;
          const ownKeys = new Set(own.map(key));
          op.parameters = [...shared.filter((p) => !ownKeys.has(key(p))), ...own].map((p) => {
            if (p.in !== "header" || p.name.toLowerCase() !== "idempotency-key") return p;
            const { example, examples, ...rest } = p;
            return { ...rest, description: `${rest.description || ""}\n\n` +
              "Left empty, this page sends a new random key with each request." };
          });
        }
        delete item.parameters;
      }
    }

    function newKey() {
      if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    }

    function addIdempotencyKey(request) {
      const has = Object.keys(request.headers || {})
        .some((name) => name.toLowerCase() === "idempotency-key");
      if (request.method === "POST" && !has) {
        request.headers["Idempotency-Key"] = newKey();
      }
      return request;
    }

    (async () => {
      const specUrl = new URL("../openapi.json", window.location.href);
      const thisServer = new URL("..", window.location.href).href.replace(/\\/$/, "");
      const response = await fetch(specUrl);
      if (!response.ok) {
        throw new Error(`could not load ${specUrl}: HTTP ${response.status}`);
      }
      const spec = await response.json();
      const others = (spec.servers || []).filter((server) => server.url !== thisServer);
      spec.servers = [{ url: thisServer, description: "This server" }, ...others];
      prepareForTryItOut(spec);
      window.ui = SwaggerUIBundle({
        spec,
        requestInterceptor: addIdempotencyKey,
        dom_id: "#swagger-ui",
        presets: [SwaggerUIBundle.presets.apis],
        layout: "BaseLayout",
        deepLinking: true,
        persistAuthorization: true,
        displayRequestDuration: true,
        displayOperationId: true,
        filter: true,
        docExpansion: "list",
        defaultModelsExpandDepth: 0,
        validatorUrl: null,
      });
    })();
  </script>
</body>
</html>
"""

_REDOC_PAGE = """<!DOCTYPE html>
<html lang="{{lang}}">
<head>
  <meta charset="utf-8">
  <title>{{title}}: API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <style>
    body { margin: 0; padding: 0; }
    #language-switch { position: fixed; top: 8px; right: 16px; z-index: 100;
      font: 14px/1.6 sans-serif;
      background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 2px 10px; }
  </style>
</head>
<body>
  {{switch}}
  <div id="redoc"></div>
  <script src="redoc.standalone.js"></script>
  <script>
    Redoc.init(
      new URL("{{spec_url}}", window.location.href).href,
      {{options}},
      document.getElementById("redoc"),
    );
  </script>
</body>
</html>
"""

_STATIC_PAGE = """<!DOCTYPE html>
<html lang="{{lang}}">
<head>
  <meta charset="utf-8">
  <title>{{title}}: API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <style>
    body { margin: 0; padding: 0; }
    #language-switch { position: fixed; top: 8px; right: 16px; z-index: 100;
      font: 14px/1.6 sans-serif;
      background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 2px 10px; }
  </style>
</head>
<body>
  {{switch}}
  <noscript>This reference needs JavaScript. The spec is in openapi/dist/openapi.yaml.</noscript>
  <div id="redoc"></div>
  <script id="openapi-spec" type="application/json">{{spec}}</script>
  <script src="data:text/javascript;base64,{{redoc}}"></script>
  <script>
    Redoc.init(
      JSON.parse(document.getElementById("openapi-spec").textContent),
      {{options}},
      document.getElementById("redoc"),
    );
  </script>
</body>
</html>
"""


if __name__ == "__main__":
    main()
