"""Sub-commands of `ashisense`: each module defines `register(subparsers)`.

This package also holds what the commands share (here and in dashboard.commands): argparse
types that check a value where it is typed, so a bad one is refused naming its option
("argument --seconds: expected a number > 0, got '0'"), and wording helpers. Everything here
is standard library only: every command module is imported to build `ashisense --help`.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Force units a person can choose for what the commands print (ashisense.alarms.DISPLAY_UNITS).
UNITS = ("kg", "lb", "N")


def _checked(text: str, parse: Callable[[str], Any], ok: Callable[[Any], bool], what: str) -> Any:
    """`parse(text)` if it parses and passes `ok`; else the argparse error "expected WHAT"."""
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (seconds, rates, speeds)."""
    return float(_checked(text, float, lambda v: math.isfinite(v) and v > 0, "a number > 0"))


def positive_int(text: str) -> int:
    """A whole number > 0 (baud rates, counts)."""
    return int(_checked(text, int, lambda v: v > 0, "a whole number > 0"))


def port_number(text: str) -> int:
    """A TCP port, 1-65535."""
    return int(_checked(text, int, lambda v: 1 <= v <= 65535, "a TCP port from 1 to 65535"))


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


def add_rig_options(p: argparse.ArgumentParser) -> None:
    """--rig (required) and --device: the rig file and, if not its own, the rig's URL."""
    p.add_argument("--rig", required=True, type=existing_file, help="rig file (TOML)")
    p.add_argument("--device", help="rig URL (default: the rig file's [device] url)")


def add_acquisition_options(p: argparse.ArgumentParser) -> None:
    """--seconds and --hello-timeout: how long to take a rig's data, how long to wait for it."""
    p.add_argument(
        "--seconds",
        type=positive_float,
        help="stop after this many seconds, counted from the device's HELLO",
    )
    p.add_argument(
        "--hello-timeout",
        type=positive_float,
        default=10.0,
        help="seconds for the device to say who it is (default 10)",
    )


def add_session_arguments(p: argparse.ArgumentParser, *, newest_by_default: bool) -> None:
    """FILE and SESSION: a recorded session; SESSION may be left out for the newest if asked."""
    p.add_argument("file", help="session file or postgresql:// URL")
    if newest_by_default:
        p.add_argument("session", nargs="?", type=int, help="session id (default: the newest)")
    else:
        p.add_argument("session", type=int, help="session id (see `ashisense sessions FILE`)")


def alarm_line(event: Any, engine: Any, unit: str, started_s: float, prefix: str = "") -> str:
    """One printed alarm transition (AlarmEvent): seconds from the session start (started_s),
    priority, prefix, then its words in the chosen unit, never a rule id; engine: the
    AlarmEngine it came from (its rule gives the words; None: the logged message)."""
    from ashisense.alarms import alarm_text

    rule = engine.rule(event.rule_id) if engine is not None else None
    at_s = event.t_s - started_s
    at = f"{at_s:9.2f} s" if math.isfinite(at_s) else "        ?"
    return f"{at}  {event.priority!s:<6}  {prefix}{alarm_text(event, rule, unit)}"
