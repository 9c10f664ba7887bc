"""The `ashisense` command: one sub-command per module of ashisense.commands and dashboard.commands.

The top of the layers: the one module that imports both ashisense's commands and the
dashboard's (serve, demo), so that nothing in ashisense imports the dashboard. Command modules
import what is heavy inside their run functions, so that building the parser stays light.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

import ashisense.commands
import dashboard.commands
from ashisense import __version__

COMMAND_PACKAGES = (ashisense.commands, dashboard.commands)


def build_parser() -> argparse.ArgumentParser:
    """Collect every `<package>.<name>.register(subparsers)` of COMMAND_PACKAGES into one parser
    (commands in name order, whichever package holds them)."""
    parser = argparse.ArgumentParser(
        prog="ashisense", description="AshiSense: live force sensing for Ashiatsu."
    )
    parser.add_argument("--version", action="version", version=f"ashisense {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = {
        mod.name: f"{package.__name__}.{mod.name}"
        for package in COMMAND_PACKAGES
        for mod in pkgutil.iter_modules(package.__path__)
        if not mod.name.startswith("_")
    }
    for name in sorted(modules):
        importlib.import_module(modules[name]).register(sub)
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
