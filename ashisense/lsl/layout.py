"""What the two LSL streams look like: names, channel tables and the XDF-style description.

The force stream carries, per sample, every calibrated channel (N, rig order) and then the
estimates in ESTIMATES order. Its description follows the XDF meta-data conventions:
desc/channels/channel (label, unit, type, and for mat cells a location), desc/acquisition
(manufacturer, model, serial, firmware) and desc/setup (the rig's geometry in the table frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pylsl

from ashisense.pipeline.types import EstimateBlock
from ashisense.rig import Rig
from firmware_bridge.protocol import Hello

if TYPE_CHECKING:  # where pylsl keeps it has moved between releases
    from pylsl.info import XMLElement

MANUFACTURER = "AshiSense"
FORCE_TYPE = "Force"
MARKER_TYPE = "Markers"

#: EstimateBlock fields after the channels: (field, unit, XDF channel type).
ESTIMATES: tuple[tuple[str, str, str], ...] = (
    ("feet_n", "newtons", "Force"),
    ("feet_x_m", "meters", "Position"),
    ("feet_y_m", "meters", "Position"),
    ("bar_left_n", "newtons", "Force"),
    ("bar_right_n", "newtons", "Force"),
    ("bar_n", "newtons", "Force"),
    ("mat_n", "newtons", "Force"),
    ("cop_x_m", "meters", "Position"),
    ("cop_y_m", "meters", "Position"),
    ("support_ratio", "ratio", "Ratio"),
)
ESTIMATE_FIELDS: tuple[str, ...] = tuple(name for name, _, _ in ESTIMATES)

FRAME = (
    "table frame: x along the table from the head end (m), y across it (m), 0 on the "
    "midline, negative on the left seen from the head end; z up"
)


@dataclass(frozen=True)
class Source:
    """The device behind the streams: serial (the source_id), model, firmware, rate (Hz;
    0 for unknown, LSL's irregular rate) and channel names in the device's order."""

    serial: str
    model: str
    firmware: str
    rate_hz: float
    channels: tuple[str, ...]

    @classmethod
    def of_hello(cls, hello: Hello) -> Source:
        """The device that sent this HELLO."""
        return cls(hello.serial, hello.device, hello.firmware, hello.rate_hz, hello.channels)

    @classmethod
    def headless(cls, channels: tuple[str, ...], rate_hz: float | None) -> Source:
        """A device without HELLO (ASCII input): no serial; rate None: unknown."""
        return cls("", "", "", rate_hz or pylsl.IRREGULAR_RATE, channels)

    def source_id(self, room: str) -> str:
        """The device serial, so a recorder finds the stream again after a restart (a
        device without one, e.g. ASCII input, falls back to the room)."""
        return self.serial or f"ashisense-{room}"


def force_stream_name(room: str) -> str:
    return f"AshiSense {room}"


def marker_stream_name(room: str) -> str:
    return f"AshiSense {room} events"


def force_info(room: str, source: Source, rig: Rig) -> pylsl.StreamInfo:
    """StreamInfo of the force stream: float32, the channels then ESTIMATES, described."""
    info = pylsl.StreamInfo(
        force_stream_name(room),
        FORCE_TYPE,
        len(source.channels) + len(ESTIMATES),
        source.rate_hz,
        pylsl.cf_float32,
        source.source_id(room),
    )
    desc = info.desc()
    _channels(desc.append_child("channels"), source.channels, rig)
    _acquisition(desc.append_child("acquisition"), source)
    _setup(desc.append_child("setup"), rig)
    desc.append_child_value("room", room)
    return info


def marker_info(room: str, source: Source) -> pylsl.StreamInfo:
    """StreamInfo of the marker stream: one string channel of JSON texts, irregular."""
    info = pylsl.StreamInfo(
        marker_stream_name(room),
        MARKER_TYPE,
        1,
        pylsl.IRREGULAR_RATE,
        pylsl.cf_string,
        source.source_id(room),
    )
    desc = info.desc()
    channel = desc.append_child("channels").append_child("channel")
    channel.append_child_value("label", "event")
    channel.append_child_value("type", "Marker")
    channel.append_child_value("format", "json")
    _acquisition(desc.append_child("acquisition"), source)
    desc.append_child_value("room", room)
    return info


def _channels(parent: XMLElement, names: tuple[str, ...], rig: Rig) -> None:
    """One desc/channels/channel per column: label, unit, type; where a cell sits."""
    by_name = {c.name: c for c in rig.channel}
    for name in names:
        channel = parent.append_child("channel")
        channel.append_child_value("label", name)
        channel.append_child_value("unit", "newtons")
        channel.append_child_value("type", "Force")
        spec = by_name.get(name)
        if spec is None:
            continue
        channel.append_child_value("role", spec.role)
        if spec.role == "bar":
            channel.append_child_value("side", spec.side or "")
            channel.append_child_value("end", spec.end or "")
        else:
            location = channel.append_child("location")
            location.append_child_value("X", repr(spec.x_m))
            location.append_child_value("Y", repr(spec.y_m))
            location.append_child_value("Z", "0.0")
    for name, unit, kind in ESTIMATES:
        channel = parent.append_child("channel")
        channel.append_child_value("label", name)
        channel.append_child_value("unit", unit)
        channel.append_child_value("type", kind)
        channel.append_child_value("role", "estimate")


def _acquisition(parent: XMLElement, source: Source) -> None:
    parent.append_child_value("manufacturer", MANUFACTURER)
    parent.append_child_value("model", source.model)
    parent.append_child_value("serial_number", source.serial)
    parent.append_child_value("firmware", source.firmware)


def _setup(parent: XMLElement, rig: Rig) -> None:
    """The rig's geometry (metres, table frame)."""
    parent.append_child_value("frame", FRAME)
    parent.append_child_value("rig_kind", rig.kind)
    table = parent.append_child("table")
    table.append_child_value("length_m", repr(rig.table.length_m))
    table.append_child_value("width_m", repr(rig.table.width_m))
    if rig.bars is not None:
        bars = parent.append_child("bars")
        for key in ("head_mount_x_m", "foot_mount_x_m", "left_y_m", "right_y_m"):
            bars.append_child_value(key, repr(getattr(rig.bars, key)))


def force_values(estimate: EstimateBlock) -> np.ndarray:
    """The force stream's samples of one block: (n, channels + estimates) float32."""
    n_channels = len(estimate.channels)
    values = np.empty((len(estimate), n_channels + len(ESTIMATES)), dtype=np.float32)
    values[:, :n_channels] = estimate.force_n
    for k, name in enumerate(ESTIMATE_FIELDS):
        values[:, n_channels + k] = getattr(estimate, name)
    return values
