"""`ashisense record`: record a session headless, rig link -> pipeline -> session file."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ashisense.commands import count_of, existing_file, positive_float

if TYPE_CHECKING:
    from ashisense.alarms import AlarmEvent
    from ashisense.rig import Rig
    from ashisense.session import Recorder
    from ashisense.store import SessionInfo, SessionStore, WriterHealth

TICK_S = 0.25


def register(sub: Any) -> None:
    p = sub.add_parser(
        "record",
        help="record a session from a rig into a session file",
        description=(
            "Connect to the rig, run the live pipeline and alarms, and record the raw counts "
            "with everything needed to derive the session again (rig and calibration "
            "snapshot, profiles, rules, alarm log) into FILE (SQLite; created if missing, "
            "sessions are added). Stops after --seconds, or on Ctrl-C."
        ),
    )
    p.add_argument("--rig", required=True, type=existing_file, help="rig file (TOML)")
    p.add_argument("--device", help="rig URL (default: the rig file's [device] url)")
    p.add_argument("--seconds", type=positive_float, help="stop after this many seconds")
    p.add_argument("--out", required=True, help="session file to add the session to")
    p.add_argument("--client", type=existing_file, help="client profile (.toml or .json)")
    p.add_argument("--therapist", type=existing_file, help="therapist profile (.toml or .json)")
    p.add_argument(
        "--rules",
        type=existing_file,
        help="alarm rule set (.toml; default: the studio rules shipped with AshiSense)",
    )
    p.add_argument(
        "--contraindications",
        type=existing_file,
        help="studio contraindication map (.toml; default: the one shipped with AshiSense)",
    )
    p.add_argument("--label", default="", help="a label for the session list")
    p.set_defaults(func=run)


def _loud(health: WriterHealth) -> None:
    if not health.ok:
        print(f"RECORDER {health.state.upper()}: {health.message}", file=sys.stderr, flush=True)


def _show(started_s: float) -> Callable[[AlarmEvent], None]:
    """Print each raised alarm (time from the session start, priority, message)."""

    def show(event: AlarmEvent) -> None:
        if str(event.transition) == "raised":
            at_s = event.t_s - started_s
            print(f"{at_s:9.2f} s  {event.priority:<6}  {event.message}", flush=True)

    return show


def describe(info: SessionInfo) -> str:
    """A few lines about a recorded session."""
    s = info.summary
    peak = "unknown" if s.peak_feet_n is None else f"{s.peak_feet_n:.0f} N"
    return (
        f"session {info.id}: {s.duration_s:.1f} s, {s.samples} samples, "
        f"{s.lost_samples} lost on the link, {s.dropped_samples} dropped by the recorder, "
        f"peak feet force {peak}, {count_of(s.alarm_count, 'alarm')}"
    )


def _recorder(args: argparse.Namespace, store: SessionStore, rig: Rig) -> Recorder:
    """A Recorder into store with the profiles and rules the options name (or the defaults)."""
    # Imported here: the pipeline and alarms are heavy, and every command's module is
    # imported to build the CLI.
    from ashisense.alarms import load_contraindications, load_rule_set
    from ashisense.alarms.defaults import (
        CONTRAINDICATIONS_FILE,
        RULES_FILE,
        studio_contraindications,
        studio_rules,
    )
    from ashisense.profiles import load_client, load_therapist
    from ashisense.session import Recorder
    from ashisense.session.snapshot import session_meta

    client = load_client(args.client) if args.client else None
    therapist = load_therapist(args.therapist) if args.therapist else None
    rules = load_rule_set(args.rules) if args.rules else studio_rules()
    contra = (
        load_contraindications(args.contraindications)
        if args.contraindications
        else studio_contraindications()
    )
    meta = session_meta(
        rig,
        args.rig,
        started_s=time.time(),
        client=client,
        therapist=therapist,
        rules_path=args.rules or RULES_FILE,
        contraindications_path=args.contraindications or CONTRAINDICATIONS_FILE,
        label=args.label,
    )
    return Recorder(
        store,
        meta,
        rig,
        client,
        therapist,
        rules,
        contra,
        on_fault=_loud,
        on_alarm=_show(meta.started_s),
    )


def run(args: argparse.Namespace) -> int:
    from ashisense.rig import load_rig
    from ashisense.store import open_store
    from firmware_bridge.link import host_clock

    rig = load_rig(args.rig)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    url = args.device or rig.device.url
    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    with open_store(args.out) as store:
        recorder = _recorder(args, store, rig)
        with recorder, contextlib.suppress(KeyboardInterrupt):
            print(f"recording session {recorder.writer.session_id} from {url} into {args.out}")
            with rig.link(url, listeners=[recorder]):
                while not (stop.is_set() or recorder.failed.is_set()):
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        break
                    stop.wait(TICK_S if left is None else min(TICK_S, left))
                    recorder.tick(host_clock())
        info = store.session(recorder.writer.session_id)
    print(describe(info))
    if recorder.failure is not None:
        print(f"ashisense record: error: {recorder.failure}", file=sys.stderr)
        return 2
    health = recorder.writer.health
    if not health.ok or health.dropped_samples:
        print(f"ashisense record: recorder {health.state}: {health.message}", file=sys.stderr)
        return 1
    return 0
