"""Lab Streaming Layer: a room's forces, estimates and events as LSL streams (docs/lsl.md)."""

from __future__ import annotations

import socket

from ashisense.lsl.clock import LslClock
from ashisense.lsl.layout import ESTIMATE_FIELDS, Source, force_stream_name, marker_stream_name
from ashisense.lsl.outlets import LslOutlets


def default_room() -> str:
    """The room name when none is given: this computer's (one room, one computer)."""
    return socket.gethostname()


__all__ = [
    "ESTIMATE_FIELDS",
    "LslClock",
    "LslOutlets",
    "Source",
    "default_room",
    "force_stream_name",
    "marker_stream_name",
]
