"""The client's handset as the host sees it: typed views of its EVENTs (hardware/PROTOCOL.md).

Pure: a DeviceEvent in, a ClientPress or HandsetStuck out, None for any other event. The
link passes every EVENT through as a DeviceEvent; whoever acts on the handset parses here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from firmware_bridge.blocks import DeviceEvent
from firmware_bridge.errors import ProtocolError

BUTTONS = ("lighter", "deeper", "stop", "ok")  # PROTOCOL.md, EVENT client; in GPIO order
_STUCK_EVENTS = {"handset_stuck": True, "handset_unstuck": False}


class HandsetEventError(ProtocolError):
    """A handset EVENT without a `button`, or with one that PROTOCOL.md does not define."""


@dataclass(frozen=True)
class ClientPress:
    """The client pressed `button`; t_s host time, t_device_s device time, of the contact."""

    button: str
    t_s: float
    t_device_s: float


@dataclass(frozen=True)
class HandsetStuck:
    """A button held down past the device's stuck time (stuck True), or released again (False)."""

    button: str
    stuck: bool
    t_s: float
    t_device_s: float


HandsetEvent = ClientPress | HandsetStuck


def parse_handset_event(event: DeviceEvent) -> HandsetEvent | None:
    """The handset's view of `event`, or None when it is not a handset event.

    Raises HandsetEventError when a handset event names no known button.
    """
    if event.name == "client":
        return ClientPress(_button(event), event.t_s, event.t_device_s)
    if event.name in _STUCK_EVENTS:
        return HandsetStuck(_button(event), _STUCK_EVENTS[event.name], event.t_s, event.t_device_s)
    return None


def _button(event: DeviceEvent) -> str:
    button: Any = event.payload.get("button")
    if not isinstance(button, str) or button not in BUTTONS:
        raise HandsetEventError(
            f"EVENT {event.name!r} at device time {event.t_device_s:.6f} s: 'button' must be "
            f"one of {', '.join(BUTTONS)}, got {button!r}"
        )
    return button
