"""The `ashisense` command: one sub-command per module in ashisense.commands."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

import ashisense.commands
from ashisense import __version__


def build_parser() -> argparse.ArgumentParser:
    """Collect every `ashisense.commands.<name>.register(subparsers)` into one parser."""
    parser = argparse.ArgumentParser(
        prog="ashisense", description="AshiSense: live force sensing for Ashiatsu."
    )
    parser.add_argument("--version", action="version", version=f"ashisense {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for mod in sorted(pkgutil.iter_modules(ashisense.commands.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"ashisense.commands.{mod.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the chosen command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError, RuntimeError) as err:
        # Every error a person can cause has a specific type with a message saying what and where.
        print(f"ashisense {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
