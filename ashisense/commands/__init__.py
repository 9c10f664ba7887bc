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
