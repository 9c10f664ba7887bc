"""`ashisense sessions FILE`: the sessions a file holds, one line each."""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ashisense.store import SessionInfo

COLUMNS = ("id", "start", "duration", "client", "therapist", "peak feet", "alarms", "notes")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sessions",
        help="list the sessions in a session file",
        description="List the sessions recorded in FILE: id, start, duration, client, "
        "therapist, peak feet force, alarms raised, and whether anything was lost.",
    )
    p.add_argument("file", help="session file or postgresql:// URL")
    p.add_argument("--json", action="store_true", help="one JSON object per session")
    p.set_defaults(func=run)


def row(info: SessionInfo) -> dict[str, Any]:
    """The listed figures of one session (JSON-able)."""
    s = info.summary
    return {
        "id": info.id,
        "start_s": info.meta.started_s,
        "stop_s": info.stopped_s,
        "duration_s": s.duration_s,
        "client": info.meta.client.get("id", ""),
        "therapist": info.meta.therapist.get("id", ""),
        "peak_feet_n": s.peak_feet_n,
        "alarms": s.alarm_count,
        "samples": s.samples,
        "lost_samples": s.lost_samples,
        "dropped_samples": s.dropped_samples,
        "interrupted": info.interrupted,
        "label": info.meta.label,
    }


def _notes(r: dict[str, Any]) -> str:
    notes = []
    if r["interrupted"]:
        notes.append("interrupted")
    if r["lost_samples"]:
        notes.append(f"{r['lost_samples']} lost")
    if r["dropped_samples"]:
        notes.append(f"{r['dropped_samples']} dropped by recorder")
    if r["label"]:
        notes.append(r["label"])
    return ", ".join(notes)


def _cells(r: dict[str, Any]) -> tuple[str, ...]:
    from ashisense.store.records import duration_text
    from calibration.units import STANDARD_GRAVITY_M_S2

    peak = r["peak_feet_n"]
    return (
        str(r["id"]),
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["start_s"])),
        duration_text(r["duration_s"]),
        r["client"] or "-",
        r["therapist"] or "-",
        "?" if peak is None else f"{peak:.0f} N ({peak / STANDARD_GRAVITY_M_S2:.1f} kgf)",
        str(r["alarms"]),
        _notes(r),
    )


def run(args: argparse.Namespace) -> int:
    from ashisense.store import open_store

    with open_store(args.file, readonly=True) as store:
        rows = [row(info) for info in store.sessions()]
    if args.json:
        for r in rows:
            print(json.dumps(r))
        return 0
    table = [COLUMNS, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    if not rows:
        print(f"(no sessions in {args.file})")
    return 0
