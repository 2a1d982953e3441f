"""Coverage that can fail: what a run must have reached, and why it did not.

Read from the spec (operations, their scopes, their links) and from what the run
recorded (`runtime.RECORD`), never from a list kept here. A run is green only when
every operation answered a 2xx, every link of the spec was followed to a 2xx and
every scope was used by an operation that needs it; a `--read-only` run requires
the operations that change nothing only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from contract_tests.checks import _resolve, facts_from
from contract_tests.runtime import OPTIONS, RECORD, SAFE_METHODS, Record

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@dataclasses.dataclass(frozen=True)
class Operation:
    op_id: str
    method: str
    path: str
    # the scope sets, one of which a key must hold
    alternatives: tuple[frozenset[str], ...]
    # link name -> target operationId
    links: dict[str, str]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def writes(self) -> bool:
        return self.method.upper() not in SAFE_METHODS


def spec_operations(document: dict) -> list[Operation]:
    facts = facts_from(document)
    out = []
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            links: dict[str, str] = {}
            for response in op.get("responses", {}).values():
                for name, link in (_resolve(document, response).get("links") or {}).items():
                    links[name] = _resolve(document, link)["operationId"]
            out.append(
                Operation(
                    op_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    alternatives=facts.scopes.get(op["operationId"], ()),
                    links=links,
                )
            )
    return out


def _needs(alternatives: tuple[frozenset[str], ...]) -> str:
    return " or ".join("+".join(sorted(a)) for a in alternatives) or "no scope"


def why_no_2xx(op: Operation, record: Record, ops: list[Operation] | None = None) -> str:
    """The most likely reason an operation never answered a 2xx, from what it did answer.

    With the spec's operations: when every operation that links to `op` (where its
    ids come from) never answered a 2xx either, that one's reason.
    """
    statuses = record.statuses.get(op.op_id) or {}
    full = record.full_key_statuses.get(op.op_id) or {}
    errors = record.full_key_errors.get(op.op_id) or {}
    if not statuses:
        return "it was never called"
    if set(statuses) == {429}:
        return f"every call was rate-limited ({statuses[429]} answers 429)"
    if any(t == "permission_denied" for t, _ in errors):
        return f"the key lacks {_needs(op.alternatives)} (403 permission_denied)"
    if any("actions base url" in (m or "").lower() for _, m in errors):
        return "the tenant has no actions base URL (admin tenants set --actions-base-url)"
    if full and set(full) <= {401}:
        return "the key was refused (401): wrong, revoked or expired"
    sources = [o for o in ops or [] if op.op_id in o.links.values() and o.op_id != op.op_id]
    if OPTIONS.read_only and sources and all(o.writes for o in sources):
        made_by = " or ".join(o.op_id for o in sources)
        return (
            f"nothing to read: what it reads is made by {made_by}, which a --read-only run "
            "does not call, and the first 25 open tickets of the tenant have none"
        )
    if sources and not any(_ok(record, o.op_id) for o in sources):
        first = sources[0]
        return (
            f"its ids come from {first.op_id}, which never answered a 2xx: "
            f"{why_no_2xx(first, record)}"
        )
    spread = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
    return f"no call got a 2xx (statuses: {spread})"


def _ok(record: Record, op_id: str) -> bool:
    return any(200 <= s < 300 for s in record.statuses.get(op_id, {}))


def operation_verdicts(
    document: dict, record: Record = RECORD
) -> list[tuple[str, str, str | None]]:
    """(classname, name, problem or None) per operation: it answered a 2xx."""
    out = []
    ops = spec_operations(document)
    for op in ops:
        if OPTIONS.read_only and op.writes:
            continue  # not required (and not called with valid data) in a read-only run
        problem = None if _ok(record, op.op_id) else f"{op.op_id}: {why_no_2xx(op, record, ops)}"
        out.append(("coverage.operations", op.op_id, problem))
    return out


def link_verdicts(document: dict, record: Record = RECORD) -> list[tuple[str, str, str | None]]:
    """Per link of the spec: followed, and its target answered a 2xx."""
    if OPTIONS.read_only:
        return []  # the stateful runs create tickets: not run read-only
    ops = {op.op_id: op for op in spec_operations(document)}
    out = []
    for op in ops.values():
        for name, target in op.links.items():
            problem = None
            if not record.links.get((op.label, name)):
                if not _ok(record, op.op_id):
                    why = f"{op.op_id} never answered a 2xx: {why_no_2xx(op, record)}"
                elif target in ops and not _ok(record, target):
                    why = why_no_2xx(ops[target], record)
                else:
                    failed = sorted(
                        c for (o, c), t in record.checks.items() if o == target and t.failures
                    )
                    why = "the stateful runs never followed it to a 2xx" + (
                        f" that passed every check ({target} failed {', '.join(failed)})"
                        if failed
                        else ""
                    )
                problem = f"link {op.op_id}.{name} -> {target}: {why}"
            out.append(("coverage.links", f"{op.op_id}.{name} -> {target}", problem))
    return out


def link_counts(document: dict, record: Record = RECORD) -> tuple[int, int]:
    """(links followed to a 2xx, links in the spec)."""
    verdicts = [v for v in link_verdicts(document, record)]
    if not verdicts:
        total = sum(len(op.links) for op in spec_operations(document))
        return 0, total
    return sum(1 for *_, p in verdicts if p is None), len(verdicts)


def scope_verdicts(document: dict, record: Record = RECORD) -> list[tuple[str, str, str | None]]:
    """Per scope: an operation that cannot do without it answered a 2xx."""
    ops = spec_operations(document)
    scopes: dict[str, None] = {}
    for op in ops:
        for alt in op.alternatives:
            for s in sorted(alt):
                scopes.setdefault(s, None)
    out = []
    for scope in scopes:
        # Operations every alternative of which includes the scope; else any that names it.
        needing = [op for op in ops if op.alternatives and all(scope in a for a in op.alternatives)]
        needing = needing or [op for op in ops if any(scope in a for a in op.alternatives)]
        if OPTIONS.read_only:
            needing = [op for op in needing if not op.writes]
            if not needing:
                continue  # only writes need it: not tried in a read-only run
        problem = None
        if not any(_ok(record, op.op_id) for op in needing):
            denied = any(
                t == "permission_denied"
                for op in needing
                for t, _ in record.full_key_errors.get(op.op_id, {})
            )
            why = (
                f"the key lacks {scope}"
                if denied
                else "; ".join(f"{op.op_id}: {why_no_2xx(op, record)}" for op in needing)
            )
            problem = f"scope {scope} was never tried with success: {why}"
        out.append(("coverage.scopes", scope, problem))
    return out


def all_verdicts(document: dict, record: Record = RECORD) -> list[tuple[str, str, str | None]]:
    return (
        operation_verdicts(document, record)
        + link_verdicts(document, record)
        + scope_verdicts(document, record)
    )


def summary_table(document: dict, record: Record = RECORD, check_names: Any = ()) -> list[str]:
    """Operation x check: passes/failures per cell, '-' where the check never ran (not covered)."""
    ops = spec_operations(document)
    names = sorted({c for _, c in record.checks} | set(check_names))
    lines = ["checks: " + ", ".join(f"[{i + 1}] {n}" for i, n in enumerate(names))]
    width = max([len(op.op_id) for op in ops] + [9])
    header = f"{'operation':<{width}}  {'2xx':>4} {'429':>4}  " + " ".join(
        f"{'[' + str(i + 1) + ']':>7}" for i in range(len(names))
    )
    lines.append(header)
    for op in ops:
        statuses = record.statuses.get(op.op_id, {})
        ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
        cells = []
        for name in names:
            tally = record.checks.get((op.op_id, name))
            if tally is None or (tally.passes == 0 and tally.failures == 0):
                cells.append(f"{'-':>7}")
            else:
                cells.append(f"{f'{tally.passes}/{tally.failures}':>7}")
        lines.append(f"{op.op_id:<{width}}  {ok:>4} {statuses.get(429, 0):>4}  " + " ".join(cells))
    lines.append("cells: passes/failures; '-': not covered (the check never ran on it)")
    return lines
