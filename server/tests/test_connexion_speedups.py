"""threada.connexion_speedups answers what Connexion's own code answers.

Each speed-up against the original function on generated inputs; the server
suite as a whole runs through all of them (create_app installs them).
"""

from __future__ import annotations

import copy
import types

import connexion.decorators.parameter as parameter
import connexion.utils as utils
from connexion import context
from connexion.apps.asynchronous import AsyncOperation
from connexion.json_schema import resolve_refs
from hypothesis import given, settings
from hypothesis import strategies as st
from threada import connexion_speedups as speedups
from threada.spec import load_spec

ORIGINAL = speedups.ORIGINAL


def setup_module() -> None:
    speedups.install()


def test_installed_only_for_the_version_written_against():
    assert speedups.supported("3.3.0") and speedups.supported("3.3.7")
    assert not speedups.supported("3.4.0") and not speedups.supported("4.0.0")
    assert speedups.install() is True  # the pinned version
    assert parameter.sanitized is not ORIGINAL["sanitized"]
    assert utils.extract_content_type is speedups.extract_content_type


names = st.text(
    alphabet=st.sampled_from("abcXYZ_-[]0123456789.$ é"), min_size=0, max_size=20
) | st.sampled_from(["page_token", "updated_after", "pageToken", "filter[status]", "list", "id"])


@settings(max_examples=300, deadline=None)
@given(names)
def test_sanitizing_names_matches_connexion(name):
    assert parameter.sanitized(name) == ORIGINAL["sanitized"](name)
    assert parameter.pythonic(name) == ORIGINAL["pythonic"](name)


header_names = st.sampled_from(
    [b"content-type", b"Content-Type", b"CONTENT-TYPE", b"accept", b"x-api-key", b"content-length"]
)
header_values = st.sampled_from(
    [b"application/json", b"text/plain; charset=utf-8", b"", b"multipart/form-data; boundary=x"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(header_names, header_values), max_size=6), st.booleans())
def test_content_type_extraction_matches_connexion(pairs, as_dict):
    headers = (
        {k.decode(): v.decode() for k, v in pairs} if as_dict else pairs  # both shapes occur
    )
    assert speedups.extract_content_type(headers) == ORIGINAL["extract_content_type"](headers)


def _operations() -> dict[str, types.SimpleNamespace]:
    # As Connexion sees them: every $ref resolved.
    document = resolve_refs(load_spec())
    return {
        name: types.SimpleNamespace(parameters=document["paths"][path][method]["parameters"])
        for name, path, method in (
            ("listTickets", "/tickets", "get"),
            ("listMessages", "/tickets/{ticket_id}/messages", "get"),
            ("createTicket", "/tickets", "post"),
        )
    }


OPERATIONS = _operations()
query_values = st.dictionaries(
    st.sampled_from(["status", "channel", "priority", "tag", "limit", "page_token", "unknown"]),
    st.one_of(
        st.lists(st.sampled_from(["open", "pending", "email", "chat"]), max_size=3),
        st.integers(min_value=1, max_value=100),
        st.text(max_size=10),
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(sorted(OPERATIONS)), query_values), min_size=1, max_size=4),
    st.booleans(),
)
def test_query_arguments_match_connexion(calls, has_kwargs):
    # As Connexion calls it: through its context proxy, with operations taking turns.
    arguments = ["status", "channel", "priority", "tag", "updated_after", "limit", "page_token"]
    kwargs = dict(
        operation=context.operation,
        arguments=arguments,
        has_kwargs=has_kwargs,
        sanitize=ORIGINAL["sanitized"],
    )
    for name, query in calls:
        token = context._operation.set(OPERATIONS[name])
        try:
            ours = _outcome(speedups._get_query_arguments, copy.deepcopy(query), **kwargs)
            theirs = _outcome(ORIGINAL["_get_query_arguments"], copy.deepcopy(query), **kwargs)
            assert ours == theirs  # the same arguments, or the same error for a bad value
            if ours[0] != "ok":
                continue
            # The defaults are the request's own copy: changing them changes no later request.
            for value in ours[1].values():
                if isinstance(value, list):
                    value.append("changed")
            again = speedups._get_query_arguments(copy.deepcopy(query), **kwargs)
            assert again == theirs[1]
        finally:
            context._operation.reset(token)


def _outcome(function, *args, **kwargs):
    try:
        return ("ok", function(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - compared, not handled
        return ("raises", type(exc))


def test_an_operation_keeps_its_decorated_handler():
    operation = AsyncOperation(
        lambda: None, jsonifier=None, operation_id="x", pythonic_params=False
    )
    assert operation.fn is operation.fn
