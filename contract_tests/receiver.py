"""An echo target for a full run's actions: `python -m contract_tests.receiver --port 9000`.

Answers every request (any method, any path) with 200 `{"ok": true}` and prints one
line per request (method and path, never headers or bodies). Point the test tenant's
actions base URL at it (`threada admin tenants set acme-ci --actions-base-url
http://HOST:9000`), where the server can reach it and its outbound policy allows it.
"""

from __future__ import annotations

import argparse
import time

from contract_tests.targets import Receiver


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m contract_tests.receiver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    args = parser.parse_args(argv)
    with Receiver(host=args.host, port=args.port) as receiver:
        print(f"receiving actions on {receiver.url}", flush=True)
        seen = 0
        try:
            while True:
                time.sleep(0.5)
                for method, path in receiver.requests[seen:]:
                    print(f"{method} {path}", flush=True)
                seen = len(receiver.requests)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
