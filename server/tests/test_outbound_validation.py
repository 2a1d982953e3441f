"""The custom_http payload rules, URL joining and the outbound policy, without a network."""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from threada.domain.errors import InvalidRequest
from threada.outbound import (
    OutboundPolicy,
    build_target_url,
    validate_base_url,
    validate_custom_http,
)

PAGE_EXAMPLE = {
    "type": "custom_http",
    "method": "POST",
    "url": "/hooks/zapier",
    "headers": {"X-Source": "threada"},
    "body_json": '{"event":"ticket_updated"}',
}


def payload(**changes: object) -> dict:
    result = dict(PAGE_EXAMPLE)
    for key, value in changes.items():
        if value is ...:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def refused(payload_: dict) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        validate_custom_http(payload_)
    return caught.value


# --- what passes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"headers": ..., "body_json": ...},
        {"method": "GET", "body_json": ...},
        {"method": "DELETE", "body_json": ..., "url": "/hooks/1"},
        {"method": "PUT", "body_json": "[1, 2, 3]"},
        {"method": "PATCH", "body_json": '"just a string"'},
        {"url": "/"},
        {"url": "/hooks/catch/123/abc/"},
        {"url": "/hooks/zapier?a=1&b=/x/../y&c=%20"},
        {"url": "/a-b_c.d~e/f;v=1/%41%42/user@x:1/!$&'()*+,="},
        {
            "url": "/..a/a../...",
            "headers": {"Authorization": "Bearer abc", "X-Tab": "a\tb", "X-Empty": ""},
        },
        {"headers": {f"X-H{i}": "v" * 1024 for i in range(20)}},
        {"headers": {"X" * 100: ""}},
        {"body_json": json.dumps({"k": "é" * 100})},
    ],
)
def test_valid_payloads_pass(changes: dict) -> None:
    validate_custom_http(payload(**changes))


# --- url ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://evil.example/x", "single '/'"),
        ("http:/x", "single '/'"),
        ("//evil.example/x", "single '/'"),
        ("evil.example/x", "single '/'"),
        ("hooks/zapier", "single '/'"),
        ("/a\\b", "backslash"),
        ("\\\\evil.example\\x", "backslash"),
        ("/..", "'..' segments"),
        ("/../x", "'..' segments"),
        ("/a/../b", "'..' segments"),
        ("/a/./b", "'..' segments"),
        ("/a/.", "'..' segments"),
        ("/%2e%2e/x", "'..' segments"),
        ("/%2E%2e/x", "'..' segments"),
        ("/.%2e/x", "'..' segments"),
        ("/%2e/x", "'..' segments"),
        ("/a/%252e%252e/x", "'..' segments"),
        ("/a/%25252e%25252e/x", "'..' segments"),
        ("/a/%2525252e/x", "too many times"),
        ("/..;/x", "'..' segments"),
        ("/%2e%2e;jsessionid=1/x", "'..' segments"),
        ("/a%2fb", "encoded slash"),
        ("/a%2F..%2Fb", "encoded slash"),
        ("/%2f%2fevil.example", "encoded slash"),
        ("/a%5cb", "encoded slash"),
        ("/a%255cb", "encoded slash"),
        ("/%c0%ae%c0%ae/x", "not valid UTF-8"),
        ("/a%00b", "control"),
        ("/a%0d%0aX-Injected:%201", "control"),
        ("/%zz", "two hex digits"),
        ("/a%2", "two hex digits"),
        ("/a?b=%x", "two hex digits"),
        ("/a//b", "empty segment"),
        ("/x#frag", "fragment"),
        ("/a b", "percent-encoded"),
        ("/a\r\nHost: x", "percent-encoded"),
        ("/café", "percent-encoded"),
        ("/a?b c", "percent-encoded"),
        ("", "non-empty string"),
        (None, "non-empty string"),
        (42, "non-empty string"),
        ("/" + "a" * 2048, "at most 2048"),
    ],
)
def test_bad_urls_are_refused(url: object, why: str) -> None:
    error = refused(payload(url=url))
    assert why in error.message
    assert error.message.startswith("payload.url ")
    assert error.details == [{"field": "body.payload.url", "reason": error.message[12:]}]


def test_missing_url_is_refused() -> None:
    assert "payload.url" in refused(payload(url=...)).message


# --- method and body ------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "HEAD", "OPTIONS", "CONNECT", "TRACE", None, 1, ...])
def test_methods_outside_the_set_are_refused(method: object) -> None:
    error = refused(payload(method=method))
    assert "payload.method must be one of DELETE, GET, PATCH, POST, PUT" in error.message


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_body_with_get_or_delete_is_refused(method: str) -> None:
    error = refused(payload(method=method))
    assert error.message.startswith(f"payload.body_json is not allowed with {method}")


def test_wrong_type_is_refused() -> None:
    assert "'custom_http'" in refused(payload(type="webhook")).message


@pytest.mark.parametrize(
    "body", ["{", "not json", "{'a': 1}", "", "NaN", '{"a": Infinity}', "[1,]"]
)
def test_body_json_must_parse(body: str) -> None:
    error = refused(payload(body_json=body))
    assert error.message.startswith("payload.body_json must be a string that parses as JSON")


@pytest.mark.parametrize("body", [{"event": "x"}, ["x"], 1, True])
def test_body_json_must_be_a_string(body: object) -> None:
    error = refused(payload(body_json=body))
    assert error.message.startswith("payload.body_json must be a string that holds JSON")


def test_body_json_size_is_capped() -> None:
    body = json.dumps("x" * 70_000)
    assert "at most 65536 bytes" in refused(payload(body_json=body)).message


def test_lone_surrogates_in_body_json_are_refused() -> None:
    assert "parses as JSON" in refused(payload(body_json='"\ud800"')).message


# --- headers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Host",
        "host",
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
        "Keep-Alive",
        "Proxy-Authorization",
        "Proxy-Connection",
        "TE",
        "Trailer",
        "Upgrade",
        "Forwarded",
        "X-Forwarded-For",
        "x-forwarded-host",
        "X-Real-IP",
        "Via",
        "Expect",
        "User-Agent",
        "Content-Type",
        "Accept-Encoding",
        "X-Threada-Action-Id",
    ],
)
def test_hop_by_hop_routing_and_reserved_headers_are_refused(name: str) -> None:
    error = refused(payload(headers={name: "x"}))
    assert error.message == (
        f"payload.headers.{name} cannot be set: it is a hop-by-hop, routing or reserved header"
    )


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({f"X-H{i}": "v" for i in range(21)}, "at most 20 entries"),
        ({"X" * 101: "v"}, "longer than 100"),
        ({"X Bad": "v"}, "invalid header name"),
        ({"X:Bad": "v"}, "invalid header name"),
        ({"": "v"}, "invalid header name"),
        ({"X-Ünï": "v"}, "invalid header name"),
        ({"X-A": "v" * 1025}, "at most 1024"),
        ({"X-A": "a\r\nHost: evil"}, "without CR or LF"),
        ({"X-A": "a\nb"}, "without CR or LF"),
        ({"X-A": "a\x00b"}, "without CR or LF"),
        ({"X-A": "naïve"}, "printable ASCII"),
        ({"X-A": " a"}, "start or end with a space"),
        ({"X-A": "a\t"}, "start or end with a space"),
        ({"X-A": 1}, "must be a string"),
        ({"X-A": None}, "must be a string"),
        ({"X-A": "1", "x-a": "2"}, "more than once"),
        (["X-A", "1"], "must be an object"),
    ],
)
def test_header_limits(headers: object, why: str) -> None:
    assert why in refused(payload(headers=headers)).message


def test_non_object_payload_is_refused() -> None:
    assert refused("x").message == "payload must be an object"  # type: ignore[arg-type]


# --- base URL and joining -------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("https://hooks.example.com", "https://hooks.example.com"),
        ("https://hooks.example.com/", "https://hooks.example.com"),
        ("HTTPS://Hooks.Example.COM/Base/", "https://hooks.example.com/Base"),
        ("http://hooks.example.com:8080/base/v1", "http://hooks.example.com:8080/base/v1"),
        ("http://127.0.0.1:9000/base", "http://127.0.0.1:9000/base"),
        ("http://[::1]:9000/base", "http://[::1]:9000/base"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ],
)
def test_base_urls_are_normalised(given: str, normalised: str) -> None:
    assert validate_base_url(given) == normalised


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example.com", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("hooks.example.com", "http:// or https://"),
        ("https://user:pw@hooks.example.com", "user info"),
        ("https://@hooks.example.com", "user info"),
        ("https://hooks.example.com/?a=1", "query or a fragment"),
        ("https://hooks.example.com/#x", "query or a fragment"),
        ("https://hooks.example.com:99999", "invalid port"),
        ("https://hooks.example.com:", "empty port"),
        ("https://hooks.example.com:0", "invalid port"),
        ("https:///path", "valid host name"),
        ("https://hooks_example.com", "valid host name"),
        ("https://bücher.example", "punycode"),
        ("https://hooks.example.com/a b", "punycode"),
        ("https://hooks.example.com\\@evil.example", "punycode"),
        ("https://hooks.example.com/base/../x", "'..' segments"),
        ("https://hooks.example.com/base/%2e%2e", "'..' segments"),
        ("https://[::1%25eth0]/", "zone id"),
        ("https://[nope]/", "not a valid URL"),
        ("", "non-empty string"),
        (None, "non-empty string"),
    ],
)
def test_bad_base_urls_are_refused(url: object, why: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate_base_url(url)
    assert why in caught.value.message
    assert caught.value.message.startswith("actions_base_url ")


@pytest.mark.parametrize(
    ("base", "path", "target"),
    [
        ("https://h.example.com/base", "/hooks/zapier", "https://h.example.com/base/hooks/zapier"),
        ("https://h.example.com/base/", "/hooks/zapier", "https://h.example.com/base/hooks/zapier"),
        ("https://h.example.com", "/hooks/zapier", "https://h.example.com/hooks/zapier"),
        ("https://h.example.com/base", "/", "https://h.example.com/base/"),
        ("https://h.example.com/b", "/x?q=/../y", "https://h.example.com/b/x?q=/../y"),
    ],
)
def test_build_target_url_keeps_the_base_path(base: str, path: str, target: str) -> None:
    assert build_target_url(base, path) == target


def test_build_target_url_checks_the_path_too() -> None:
    with pytest.raises(InvalidRequest):
        build_target_url("https://h.example.com/base", "/../admin")
    with pytest.raises(InvalidRequest):
        build_target_url("https://h.example.com/base", "@evil.example/x")


# --- property: no accepted path leaves the base ---------------------------------

BASE = "https://hooks.example.com:8443/base/v1"
PIECES = [
    "a",
    "Z9",
    ".",
    "..",
    "/",
    "//",
    "\\",
    "%",
    "%2e",
    "%2E",
    "%2f",
    "%2F",
    "%5c",
    "%5C",
    "%25",
    "%252e",
    "%252f",
    "%c0%ae",
    "%00",
    "2e",
    ";",
    ";x=1",
    "?",
    "#",
    ":",
    "@",
    "~",
    " ",
    "é",
    "http:",
    "evil.example",
]


def _decode_fully(text: str) -> str:
    for _ in range(5):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def _resolve_dot_segments(path: str) -> str:
    # RFC 3986 section 5.2.4, reading `..;x` as `..` the way Tomcat does.
    out: list[str] = []
    for segment in path.split("/")[1:]:
        name = segment.split(";", 1)[0]
        if name == "..":
            if out:
                out.pop()
        elif name != ".":
            out.append(segment)
    return "/" + "/".join(out)


paths = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=14).map("".join),
    st.lists(st.sampled_from(PIECES), max_size=14).map(lambda p: "/" + "".join(p)),
    st.lists(st.sampled_from(PIECES), max_size=8).map(lambda p: "/" + "/".join(p)),
    st.text(max_size=30).map(lambda t: "/" + t),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=paths)
@example(path="/%2e%2e/%2e%2e/admin")
@example(path="/..%2f..%2fadmin")
@example(path="/%252e%252e/admin")
@example(path="/..;/admin")
@example(path="//evil.example/x")
@example(path="/a/b/")
def test_no_accepted_path_escapes_the_base(path: str) -> None:
    try:
        target = build_target_url(BASE, path)
    except InvalidRequest:
        return
    url = httpx.URL(target)
    assert (url.scheme, url.host, url.port) == ("https", "hooks.example.com", 8443)
    raw_path = url.raw_path.decode("ascii").split("?", 1)[0]
    for seen_by_server in (raw_path, _decode_fully(raw_path)):
        assert "\\" not in seen_by_server
        resolved = _resolve_dot_segments(seen_by_server)
        assert resolved == "/base/v1" or resolved.startswith("/base/v1/"), (path, resolved)
    assert target.startswith("https://hooks.example.com:8443/base/v1/")


# --- policy ---------------------------------------------------------------------

ip = ipaddress.ip_address


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.0.5", "10.0.0.5 is a private address"),
        ("172.16.3.4", "172.16.3.4 is a private address"),
        ("192.168.1.1", "192.168.1.1 is a private address"),
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("127.8.9.10", "127.8.9.10 is a loopback address"),
        ("0.0.0.0", "0.0.0.0 is an unspecified address"),
        ("169.254.1.1", "169.254.1.1 is a link-local address"),
        ("169.254.169.254", "169.254.169.254 is a cloud metadata address"),
        ("169.254.170.2", "169.254.170.2 is a cloud metadata address"),
        ("100.100.100.200", "100.100.100.200 is a cloud metadata address"),
        ("100.64.0.1", "100.64.0.1 is a shared (carrier-grade NAT) address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("240.0.0.1", "240.0.0.1 is a private address"),
        ("255.255.255.255", "255.255.255.255 is a private address"),
        ("192.0.2.10", "192.0.2.10 is a private address"),
        ("198.18.0.1", "198.18.0.1 is a private address"),
        ("::1", "::1 is a loopback address"),
        ("::", ":: is an unspecified address"),
        ("fe80::1", "fe80::1 is a link-local address"),
        ("fc00::1", "fc00::1 is a private address"),
        ("ff02::1", "ff02::1 is a multicast address"),
        ("fd00:ec2::254", "fd00:ec2::254 is a cloud metadata address"),
        ("::ffff:10.0.0.5", "::ffff:a00:5 (IPv4 10.0.0.5) is a private address"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1 (IPv4 127.0.0.1) is a loopback address"),
        ("::ffff:169.254.169.254", "(IPv4 169.254.169.254) is a cloud metadata address"),
        ("64:ff9b::10.0.0.5", "64:ff9b::a00:5 (IPv4 10.0.0.5) is a private address"),
        ("2002:a00:5::1", "2002:a00:5::1 (IPv4 10.0.0.5) is a private address"),
        ("::10.0.0.5", "::a00:5 is a reserved address"),
        ("2001:db8::1", "2001:db8::1 is a private address"),
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    assert reason in (OutboundPolicy().blocked_reason(ip(address)) or "")


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "93.184.215.14"])
def test_public_addresses_pass(address: str) -> None:
    assert OutboundPolicy().blocked_reason(ip(address)) is None


def test_allowed_networks_lift_the_rules_but_not_for_metadata() -> None:
    policy = OutboundPolicy.allowing("127.0.0.1", "10.0.0.0/8", "169.254.0.0/16")
    assert policy.blocked_reason(ip("127.0.0.1")) is None
    assert policy.blocked_reason(ip("::ffff:127.0.0.1")) is None
    assert policy.blocked_reason(ip("10.9.8.7")) is None
    assert policy.blocked_reason(ip("169.254.1.1")) is None
    assert "127.0.0.2 is a loopback" in (policy.blocked_reason(ip("127.0.0.2")) or "")
    assert "metadata" in (policy.blocked_reason(ip("169.254.169.254")) or "")
    assert "metadata" in (policy.blocked_reason(ip("8.8.8.8"), host_allowed=False) or "metadata")
    assert policy.blocked_reason(ip("10.0.0.1"), host_allowed=True) is None
    assert "metadata" in (policy.blocked_reason(ip("169.254.169.254"), host_allowed=True) or "")
    exact = OutboundPolicy.allowing("169.254.169.254")
    assert exact.blocked_reason(ip("169.254.169.254")) is None


def test_policy_from_env() -> None:
    policy = OutboundPolicy.from_env(
        {
            "THREADA_ACTIONS_CONNECT_TIMEOUT": "1.5",
            "THREADA_ACTIONS_TIMEOUT": "4",
            "THREADA_ACTIONS_MAX_RESPONSE_BYTES": "1000",
            "THREADA_ACTIONS_ALLOW": " 127.0.0.1, 10.0.0.0/8 ,Hooks.Internal., ::1, [fd00::1] ,",
            "THREADA_ACTIONS_CA_FILE": "/etc/ssl/private-ca.pem",
        }
    )
    assert policy.connect_timeout == 1.5
    assert policy.total_timeout == 4.0
    assert policy.max_response_bytes == 1000
    assert policy.allow_hosts == frozenset({"hooks.internal"})
    assert set(policy.allow_networks) == {
        ipaddress.ip_network(n) for n in ("127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::1/128")
    }
    assert policy.ca_file == "/etc/ssl/private-ca.pem"
    assert policy.allows_host("HOOKS.internal")


def test_policy_defaults() -> None:
    policy = OutboundPolicy.from_env({})
    assert policy == OutboundPolicy()
    assert (policy.connect_timeout, policy.total_timeout, policy.max_response_bytes) == (
        3.0,
        10.0,
        65536,
    )
    assert policy.allow_hosts == frozenset() and policy.allow_networks == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("THREADA_ACTIONS_CONNECT_TIMEOUT", "0"),
        ("THREADA_ACTIONS_TIMEOUT", "-1"),
        ("THREADA_ACTIONS_TIMEOUT", "soon"),
        ("THREADA_ACTIONS_TIMEOUT", "inf"),
        ("THREADA_ACTIONS_TIMEOUT", "nan"),
        ("THREADA_ACTIONS_MAX_RESPONSE_BYTES", "64k"),
        ("THREADA_ACTIONS_ALLOW", "10.0.0.1/8"),
        ("THREADA_ACTIONS_ALLOW", "300.1.1.1"),
        ("THREADA_ACTIONS_ALLOW", "http://hooks.internal"),
        ("THREADA_ACTIONS_ALLOW", "bad_host"),
    ],
)
def test_bad_policy_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        OutboundPolicy.from_env({name: value})
