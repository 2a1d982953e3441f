"""`threada-contract` (and `threada contract`): the contract suite against a deployment.

The suite is plain pytest (this package's test_*.py files), so this command sets the
environment the suite reads (CONTRACT_URL, CONTRACT_KEY, ...) and runs pytest on the
package's own folder, wherever it is installed: the server's code is not needed for
a live URL. Exit code 0 only when every check held and coverage is complete.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
LIVE_FILES = ["test_contract.py", "test_scopes.py", "test_stateful.py", "test_coverage.py"]


@click.command("threada-contract")
@click.option(
    "--url", default=None, help="Base URL of a live API, e.g. http://127.0.0.1:8080/api/v1/public."
)
@click.option(
    "--key",
    default=None,
    envvar=["THREADA_API_KEY", "CONTRACT_KEY"],
    help="API key for --url (env THREADA_API_KEY). Never written to any output.",
)
@click.option(
    "--scoped-key",
    "scoped_keys",
    multiple=True,
    metavar="SCOPES=KEY",
    help="A key of known scopes for the 403 checks, e.g. support.read=thr_test_...; repeat.",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="Change nothing: GETs, and negative cases of the other operations (which must "
    "change nothing). Safe against any tenant.",
)
@click.option(
    "--allow-live-tenant",
    is_flag=True,
    help="Write even though the key is not a testing tenant's (thr_test_). Only for a "
    "dedicated test tenant whose keys predate the testing flag.",
)
@click.option(
    "--burst",
    is_flag=True,
    help="Spend each rate-limit window at once instead of spreading it (faster; still waits "
    "out every 429). Use it when the tenant's limit was raised.",
)
@click.option(
    "--target",
    type=click.Choice(["server", "mock"]),
    default="server",
    show_default=True,
    help="Without --url: the server in-process on a fresh database, or the mock (both need "
    "their code installed).",
)
@click.option("--max-examples", type=int, default=None, help="Generated cases per operation.")
@click.option("--scenarios", type=int, default=None, help="Stateful scenarios (link walks).")
@click.option("--seed", default=None, help="Hypothesis seed, or 'random' (default: fixed).")
@click.option(
    "--junitxml",
    default="test-artifacts/contract-junit.xml",
    show_default=True,
    help="The JUnit report: one case per operation and check, per link, per coverage "
    "verdict. pytest's own (one case per test) goes next to it as *-tests.xml.",
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def main(
    url: str | None,
    key: str | None,
    scoped_keys: tuple[str, ...],
    read_only: bool,
    allow_live_tenant: bool,
    burst: bool,
    target: str,
    max_examples: int | None,
    scenarios: int | None,
    seed: str | None,
    junitxml: str,
    pytest_args: tuple[str, ...],
) -> None:
    """Run the Threada contract suite and exit 0 only if everything required held.

    \b
    Against a deployment (a dedicated test tenant; see contract_tests/README.md):
      THREADA_API_KEY=thr_test_... threada-contract --url https://host/api/v1/public
    Against any tenant, changing nothing:
      THREADA_API_KEY=thr_live_... threada-contract --url ... --read-only
    """
    env = dict(os.environ)
    for name in ("CONTRACT_URL", "CONTRACT_KEY", "CONTRACT_SCOPED_KEYS", "CONTRACT_TARGET"):
        env.pop(name, None)
    if url:
        if not key:
            raise click.UsageError("--url needs --key (or THREADA_API_KEY)")
        env.update(CONTRACT_URL=url, CONTRACT_KEY=key)
        if scoped_keys:
            env["CONTRACT_SCOPED_KEYS"] = ";".join(scoped_keys)
        if not read_only and not allow_live_tenant:
            others = [k.partition("=")[2] for k in scoped_keys]
            if not all(k.startswith("thr_test_") for k in [key, *others]):
                raise click.UsageError(
                    "refusing to write: the key is not a testing tenant's (thr_test_...). A "
                    "full run creates tickets and runs actions the API cannot remove: use a "
                    "dedicated test tenant (threada admin tenants create NAME --testing), or "
                    "--read-only, or --allow-live-tenant if the tenant really is for testing."
                )
    else:
        env["CONTRACT_TARGET"] = target
    env["CONTRACT_READ_ONLY"] = "1" if read_only else ""
    env["CONTRACT_ALLOW_LIVE_TENANT"] = "1" if allow_live_tenant else ""
    env["CONTRACT_PACING"] = "burst" if burst else "spread"
    env["CONTRACT_REPORT"] = junitxml
    if max_examples is not None:
        env["CONTRACT_MAX_EXAMPLES"] = str(max_examples)
    if scenarios is not None:
        env["CONTRACT_STATEFUL_SCENARIOS"] = str(scenarios)
    if seed is not None:
        env["CONTRACT_SEED"] = seed
    if url or target != "server":
        # The drift and mock tests build servers in-process; they say nothing about this target.
        files = [str(HERE / f) for f in LIVE_FILES]
    else:
        files = [str(HERE)]
    tests_xml = str(Path(junitxml).with_name(Path(junitxml).stem + "-tests.xml"))
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *files,
        "-c",
        str(HERE / "contract.ini"),
        "--rootdir",
        str(HERE.parent),
        "-p",
        "no:cacheprovider",
        f"--junitxml={tests_xml}",
        *pytest_args,
    ]
    if url:
        click.echo(
            f"Contract suite against {url}{' (read-only)' if read_only else ''}: requests are "
            "paced by the X-RateLimit-* headers and 429s are waited out, so at the default "
            "600 requests/min a run takes about a minute"
            + ("" if burst else " (--burst spends each window at once)")
            + ".",
            err=True,
        )
    # The command line holds no secret: keys travel in the environment.
    click.echo("$ " + " ".join(cmd), err=True)
    sys.exit(subprocess.call(cmd, cwd=os.getcwd(), env=env))


# `threada contract` (server/threada/cli.py) registers the same command under that name.
contract_command = main


if __name__ == "__main__":  # pragma: no cover
    main()
