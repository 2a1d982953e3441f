"""`threada contract`: run the contract suite against the in-process server, the mock or a URL.

The suite is plain pytest (contract_tests/), so this command only sets the
environment the suite reads (CONTRACT_URL, CONTRACT_KEY, CONTRACT_SCOPED_KEYS,
CONTRACT_TARGET, ...) and runs pytest on it, with a JUnit XML report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

REPO = Path(__file__).resolve().parent.parent


@click.command("contract")
@click.option(
    "--url", default=None, help="Base URL of a live API, e.g. http://127.0.0.1:8080/api/v1/public."
)
@click.option("--key", default=None, envvar="CONTRACT_KEY", help="API key for --url (all scopes).")
@click.option(
    "--scoped-key",
    "scoped_keys",
    multiple=True,
    metavar="SCOPES=KEY",
    help="A key of known scopes for the scope checks, e.g. support.read=thr_live_...; repeat.",
)
@click.option(
    "--target",
    type=click.Choice(["server", "mock"]),
    default="server",
    show_default=True,
    help="Without --url: the in-process server on a fresh SQLite database, or the mock.",
)
@click.option("--max-examples", type=int, default=None, help="Generated cases per operation.")
@click.option("--seed", default=None, help="Hypothesis seed, or 'random' (default: fixed).")
@click.option(
    "--junitxml",
    default="test-artifacts/contract-junit.xml",
    show_default=True,
    help="Where to write the JUnit XML report.",
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def contract_command(
    url: str | None,
    key: str | None,
    scoped_keys: tuple[str, ...],
    target: str,
    max_examples: int | None,
    seed: str | None,
    junitxml: str,
    pytest_args: tuple[str, ...],
) -> None:
    """Run the contract suite (Schemathesis + our checks) and exit with pytest's status."""
    env = dict(os.environ)
    env.pop("CONTRACT_URL", None)
    if url:
        if not key:
            raise click.UsageError("--url needs --key (or CONTRACT_KEY)")
        env.update(CONTRACT_URL=url, CONTRACT_KEY=key)
        if scoped_keys:
            env["CONTRACT_SCOPED_KEYS"] = ";".join(scoped_keys)
    else:
        env["CONTRACT_TARGET"] = target
    if max_examples is not None:
        env["CONTRACT_MAX_EXAMPLES"] = str(max_examples)
    if seed is not None:
        env["CONTRACT_SEED"] = seed
    files = ["contract_tests"]
    if url or target != "server":
        # The drift test builds broken servers in-process; it says nothing about a remote target.
        files += ["--ignore=contract_tests/test_drift.py"]
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *files,
        "-p",
        "no:cacheprovider",
        f"--junitxml={junitxml}",
        *pytest_args,
    ]
    click.echo("$ " + " ".join(cmd), err=True)
    sys.exit(subprocess.call(cmd, cwd=REPO, env=env))


if __name__ == "__main__":  # pragma: no cover
    contract_command()
