"""Every response the mock can give from the spec, in every mode, validates against the
spec for its operation and status: all operations x all statuses x all examples, the
default answer, and generated (dynamic) bodies."""

from __future__ import annotations

from threada_mock.spec import deref

from .conftest import SpecChecker, call

DYNAMIC_ROUNDS = 15


def _documented(checker: SpecChecker):
    for op_id, (_m, _t, op, _s) in checker.operations().items():
        for status, raw in op["responses"].items():
            resp = deref(checker.doc, raw)
            names = []
            for media in (resp.get("content") or {}).values():
                names = list(media.get("examples") or {})
            yield op_id, status, names, resp


def test_default_answer_is_first_example_of_lowest_2xx(client, checker):
    for op_id in checker.operations():
        r = call(client, op_id, checker)
        op = checker.operations()[op_id][2]
        lowest = min(int(s) for s in op["responses"] if s.isdigit() and s.startswith("2"))
        assert r.status_code == lowest, (op_id, r.text)
        checker.check(op_id, r)
        media = deref(checker.doc, op["responses"][str(lowest)])["content"]["application/json"]
        examples = media.get("examples") or {}
        if examples:
            first = deref(checker.doc, next(iter(examples.values())))["value"]
            assert r.json() == first, op_id


def test_every_status_and_every_example_validates(client, checker):
    served = 0
    for op_id, status, names, _resp in _documented(checker):
        code = int(status) if status.isdigit() else int(status[0]) * 100 + 22
        r = call(client, op_id, checker, Prefer=f"code={code}")
        assert r.status_code == code, (op_id, status, r.text)
        checker.check(op_id, r)
        for name in names:
            prefer = f"code={code}, example={name}"
            r = call(client, op_id, checker, Prefer=prefer)
            assert r.status_code == code, (op_id, status, name, r.text)
            checker.check(op_id, r)
            served += 1
    assert served > 0


def test_dynamic_bodies_validate_for_every_status(client, checker):
    for op_id, status, _names, resp in _documented(checker):
        if not resp.get("content"):
            continue
        code = int(status) if status.isdigit() else int(status[0]) * 100 + 22
        bodies = set()
        for _ in range(DYNAMIC_ROUNDS):
            r = call(client, op_id, checker, Prefer=f"code={code}, dynamic=true")
            assert r.status_code == code
            checker.check(op_id, r)
            bodies.add(r.text)
        assert len(bodies) > 1, f"{op_id} {status}: dynamic mode always gave the same body"


def test_dynamic_flag_makes_every_answer_generated(make_client, checker):
    client = make_client(checker.path, dynamic=True)
    for op_id in checker.operations():
        for _ in range(5):
            r = call(client, op_id, checker)
            assert r.status_code < 300
            checker.check(op_id, r)


def test_every_spec_example_is_valid_for_its_schema(checker):
    """The mock serves examples as they are, so they must be valid (a spec check, kept
    here too because the mock's promise depends on it)."""
    for op_id, status, names, resp in _documented(checker):
        for media in (resp.get("content") or {}).values():
            for name in names:
                value = deref(checker.doc, media["examples"][name])["value"]
                problems = checker.validate(media["schema"], value)
                assert not problems, (op_id, status, name, problems)
