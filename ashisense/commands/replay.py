"""`ashisense replay FILE [SESSION]`: run a recorded session through the pipeline again."""

from __future__ import annotations

import argparse
import math
import time
from typing import TYPE_CHECKING, Any

from ashisense.commands import (
    add_lsl_options,
    add_session_arguments,
    add_unit_option,
    alarm_line,
    count_of,
    existing_file,
    positive_float,
)

if TYPE_CHECKING:
    from ashisense.lsl.replay import SessionPlayer
    from ashisense.rig import Rig
    from ashisense.store import SessionInfo, SessionStore

#: Samples per block when replaying as fast as possible: per-block costs vanish.
FAST_BLOCK_SAMPLES = 8192


def register(sub: Any) -> None:
    p = sub.add_parser(
        "replay",
        help="run a recorded session through the pipeline and alarms again",
        description=(
            "Replay SESSION (default: the newest) of FILE from its raw counts through the same "
            "pipeline and alarm engine as live, with the session's own rig snapshot, "
            "calibration, profiles and rules, or with another rig file (a new calibration) "
            "or rule set. Prints each alarm raised and a summary."
        ),
    )
    add_session_arguments(p, newest_by_default=True)
    pace = p.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=positive_float, default=1.0, help="x real time (default 1)")
    pace.add_argument("--fast", action="store_true", help="as fast as possible")
    p.add_argument(
        "--rig", type=existing_file, help="another rig file (e.g. a new calibration) to derive with"
    )
    p.add_argument("--rules", type=existing_file, help="another alarm rule set (.toml) to evaluate")
    add_unit_option(p)
    add_lsl_options(p, "play it into Lab Streaming Layer")
    p.add_argument(
        "--lsl-wait",
        type=positive_float,
        default=5.0,
        help="seconds to wait for an LSL recorder before playing and after (default 5)",
    )
    p.set_defaults(func=run)


def _lsl_player(
    args: argparse.Namespace, store: SessionStore, info: SessionInfo, rig: Rig
) -> SessionPlayer:
    """The session's LSL outlets, open, after waiting (at most --lsl-wait) for a recorder."""
    from ashisense.lsl import default_room
    from ashisense.lsl.replay import SessionPlayer

    player = SessionPlayer(store, info, rig, args.lsl_room or default_room())
    if not player.outlets.wait_for_consumers(args.lsl_wait):
        print(f"LSL: no recorder connected within {args.lsl_wait:g} s; playing anyway")
    return player


def run(args: argparse.Namespace) -> int:
    # Imported here: the pipeline and alarms are heavy, and every command's module is
    # imported to build the CLI.
    import numpy as np
    from tqdm import tqdm

    from ashisense.alarms import load_rule_set
    from ashisense.session.analysis import SessionAnalysis
    from ashisense.store import open_store
    from ashisense.store.replay import paced, session_items
    from calibration.units import STANDARD_GRAVITY_M_S2

    rules = load_rule_set(args.rules) if args.rules else None
    with open_store(args.file, readonly=True) as store:
        info = store.session_or_latest(args.session)
        analysis = SessionAnalysis.for_session(info, rig_path=args.rig, rules=rules)
        player = _lsl_player(args, store, info, analysis.rig) if args.lsl else None
        if args.fast:
            items = session_items(store, info.id, block_samples=FAST_BLOCK_SAMPLES)
        else:
            items = paced(session_items(store, info.id), args.speed)
        peak_n, samples, raised = -math.inf, 0, 0
        started = time.perf_counter()
        with tqdm(
            total=store.sample_count(info.id), unit="samples", unit_scale=True, desc="replay"
        ) as bar:
            for item in items:
                step = analysis.feed(item)
                if player is not None:
                    player.feed(item, step)
                if step is None:
                    continue
                samples += len(step.block)
                bar.update(len(step.block))
                peak_n = max(peak_n, float(np.fmax.reduce(step.estimate.feet_n, initial=-np.inf)))
                for event in step.alarms:
                    if str(event.transition) == "raised":
                        raised += 1
                        started_s = info.meta.started_s
                        tqdm.write(alarm_line(event, analysis.engine, args.unit, started_s))
        elapsed_s = time.perf_counter() - started
        if player is not None:
            player.finish()
            player.close(linger_s=args.lsl_wait)
    peak = (
        "unknown"
        if math.isinf(peak_n)
        else f"{peak_n:.0f} N ({peak_n / STANDARD_GRAVITY_M_S2:.1f} kgf)"
    )
    print(
        f"session {info.id}: {samples} samples replayed in {elapsed_s:.2f} s; "
        f"peak feet force {peak}; {count_of(raised, 'alarm')} raised "
        f"({info.summary.alarm_count} when recorded"
        + (", with other rules" if rules is not None else "")
        + (", with another rig file" if args.rig else "")
        + ")"
    )
    return 0
