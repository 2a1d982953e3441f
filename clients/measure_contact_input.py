"""Measure shapes of ContactInput ("an email or a phone") with the client generators.

    .venv/bin/python clients/measure_contact_input.py

For each shape: the type openapi-python-client gives TicketCreate.contact (and whether
the page's example round-trips), what openapi-typescript and @hey-api/openapi-ts make of
ContactInput, and what openapi-generator's python model keeps of the example's contact.
Results are in openapi/CHANGELOG.md (1.1.0) and the issue-15 report; the spec uses C.
"""

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

W = str(Path(__file__).resolve().parents[1])
TMP = tempfile.mkdtemp(prefix="contact-shapes-")
cur = json.load(open(f"{W}/openapi/dist/openapi.json"))
props = cur["components"]["schemas"]["ContactInput"]["properties"]


def _shape(text, stop):
    """The type's text without comments, up to the next declaration."""
    text = re.sub(r"/\*\*.*?\*/", "", text, flags=re.S)
    head, _, rest = text.partition("\n")
    return " ".join((head + "\n" + rest.split(stop, 1)[0]).split())[:260]


def variant(kind):
    d = copy.deepcopy(cur)
    c = d["components"]["schemas"]["ContactInput"]
    for k in ("if", "else", "anyOf"):
        c.pop(k, None)
    if kind == "A_props_plus_anyOf_required":
        c["anyOf"] = [
            {"title": "With an email", "required": ["email"]},
            {"title": "With a phone", "required": ["phone"]},
        ]
    elif kind == "B_anyOf_two_objects":
        base = {
            k: v
            for k, v in c.items()
            if k not in ("properties", "required", "additionalProperties")
        }
        d["components"]["schemas"]["ContactInput"] = {
            **base,
            "anyOf": [
                {
                    "title": "ContactWithEmail",
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["email"],
                    "properties": copy.deepcopy(props),
                },
                {
                    "title": "ContactWithPhone",
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["phone"],
                    "properties": copy.deepcopy(props),
                },
            ],
        }
        del d["components"]["schemas"]["ContactInput"]["type"]
    elif kind == "C_optional_plus_if_else":
        c["if"] = {"required": ["email"]}
        c["else"] = {"required": ["phone"]}
    return d


body = json.load(open(f"{W}/openapi/tests/fixtures/seed/create_ticket.json"))["request"]["body"]
env = {**os.environ, "PATH": f"{W}/.venv/bin:" + os.environ["PATH"]}
for kind in ["A_props_plus_anyOf_required", "B_anyOf_two_objects", "C_optional_plus_if_else"]:
    out = f"{TMP}/{kind}"
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    spec = f"{out}/openapi.json"
    json.dump(variant(kind), open(spec, "w"))
    res = {}
    subprocess.run(
        [
            f"{W}/.venv/bin/openapi-python-client",
            "generate",
            "--path",
            spec,
            "--output-path",
            f"{out}/py",
            "--meta",
            "none",
        ],
        capture_output=True,
        env=env,
    )
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            f'''
import sys,json; sys.path.insert(0,"{out}"); import py.models as m
import typing, attrs
f={{a.name:a.type for a in attrs.fields(m.TicketCreate)}}["contact"]
print(f)
b=json.loads(sys.argv[1]); print(m.TicketCreate.from_dict(b).to_dict()==b)
''',
            json.dumps(body),
        ],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": f"{W}/.venv/lib/python3.11/site-packages"},
    )
    res["opc"] = r.stdout.strip().replace("\n", " | ") or r.stderr.strip().splitlines()[-1]
    subprocess.run(
        [f"{W}/node_modules/.bin/openapi-typescript", spec, "-o", f"{out}/ot.d.ts"],
        capture_output=True,
    )
    t = open(f"{out}/ot.d.ts").read()
    i = t.index("ContactInput:")
    res["openapi-typescript"] = _shape(t[i : i + 2000], "MessageRole:")
    subprocess.run(
        [f"{W}/node_modules/.bin/openapi-ts", "-i", spec, "-o", f"{out}/hey"], capture_output=True
    )
    t = open(f"{out}/hey/types.gen.ts").read()
    i = t.index("export type ContactInput")
    res["hey-api"] = _shape(t[i : i + 2000], "export type")
    subprocess.run(
        [
            f"{W}/.venv/bin/openapi-generator-cli",
            "generate",
            "-g",
            "python",
            "-i",
            spec,
            "-o",
            f"{out}/og",
            "--package-name",
            "og",
            "--global-property",
            "apiTests=false,modelTests=false,apiDocs=false,modelDocs=false",
        ],
        capture_output=True,
    )
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            """
import sys,json; from og.models.ticket_create import TicketCreate
b=json.loads(sys.argv[1]); d=TicketCreate.from_dict(b).to_dict(); print(d.get("contact"))
""",
            json.dumps(body),
        ],
        capture_output=True,
        text=True,
        cwd=f"{out}/og",
        env={**env, "PYTHONPATH": f"{out}/og:{W}/.venv/lib/python3.11/site-packages"},
    )
    res["openapi-generator-python"] = (r.stdout.strip() or r.stderr.strip().splitlines()[-1])[:120]
    print("==", kind)
    [print("  ", k, ":", v) for k, v in res.items()]
