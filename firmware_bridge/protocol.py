"""Protocol v1 packet types and builders (PROTOCOL.md): the host's reference encoder.

The builders produce exactly the wire bytes a device sends (COBS-encoded packet plus
the 0x00 delimiter); the simulator, the tests and the C firmware code are checked
against them.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from cobs import cobs

from firmware_bridge.errors import HelloError

PROTOCOL_VERSION = 1
TYPE_SAMPLE = 0x01
TYPE_HELLO = 0x02
TYPE_EVENT = 0x03
TYPE_GRID = 0x04
MAX_PACKET_BYTES = 16_384
#: Longest COBS frame a valid packet can become (one overhead byte per 254).
MAX_FRAME_BYTES = MAX_PACKET_BYTES + MAX_PACKET_BYTES // 254 + 2
MAX_CHANNELS = 32
SAMPLE_HEADER_BYTES = 11  # type, seq, t_us, invalid
GRID_HEADER_BYTES = 9  # type, seq, t_us, rows, cols
#: zlib.crc32(packet) of any packet whose last 4 bytes are its own little-endian CRC-32.
CRC32_RESIDUE = 0x2144DF1C
DELIMITER = b"\x00"


def sample_dtype(n_channels: int) -> np.dtype:
    """Structured dtype of one decoded SAMPLE packet with `n_channels` counts (CRC included)."""
    return np.dtype(
        [
            ("type", "u1"),
            ("seq", "<u2"),
            ("t_us", "<u4"),
            ("invalid", "<u4"),
            ("counts", "<i4", (n_channels,)),
            ("crc", "<u4"),
        ]
    )


def frame(packet_without_crc: bytes) -> bytes:
    """Append the CRC, COBS-encode and delimit one packet: the bytes that go on the wire."""
    crc = struct.pack("<I", zlib.crc32(packet_without_crc))
    return cobs.encode(packet_without_crc + crc) + DELIMITER


def sample_packet(seq: int, t_us: int, invalid: int, counts: list[int] | np.ndarray) -> bytes:
    """SAMPLE packet body (type byte included, CRC excluded)."""
    c = np.asarray(counts, dtype="<i4")
    return struct.pack("<BHII", TYPE_SAMPLE, seq & 0xFFFF, t_us & 0xFFFFFFFF, invalid) + c.tobytes()


def encode_sample(seq: int, t_us: int, invalid: int, counts: list[int] | np.ndarray) -> bytes:
    """Wire bytes of one SAMPLE."""
    return frame(sample_packet(seq, t_us, invalid, counts))


def encode_samples(
    seq: np.ndarray, t_us: np.ndarray, invalid: np.ndarray, counts: np.ndarray
) -> bytes:
    """Wire bytes of many SAMPLEs at once; arrays are (n,), (n,), (n,), (n, C)."""
    return b"".join(sample_packets(seq, t_us, invalid, counts))


def sample_packets(
    seq: np.ndarray, t_us: np.ndarray, invalid: np.ndarray, counts: np.ndarray
) -> list[bytes]:
    """The wire bytes of each SAMPLE (its frame and delimiter), for a device that sends them
    one by one as they are taken; arrays are (n,), (n,), (n,), (n, C)."""
    n, c = counts.shape
    rec = np.zeros(n, dtype=sample_dtype(c))
    rec["type"] = TYPE_SAMPLE
    rec["seq"] = np.asarray(seq) & 0xFFFF
    rec["t_us"] = np.asarray(t_us) & 0xFFFFFFFF
    rec["invalid"] = invalid
    rec["counts"] = counts
    raw = rec.tobytes()
    size = rec.dtype.itemsize
    return [frame(raw[i * size : (i + 1) * size - 4]) for i in range(n)]


def encode_hello(hello: dict[str, Any]) -> bytes:
    """Wire bytes of a HELLO carrying `hello` as compact UTF-8 JSON."""
    body = json.dumps(hello, separators=(",", ":")).encode()
    return frame(bytes([TYPE_HELLO]) + body)


def encode_event(t_us: int, event: dict[str, Any]) -> bytes:
    """Wire bytes of an EVENT at device time `t_us`."""
    body = json.dumps(event, separators=(",", ":")).encode()
    return frame(struct.pack("<BI", TYPE_EVENT, t_us & 0xFFFFFFFF) + body)


def encode_grid(seq: int, t_us: int, values: np.ndarray) -> bytes:
    """Wire bytes of a GRID frame; `values` is (rows, cols) of raw u16 taxels."""
    rows, cols = values.shape
    head = struct.pack("<BHIBB", TYPE_GRID, seq & 0xFFFF, t_us & 0xFFFFFFFF, rows, cols)
    return frame(head + np.asarray(values, dtype="<u2").tobytes())


@dataclass(frozen=True)
class Hello:
    """A device's HELLO: who it is and the order of its channels."""

    device: str
    serial: str
    firmware: str
    rate_hz: float
    channels: tuple[str, ...]
    grid: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_json(cls, body: bytes) -> Hello:
        """Parse a HELLO body; raises HelloError naming the field that is wrong."""
        try:
            obj = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise HelloError(f"HELLO: body is not UTF-8 JSON ({err})") from err
        if not isinstance(obj, dict):
            raise HelloError(f"HELLO: expected a JSON object, got {type(obj).__name__}")
        return cls.from_dict(obj)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Hello:
        """Validate a HELLO object (required keys per PROTOCOL.md)."""
        if obj.get("protocol") != PROTOCOL_VERSION:
            raise HelloError(f"HELLO: 'protocol' must be 1, got {obj.get('protocol')!r}")
        for key in ("device", "serial", "firmware"):
            if not isinstance(obj.get(key), str):
                raise HelloError(f"HELLO: '{key}' must be a string, got {obj.get(key)!r}")
        rate = obj.get("rate_hz")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
            raise HelloError(f"HELLO: 'rate_hz' must be a positive number, got {rate!r}")
        chans = obj.get("channels")
        if (
            not isinstance(chans, list)
            or not all(isinstance(c, str) for c in chans)
            or len(chans) > MAX_CHANNELS
            or len(set(chans)) != len(chans)
        ):
            raise HelloError(
                f"HELLO: 'channels' must be a list of at most {MAX_CHANNELS} distinct names, "
                f"got {chans!r}"
            )
        grid = obj.get("grid")
        if grid is not None and not (
            isinstance(grid, dict)
            and all(isinstance(grid.get(k), int) and grid[k] > 0 for k in ("rows", "cols"))
        ):
            raise HelloError(
                f"HELLO: 'grid' must have positive integer rows and cols, got {grid!r}"
            )
        return cls(
            device=obj["device"],
            serial=obj["serial"],
            firmware=obj["firmware"],
            rate_hz=float(rate),
            channels=tuple(chans),
            grid=grid,
            raw=dict(obj),
        )

    def to_dict(self) -> dict[str, Any]:
        """The HELLO object as the device sent it."""
        return (
            dict(self.raw)
            if self.raw
            else {
                "protocol": PROTOCOL_VERSION,
                "device": self.device,
                "serial": self.serial,
                "firmware": self.firmware,
                "rate_hz": self.rate_hz,
                "channels": list(self.channels),
                **({"grid": self.grid} if self.grid else {}),
            }
        )
