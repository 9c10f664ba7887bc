"""`ashisense monitor URL`: live link health of a rig at any pyserial URL."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from ashisense.commands import add_acquisition_options, positive_float, positive_int

if TYPE_CHECKING:
    from firmware_bridge.link import InputKind, LinkStats


def register(sub: Any) -> None:
    p = sub.add_parser(
        "monitor",
        help="show a rig's link health live",
        description=(
            "Connect to a rig (/dev/ttyACM0, COM3, socket://host:port, sim://stepping, ...) and "
            "show its HELLO, measured rate, samples, lost samples, bad packets, reconnects and "
            "the latest counts per channel. A device that does not say who it is within "
            "--hello-timeout ends the command with an error saying what was heard."
        ),
    )
    p.add_argument("url")
    add_acquisition_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    p.add_argument(
        "--ascii", metavar="CH1,CH2,..", help="plain ASCII integer lines, these channels"
    )
    p.add_argument(
        "--ascii-rate", type=positive_float, default=10.0, help="nominal rate of ASCII input"
    )
    p.add_argument("--baud", type=positive_int, default=921_600)
    p.set_defaults(func=run)


def summary(stats: LinkStats) -> dict[str, Any]:
    """The --json object: the HELLO as `device` plus the counters."""
    d = stats.as_dict()
    d["rate_hz"] = round(stats.rate_hz, 3)
    return d


def render(stats: LinkStats) -> str:
    """A few lines a person reads at a glance."""
    dev = stats.device or {}
    lines = [
        f"{stats.url}  [{stats.state}]",
        f"device {dev.get('device', '?')}  serial {dev.get('serial', '?')}  "
        f"firmware {dev.get('firmware', '?')}  nominal {dev.get('rate_hz', '?')} Hz",
        f"rate {stats.rate_hz:8.2f} Hz   samples {stats.samples}   lost {stats.lost_samples}   "
        f"bad packets {stats.bad_packets}   reconnects {stats.reconnects}",
    ]
    if stats.last_counts:
        lines.append("  ".join(f"{k}={v}" for k, v in stats.last_counts.items()))
    if stats.last_error:
        lines.append(f"last error: {stats.last_error}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from firmware_bridge.link import Link

    kind: InputKind = "ascii" if args.ascii else "protocol"
    chans = tuple(c.strip() for c in args.ascii.split(",")) if args.ascii else None
    link = Link(
        args.url, kind=kind, baudrate=args.baud, ascii_channels=chans, ascii_rate_hz=args.ascii_rate
    )
    interactive = sys.stdout.isatty() and not args.json
    with link, contextlib.suppress(KeyboardInterrupt):
        link.wait_for_hello(args.hello_timeout)  # HelloTimeout says what was tried and heard
        deadline = None if args.seconds is None else time.monotonic() + args.seconds
        while deadline is None or time.monotonic() < deadline:
            time.sleep(1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic())))
            if interactive:
                print("\x1b[2J\x1b[H" + render(link.stats), flush=True)
            elif not args.json:
                print(render(link.stats) + "\n", flush=True)
    stats = link.stats
    if args.json:
        print(json.dumps(summary(stats)))
    else:
        print(render(stats))
    return 0
