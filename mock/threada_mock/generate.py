"""Random JSON values from JSON Schema 2020-12 (the subset OpenAPI specs use).

Small and fast on purpose (hypothesis-jsonschema takes seconds to build a
strategy): types and type lists, enum/const, $ref, allOf/anyOf/oneOf,
properties/required/minProperties, arrays with min/max/uniqueItems, string
lengths, patterns (through `re`'s own parser) and the common formats, and
number bounds. Callers validate what comes out and retry: the generator aims
for valid data, the validator guarantees it.
"""

from __future__ import annotations

import random
import re
import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

try:  # Python 3.11+: the regex parser lives in re._parser
    from re import _constants as sre_c  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

from .spec import pointer_get

_WORDS = (
    "refund order parcel delivery invoice account password login shipping return "
    "exchange warranty payment card subscription upgrade cancel address damaged "
    "missing late update question help urgent customer support ticket reply"
).split()
_PRINTABLE = string.ascii_letters + string.digits + "-_."
_CATEGORIES = {
    sre_c.CATEGORY_DIGIT: string.digits,
    sre_c.CATEGORY_NOT_DIGIT: string.ascii_letters + "-_",
    sre_c.CATEGORY_SPACE: " ",
    sre_c.CATEGORY_NOT_SPACE: string.ascii_letters + string.digits,
    sre_c.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre_c.CATEGORY_NOT_WORD: " -.,",
}
_MAX_DEPTH = 8
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ID = re.compile(r"^([a-z]+_)([0-9A-Z]{10,})$")


def regex_sample(pattern: str, rnd: random.Random, *, max_repeat: int = 8) -> str:
    """A string that `re.search(pattern, s)` should match (anchors are honoured by
    generating only the pattern itself)."""
    parsed = sre_parse.parse(pattern)
    groups: dict[int, str] = {}
    return _regex_gen(list(parsed), rnd, groups, max_repeat)


def _regex_in(items: list[Any], rnd: random.Random) -> str:
    negate = False
    pool: list[str] = []
    for op, av in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            pool.append(chr(av))
        elif op is sre_c.RANGE:
            lo, hi = av
            if hi - lo > 200:
                pool.extend(chr(rnd.randint(lo, hi)) for _ in range(20))
            else:
                pool.extend(chr(c) for c in range(lo, hi + 1))
        elif op is sre_c.CATEGORY:
            pool.extend(_CATEGORIES.get(av, "a"))
    if negate:
        banned = set(pool)
        pool = [c for c in _PRINTABLE if c not in banned] or ["~"]
    return rnd.choice(pool) if pool else "a"


def _regex_gen(parsed: list[Any], rnd: random.Random, groups: dict[int, str], cap: int) -> str:
    out: list[str] = []
    for op, av in parsed:
        if op is sre_c.LITERAL:
            out.append(chr(av))
        elif op is sre_c.NOT_LITERAL:
            out.append(rnd.choice([c for c in _PRINTABLE if ord(c) != av]))
        elif op is sre_c.ANY:
            out.append(rnd.choice(string.ascii_letters))
        elif op is sre_c.IN:
            out.append(_regex_in(av, rnd))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            hi = lo + cap if hi is sre_c.MAXREPEAT else min(hi, lo + cap)
            for _ in range(rnd.randint(lo, hi)):
                out.append(_regex_gen(list(sub), rnd, groups, cap))
        elif op is sre_c.SUBPATTERN:
            group, _add, _del, sub = av
            text = _regex_gen(list(sub), rnd, groups, cap)
            if group is not None:
                groups[group] = text
            out.append(text)
        elif op is getattr(sre_c, "ATOMIC_GROUP", None):
            out.append(_regex_gen(list(av), rnd, groups, cap))
        elif op is sre_c.BRANCH:
            _, branches = av
            out.append(_regex_gen(list(rnd.choice(branches)), rnd, groups, cap))
        elif op is sre_c.GROUPREF:
            out.append(groups.get(av, ""))
        elif op is sre_c.CATEGORY:
            out.append(rnd.choice(_CATEGORIES.get(av, "a")))
        # AT (anchors), ASSERT, ASSERT_NOT: nothing to emit; the validator judges.
    return "".join(out)


#: Faker's locales for people and text: English (US) and Hindi (India), as the product's
#: own examples.
FAKE_LOCALES = ("en_US", "hi_IN")
_SUPPORT_WORDS = {
    "en_US": _WORDS,
    "hi_IN": (
        "रिफंड ऑर्डर पार्सल डिलीवरी बिल खाता पासवर्ड लॉगिन भुगतान कार्ड सदस्यता पता "
        "वापसी बदलाव वारंटी देरी सवाल मदद ज़रूरी ग्राहक सहायता जवाब"
    ).split(),
}
#: Lists whose items the spec orders, and how (the server's orders, ARCHITECTURE.md).
_NEWEST_FIRST = ("updated_at", "created_at")


class Generator:
    """Generates instances of schemas that live in `doc` (refs are `#/...`)."""

    def __init__(
        self,
        doc: dict[str, Any],
        seed: int | None = None,
        fake: tuple[str, ...] = FAKE_LOCALES,
    ) -> None:
        self.doc = doc
        self.seed = seed
        self.rnd = random.Random(seed)  # noqa: S311 - mock data, not secrets
        self.fake_locales = fake
        self._fake: Any = None

    # -- realistic data ------------------------------------------------------

    @property
    def fake(self) -> Any:
        """A Faker over `fake_locales`, made on first use (it takes ~0.25 s)."""
        if self._fake is None:
            from faker import Faker

            self._fake = Faker(list(self.fake_locales))
            self._fake.seed_instance(self.rnd.getrandbits(32))
        return self._fake

    def realistic(self, value: Any, params: dict[str, Any]) -> Any:
        """Make a generated value look like the API's: people, emails, phones, subjects
        and contents from Faker (English and Hindi), ids in the server's form
        (`tkt_` + 26 Crockford base32 characters, time-ordered), timestamps in order
        (`created_at` <= `last_message_at` <= `updated_at`, `completed_at` after
        `created_at`), lists in the spec's order, and the request's filters and paging
        honoured (`status`, `channel`, `priority`, `tag`, `updated_after`, `limit`,
        and the path's ids). The caller validates the result against the schema."""
        self._realistic(value, params, None)
        return value

    def _realistic(self, value: Any, params: dict[str, Any], key: str | None) -> None:
        if isinstance(value, list):
            for item in value:
                self._realistic(item, params, key)
            if key in ("items", "messages") and value and isinstance(value[0], dict):
                self._order(value, params)
            return
        if not isinstance(value, dict):
            return
        locale = self.rnd.choice(self.fake_locales)
        fake = self.fake[locale]
        for k, v in list(value.items()):
            if isinstance(v, dict | list):
                self._realistic(v, params, k)
            elif k.endswith("_id") and isinstance(params.get(k), str) and _ID.match(params[k]):
                value[k] = params[k]  # the path's ticket_id / action_id
            elif isinstance(v, str) and _ID.match(v) and k.endswith("_id"):
                value[k] = self.ulid(v.split("_", 1)[0] + "_")
            elif k == "name" and isinstance(v, str):
                value[k] = fake.name()[:200]
            elif k == "email" and isinstance(v, str):
                value[k] = fake.email()
            elif k == "phone" and isinstance(v, str):
                country = "+91" if locale == "hi_IN" else "+1"
                value[k] = country + fake.numerify("%#########")
            elif k == "subject" and isinstance(v, str):
                words = _SUPPORT_WORDS.get(locale, _WORDS)
                value[k] = fake.sentence(nb_words=5, ext_word_list=words)[:200]
            elif k == "content" and isinstance(v, str):
                words = _SUPPORT_WORDS.get(locale, _WORDS)
                value[k] = fake.paragraph(nb_sentences=2, ext_word_list=words)
        self._filters(value, params)
        self._times(value, params)

    def _filters(self, obj: dict[str, Any], params: dict[str, Any]) -> None:
        for name in ("status", "channel", "priority"):
            wanted = params.get(name)
            if name in obj and isinstance(wanted, list) and wanted and obj[name] not in wanted:
                obj[name] = self.rnd.choice(wanted)
        tag = params.get("tag")
        if isinstance(tag, str) and isinstance(obj.get("tags"), list) and "updated_at" in obj:
            if tag not in obj["tags"]:
                obj["tags"] = [tag, *obj["tags"]][: max(1, len(obj["tags"]))]

    def _times(self, obj: dict[str, Any], params: dict[str, Any]) -> None:
        if not isinstance(obj.get("created_at"), str):
            return
        floor = datetime(2026, 1, 1, tzinfo=UTC)
        after = params.get("updated_after")
        if isinstance(after, str) and "updated_at" in obj:
            try:
                floor = datetime.fromisoformat(after.replace("Z", "+00:00")).astimezone(UTC)
            except ValueError:
                pass
        created = floor + timedelta(seconds=self.rnd.randint(1, 30 * 86400))
        obj["created_at"] = _rfc3339(created)
        updated = created + timedelta(seconds=self.rnd.randint(0, 3 * 86400))
        if isinstance(obj.get("updated_at"), str):
            obj["updated_at"] = _rfc3339(updated)
        if isinstance(obj.get("last_message_at"), str):
            span = int((updated - created).total_seconds())
            obj["last_message_at"] = _rfc3339(
                created + timedelta(seconds=self.rnd.randint(0, span))
            )
        if isinstance(obj.get("completed_at"), str):
            result = obj.get("result")
            ms = result.get("duration_ms") if isinstance(result, dict) else None
            took = timedelta(milliseconds=ms if isinstance(ms, int) else 250)
            obj["completed_at"] = _rfc3339(created + took)

    def _order(self, items: list[Any], params: dict[str, Any]) -> None:
        limit = params.get("limit")
        if isinstance(limit, int) and len(items) > limit:
            del items[limit:]
        first = items[0]
        if "updated_at" in first:  # tickets: activity order, newest first
            items.sort(
                key=lambda i: (i.get("updated_at", ""), i.get("ticket_id", "")), reverse=True
            )
        elif "message_id" in first:  # a conversation: oldest first
            items.sort(key=lambda i: (i.get("created_at", ""), i.get("message_id", "")))
        elif "created_at" in first:  # actions: newest first
            items.sort(
                key=lambda i: (i.get("created_at", ""), i.get("action_id", "")), reverse=True
            )

    def ulid(self, prefix: str) -> str:
        """`prefix` + 26 Crockford base32 characters: 48 bits of milliseconds, 80 random
        (the server's id form, `threada.ids.new_id`)."""
        ms = int(self._time().timestamp() * 1000)
        value = (ms << 80) | self.rnd.getrandbits(80)
        chars = []
        for _ in range(26):
            chars.append(_CROCKFORD[value & 31])
            value >>= 5
        return prefix + "".join(reversed(chars))

    def generate(self, schema: Any) -> Any:
        return self._gen(schema, 0)

    # -- schema plumbing -------------------------------------------------

    def _resolve(self, schema: Any) -> Any:
        """Inline a `$ref` (merged with its siblings) and `allOf`."""
        for _ in range(50):
            if not isinstance(schema, dict):
                return schema
            if "$ref" in schema:
                target = pointer_get(self.doc, schema["$ref"].lstrip("#"))
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                schema = _merge(self._resolve(target), rest) if rest else target
                continue
            if "allOf" in schema:
                merged = {k: v for k, v in schema.items() if k != "allOf"}
                for sub in schema["allOf"]:
                    merged = _merge(merged, self._resolve(sub))
                schema = merged
                continue
            return schema
        raise ValueError("schema $ref/allOf nesting too deep")

    def _gen(self, schema: Any, depth: int) -> Any:
        schema = self._resolve(schema)
        if schema is True or schema == {}:
            return self._words(1, 20)
        if schema is False:
            raise ValueError("cannot generate a value for the schema `false`")
        rnd = self.rnd
        for key in ("oneOf", "anyOf"):
            if key in schema:
                rest = {k: v for k, v in schema.items() if k != key}
                branch = self._resolve(rnd.choice(schema[key]))
                return self._gen(_merge(rest, branch) if rest else branch, depth + 1)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return rnd.choice(schema["enum"])
        types = schema.get("type")
        if isinstance(types, list):
            non_null = [t for t in types if t != "null"]
            if "null" in types and (not non_null or rnd.random() < 0.25):
                return None
            t = rnd.choice(non_null)
        elif isinstance(types, str):
            t = types
        elif "properties" in schema or "required" in schema:
            t = "object"
        elif "items" in schema or "prefixItems" in schema:
            t = "array"
        elif any(k in schema for k in ("minimum", "maximum", "multipleOf")):
            t = "number"
        else:
            t = "string"
        if t == "null":
            return None
        if t == "boolean":
            return rnd.random() < 0.5
        if t in ("integer", "number"):
            return self._number(schema, integer=t == "integer")
        if t == "array":
            return self._array(schema, depth)
        if t == "object":
            return self._object(schema, depth)
        return self._string(schema)

    # -- per type ---------------------------------------------------------

    def _number(self, schema: dict[str, Any], *, integer: bool) -> int | float:
        lo: float | None = schema.get("minimum")
        hi: float | None = schema.get("maximum")
        if isinstance(schema.get("exclusiveMinimum"), int | float):
            ex = schema["exclusiveMinimum"]
            lo = max(lo, ex + (1 if integer else 1e-6)) if lo is not None else ex + 1
        if isinstance(schema.get("exclusiveMaximum"), int | float):
            ex = schema["exclusiveMaximum"]
            hi = min(hi, ex - (1 if integer else 1e-6)) if hi is not None else ex - 1
        if lo is None:
            lo = 0 if hi is None else hi - 1000
        if hi is None:
            hi = lo + 1000
        if integer:
            import math

            lo_i, hi_i = math.ceil(lo), math.floor(hi)
            mult = schema.get("multipleOf")
            value = self.rnd.randint(lo_i, max(lo_i, hi_i))
            if isinstance(mult, int) and mult > 0:
                value = max(lo_i, (value // mult) * mult)
                if value < lo_i:
                    value += mult
            return value
        return round(self.rnd.uniform(lo, hi), 3)

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        lo = schema.get("minItems", 0)
        hi = schema.get("maxItems", lo + 3)
        if depth >= _MAX_DEPTH:
            hi = lo
        n = self.rnd.randint(lo, max(lo, min(hi, lo + 3)))
        prefix = schema.get("prefixItems", [])
        item_schema = schema.get("items", {})
        out: list[Any] = []
        seen: set[str] = set()
        attempts = 0
        while len(out) < n and attempts < n * 10 + 10:
            attempts += 1
            sub = prefix[len(out)] if len(out) < len(prefix) else item_schema
            value = self._gen(sub, depth + 1)
            if schema.get("uniqueItems"):
                key = repr(value)
                if key in seen:
                    continue
                seen.add(key)
            out.append(value)
        return out

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties", {})
        required = list(dict.fromkeys(schema.get("required", [])))
        optional = [p for p in props if p not in required]
        chosen = list(required)
        if depth < _MAX_DEPTH:
            chosen += [p for p in optional if self.rnd.random() < 0.6]
        min_props = schema.get("minProperties", 0)
        for p in optional:
            if len(chosen) >= min_props:
                break
            if p not in chosen:
                chosen.append(p)
        out: dict[str, Any] = {}
        for name in chosen:
            out[name] = self._gen(props.get(name, {}), depth + 1)
        return out

    def _string(self, schema: dict[str, Any]) -> str:
        lo = schema.get("minLength", 0)
        hi = schema.get("maxLength")
        fmt = schema.get("format")
        rnd = self.rnd
        if "pattern" in schema:
            for _ in range(20):
                s = regex_sample(schema["pattern"], rnd)
                if len(s) >= lo and (hi is None or len(s) <= hi):
                    return s
            return s
        examples = [e for e in schema.get("examples", []) if isinstance(e, str)]
        id_example = next((e for e in examples if _ID.match(e)), None)
        if id_example is not None and fmt is None:
            return self.ulid(id_example.split("_", 1)[0] + "_")  # an id: the server's form
        if examples and fmt is None and rnd.random() < 0.7:
            # Realistic data: the spec's own examples, with fresh ids ("tkt_01JK..." keeps
            # its prefix and length).
            example = rnd.choice(examples)
            m = _ID.match(example)
            if m:
                return self.ulid(m.group(1))
            return example
        if fmt == "date-time":
            return _rfc3339(self._time())
        if fmt == "date":
            return self._time().date().isoformat()
        if fmt == "time":
            return self._time().strftime("%H:%M:%SZ")
        if fmt in ("email", "idn-email"):
            return f"{rnd.choice(_WORDS)}.{rnd.randint(1, 999)}@example.com"
        if fmt in ("uri", "iri", "url"):
            return f"https://example.com/{rnd.choice(_WORDS)}/{rnd.randint(1, 9999)}"
        if fmt in ("uri-reference", "iri-reference"):
            return f"/{rnd.choice(_WORDS)}/{rnd.randint(1, 9999)}"
        if fmt == "uuid":
            return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        if fmt in ("hostname", "idn-hostname"):
            return f"{rnd.choice(_WORDS)}.example.com"
        if fmt == "ipv4":
            return ".".join(str(rnd.randint(1, 254)) for _ in range(4))
        if fmt == "ipv6":
            return "2001:db8::" + format(rnd.randint(1, 0xFFFF), "x")
        return self._words(lo, hi)

    def _words(self, lo: int, hi: int | None) -> str:
        rnd = self.rnd
        target = rnd.randint(max(lo, 1), max(lo, 1, min(hi or 40, 40)))
        text = rnd.choice(_WORDS).capitalize()
        while len(text) < target:
            text += " " + rnd.choice(_WORDS)
        if hi is not None:
            text = text[:hi].rstrip() or text[:hi]
        while len(text) < lo:
            text += "x"
        return text

    def _time(self) -> datetime:
        base = datetime(2026, 1, 1, tzinfo=UTC)
        return base + timedelta(seconds=self.rnd.randint(0, 330 * 86400))


def _rfc3339(t: datetime) -> str:
    ms = t.microsecond // 1000
    core = t.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{core}.{ms:03d}Z"


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Shallow merge of two schemas that must both hold: `required` and `properties`
    are combined, other keys of `b` win."""
    out = dict(a)
    for k, v in b.items():
        if k == "required" and "required" in out:
            out[k] = list(dict.fromkeys([*out[k], *v]))
        elif k == "properties" and "properties" in out:
            out[k] = {**out[k], **v}
        elif k == "type" and "type" in out and isinstance(v, list) != isinstance(out[k], list):
            left = out[k] if isinstance(out[k], list) else [out[k]]
            right = v if isinstance(v, list) else [v]
            both = [t for t in left if t in right]
            out[k] = both[0] if len(both) == 1 else both or v
        else:
            out[k] = v
    return out


def rfc3339(t: datetime) -> str:
    """Render a UTC time as the spec wants it: `Z`, always three fractional digits."""
    return _rfc3339(t.astimezone(UTC))
