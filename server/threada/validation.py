"""What every request value must be before any rule looks at it: one place for the
server (`threada.spec`) and the mock (`threada_mock.validation`).

- `Validator`: JSON Schema 2020-12 (`jsonschema`), with `pattern` evaluated as
  ECMA-262 (the `regress` package, `u` flag), as JSON Schema says, not with
  Python's `re` (whose `$` also matches before a final line feed: `^[a-z]+$`
  would accept `"vip\\n"`), and `format: email` checked by `email-validator`
  (syntax only, no DNS), not by jsonschema's "has an @" default.
- `parse_json(raw)`: a request body as JSON, strictly: UTF-8, no duplicate
  member names (which member wins differs between parsers, so the request is
  ambiguous: refused), no NaN or Infinity, no number too long or too large to
  parse, nesting at most `MAX_DEPTH` deep. Raises `BadInput`.
- `fast_check_for(schema)`: the same verdict as `Validator(schema).is_valid`, about
  ten times sooner (`jsonschema-rs`, with this module's ECMA-262 `pattern` and
  this module's format checks plugged in as Python callbacks, so only the structural
  keywords run in Rust). Callers accept on its yes and ask `Validator` for the errors
  on its no; `server/tests/test_fast_paths.py` proves the two verdicts equal.
- `text_problems(value, field)`: every string in a value (object member names
  included) must be Unicode text without NUL and without lone surrogates,
  which no database stores as text (PostgreSQL refuses NUL; neither encodes a
  lone surrogate as UTF-8). Used for the body and for every path, query and
  header parameter.
"""

from __future__ import annotations

import functools
import json
import math
import re
import typing as t

import jsonschema_rs
import regress
from email_validator import EmailNotValidError, validate_email
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

#: Deepest nesting of arrays and objects a request body may have. The deepest the spec
#: describes is 3 (an action's payload headers); 32 leaves room and stops a body that
#: would make validators recurse (or overflow the stack) long before it can.
MAX_DEPTH = 32
#: Longest integer literal taken from a body (Python refuses more than 4300 digits with a
#: ValueError inside the parser; nothing in the API needs more than a few).
MAX_INT_DIGITS = 40

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class BadInput(ValueError):
    """A request value that is not acceptable text or JSON; `field` names where."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# --- the validator -----------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def ecma_regex(pattern: str) -> regress.Regex:
    """`pattern` compiled as an ECMA-262 regular expression (with the `u` flag when it
    allows it: JSON Schema patterns are Unicode-aware)."""
    try:
        return regress.Regex(pattern, "u")
    except Exception:  # noqa: BLE001 - regress raises its own error type; try non-Unicode
        return regress.Regex(pattern)


def _pattern(validator: t.Any, pattern: str, instance: t.Any, schema: t.Any) -> t.Iterator:
    if validator.is_type(instance, "string") and ecma_regex(pattern).find(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: t.Any, patterns: dict, instance: t.Any, schema: t.Any
) -> t.Iterator:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        regex = ecma_regex(pattern)
        for name, value in instance.items():
            if regex.find(name) is not None:
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)


@FORMAT_CHECKER.checks("email", raises=EmailNotValidError)
def _is_email(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    # Syntax only (no DNS). `.test` is allowed (test set-ups use it); the other special-use
    # names (.local, .localhost, .invalid, .onion, .arpa) are refused: no mail reaches them.
    validate_email(instance, check_deliverability=False, test_environment=True)
    return True


Validator: t.Any = validators.extend(
    Draft202012Validator,
    {"pattern": _pattern, "patternProperties": _pattern_properties},
)


def validator_for(schema: t.Any, **kwargs: t.Any) -> t.Any:
    """A `Validator` for `schema` with this module's format checker (`kwargs`: e.g. registry)."""
    return Validator(schema, format_checker=FORMAT_CHECKER, **kwargs)


# --- the fast verdict --------------------------------------------------------------------


class _EcmaPattern:
    """`pattern` for jsonschema-rs, decided by the same ECMA-262 engine as `Validator`
    (Rust's regex differs from ECMA-262 in details, e.g. Unicode `\\d`)."""

    def __init__(self, _parent: t.Any, value: str, _path: t.Any) -> None:
        self.regex = ecma_regex(value)

    def validate(self, instance: t.Any) -> None:
        if isinstance(instance, str) and self.regex.find(instance) is None:
            raise ValueError("does not match the pattern")


def _formats_in(node: t.Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "format" and isinstance(value, str):
                found.add(value)
            _formats_in(value, found)
    elif isinstance(node, list):
        for value in node:
            _formats_in(value, found)
    return found


def _conforms(fmt: str) -> t.Callable[[t.Any], bool]:
    return lambda value: FORMAT_CHECKER.conforms(value, fmt)


def _mentions(node: t.Any, keyword: str) -> bool:
    if isinstance(node, dict):
        return keyword in node or any(_mentions(v, keyword) for v in node.values())
    if isinstance(node, list):
        return any(_mentions(v, keyword) for v in node)
    return False


def fast_check_for(
    schema: t.Any, *, resources: t.Sequence[tuple[str, t.Any]] = ()
) -> t.Callable[[t.Any], bool] | None:
    """`is_valid(instance)` for `schema` from jsonschema-rs (False also where it cannot
    read the instance: no means "ask `Validator`"), or None when it cannot give
    `Validator`'s verdict (then use `Validator` alone). `resources`: (URI, document)
    pairs that `$ref`s in `schema` point into.

    Every `format` in the schema (and its resources) is decided by `FORMAT_CHECKER`
    (so a format jsonschema does not check is not checked here either), every `pattern`
    by `_EcmaPattern`. `patternProperties` would need Rust's regex: such a schema gets
    None."""
    documents = [schema, *(doc for _, doc in resources)]
    if any(_mentions(doc, "patternProperties") for doc in documents):
        return None
    formats: set[str] = set()
    for doc in documents:
        _formats_in(doc, formats)
    kwargs: dict[str, t.Any] = {
        "formats": {fmt: _conforms(fmt) for fmt in formats},
        "validate_formats": True,
        "keywords": {"pattern": _EcmaPattern},
    }
    if resources:
        kwargs["registry"] = jsonschema_rs.Registry(list(resources))
    try:
        is_valid = jsonschema_rs.Draft202012Validator(schema, **kwargs).is_valid
    except Exception:  # noqa: BLE001 - a schema it cannot take: Validator alone decides
        return None

    def check(instance: t.Any) -> bool:
        try:
            return is_valid(instance)
        except Exception:  # noqa: BLE001 - e.g. a lone surrogate, which Rust cannot take
            return False  # "not sure": Validator decides

    return check


# --- body parsing and text ---------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, t.Any]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise BadInput("body", f"member {name!r} appears more than once in one object")
            seen.add(name)
    return out


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BadInput("body", f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadInput("body", f"the number {text[:40]} is too large")
    return value


def _constant(name: str) -> t.NoReturn:
    raise BadInput("body", f"{name} is not JSON")


def parse_json(raw: bytes) -> t.Any:
    """A body's bytes as JSON under the rules above, or `BadInput` saying why not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput("body", f"not UTF-8 at byte {exc.start}") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
        )
    except BadInput:
        raise
    except RecursionError:
        raise BadInput("body", f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # JSONDecodeError, and anything int() or float() refuse
        raise BadInput("body", f"not valid JSON: {exc}") from None
    problems = text_problems(value, "body")
    if problems:
        raise BadInput(*problems[0])
    return value


def _text_reason(text: str) -> str | None:
    found = _BAD_TEXT.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain the NUL character (U+0000)"
    return f"must be valid Unicode text (a lone surrogate U+{ord(found.group()):04X})"


def text_problems(value: t.Any, field: str) -> list[tuple[str, str]]:
    """(field, reason) for every string in `value` that is not storable text, and for
    nesting past MAX_DEPTH; `field` names `value` (`body`, `query.tag`)."""
    problems: list[tuple[str, str]] = []
    stack: list[tuple[t.Any, str, int]] = [(value, field, 0)]
    while stack and len(problems) < 10:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            reason = _text_reason(item)
            if reason:
                problems.append((where, reason))
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                problems.append((field, f"nested more than {MAX_DEPTH} levels deep"))
                break
            if isinstance(item, dict):
                for name, member in item.items():
                    reason = _text_reason(name) if isinstance(name, str) else None
                    if reason:
                        problems.append((f"{where}.{name!r}", f"member name {reason}"))
                        continue
                    stack.append((member, f"{where}.{name}", depth + 1))
            else:
                stack.extend((member, f"{where}.{i}", depth + 1) for i, member in enumerate(item))
    return problems
