"""Which scopes a mock API key has.

By default every key has every scope the spec mentions. Two ways to narrow it:

1. A config file (`--config mock.yaml`, YAML or JSON)::

       keys:
         frontend-readonly: [support.read]      # only this scope
         ops-bot: {scopes: [support.actions]}
         revoked-key: null                      # answered 401, like a revoked key
       default_scopes: all                      # or a list; for keys not listed
       unknown_keys: allow                      # or "reject": unlisted keys get 401

2. The naming convention, no file needed:

   - ``mock-scopes:support.read`` has only ``support.read``;
     ``mock-scopes:support.read,support.write`` both; ``mock-scopes:`` none.
   - any key starting with ``mock-invalid`` is answered 401 (revoked/unknown).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCOPES_PREFIX = "mock-scopes:"
INVALID_PREFIX = "mock-invalid"


@dataclass
class KeyPolicy:
    all_scopes: frozenset[str]
    keys: dict[str, frozenset[str] | None] = field(default_factory=dict)
    default_scopes: frozenset[str] | None = None  # None: all scopes
    reject_unknown: bool = False

    def scopes_for(self, key: str) -> frozenset[str] | None:
        """The key's scopes, or None when the key is to be treated as invalid (401)."""
        if key in self.keys:
            return self.keys[key]
        if key.startswith(SCOPES_PREFIX):
            raw = key[len(SCOPES_PREFIX) :]
            return frozenset(s.strip() for s in raw.replace(" ", ",").split(",") if s.strip())
        if key.startswith(INVALID_PREFIX) or self.reject_unknown:
            return None
        return self.all_scopes if self.default_scopes is None else self.default_scopes


def _scopes(value: Any, where: str) -> frozenset[str] | None:
    if value is None or value is False:
        return None
    if isinstance(value, dict):
        return _scopes(value.get("scopes", []), where)
    if isinstance(value, str):
        value = [s for s in value.replace(",", " ").split() if s]
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ValueError(f"{where}: expected a list of scope names, got {value!r}")
    return frozenset(value)


def load_key_policy(path: str | Path | None, all_scopes: frozenset[str]) -> KeyPolicy:
    policy = KeyPolicy(all_scopes=all_scopes)
    if path is None:
        return policy
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    if p.suffix == ".json":
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{p}: expected a mapping at the top level")
    unknown = set(data) - {"keys", "default_scopes", "unknown_keys"}
    if unknown:
        raise ValueError(f"{p}: unknown settings {sorted(unknown)}")
    for key, value in (data.get("keys") or {}).items():
        policy.keys[str(key)] = _scopes(value, f"{p}: keys.{key}")
    default = data.get("default_scopes", "all")
    if default != "all":
        policy.default_scopes = _scopes(default, f"{p}: default_scopes") or frozenset()
    mode = data.get("unknown_keys", "allow")
    if mode not in ("allow", "reject"):
        raise ValueError(f"{p}: unknown_keys must be 'allow' or 'reject'")
    policy.reject_unknown = mode == "reject"
    unknown_scopes = {
        s for scopes in policy.keys.values() if scopes for s in scopes if s not in all_scopes
    }
    if unknown_scopes:
        raise ValueError(f"{p}: scopes not in the spec: {sorted(unknown_scopes)}")
    return policy
