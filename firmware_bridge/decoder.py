"""Pure protocol-v1 framing: bytes in, packets out (no port, thread or clock inside).

Feed it any chunking of the byte stream; it splits at 0x00, COBS-decodes, checks the
CRC-32 and the length for the type, and returns the packets in order. Consecutive
SAMPLEs come out as one structured numpy array, so downstream work is per block.
"""

from __future__ import annotations

import functools
import json
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from cobs import cobs

from firmware_bridge.errors import HelloError
from firmware_bridge.protocol import (
    CRC32_RESIDUE,
    GRID_HEADER_BYTES,
    MAX_CHANNELS,
    MAX_FRAME_BYTES,
    MAX_PACKET_BYTES,
    SAMPLE_HEADER_BYTES,
    TYPE_EVENT,
    TYPE_GRID,
    TYPE_HELLO,
    TYPE_SAMPLE,
    Hello,
    sample_dtype,
)

try:  # zlib's C crc32 is the reference (PROTOCOL.md); imported by name for the hot loop
    from zlib import crc32
except ImportError as err:  # pragma: no cover - zlib is part of CPython
    raise ImportError("zlib is required for CRC-32") from err

_cobs_decode = cobs.decode
_CobsError = cobs.DecodeError


@dataclass(frozen=True)
class RawSamples:
    """Consecutive SAMPLE packets: structured array (type, seq, t_us, invalid, counts, crc)."""

    records: np.ndarray

    @property
    def n_channels(self) -> int:
        return (
            int(self.records.dtype["counts"].shape[0]) if self.records.dtype["counts"].shape else 0
        )


@dataclass(frozen=True)
class EventPacket:
    """An EVENT: device time in µs (wrapping u32) and its JSON object."""

    t_us: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class GridPacket:
    """One GRID frame: its own seq, device time, and (rows, cols) u16 values."""

    seq: int
    t_us: int
    values: np.ndarray


Packet = RawSamples | Hello | EventPacket | GridPacket


@dataclass
class DecoderCounters:
    """Why packets were dropped; `bad_packets` is their sum."""

    packets: int = 0
    bad_cobs: int = 0
    bad_crc: int = 0
    bad_length: int = 0
    bad_type: int = 0
    bad_body: int = 0
    oversize: int = 0
    bytes_in: int = 0

    @property
    def bad_packets(self) -> int:
        return (
            self.bad_cobs
            + self.bad_crc
            + self.bad_length
            + self.bad_type
            + self.bad_body
            + self.oversize
        )

    def as_dict(self) -> dict[str, int]:
        return {**self.__dict__, "bad_packets": self.bad_packets}


@dataclass
class FrameDecoder:
    """Streaming decoder of PROTOCOL.md packets.

    `expected_channels` is the channel count a SAMPLE must carry; it is learned from the
    last valid HELLO (or set by the caller). Before any HELLO, SAMPLEs of any well-formed
    length pass. Invalid packets are counted in `counters` and never returned.
    """

    expected_channels: int | None = None
    counters: DecoderCounters = field(default_factory=DecoderCounters)
    _tail: bytes = b""
    _discarding: bool = False

    def reset(self) -> None:
        """Forget partial bytes and the learned channel count (a new connection)."""
        self._tail = b""
        self._discarding = False
        self.expected_channels = None

    def feed(self, data: bytes) -> list[Packet]:
        """Decode what `data` completes; keep the unfinished frame for the next call."""
        self.counters.bytes_in += len(data)
        buf = self._tail + data if self._tail else data
        frames = buf.split(b"\x00")
        tail = frames.pop()
        if self._discarding and frames:
            # The run that overflowed ends at this delimiter: it was garbage, already counted.
            frames[0] = b""
            self._discarding = False
        if len(tail) > MAX_FRAME_BYTES:
            if not self._discarding:
                self.counters.oversize += 1
            self._discarding = True
            tail = b""
        self._tail = tail
        return self._decode_frames(frames)

    def _decode_frames(self, frames: list[bytes]) -> list[Packet]:
        out = self._group(*self._unframe(frames))
        counts = (len(p.records) if isinstance(p, RawSamples) else 1 for p in out)
        self.counters.packets += sum(counts)
        return out

    def _unframe(self, frames: list[bytes]) -> tuple[list[bytes], set[int]]:
        """The packets of complete frames whose COBS, size and CRC-32 are good, and the set
        of their lengths.

        Fast path: every frame good, checked by C-level maps over the whole read (no Python
        step per frame; a frame too long for MAX_FRAME_BYTES decodes to a packet too long for
        MAX_PACKET_BYTES). Any bad frame sends the read through `_checked`, frame by frame,
        to count why each one was dropped.
        """
        frames = list(filter(None, frames))
        try:
            packets = list(map(_cobs_decode, frames))
        except _CobsError:
            packets = []
        if packets:
            lengths = set(map(len, packets))
            good = list(map(crc32, packets)).count(CRC32_RESIDUE) == len(packets)
            if good and min(lengths) >= 5 and max(lengths) <= MAX_PACKET_BYTES:
                return packets, lengths
        packets = [p for p in map(self._checked, frames) if p is not None]
        return packets, set(map(len, packets))

    def _checked(self, f: bytes) -> bytes | None:
        """One frame's packet, or None with the reason counted."""
        c = self.counters
        if len(f) > MAX_FRAME_BYTES:
            c.oversize += 1
            return None
        try:
            p = _cobs_decode(f)
        except _CobsError:
            c.bad_cobs += 1
            return None
        if len(p) > MAX_PACKET_BYTES:  # even with a good CRC (PROTOCOL.md's limit)
            c.oversize += 1
            return None
        if crc32(p) != CRC32_RESIDUE or len(p) < 5:
            c.bad_crc += 1
            return None
        return p

    def _group(self, packets: list[bytes], lengths: set[int]) -> list[Packet]:
        """Runs of SAMPLEs of one length become one RawSamples; other packets are parsed.

        Fast path: the whole read is SAMPLEs of one valid length (what a streaming rig
        sends), checked on the joined bytes at once.
        """
        if not packets:
            return []
        if len(lengths) == 1 and self._sample_length_ok(n := len(packets[0])):
            joined = b"".join(packets)
            if joined[::n].count(TYPE_SAMPLE) == len(packets):
                return [RawSamples(np.frombuffer(joined, dtype=_sample_dtype(n)))]
        return self._group_mixed(packets)

    def _group_mixed(self, packets: list[bytes]) -> list[Packet]:
        out: list[Packet] = []
        samples: list[bytes] = []
        sample_len = -1
        for p in packets:
            if p[0] == TYPE_SAMPLE:
                n = len(p)
                if n != sample_len:
                    if not self._sample_length_ok(n):
                        self.counters.bad_length += 1
                        continue
                    if samples:
                        out.append(_raw_samples(samples, sample_len))
                        samples = []
                    sample_len = n
                samples.append(p)
                continue
            if samples:
                out.append(_raw_samples(samples, sample_len))
                samples = []
                sample_len = -1
            pkt = self._decode_other(p)
            if pkt is not None:
                out.append(pkt)
        if samples:
            out.append(_raw_samples(samples, sample_len))
        return out

    def _sample_length_ok(self, n: int) -> bool:
        body = n - SAMPLE_HEADER_BYTES - 4
        if body < 0 or body % 4:
            return False
        chans = body // 4
        if chans > MAX_CHANNELS:
            return False
        return self.expected_channels is None or chans == self.expected_channels

    def _decode_other(self, p: bytes) -> Packet | None:
        kind = p[0]
        c = self.counters
        if kind == TYPE_HELLO:
            try:
                hello = Hello.from_json(p[1:-4])
            except HelloError:
                c.bad_body += 1
                return None
            self.expected_channels = len(hello.channels)
            return hello
        if kind == TYPE_EVENT:
            if len(p) < 9:
                c.bad_length += 1
                return None
            try:
                payload = json.loads(p[5:-4].decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                c.bad_body += 1
                return None
            if not isinstance(payload, dict) or "event" not in payload:
                c.bad_body += 1
                return None
            (t_us,) = struct.unpack_from("<I", p, 1)
            return EventPacket(t_us=t_us, payload=payload)
        if kind == TYPE_GRID:
            if len(p) < GRID_HEADER_BYTES + 4:
                c.bad_length += 1
                return None
            seq, t_us, rows, cols = struct.unpack_from("<HIBB", p, 1)
            if len(p) != GRID_HEADER_BYTES + 2 * rows * cols + 4 or rows == 0 or cols == 0:
                c.bad_length += 1
                return None
            values = np.frombuffer(p, dtype="<u2", count=rows * cols, offset=GRID_HEADER_BYTES)
            return GridPacket(
                seq=seq, t_us=t_us, values=values.reshape(rows, cols).astype(np.uint16)
            )
        c.bad_type += 1
        return None


@functools.lru_cache(maxsize=8)
def _sample_dtype(length: int) -> np.dtype:
    """The structured dtype of a SAMPLE packet `length` bytes long (CRC included)."""
    return sample_dtype((length - SAMPLE_HEADER_BYTES - 4) // 4)


def _raw_samples(packets: list[bytes], length: int) -> RawSamples:
    return RawSamples(np.frombuffer(b"".join(packets), dtype=_sample_dtype(length)))
