"""Time the list statement of every documented filter combination, in the database alone.

    python -m bench.filters --url sqlite:///bench/work/seed-1000000-rev0001-v1.db \
        --meta bench/work/seed-1000000-rev0001-v1.json
    python -m bench.filters --url postgresql+psycopg://postgres@127.0.0.1:PORT/DB --meta ...

For each combination of bench.run.FILTERS (and the first page), runs the server's own
`repo.list_tickets` (the Prepared statement a request runs, with the tag count when there
is a tag) 200 times and prints the best and median time per call. A statement's own time
barely moves with other work on the machine, unlike req/s, so it is what an index decision
is judged by: a filter is within 1.2x of the first page over HTTP when its statement costs
at most ~20% of the first page's whole request more than the first page's statement does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
import urllib.parse
from pathlib import Path


def combinations() -> dict[str, dict]:
    from bench.run import FILTERS

    out: dict[str, dict] = {"first_page": {}}
    recent = int((dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).timestamp() * 1000)
    for name, query in FILTERS.items():
        parsed = urllib.parse.parse_qs(query.replace("{recent}", "0"))
        out[name] = {
            "statuses": parsed.get("status"),
            "channels": parsed.get("channel"),
            "priorities": parsed.get("priority"),
            "tag": (parsed.get("tag") or [None])[0],
            "updated_after": recent if "updated_after" in parsed else None,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    from threada.storage import repo
    from threada.storage.db import Database

    meta = json.loads(Path(args.meta).read_text())
    tenant = meta["tenants"][0]["tenant_id"]
    db = Database(args.url)
    results = {}
    for name, f in combinations().items():
        kw = {
            "tenant_id": tenant,
            "statuses": f.get("statuses") or ["open"],
            "channels": f.get("channels"),
            "priorities": f.get("priorities"),
            "tag": f.get("tag"),
            "updated_after": f.get("updated_after"),
            "after": None,
            "limit": 26,
        }
        times = []
        rows = []
        for _ in range(args.n):
            with db.quick_read() as conn:
                t0 = time.perf_counter()
                rows = repo.list_tickets(conn, **kw)
                times.append(time.perf_counter() - t0)
        results[name] = (min(times) * 1e6, statistics.median(times) * 1e6, len(rows))
        print(
            f"{name:14} best {results[name][0]:8.1f} us  median {results[name][1]:8.1f} us  "
            f"rows {len(rows)}",
            flush=True,
        )
    db.dispose()


if __name__ == "__main__":
    main()
