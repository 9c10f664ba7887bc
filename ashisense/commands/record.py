"""`ashisense record`: record a session headless, rig link -> pipeline -> session file."""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from ashisense.commands import (
    add_acquisition_options,
    add_lsl_options,
    add_rig_options,
    add_unit_option,
    alarm_line,
    count_of,
    existing_file,
)

if TYPE_CHECKING:
    from ashisense.alarms import AlarmEvent
    from ashisense.lsl import LslOutlets
    from ashisense.rig import Rig
    from ashisense.session import Recorder
    from ashisense.store import SessionInfo, SessionStore, WriterHealth
    from firmware_bridge.link import Link

TICK_S = 0.25


def register(sub: Any) -> None:
    p = sub.add_parser(
        "record",
        help="record a session from a rig into a session file",
        description=(
            "Connect to the rig, run the live pipeline and alarms, and record the raw counts "
            "with everything needed to derive the session again (rig and calibration "
            "snapshot, profiles, rules, alarm log) into FILE (SQLite; created if missing, "
            "sessions are added). The session starts when the device says who it is (its "
            "HELLO); a device that does not within --hello-timeout ends the command with an "
            "error and no session. Stops after --seconds of the device's data, or on Ctrl-C."
        ),
    )
    add_rig_options(p)
    add_acquisition_options(p)
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
    add_unit_option(p)
    add_lsl_options(p, "stream the forces, estimates and events to Lab Streaming Layer")
    p.set_defaults(func=run)


def _loud(health: WriterHealth) -> None:
    if not health.ok:
        print(f"RECORDER {health.state.upper()}: {health.message}", file=sys.stderr, flush=True)


class _AlarmPrinter:
    """Prints each raised alarm of a recorder: time from the session start, priority, words
    in the chosen unit."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.recorder: Recorder | None = None

    def __call__(self, event: AlarmEvent) -> None:
        recorder = self.recorder
        if recorder is None or str(event.transition) != "raised":
            return
        analysis = recorder.analysis
        engine = analysis.engine if analysis else None
        print(alarm_line(event, engine, self.unit, recorder.meta.started_s), flush=True)


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
    """A Recorder into store with the profiles and rules the options name (or the defaults),
    creating its session when the device says who it is."""
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
    from ashisense.session import Recorder, SessionSetup
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
    printer = _AlarmPrinter(args.unit)
    recorder = Recorder(
        store,
        meta,
        SessionSetup(rig, client, therapist, rules, contra),
        on_fault=_loud,
        on_alarm=printer,
        when_heard=True,
    )
    printer.recorder = recorder
    return recorder


def _lsl(args: argparse.Namespace, rig: Rig, recorder: Recorder) -> LslOutlets | None:
    """With --lsl: the LSL outlets, hung on the recorder (closed when its stream ends)."""
    if not args.lsl:
        return None
    from ashisense.lsl import LslOutlets, default_room

    lsl = LslOutlets(args.lsl_room or default_room(), rig)
    recorder.add_raw_listener(lsl)
    recorder.add_listener(lsl)
    return lsl


def _run_link(
    args: argparse.Namespace, link: Link, recorder: Recorder, stop: threading.Event
) -> None:
    """Wait for the device to say who it is (HelloTimeout if it does not: the recorder gives
    up, no session), then record until --seconds of its data, a stop or a failure."""
    from ashisense.alarms.technical import PortSilence
    from firmware_bridge.errors import HelloTimeout
    from firmware_bridge.link import host_clock

    try:
        hello = link.wait_for_hello(args.hello_timeout)
    except HelloTimeout:
        recorder.stop()  # before the link stops: a HELLO arriving now starts no session
        raise
    deadline = math.inf if args.seconds is None else time.monotonic() + args.seconds
    if recorder.wait_started(args.hello_timeout):  # the dispatcher creates it at the HELLO
        sid = recorder.writer.session_id
        where = f"from {link.url} (device {hello.serial}) into {args.out}"
        print(f"recording session {sid} {where}", flush=True)
    silence = PortSilence(TICK_S)
    while not (stop.is_set() or recorder.failed.is_set()):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        stop.wait(min(TICK_S, left))
        now_s = host_clock()
        recorder.tick(now_s, silence.seen_s(now_s, link.stats.samples))


def run(args: argparse.Namespace) -> int:
    from ashisense.rig import load_rig
    from ashisense.store import open_store

    rig = load_rig(args.rig)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    url = args.device or rig.device.url
    with open_store(args.out) as store:
        recorder = _recorder(args, store, rig)
        _lsl(args, rig, recorder)
        with (
            recorder,
            contextlib.suppress(KeyboardInterrupt),
            rig.link(url, listeners=[recorder]) as link,
        ):
            _run_link(args, link, recorder, stop)
        info = store.session(recorder.writer.session_id) if recorder.started else None
    if recorder.failure is not None:
        if info is not None:
            print(describe(info))
        print(f"ashisense record: error: {recorder.failure}", file=sys.stderr)
        return 2
    if info is None:  # Ctrl-C before the device said who it is
        print("ashisense record: no session recorded: the device had not said who it is")
        return 130
    print(describe(info))
    health = recorder.writer.health
    if not health.ok or health.dropped_samples:
        print(f"ashisense record: recorder {health.state}: {health.message}", file=sys.stderr)
        return 1
    return 0
