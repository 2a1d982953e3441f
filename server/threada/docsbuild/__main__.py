"""`python -m threada.docsbuild`: the steps `make bundle`, `make bundle-check` and
`make i18n-status` run. Paths default to the checkout's layout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from threada.docsbuild import i18n
from threada.docsbuild.render import (
    BuildError,
    catalogue_extras,
    dump_json,
    dump_yaml,
    load_yaml,
    render,
    with_sources,
)

OPENAPI = Path("openapi")


def source_document(raw_path: Path, docs_dir: Path) -> dict:
    return with_sources(
        load_yaml(raw_path),
        load_yaml(docs_dir / "guide.yaml"),
        load_yaml(docs_dir / "errors.yaml"),
    )


def overlays(i18n_dir: Path) -> dict[str, Path]:
    return {p.name.split(".")[0]: p for p in sorted(i18n_dir.glob("*.overlay.yaml"))}


def build(args: argparse.Namespace) -> int:
    source = source_document(args.raw, args.docs)
    extras = catalogue_extras(source)
    if extras:
        print(
            f"WARNING: error catalogue entries for types not in ErrorType (not shown): {extras}",
            file=sys.stderr,
        )
    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    try:
        english = render(source)
        (out / "openapi.yaml").write_text(dump_yaml(english), encoding="utf-8")
        (out / "openapi.json").write_text(dump_json(english), encoding="utf-8")
        for language, path in overlays(args.i18n).items():
            translated = render(i18n.apply(source, i18n.load_overlay(path)))
            (out / f"openapi.{language}.json").write_text(dump_json(translated), encoding="utf-8")
    except BuildError as exc:
        print(f"docs build failed:\n{exc}", file=sys.stderr)
        return 1
    return 0


def status(args: argparse.Namespace) -> int:
    source = source_document(args.raw, args.docs)
    ok = True
    for language, path in overlays(args.i18n).items():
        result = i18n.status(source, i18n.load_overlay(path), language)
        print(result.report())
        if args.skeleton and (result.missing or result.stale):
            print(f"\n# Actions to add to {path} (translate each update value):")
            print(i18n.skeleton(result.missing + [text for text, _ in result.stale]))
        ok = ok and result.ok
    if not ok:
        print(
            "\nTranslations are missing or stale: run `make i18n-status SKELETON=1` for "
            "the actions to add, translate them, and commit the overlay.",
            file=sys.stderr,
        )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m threada.docsbuild")
    parser.add_argument("--docs", type=Path, default=OPENAPI / "docs", help="guide and catalogue")
    parser.add_argument("--i18n", type=Path, default=OPENAPI / "i18n", help="overlays")
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="write the published bundles from Redocly's bundle")
    b.add_argument("--raw", type=Path, required=True, help="`redocly bundle` output (YAML)")
    b.add_argument("--out-dir", type=Path, default=OPENAPI / "dist")
    s = commands.add_parser("i18n-status", help="coverage; fails on missing or stale texts")
    s.add_argument("--raw", type=Path, required=True, help="`redocly bundle` output (YAML)")
    s.add_argument("--skeleton", action="store_true", help="print the actions to add")
    args = parser.parse_args(argv)
    return build(args) if args.command == "build" else status(args)


if __name__ == "__main__":
    sys.exit(main())
