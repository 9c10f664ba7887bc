"""Find serial ports and ask each whether it is an AshiSense rig (does it answer HELLO?)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import serial
from serial.tools import list_ports

from firmware_bridge.decoder import FrameDecoder
from firmware_bridge.protocol import Hello


@dataclass(frozen=True)
class PortInfo:
    """One serial port as the OS lists it, and the rig's HELLO if it answered."""

    device: str
    description: str
    vid_pid: str
    serial_number: str
    hello: Hello | None


def probe(url: str, timeout_s: float = 0.7, baudrate: int = 921_600) -> Hello | None:
    """Open the port, send HELLO? and return the HELLO it answers with (None if none)."""
    try:
        port = serial.serial_for_url(url, baudrate=baudrate, timeout=0.05, write_timeout=0.5)
    except (serial.SerialException, OSError, ValueError):
        return None
    decoder = FrameDecoder()
    try:
        port.write(b"HELLO?\n")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for pkt in decoder.feed(port.read(max(1, port.in_waiting))):
                if isinstance(pkt, Hello):
                    return pkt
    except (serial.SerialException, OSError):
        return None
    finally:
        port.close()
    return None


def list_rig_ports(probe_ports: bool = True) -> list[PortInfo]:
    """Every serial port the OS knows, with VID:PID; probed for a HELLO when asked."""
    found = []
    for p in sorted(list_ports.comports(), key=lambda p: p.device):
        vid_pid = f"{p.vid:04X}:{p.pid:04X}" if p.vid is not None and p.pid is not None else "-"
        found.append(
            PortInfo(
                device=p.device,
                description=p.description or "",
                vid_pid=vid_pid,
                serial_number=p.serial_number or "",
                hello=probe(p.device) if probe_ports else None,
            )
        )
    return found
