"""`ashisense ports`: serial ports with VID:PID, marking those that answer as an AshiSense rig."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "ports",
        help="list serial ports and find AshiSense rigs",
        description="List serial ports (VID:PID) and probe each with HELLO? to find rigs.",
    )
    p.add_argument("--no-probe", action="store_true", help="do not open the ports")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("extra", nargs="*", help="more URLs to probe (e.g. /dev/pts/3, sim://calm)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from firmware_bridge.ports import PortInfo, list_rig_ports, probe

    ports = list_rig_ports(probe_ports=not args.no_probe)
    ports += [PortInfo(url, "given", "-", "", probe(url)) for url in args.extra]
    rows: list[dict[str, Any]] = [
        {
            "device": p.device,
            "vid_pid": p.vid_pid,
            "description": p.description,
            "serial_number": p.serial_number,
            "rig": p.hello.to_dict() if p.hello else None,
        }
        for p in ports
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no serial ports found")
    for r in rows:
        rig = r["rig"]
        mark = (
            f"AshiSense rig: {rig['device']} serial {rig['serial']} "
            f"({len(rig['channels'])} ch @ {rig['rate_hz']} Hz)"
            if rig
            else "-"
        )
        print(f"{r['device']:<24} {r['vid_pid']:<10} {r['description'][:32]:<32} {mark}")
    return 0
