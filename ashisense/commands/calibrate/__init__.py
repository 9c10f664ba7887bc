"""`ashisense calibrate`: the guided terminal wizard (in .wizard, imported when it runs)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ashisense.commands import add_rig_options


def register(sub: Any) -> None:
    p = sub.add_parser(
        "calibrate",
        help="guided calibration with known weights (bars and mat)",
        description=(
            "Walk through zeroing, known weights on each bar and on the table (stacked, then "
            "at several positions), fit every gain and save a dated calibration file in the "
            "rig's history folder. Steps with a moving, misplaced or wrong weight are repeated."
        ),
    )
    add_rig_options(p)
    p.add_argument(
        "--out",
        type=Path,
        help="calibration history folder (default: the rig's [calibration] path if a folder, "
        "else calibrations/ next to the rig file)",
    )
    p.add_argument(
        "--only", choices=("bars", "mat"), help="calibrate only these (others carried over)"
    )
    p.add_argument(
        "--simulate",
        action="store_true",
        help="no hardware: a simulated rig with weights (true gains near the rig file's)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the --simulate rig")
    p.set_defaults(func=run)


def run(
    args: argparse.Namespace, ask: Callable[[str], str] = input, out: TextIO | None = None
) -> int:
    # Imported here: the wizard is heavy, and every command's module is imported to build
    # the CLI.
    from ashisense.commands.calibrate.wizard import calibrate

    return calibrate(args, ask, out or sys.stdout)
