"""`ashisense simulate`: run the simulated rig on a pseudo-terminal any serial program can open."""

from __future__ import annotations

import argparse
import contextlib
import csv
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ashisense.commands import output_file, positive_float


def register(sub: Any) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulated rig on a pseudo-terminal (also reachable as sim://SCENARIO)",
        description=(
            "Run a simulated rig speaking protocol v1 on a real pseudo-terminal and print its "
            "path. Scenarios: calm, stepping, overload, no_go, grip_loss, unsupported, impact, "
            "offrig, client_moving, faults. The same rig opens anywhere a port is asked for as "
            "sim://SCENARIO?seed=N&rate=HZ&speed=X&grid=1."
        ),
    )
    p.add_argument("scenario", nargs="?", default="stepping")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rate", type=positive_float, default=80.0, help="sample rate, Hz")
    p.add_argument("--grid", action="store_true", help="also stream a 64x27 pressure grid")
    p.add_argument("--link", type=Path, help="also make this symlink to the pty (stable path)")
    p.add_argument("--seconds", type=positive_float, help="stop after this many seconds")
    p.add_argument("--truth", type=output_file, help="write the ground truth to this CSV file")
    p.add_argument(
        "--faults",
        default="",
        help="byte faults as URL parameters, e.g. 'corrupt_per_s=2&unplug_every_s=30&unplug_s=2'",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ashisense.sim.device import SimConfig, SimDevice
    from ashisense.sim.ptyserver import PtyRig

    query = f"seed={args.seed}&rate={args.rate}&grid={int(args.grid)}"
    if args.faults:
        query += "&" + args.faults
    device = SimDevice(SimConfig.from_url(f"sim://{args.scenario}?{query}"))
    truth_file = open(args.truth, "w", newline="") if args.truth else None  # noqa: SIM115
    if truth_file:
        device.truth_listeners.append(_truth_writer(truth_file))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with PtyRig(device, link_path=args.link) as rig:
        print(f"simulated rig '{args.scenario}' on {rig.path}", flush=True)
        print(f"open it with: ashisense monitor {rig.path}", file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            done.wait(args.seconds)
    if truth_file:
        truth_file.close()
    return 0


def _truth_writer(f: Any) -> Any:
    writer = csv.writer(f)
    fields = ("t_s", "feet_n", "feet_x_m", "feet_y_m", "bar_left_n", "bar_right_n")
    writer.writerow([*fields, "phase"])

    def write(block: Any) -> None:
        tr = block.truth
        cols = [getattr(tr, k) for k in fields]
        names = type(tr).PHASES if hasattr(type(tr), "PHASES") else None
        phases = [names[p] if names else int(p) for p in tr.phase]
        writer.writerows(zip(*[c.round(5).tolist() for c in cols], phases, strict=True))

    return write
