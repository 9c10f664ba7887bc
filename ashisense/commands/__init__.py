"""Sub-commands of `ashisense`: each module defines `register(subparsers)`.

This package also holds what the commands share (here and in dashboard.commands): argparse
types that check a value where it is typed, so a bad one is refused naming its option
("argument --seconds: expected a number > 0, got '0'"), and wording helpers. Everything here
is standard library only: every command module is imported to build `ashisense --help`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

#: Force units a person can choose for what the commands print (ashisense.alarms.DISPLAY_UNITS).
UNITS = ("kg", "lb", "N")


def positive_float(text: str) -> float:
    """A finite number > 0 (seconds, rates, speeds)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number > 0 (baud rates, counts)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a whole number > 0, got {text!r}")
    return value


def port_number(text: str) -> int:
    """A TCP port, 1-65535."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a TCP port from 1 to 65535, got {text!r}")
    return value


def existing_file(text: str) -> Path:
    """A file that exists (rig files, profiles, rule sets)."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"expected a file, found a folder: {text}")
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def output_file(text: str) -> Path:
    """A file to write, in a folder that exists (never made silently: a typo would hide)."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"expected a file name, found a folder: {text}")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {path.parent} (for {text})")
    return path


def count_of(n: int, noun: str) -> str:
    """ "1 alarm", "3 alarms": a count with its noun in the right number."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def add_unit_option(p: argparse.ArgumentParser) -> None:
    """--unit: the force unit of the alarm messages a command prints (default kg)."""
    p.add_argument(
        "--unit", choices=UNITS, default="kg", help="force unit of alarm messages (default kg)"
    )


def add_lsl_options(p: argparse.ArgumentParser, what: str) -> None:
    """--lsl (help: what it streams) and --lsl-room."""
    p.add_argument("--lsl", action="store_true", help=what)
    p.add_argument("--lsl-room", help="room in the LSL stream names (default: this computer's)")


def alarm_words(event: Any, engine: Any, unit: str) -> str:
    """An alarm transition (AlarmEvent) in words and the chosen unit, never a rule id; engine:
    the AlarmEngine it came from (its rule gives the words; None: the logged message)."""
    from ashisense.alarms import alarm_text

    rule = engine.rule(event.rule_id) if engine is not None else None
    return alarm_text(event, rule, unit)


def alarm_line(at_s: float, priority: object, text: str) -> str:
    """One printed alarm: seconds from the session start, priority, words."""
    at = f"{at_s:9.2f} s" if math.isfinite(at_s) else "        ?"
    return f"{at}  {priority!s:<6}  {text}"
