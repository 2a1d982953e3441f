"""Checks on a `custom_http` payload and on a tenant's actions base URL.

These run before anything touches the network and raise `InvalidRequest`
(a 400 `invalid_request`) naming the field and the rule broken. They cover
what JSON Schema cannot say: that `url` is a path that stays under the
tenant's base path, which headers may be set, and that `body_json` is JSON.

Rules, decided here and relied on by `build_target_url`:

- `url` is an absolute path (`/hooks/zapier`), optionally with a query
  (`?a=1`). No scheme, no host, no `//` anywhere, no fragment, no backslash,
  no spaces, control or non-ASCII characters (percent-encode them).
- Every dot segment (`.` or `..`) is refused, even one that would stay inside
  the base path (`/a/../b`): servers and proxies disagree on when they
  normalise, and no real hook path needs one. The check applies to segments
  after percent-decoding (up to three times, for double-encoded `%252e`), and to the part
  of a segment before `;` (Tomcat reads `..;x` as `..`). An encoded slash or
  backslash (`%2f`, `%5c`) inside a segment is refused, as is percent-encoding
  that is not valid UTF-8 (overlong forms such as `%c0%ae`).
- `method` is one of GET, POST, PUT, PATCH, DELETE, upper case. GET and
  DELETE with a `body_json` are refused: such a body has no defined meaning
  (RFC 9110) and some servers and proxies drop or reject it.
- `headers`: at most 20; names are RFC 9110 tokens of at most 100 characters,
  unique without regard to case; values printable ASCII (inner tabs allowed),
  without leading or trailing blanks, of at most 1024 characters.
  Hop-by-hop, framing and routing headers are refused, and so are the ones
  this service sets itself (User-Agent, Content-Type, Accept-Encoding,
  X-Threada-*).
- `body_json` is a string (at most 64 KiB as UTF-8) that parses as strict
  JSON (no NaN or Infinity). It is sent byte for byte as given, with
  `Content-Type: application/json`.
"""

from __future__ import annotations

import ipaddress
import json
import re
from urllib.parse import unquote_to_bytes, urlsplit

from threada.domain.errors import InvalidRequest

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
METHODS_WITHOUT_BODY = frozenset({"GET", "DELETE"})

MAX_URL_LENGTH = 2048
MAX_HEADERS = 20
MAX_HEADER_NAME_LENGTH = 100
MAX_HEADER_VALUE_LENGTH = 1024
MAX_BODY_BYTES = 64 * 1024

# Headers that describe the connection or the message framing, route the
# request through proxies, or claim a client address; plus the ones this
# service sets itself so the target can always tell where a call came from.
REFUSED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "via",
        "forwarded",
        "x-real-ip",
        "x-client-ip",
        "true-client-ip",
        "x-host",
        "x-original-url",
        "x-rewrite-url",
        "x-http-host-override",
        "user-agent",
        "content-type",
        "accept-encoding",
        "content-encoding",
    }
)
REFUSED_HEADER_PREFIXES = ("proxy-", "x-forwarded-", "x-threada-")

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_HEX = "0123456789abcdefABCDEF"
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_PCHAR = frozenset(_UNRESERVED + "!$&'()*+,;=:@")
_PATH_CHARS = _PCHAR | {"/", "%"}
_QUERY_CHARS = _PCHAR | {"/", "?", "%"}
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")


def _invalid(field: str, reason: str) -> InvalidRequest:
    # `details` names the field as the error envelope does (`body.payload.url`).
    where = f"body.{field}" if field.startswith("payload") else field
    return InvalidRequest(f"{field} {reason}", details=[{"field": where, "reason": reason}])


def validate_custom_http(payload: dict) -> None:
    """Raise `InvalidRequest` unless `payload` is a `custom_http` payload we will send.

    `payload` is the action's `payload` object (`type`, `method`, `url`,
    `headers`, `body_json`); keys this module does not know are left to the
    JSON Schema. Nothing is sent and nothing is resolved here.
    """
    if not isinstance(payload, dict):
        raise _invalid("payload", "must be an object")
    kind = payload.get("type", "custom_http")
    if kind != "custom_http":
        raise _invalid("payload.type", f"must be 'custom_http', got {kind!r}")
    method = payload.get("method")
    _check_method(method)
    _check_path(payload.get("url"), "payload.url")
    _check_headers(payload.get("headers"))
    body = payload.get("body_json")
    _check_body(body)
    if body is not None and method in METHODS_WITHOUT_BODY:
        reason = f"is not allowed with {method}; use POST, PUT or PATCH to send a body"
        raise _invalid("payload.body_json", reason)


def _check_method(method: object) -> None:
    if not isinstance(method, str) or method not in METHODS:
        allowed = ", ".join(sorted(METHODS))
        raise _invalid("payload.method", f"must be one of {allowed}, got {method!r}")


def _check_path(path: object, field: str) -> None:
    """The path rules in the module docstring; `field` names it in errors."""
    if not isinstance(path, str) or not path:
        raise _invalid(field, "must be a non-empty string holding a path such as /hooks/zapier")
    if len(path) > MAX_URL_LENGTH:
        raise _invalid(field, f"must be at most {MAX_URL_LENGTH} characters")
    if "\\" in path:
        raise _invalid(field, "must not contain a backslash")
    if not path.startswith("/") or path.startswith("//"):
        raise _invalid(
            field,
            "must be a path starting with a single '/' (no scheme or host): "
            "it is joined to the tenant's actions base URL",
        )
    if "#" in path:
        raise _invalid(field, "must not contain a fragment ('#')")
    route, _, query = path.partition("?")
    for part, allowed in ((route, _PATH_CHARS), (query, _QUERY_CHARS)):
        bad = next((c for c in part if c not in allowed), None)
        if bad is not None:
            raise _invalid(
                field,
                f"contains {bad!r}, which must be percent-encoded "
                "(spaces, control and non-ASCII characters are not allowed as is)",
            )
        _check_percent_escapes(part, field)
    if "//" in route:
        raise _invalid(field, "must not contain an empty segment ('//')")
    for segment in route.split("/")[1:]:
        _check_segment(segment, field)


def _check_percent_escapes(text: str, field: str) -> None:
    index = text.find("%")
    while index != -1:
        escape = text[index + 1 : index + 3]
        if len(escape) != 2 or escape[0] not in _HEX or escape[1] not in _HEX:
            raise _invalid(field, "has a '%' not followed by two hex digits")
        index = text.find("%", index + 3)


def _check_segment(segment: str, field: str) -> None:
    # Look through up to three layers of percent-encoding, so that servers and
    # proxies that decode more than once still cannot see '..' or a slash;
    # more layers than that are refused outright.
    layer = segment
    for _ in range(4):
        name = layer.split(";", 1)[0]
        if name in (".", ".."):
            raise _invalid(field, "must not contain '.' or '..' segments, encoded or not")
        if "/" in layer or "\\" in layer:
            raise _invalid(field, "must not contain an encoded slash or backslash (%2F, %5C)")
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in layer):
            raise _invalid(field, "must not contain encoded control characters")
        if "%" not in layer:
            return
        try:
            decoded = unquote_to_bytes(layer).decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid(field, "has percent-encoding that is not valid UTF-8") from None
        if decoded == layer:
            return
        layer = decoded
    raise _invalid(field, "is percent-encoded too many times over")


def _check_headers(headers: object) -> None:
    if headers is None:
        return
    if not isinstance(headers, dict):
        raise _invalid("payload.headers", "must be an object mapping header names to strings")
    if len(headers) > MAX_HEADERS:
        raise _invalid("payload.headers", f"must have at most {MAX_HEADERS} entries")
    seen: set[str] = set()
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise _invalid("payload.headers", f"has an invalid header name {name!r}")
        field = f"payload.headers.{name}"
        if len(name) > MAX_HEADER_NAME_LENGTH:
            raise _invalid(
                "payload.headers", f"has a name longer than {MAX_HEADER_NAME_LENGTH} characters"
            )
        lower = name.lower()
        if lower in REFUSED_HEADERS or lower.startswith(REFUSED_HEADER_PREFIXES):
            raise _invalid(field, "cannot be set: it is a hop-by-hop, routing or reserved header")
        if lower in seen:
            raise _invalid(field, "is given more than once (header names ignore case)")
        seen.add(lower)
        if not isinstance(value, str):
            raise _invalid(field, "must be a string")
        if len(value) > MAX_HEADER_VALUE_LENGTH:
            raise _invalid(field, f"must be at most {MAX_HEADER_VALUE_LENGTH} characters")
        if not _HEADER_VALUE.fullmatch(value):
            raise _invalid(field, "must be printable ASCII without CR or LF")
        if value != value.strip(" \t"):
            # HTTP/1.1 strips it, and h11 refuses to send it (RFC 9110 5.5).
            raise _invalid(field, "must not start or end with a space or tab")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _check_body(body: object) -> None:
    if body is None:
        return
    if not isinstance(body, str):
        raise _invalid(
            "payload.body_json", 'must be a string that holds JSON, e.g. "{\\"event\\": \\"x\\"}"'
        )
    if len(body.encode("utf-8", errors="surrogatepass")) > MAX_BODY_BYTES:
        raise _invalid("payload.body_json", f"must be at most {MAX_BODY_BYTES} bytes")
    try:
        body.encode("utf-8")
        json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        reason = f"must be a string that parses as JSON: {exc}"
        raise _invalid("payload.body_json", reason) from None


def validate_base_url(url: object) -> str:
    """Check a tenant's actions base URL and return it normalised.

    http or https, a host, an optional port and base path; no user info,
    query or fragment. The scheme and host are lower-cased and a trailing
    '/' is dropped: `HTTPS://Hooks.Example.com/base/` gives
    `https://hooks.example.com/base`. Whether the host may be reached is
    decided at call time, against the addresses it resolves to.
    """
    field = "actions_base_url"
    if not isinstance(url, str) or not url:
        raise _invalid(field, "must be a non-empty string such as https://hooks.example.com")
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(field, f"must be at most {MAX_URL_LENGTH} characters")
    bad = next((c for c in url if not 0x20 < ord(c) < 0x7F or c == "\\"), None)
    if bad is not None:
        raise _invalid(field, f"contains {bad!r}; use the punycode form of the host name")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _invalid(field, "is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _invalid(field, "must start with http:// or https://")
    if "@" in parts.netloc:
        raise _invalid(field, "must not contain user info ('user:password@')")
    if "?" in url or "#" in url:
        raise _invalid(field, "must not have a query or a fragment")
    try:
        port = parts.port
    except ValueError:
        raise _invalid(field, "has an invalid port") from None
    if port == 0:
        raise _invalid(field, "has an invalid port")
    host = (parts.hostname or "").lower()
    netloc_host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    if netloc_host.endswith(":"):
        raise _invalid(field, "has an empty port")
    if netloc_host.startswith("["):
        host_text = f"[{host}]"
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise _invalid(field, "has an invalid IPv6 host") from None
        if "%" in host:
            raise _invalid(field, "must not use an IPv6 zone id")
    else:
        if not host or not _HOST.fullmatch(host):
            raise _invalid(field, "must have a valid host name")
        if _looks_numeric(host):
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                # URL parsers (WHATWG, curl, inet_aton) read 0177.0.0.1, 0x7f.1, 2130706433
                # and 127.1 as 127.0.0.1; Python's ipaddress and httpx refuse them. One
                # spelling only, so that every check sees the address that is connected to.
                raise _invalid(
                    field,
                    "must write an IPv4 address as four decimal numbers without leading "
                    "zeros (such as 203.0.113.7); octal, hex, single-number and short forms "
                    "are refused",
                ) from None
        host_text = host
    path = parts.path.rstrip("/")
    if path:
        _check_path(path, field)
    return f"{scheme}://{host_text}{'' if port is None else f':{port}'}{path}"


_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")


def _looks_numeric(host: str) -> bool:
    """Whether a URL parser would read `host` as an IPv4 address (WHATWG: its last label
    is a number, decimal or 0x hex)."""
    labels = host.rstrip(".").split(".")
    return bool(labels) and _NUMERIC_LABEL.fullmatch(labels[-1]) is not None


def literal_address(base_url: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a (validated) base URL names literally, or None for a host name."""
    host = urlsplit(base_url).hostname or ""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def build_target_url(base_url: str, path: str) -> str:
    """Join the tenant's base URL and a payload `url` path, keeping the base path.

    `build_target_url("https://h.example.com/base", "/hooks/zapier?a=1")` is
    `https://h.example.com/base/hooks/zapier?a=1`. Both parts are checked
    again here (`InvalidRequest`), so the result is always under the base.
    """
    base = validate_base_url(base_url)
    _check_path(path, "payload.url")
    return base + path
