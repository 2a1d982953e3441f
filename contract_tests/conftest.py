"""Fixtures of the contract suite: the target, its keys and the Schemathesis schema.

The target is picked from the environment (see `contract_tests.targets`); the
Schemathesis configuration (checks, phases, examples per operation) is built
here in one place, `schemathesis_config`.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import time
import warnings
from collections import Counter, defaultdict
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES
from schemathesis.core.errors import LoaderError
from schemathesis.core.parameters import ParameterLocation

from contract_tests import checks, coverage, runtime
from contract_tests.runtime import OPTIONS, RECORD, REDACT, SAFE_METHODS, TEST_KEY_PREFIX
from contract_tests.targets import BUNDLE, SPEC_PATH, Target, target_from_env
from contract_tests.workflow import current_scenario

# A live target is paced by its rate limit (600 requests a minute by default), so its
# default run is small: a few hundred requests. In-process targets have no limit to keep.
_LIVE = bool(os.environ.get("CONTRACT_URL", "").strip())
# Examples per operation for the fuzzing phase; the coverage and examples phases add
# their own deterministic cases on top. CONTRACT_MAX_EXAMPLES tunes it (e.g. for the
# drift test, which only has to find one failure).
MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "3" if _LIVE else "25"))
# Stateful: scenarios (each starts from a root like createTicket) and steps per scenario.
STATEFUL_SCENARIOS = int(os.environ.get("CONTRACT_STATEFUL_SCENARIOS", "6" if _LIVE else "40"))
STATEFUL_STEPS = int(os.environ.get("CONTRACT_STATEFUL_STEPS", "10" if _LIVE else "12"))
# Phases of the per-operation tests; the drift test narrows them to find its one failure fast.
# A live run leaves out the coverage phase (hundreds of boundary cases per operation).
PHASES = set(
    os.environ.get(
        "CONTRACT_PHASES", "examples,fuzzing" if _LIVE else "examples,coverage,fuzzing"
    ).split(",")
)
# A fixed seed keeps CI runs reproducible; CONTRACT_SEED=random explores new inputs.
SEED = os.environ.get("CONTRACT_SEED", "20261125")


def schemathesis_config(target: Target) -> SchemathesisConfig:
    """Every built-in check on, positive and negative data, all phases."""
    data: dict[str, Any] = {
        "checks": {
            "enabled": True,
            # A body over the size limit is rejected with the documented 413
            # (payload_too_large), which Schemathesis' default list does not name.
            "negative_data_rejection": {
                "expected-statuses": [*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "413"]
            },
        },
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            # Stable cases for CI; the seed decides which ones.
            "deterministic": SEED != "random",
            # RELAXED (see README): the API refuses NUL in every string (the spec's
            # introduction; PostgreSQL cannot store it), which no schema keyword says.
            "allow-x00": False,
        },
        "phases": {
            "examples": {"enabled": "examples" in PHASES},
            "coverage": {"enabled": "coverage" in PHASES},
            "fuzzing": {"enabled": "fuzzing" in PHASES},
            "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS},
        },
        "auth": {"openapi": {"ApiKeyAuth": {"api_key": target.key}}},
        "operations": [
            {
                # RELAXED (see README): a custom_http payload has rules JSON Schema cannot
                # state (body_json must parse as JSON; url must not hold `..`, a backslash or
                # unencoded non-ASCII), so schema-valid payloads may be a documented 400.
                "include-operation-id": "runAction",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
                    }
                },
            }
        ],
        "request-timeout": 15,
    }
    # Failures show the exact request, so that it can be sent again; every text the
    # run writes goes through runtime.REDACT, which puts `$THREADA_API_KEY` where a key
    # was (Schemathesis' own sanitizing writes `[Filtered]`, which reproduces nothing).
    data["output"] = {"sanitization": {"enabled": False}}
    if SEED != "random":
        data["seed"] = int(SEED)
    if target.base_url:
        data["base-url"] = target.base_url
    return SchemathesisConfig.from_dict(data)


def load_schema(target: Target) -> schemathesis.BaseSchema:
    """The spec the target serves (the committed bundle when the target serves none)."""
    config = schemathesis_config(target)
    if target.in_process and not target.schema_from_bundle:
        schema = schemathesis.openapi.from_asgi(SPEC_PATH, target.app, config=config)
    elif target.in_process:
        schema = schemathesis.openapi.from_dict(json.loads(BUNDLE.read_text()), config=config)
        schema.app = target.app
    else:
        assert target.base_url
        try:
            schema = schemathesis.openapi.from_url(
                target.base_url + "/openapi.json", config=config, timeout=15
            )
        except LoaderError as exc:
            # Not every target serves its spec (the mock does not): test it against the bundle.
            if not BUNDLE.is_file():  # an installed suite has no checkout next to it
                raise RuntimeError(
                    f"{target.base_url}/openapi.json could not be loaded ({exc})"
                ) from exc
            warnings.warn(
                f"{target.base_url}/openapi.json could not be loaded ({exc}); "
                "using the committed bundle",
                stacklevel=1,
            )
            schema = schemathesis.openapi.from_dict(json.loads(BUNDLE.read_text()), config=config)
    checks.SUITE_DOCUMENTS.add(id(schema.raw_schema))
    schema.hooks.register_hook_with_name(no_forged_page_tokens_in_positive_cases, "map_case")
    schema.hooks.register_hook_with_name(body_json_that_parses, "map_case")
    schema.hooks.register_hook_with_name(real_ids_in_half_the_positive_cases, "map_case")
    schema.hooks.register_hook_with_name(idempotency_keys_per_request, "map_case")
    schema.hooks.register_hook_with_name(webhook_urls_that_lead_nowhere, "map_case")
    schema.hooks.register_hook_with_name(count_case, "after_call")
    schema.hooks.register_hook_with_name(record_checks, "after_validate")
    if OPTIONS.read_only:
        schema.hooks.register_hook_with_name(nothing_that_writes, "filter_case")
    return schema


def _op_id(case: schemathesis.Case) -> str:
    return case.operation.definition.raw.get("operationId") or case.operation.label


def allowed_in_read_only(case: schemathesis.Case) -> bool:
    """Whether `case` may be sent in this run (always, unless --read-only; see below)."""
    return not OPTIONS.read_only or nothing_that_writes(None, case)  # type: ignore[arg-type]


def nothing_that_writes(context: schemathesis.HookContext, case: schemathesis.Case) -> bool:
    """--read-only: of an operation that writes, only cases whose body breaks the schema.

    A correct server rejects those before anything is written. Not every negative
    case: one whose only mutation is in a header or the query can be accepted (a run
    here created a ticket from such a case), and nothing may be created.
    """
    if case.operation.method.upper() in SAFE_METHODS:
        return True
    meta = case.meta
    return meta is not None and meta.is_negative_at(ParameterLocation.BODY)


def record_checks(
    context: schemathesis.HookContext,
    case: schemathesis.Case,
    response: schemathesis.Response,
    results: list,
) -> None:
    """Every check's result on every response, for the operation x check report."""
    op_id = _op_id(case)
    for result in results:
        failure = result.failure
        if failure is None:
            RECORD.check(op_id, result.name, passed=True)
            continue
        detail = (
            f"{failure.title}\n{failure.message}\n"
            f"{response.request.method} {response.request.url} -> {response.status_code}\n"
            f"Reproduce with:\n    {runtime.curl_for(response.request)}"
        )
        RECORD.check(op_id, result.name, passed=False, detail=detail)


# Operation label -> {path parameter: id of a real resource}, made at start: each
# operation its own ticket (and action), so one closing its ticket does not turn the
# others' cases into 409s.
RESOURCES: dict[str, dict[str, str]] = {}


def _stateful(case: schemathesis.Case) -> bool:
    """Whether `case` is a step of a stateful scenario (test_stateful), not a per-operation case."""
    meta = case.meta
    return meta is not None and meta.phase.name == "stateful"


def real_ids_in_half_the_positive_cases(
    context: schemathesis.HookContext, case: schemathesis.Case
) -> schemathesis.Case:
    """Point half the positive cases at a real ticket (and action) instead of a random id.

    Random ids are almost always 404, so without this the generated bodies of
    updateTicket, addMessage and runAction would never reach the code behind the
    lookup. Which half is decided by the generated data itself, so a failing case
    replays the same way. Negative cases keep their generated ids.

    Stateful steps keep theirs too: their ids come from the links (the ticket the
    scenario created), which is what test_stateful tests. A shared ticket would also
    carry state from earlier scenarios (closed by one, answered 409 in the next), and
    the state machine's next steps depend on those answers: Hypothesis replays a
    scenario's steps and fails with FlakyStrategyDefinition when they differ.
    """
    meta = case.meta
    real = RESOURCES.get(case.operation.label, {})
    if (
        meta is None
        or _stateful(case)
        or meta.generation.mode.name.lower() != "positive"
        or not case.path_parameters
        or not set(case.path_parameters) <= set(real)
    ):
        return case
    # The generated path parameters count too: an operation with no body, query or
    # headers (GET /tickets/{ticket_id}) would otherwise get all real ids or none.
    seen = json.dumps(
        [case.path_parameters, case.body, case.query, dict(case.headers or {})], default=str
    )
    if hashlib.sha256(seen.encode()).digest()[0] % 2 == 0:
        for name in case.path_parameters:
            case.path_parameters[name] = real[name]
    return case


# Where the suite's webhook endpoints point: a host under `.invalid` (RFC 6761), which
# no resolver answers, so a live server's dispatcher never sends the tenant's events
# anywhere (a generated URL could name any host on the internet).
NOWHERE_URL = "https://receiver.threada-contract.invalid/webhooks"


def webhook_urls_that_lead_nowhere(
    context: schemathesis.HookContext, case: schemathesis.Case
) -> schemathesis.Case:
    """In positive cases, a webhook endpoint's `url` is NOWHERE_URL (see above).

    Negative cases keep their generated `url`: the server must refuse them, and
    nothing is created."""
    meta = case.meta
    if meta is None or meta.generation.mode.name.lower() != "positive":
        return case
    if isinstance(case.body, dict) and "url" in case.body and "webhook" in case.operation.path:
        case.body = {**case.body, "url": NOWHERE_URL}
    return case


def idempotency_keys_per_request(
    context: schemathesis.HookContext, case: schemathesis.Case
) -> schemathesis.Case:
    """In positive cases, bind a generated Idempotency-Key to the request it is sent with.

    Generation reuses a few keys (the spec's example, "0") across different bodies,
    which the spec documents as a 409 idempotency_conflict: a client mistake, not
    valid data. A digest of the request is appended, so a key is reused only by
    the same request (a replay, which must answer the first response).

    In a stateful scenario the digest also covers the scenario: a key is reused
    only within it. Hypothesis runs a scenario's first steps again in later
    scenarios; with the same key, createTicket would answer the ticket the earlier
    run made (and maybe closed), not a new one, and the steps after it would get
    other answers (409 instead of 200) than the same steps got the first time.
    """
    meta = case.meta
    headers = case.headers
    if meta is None or meta.generation.mode.name.lower() != "positive" or not headers:
        return case
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str):
            request = [case.operation.label, case.path_parameters, case.body]
            if _stateful(case):
                request.insert(0, current_scenario())
            seen = json.dumps(request, default=str)
            digest = hashlib.sha256(seen.encode()).hexdigest()[:16]
            headers[name] = f"{headers[name][:200]}-{digest}"
    return case


def body_json_that_parses(
    context: schemathesis.HookContext, case: schemathesis.Case
) -> schemathesis.Case:
    """In positive cases, make a generated `payload.body_json` parse as JSON.

    The spec says body_json "must parse as JSON", which JSON Schema cannot state;
    random strings almost never do, so actions would nearly always be a 400 and the
    stateful runs would rarely get an action to follow runAction -> getAction. The
    generated text is kept, as a JSON string literal. Negative cases are untouched.
    """
    meta = case.meta
    body = case.body
    if (
        meta is not None
        and meta.generation.mode.name.lower() == "positive"
        and isinstance(body, dict)
        and isinstance(body.get("payload"), dict)
        and isinstance(body["payload"].get("body_json"), str)
    ):
        try:
            json.loads(body["payload"]["body_json"])
        except ValueError:
            body["payload"]["body_json"] = json.dumps(body["payload"]["body_json"])
    return case


# (test label, operation label) -> {status: count}: what the suite sent, for the summary.
CASES: dict[tuple[str, str], Counter] = defaultdict(Counter)


def count_case(
    context: schemathesis.HookContext, case: schemathesis.Case, response: schemathesis.Response
) -> None:
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split("[")[0].split(" ")[0]
    CASES[(test, case.operation.label)][response.status_code] += 1
    ring = checks._KEYRING
    RECORD.response(
        _op_id(case),
        case.operation.label,
        response.status_code,
        full_key=ring is not None and checks.sent_key(response) == ring.full_key,
        body=response.content or b"",
    )
    if os.environ.get("CONTRACT_DEBUG") and case.operation.label.endswith(
        os.environ["CONTRACT_DEBUG"]
    ):
        curl = runtime.curl_for(response.request)
        print(f"\nDEBUG {case.operation.label} {response.status_code} {curl}")
        print(f"DEBUG   <- {REDACT(repr(response.content[:300]))}")


# --- pytest hooks: redaction, the summary table, the coverage tests last, our JUnit -------------

_STARTED = time.monotonic()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """No key in any report (terminal, pytest's JUnit): every text goes through REDACT."""
    report = yield
    _redact_longrepr(report)
    report.sections = [(title, REDACT(text)) for title, text in report.sections]
    return report


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: Any, call: pytest.CallInfo, report: pytest.TestReport) -> None:
    """Schemathesis rewrites a failure's text here, after makereport: redact it again."""
    _redact_longrepr(report)


def _redact_longrepr(report: pytest.TestReport) -> None:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        report.longrepr = (*longrepr[:2], REDACT(str(longrepr[2])))
    elif longrepr is not None:
        report.longrepr = REDACT(str(longrepr))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The coverage verdicts judge what every other test did: they run last."""
    items.sort(key=lambda item: item.path.name == "test_coverage.py")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CASES:
        return
    tr = terminalreporter
    tr.section("contract suite: requests sent per operation (status: count)")
    for (test, label), statuses in sorted(CASES.items()):
        spread = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
        tr.write_line(f"{test:<48} {label:<48} {sum(statuses.values()):>5}  ({spread})")
    total = sum(sum(c.values()) for c in CASES.values())
    tr.write_line(f"total requests: {total}")
    schema = _SESSION.get("schema")
    if schema is None:
        return
    document = _SESSION["document"]
    tr.section("contract suite: operation x check")
    names = [c.__name__ for c in checks.CUSTOM_CHECKS]
    for line in coverage.summary_table(document, RECORD, check_names=names):
        tr.write_line(line)
    followed, links = coverage.link_counts(document, RECORD)
    explored = sum(1 for n in RECORD.explored_links.values() if n)
    inferred = sum(1 for n in RECORD.inferred_links.values() if n)
    tr.write_line(
        f"links of the spec followed to a 2xx: {followed} of {links} "
        f"({explored} of them by the exploration, the rest by the walk); "
        f"links Schemathesis inferred and followed to a 2xx: {inferred}"
    )
    problems = [p for *_, p in coverage.all_verdicts(document, RECORD) if p]
    if OPTIONS.coverage:
        tr.write_line(
            "coverage: " + ("complete" if not problems else f"{len(problems)} gap(s), see below")
        )
        for problem in problems:
            tr.write_line(f"  NOT COVERED: {REDACT(problem)}")
    pacer = runtime.PACER
    if pacer.limits:
        tr.write_line(
            f"{pacer.sent} requests sent; "
            f"rate limit: {'/'.join(str(n) for n in sorted(pacer.limits))} requests/min per key; "
            f"waited {pacer.waited:.1f} s for it ({pacer.refused} answers 429, each waited out and "
            f"sent again); run took {time.monotonic() - _STARTED:.1f} s"
            + ("; pacing: spread (--burst goes faster)" if pacer.pacing == "spread" else "")
        )
    if OPTIONS.junit_path:
        tr.write_line(f"operation x check report: {OPTIONS.junit_path}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    document = _SESSION.get("document")
    if OPTIONS.junit_path and document is not None:
        verdicts = coverage.all_verdicts(document, RECORD) if OPTIONS.coverage else []
        runtime.write_junit(OPTIONS.junit_path, RECORD, verdicts)


def no_forged_page_tokens_in_positive_cases(
    context: schemathesis.HookContext, case: schemathesis.Case
) -> schemathesis.Case:
    """Drop generated `page_token`s from positive cases (the one relaxation, see README).

    A page token is valid only as the server issued it (HMAC-signed, bound to
    tenant and filters; the spec documents a forged one as 400), so a random
    string that fits the schema is not "valid data" and positive_data_acceptance
    would flag every one. Negative cases keep them (the 400 is checked), and
    test_pagination follows real tokens.
    """
    meta = case.meta
    if (
        meta is not None
        and meta.generation.mode.name.lower() == "positive"
        and isinstance(case.query, dict)
        and "page_token" in case.query
    ):
        # In place: a derived case would lose its explicit-auth mark (ignored_auth relies on it).
        del case.query["page_token"]
    return case


# Schemathesis 4.32's lazy `from_fixture` breaks on pytest 9 (`Function._nodeid`), and
# `@schema.parametrize()` needs the schema when the test module is imported. So the
# target is one per process, built on first use and closed when pytest finishes.
_SESSION: dict[str, Any] = {}


def session_target() -> Target:
    if "target" not in _SESSION:
        stack = contextlib.ExitStack()
        tgt = stack.enter_context(target_from_env())
        REDACT.add(tgt.key, runtime.key_variable(None))
        for scopes, key in tgt.scoped_keys.items():
            REDACT.add(key, runtime.key_variable(scopes))
        runtime.set_live(not tgt.in_process)
        checks.configure(full_key=tgt.key, scoped_keys=tgt.scoped_keys)
        schema = load_schema(tgt)
        # Before Schemathesis' state machine rewrites the links it reads.
        document = copy.deepcopy(schema.raw_schema)
        _SESSION.update(target=tgt, stack=stack, schema=schema, document=document)
        RESOURCES.update(make_resources(schema, tgt))
    return _SESSION["target"]


def make_resources(schema: schemathesis.BaseSchema, target: Target) -> dict[str, dict[str, str]]:
    """Per operation with path parameters: a ticket and an action on it, made through the API.

    A --read-only run makes nothing: it reads the first tickets (and an action) the
    tenant has. Whatever cannot be made (a key without the scope, no actions base URL)
    is left out; the coverage verdicts then say what was not reached, and why.
    """
    from contract_tests.helpers import (
        operation_by_id,
        operations,
        request_example,
        send,
    )

    if OPTIONS.read_only:
        return existing_resources(schema, target)
    out = {}
    ticket_body = request_example(schema, operation_by_id(schema, "createTicket"))
    action_body = request_example(schema, operation_by_id(schema, "runAction"))
    for op in operations(schema):
        if "{" not in op.path:
            continue
        _, response = send(schema, "createTicket", target.key, body=ticket_body, validate=False)
        if response.status_code != 201:
            continue
        resources = {"ticket_id": response.json()["ticket"]["summary"]["ticket_id"]}
        if "{action_id}" in op.path:
            _, response = send(
                schema, "runAction", target.key, path=resources, body=action_body, validate=False
            )
            if response.status_code == 201:
                resources["action_id"] = response.json()["action"]["action_id"]
        out[op.label] = resources
    return out


def existing_resources(
    schema: schemathesis.BaseSchema, target: Target
) -> dict[str, dict[str, str]]:
    """--read-only: ids of tickets (and an action) the tenant already has; none are made."""
    from contract_tests.helpers import operations, send

    _, response = send(schema, "listTickets", target.key, query={"limit": 25}, validate=False)
    if response.status_code != 200:
        return {}
    ids = [item["ticket_id"] for item in response.json().get("items", [])]
    found: dict[str, str] = {"ticket_id": ids[0]} if ids else {}
    for ticket_id in ids:
        _, response = send(
            schema, "listActions", target.key, path={"ticket_id": ticket_id}, validate=False
        )
        items = response.json().get("items", []) if response.status_code == 200 else []
        if items:
            found = {"ticket_id": ticket_id, "action_id": items[0]["action_id"]}
            break
    # A webhook endpoint (and a delivery of it) the tenant has, for the operations on one.
    _, response = send(schema, "listWebhookEndpoints", target.key, validate=False)
    endpoints = response.json().get("items", []) if response.status_code == 200 else []
    if endpoints:
        found["endpoint_id"] = endpoints[0]["endpoint_id"]
        _, response = send(
            schema,
            "listWebhookDeliveries",
            target.key,
            path={"endpoint_id": found["endpoint_id"]},
            validate=False,
        )
        items = response.json().get("items", []) if response.status_code == 200 else []
        if items:
            found["delivery_id"] = items[0]["delivery_id"]
    return {op.label: dict(found) for op in operations(schema) if "{" in op.path}


def session_schema() -> schemathesis.BaseSchema:
    session_target()
    return _SESSION["schema"]


def pytest_configure(config: pytest.Config) -> None:
    """Before anything is sent: refuse to write to a tenant not marked for testing."""
    if not _LIVE or OPTIONS.read_only or OPTIONS.allow_live_tenant:
        return
    keys = [os.environ.get("CONTRACT_KEY", "")]
    keys += [
        part.partition("=")[2].strip()
        for part in os.environ.get("CONTRACT_SCOPED_KEYS", "").split(";")
        if part.strip()
    ]
    if not all(k.startswith(TEST_KEY_PREFIX) for k in keys):
        raise pytest.UsageError(
            "refusing to write: the key is not a testing tenant's (its keys start "
            f"{TEST_KEY_PREFIX}; `threada admin tenants create NAME --testing`). A full run "
            "creates tickets and runs actions that the API cannot remove. Use --read-only "
            "against this tenant, or --allow-live-tenant if it really is one for testing."
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    stack = _SESSION.pop("stack", None)
    if stack is not None:
        stack.close()
    _SESSION.clear()


@pytest.fixture(scope="session")
def target() -> Target:
    return session_target()


@pytest.fixture(scope="session")
def contract_schema() -> schemathesis.BaseSchema:
    return session_schema()


@pytest.fixture(scope="session")
def spec_document(contract_schema: schemathesis.BaseSchema) -> dict:
    return contract_schema.raw_schema
