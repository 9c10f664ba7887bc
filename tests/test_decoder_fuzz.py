"""The decoder under hostile bytes: it never raises, resyncs at the next delimiter, discards
oversize runs, and a corruption loses only the packets it touches, never passing one on damaged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_decoder import chunkings, decode_chunks, packet_bytes, sent_bytes, wire_packets

from firmware_bridge.decoder import FrameDecoder
from firmware_bridge.protocol import MAX_FRAME_BYTES, encode_sample


def completed_runs(data: bytes) -> int:
    """How many frames the decoder must account for: non-empty runs ended by a 0x00, plus a
    trailing run that is already too long to be a frame."""
    runs = data.split(b"\x00")
    return sum(1 for r in runs[:-1] if r) + (len(runs[-1]) > MAX_FRAME_BYTES)


def assert_every_frame_accounted(dec: FrameDecoder, data: bytes) -> None:
    """Each frame is exactly one packet out or one bad packet counted; counters never negative."""
    c = dec.counters
    assert all(v >= 0 for v in c.as_dict().values())
    assert c.bytes_in == len(data)
    assert c.packets + c.bad_packets == completed_runs(data), c.as_dict()


fragments = st.one_of(
    st.binary(max_size=64),
    st.just(b"\x00"),
    wire_packets(max_packets=3).map(b"".join),
    wire_packets(max_packets=2).map(lambda w: b"".join(w)[1:-1]),
)


@given(data=st.data(), parts=st.lists(fragments, max_size=12))
def test_arbitrary_bytes_never_raise_and_every_frame_is_accounted(
    data: st.DataObject, parts: list[bytes]
) -> None:
    stream = b"".join(parts)
    dec = FrameDecoder()
    out = decode_chunks(data.draw(chunkings(stream)), dec)
    assert dec.counters.packets == len(packet_bytes(out))
    assert_every_frame_accounted(dec, stream)


@given(data=st.data(), wires=wire_packets())
def test_starting_mid_stream_resyncs_at_the_next_delimiter(
    data: st.DataObject, wires: list[bytes]
) -> None:
    stream = b"".join(wires)
    start = data.draw(st.integers(0, len(stream) - 1))
    ends = np.cumsum([len(w) for w in wires])  # one past each packet's delimiter
    first_whole = int(np.searchsorted(ends - np.array([len(w) for w in wires]), start, "left"))
    dec = FrameDecoder()
    out = decode_chunks(data.draw(chunkings(stream[start:])), dec)
    assert packet_bytes(out) == sent_bytes(wires[first_whole:])
    # the cut packet's remainder is one bad frame, unless only its delimiter was left
    cut_inside = first_whole > 0 and start not in (ends[first_whole - 1], ends[first_whole - 1] - 1)
    assert dec.counters.bad_packets == int(cut_inside)
    assert_every_frame_accounted(dec, stream[start:])


@given(
    data=st.data(),
    wires=wire_packets(max_packets=12),
    junk_lens=st.lists(
        st.sampled_from([MAX_FRAME_BYTES + 1, 20_000, 40_000]), min_size=3, max_size=3
    ),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=40, deadline=None)
def test_oversize_runs_are_discarded_without_eating_the_next_packets(
    data: st.DataObject, wires: list[bytes], junk_lens: list[int], seed: int
) -> None:
    """Runs longer than any frame, cut anywhere (so they pile up across feeds or arrive whole)."""
    rng = np.random.default_rng(seed)
    stream = bytearray()
    where = data.draw(st.lists(st.integers(0, len(wires)), min_size=1, max_size=3))
    lengths = iter(junk_lens)
    for i, w in enumerate([*wires, b""]):
        for _ in range(where.count(i)):
            junk = rng.integers(1, 256, next(lengths), dtype=np.uint8).tobytes()
            stream += junk + b"\x00"
        stream += w
    chunks = data.draw(chunkings(bytes(stream)))
    dec = FrameDecoder()
    assert packet_bytes(decode_chunks(chunks, dec)) == sent_bytes(wires)
    assert dec.counters.oversize == len(where) == dec.counters.bad_packets
    assert_every_frame_accounted(dec, bytes(stream))


def test_oversize_run_without_end_is_counted_once_and_the_decoder_recovers() -> None:
    dec = FrameDecoder()
    junk = b"\x01" * 1000
    for _ in range(100):  # 100 kB without a delimiter, in small reads
        assert dec.feed(junk) == []
    assert dec.counters.oversize == 1
    after = encode_sample(3, 3, 0, [3])
    out = dec.feed(b"\x00" + after)
    assert packet_bytes(out) == sent_bytes([after])
    assert dec.counters.bad_packets == 1


# -- random corruption --------------------------------------------------------------------------


@dataclass(frozen=True)
class Corruption:
    """One damaged place of the original stream: a byte replaced or deleted at `pos`, or a
    byte inserted before `pos` (pos == len(stream): appended)."""

    kind: str  # "flip", "delete", "insert"
    pos: int
    byte: int = 0


def apply(stream: bytes, ops: list[Corruption]) -> bytes:
    out = bytearray()
    by_pos: dict[int, list[Corruption]] = {}
    for op in ops:
        by_pos.setdefault(op.pos, []).append(op)
    for pos in range(len(stream) + 1):
        here = by_pos.get(pos, [])
        out += bytes(op.byte for op in here if op.kind == "insert")
        if pos == len(stream):
            break
        replaced = [op for op in here if op.kind != "insert"]
        if not replaced:
            out.append(stream[pos])
        elif replaced[0].kind == "flip":
            out.append(replaced[0].byte)
    return bytes(out)


def hit_packets(op: Corruption, starts: np.ndarray, delims: np.ndarray) -> set[int]:
    """Packets a corruption may destroy (the exact bound argued in the docstring below)."""
    n = len(starts)
    if op.kind == "insert":
        if op.pos == delims[-1] + 1:  # appended after the last delimiter: an unfinished frame
            return set()
        i = int(np.searchsorted(delims, op.pos))  # packet whose frame or delimiter is at pos
        if op.byte == 0 and op.pos == starts[i]:  # an empty frame between two delimiters
            return set()
        return {i}
    i = int(np.searchsorted(delims, op.pos))
    if op.pos == delims[i] and not (op.kind == "flip" and op.byte == 0):
        return {i, i + 1} & set(range(n))  # the delimiter is gone: two frames run together
    return {i}


@st.composite
def corruptions(draw: st.DrawFn, length: int) -> list[Corruption]:
    """1 to 6 damaged places; inserted bytes are often 0x00 (a false delimiter)."""
    positions = draw(st.lists(st.integers(0, length - 1), min_size=1, max_size=6, unique=True))
    byte = st.one_of(st.just(0), st.integers(0, 255))
    ops = []
    for pos in positions:
        kind = draw(st.sampled_from(["flip", "delete", "insert"]))
        at = draw(st.integers(pos, pos + 1)) if kind == "insert" else pos
        ops.append(Corruption(kind, at, draw(byte)))
    return ops


@given(data=st.data(), wires=wire_packets())
@settings(max_examples=300, deadline=None)
def test_corruption_loses_only_the_packets_it_hits_and_never_passes_a_damaged_one(
    data: st.DataObject, wires: list[bytes]
) -> None:
    """Why the bound is exact: a packet is its frame plus its own delimiter. A replaced,
    deleted or inserted byte inside that span destroys that packet only; a 0x00 written
    into a frame splits it in two bad frames, still one packet. Only a corruption that
    removes a delimiter (deleted, or replaced by a non-zero byte) merges two frames and so
    destroys two packets. A 0x00 inserted beside a delimiter is an empty frame, harmless;
    bytes after the last delimiter are an unfinished frame, harmless."""
    stream = b"".join(wires)
    ops = data.draw(corruptions(len(stream)))
    # a flip that writes the same byte back is no corruption
    ops = [op for op in ops if not (op.kind == "flip" and op.byte == stream[op.pos])]
    bad_stream = apply(stream, ops)
    delims = np.cumsum([len(w) for w in wires]) - 1
    starts = delims - np.array([len(w) for w in wires]) + 1

    dec = FrameDecoder()
    got = packet_bytes(decode_chunks(data.draw(chunkings(bad_stream)), dec))

    sent = sent_bytes(wires)
    index = {p: i for i, p in enumerate(sent)}
    assert all(p in index for p in got), "a damaged packet was passed on"
    kept = [index[p] for p in got]
    assert kept == sorted(set(kept)), "packets duplicated or out of order"
    lost = set(range(len(sent))) - set(kept)
    hit = set().union(*(hit_packets(op, starts, delims) for op in ops))
    assert lost <= hit, f"lost {sorted(lost - hit)} that no corruption touched ({ops})"
    assert len(lost) <= sum(len(hit_packets(op, starts, delims)) for op in ops) <= 2 * len(ops)
    assert_every_frame_accounted(dec, bad_stream)


def test_each_kind_of_corruption_meets_its_bound_exactly() -> None:
    """The bound is reached: a lost delimiter costs two packets, anything else one."""
    wires = [encode_sample(i, 1000 * i, 0, [i + 1, 7]) for i in range(5)]
    stream = b"".join(wires)
    delim_1 = len(wires[0]) + len(wires[1]) - 1  # the delimiter ending packet 1
    cases = {
        Corruption("delete", delim_1): {1, 2},
        Corruption("flip", delim_1, 0x55): {1, 2},
        Corruption("flip", delim_1 - 3, 0x00): {1},
        Corruption("insert", delim_1 - 3, 0x00): {1},
        Corruption("insert", delim_1 + 1, 0x00): set(),
        Corruption("insert", delim_1 + 1, 0x42): {2},
        Corruption("delete", 0): {0},
    }
    for op, expected in cases.items():
        dec = FrameDecoder()
        got = packet_bytes(dec.feed(apply(stream, [op])))
        sent = sent_bytes(wires)
        assert {i for i, p in enumerate(sent) if p not in got} == expected, op
        assert all(p in sent for p in got)
