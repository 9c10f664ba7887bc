"""`ashisense report FILE SESSION --out report.html`: the trainer's report of a session."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ashisense.commands import add_session_arguments, existing_file, output_file


def register(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a session (or two compared)",
        description=(
            "Derive SESSION of FILE again from its raw counts and write one HTML page with "
            "its figures: feet force over time with the client's limit and the alarms, time "
            "and peak per body region on a body outline, the path of the feet on the table, "
            "bar balance, a summary table and the alarm log. --compare puts another session "
            "beside it on the same axes."
        ),
    )
    add_session_arguments(p, newest_by_default=False)
    p.add_argument("--out", required=True, type=output_file, help="HTML file to write")
    p.add_argument(
        "--compare",
        metavar="OTHER",
        help="another session: an id in FILE, or OTHER_FILE:ID",
    )
    p.add_argument(
        "--rules",
        type=existing_file,
        help="evaluate alarms with this rule set instead of the log",
    )
    p.set_defaults(func=run)


def parse_other(text: str, default_file: str) -> tuple[str, int]:
    """ "7" -> (FILE, 7); "other.sqlite:7" -> ("other.sqlite", 7). Raises ValueError."""
    head, sep, tail = text.rpartition(":")
    if not tail.isdigit():
        raise ValueError(f"--compare: expected a session id or FILE:ID, got {text!r}")
    return (head if sep and head else default_file), int(tail)


def run(args: argparse.Namespace) -> int:
    # Imported here: matplotlib and the pipeline are heavy, and every command's module is
    # imported to build the CLI.
    from ashisense.alarms import load_rule_set
    from ashisense.report import make_report
    from ashisense.store import open_store

    rules = load_rule_set(args.rules) if args.rules else None
    other = parse_other(args.compare, args.file) if args.compare else None
    with open_store(args.file, readonly=True) as store:
        sessions = [(store, args.session)]
        if other is None or other[0] == args.file:
            if other is not None:
                sessions.append((store, other[1]))
            page = make_report(sessions, rules=rules, source=args.file)
        else:
            with open_store(other[0], readonly=True) as other_store:
                sessions.append((other_store, other[1]))
                page = make_report(sessions, rules=rules, source=f"{args.file}, {other[0]}")
    out: Path = args.out
    out.write_text(page, encoding="utf-8")
    print(f"wrote {out} ({len(page) / 1e6:.1f} MB)")
    return 0
