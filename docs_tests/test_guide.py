"""The getting-started guide, run as a partner would: every block, in order, against a
live `threada serve --init-demo` (SQLite, 127.0.0.1, a free port).

Blocks come from `openapi/docs/guide.yaml`, the source `make bundle` renders; a test
below checks the published bundle shows each block's code unchanged, so what runs
here is what the docs show, in English and in every translation.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from docs_tests import servers, snippets

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "openapi" / "docs" / "guide.yaml"
DIST = ROOT / "openapi" / "dist"
SECRET = re.compile(r"secret \(shown once\): (\S+)")


def blocks() -> list[dict]:
    guide = yaml.safe_load(GUIDE.read_text(encoding="utf-8"))
    return [b for step in guide["steps"] for b in step["blocks"] if "code" in b]


def check_expectation(block: dict, run: snippets.Run) -> None:
    assert run.returncode == 0, f"block {block['id']} failed\n{run.explain()}"
    expect = block["expect"]
    if isinstance(expect, list):
        assert run.statuses == expect, f"block {block['id']}: {run.statuses}\n{run.explain()}"
    elif "each" in expect:
        assert run.statuses, f"block {block['id']} sent no request\n{run.explain()}"
        assert set(run.statuses) == {expect["each"]}, f"{block['id']}\n{run.explain()}"
    else:
        assert run.statuses == [], f"block {block['id']} was to send nothing\n{run.explain()}"


@pytest.mark.slow
def test_every_guide_block_runs_and_gets_the_documented_status(tmp_path: Path) -> None:
    with servers.demo_server(tmp_path) as (url, server_env):
        env = snippets.environment(tmp_path, server_env)
        # The partner's workspace ("acme" in the guide) is the demo tenant: demo mode lets
        # that tenant alone reach the built-in receiver, which stands in for the guide's
        # hooks.example.com. The admin commands get the grant the server gave it
        # (THREADA_ACTIONS_TENANT_TARGETS), as an operator's shell next to it would.
        listed = snippets.run_shell(
            f"{shlex.quote(servers.threada())} admin tenants list --json", env
        )
        assert listed.returncode == 0, listed.explain()
        demo = next(t for t in json.loads(listed.stdout) if t["name"] == servers.DEMO_TENANT)
        receiver = url.split("/api/")[0]
        env["THREADA_ACTIONS_TENANT_TARGETS"] = (
            f"{demo['tenant_id']} {receiver.removeprefix('http://')}"
        )
        state = tmp_path / "state.sh"
        state.write_text("")
        replacements = {
            snippets.PRODUCTION: url,
            "https://hooks.example.com": receiver + "/_demo",
            " acme": f" {servers.DEMO_TENANT}",
        }
        ran = []
        for block in blocks():
            code = snippets.substitute(block["code"], replacements)
            if block["lang"] == "python":
                code = f"python3 - <<'__PYTHON__'\n{code}\n__PYTHON__\n"
            script = (
                f"source {shlex.quote(str(state))}\n{code}\nexport -p > {shlex.quote(str(state))}\n"
            )
            run = snippets.run_shell(script, env)
            run.code = block["code"]
            check_expectation(block, run)
            if found := SECRET.search(run.stdout):
                replacements["YOUR_API_KEY"] = found.group(1)
            ran.append(block["id"])
        # The walk did what the guide says: the ticket has the customer's message and the
        # two replies (one resend deduplicated), and the action succeeded.
        exported = dict(re.findall(r'declare -x (\w+)="([^"]*)"', state.read_text()))
        key = {"X-Api-Key": exported["THREADA_API_KEY"]}
        ticket = exported["TICKET_ID"]
        import httpx

        messages = httpx.get(f"{url}/tickets/{ticket}/messages", headers=key).json()["items"]
        assert [m["role"] for m in messages] == ["user", "agent", "agent"]
        action = httpx.get(f"{url}/tickets/{ticket}/actions/{exported['ACTION_ID']}", headers=key)
        assert action.json()["action"]["status"] == "succeeded", action.text
    assert len(ran) == len(blocks())


def test_the_published_guide_shows_every_block_unchanged_in_every_language() -> None:
    expected = [b["code"].rstrip() for b in blocks()]
    for bundle in [DIST / "openapi.json", *sorted(DIST.glob("openapi.*.json"))]:
        doc = json.loads(bundle.read_text(encoding="utf-8"))
        shown = "\n".join(t.get("description", "") for t in doc["tags"] if t.get("x-traitTag"))
        missing = [code for code in expected if code not in shown]
        assert not missing, f"{bundle.name} lacks guide code:\n" + "\n---\n".join(missing)
        first_group = doc["x-tagGroups"][0]["tags"]
        guide = yaml.safe_load(GUIDE.read_text(encoding="utf-8"))
        assert first_group == [s["id"] for s in guide["steps"]], "the guide is not first"
