"""The frame decoder: any chunking decodes alike, and each kind of bad packet is dropped and
counted in its own counter without harming its neighbours."""

from __future__ import annotations

import itertools
import json
import struct
import zlib
from typing import Any

import numpy as np
import pytest
from cobs import cobs
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.decoder import EventPacket, FrameDecoder, GridPacket, Packet, RawSamples
from firmware_bridge.protocol import (
    MAX_CHANNELS,
    MAX_PACKET_BYTES,
    TYPE_EVENT,
    TYPE_GRID,
    TYPE_HELLO,
    Hello,
    encode_event,
    encode_grid,
    encode_hello,
    encode_sample,
    frame,
    sample_packet,
)

SPECIAL_COUNTS = np.array([0, 1, -1, 255, 256, (1 << 23) - 1, -(1 << 23)], dtype=np.int64)


def hello_obj(channels: list[str], **extra: Any) -> dict[str, Any]:
    """A valid HELLO object with these channels."""
    return {
        "protocol": 1,
        "device": "ashi-test",
        "serial": "T-1",
        "firmware": "0.1",
        "rate_hz": 80,
        "channels": channels,
        **extra,
    }


@st.composite
def wire_packets(draw: st.DrawFn, max_packets: int = 40) -> list[bytes]:
    """A valid device stream as a list of wire packets (each ends with its 0x00), all distinct.

    HELLOs, SAMPLEs (one channel count per stream), EVENTs and GRIDs mixed; counts are
    full-range 24-bit values or byte-boundary values, so COBS sees many zeros.
    """
    c = draw(st.integers(1, 8))
    channels = [f"ch{i}" for i in range(c)]
    kinds = draw(st.lists(st.sampled_from("SSSSSHEG"), min_size=1, max_size=max_packets))
    seq0, t0 = draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFFFFFF))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    wires = []
    for i, kind in enumerate(kinds):
        t_us = t0 + 12_500 * i
        if kind == "S":
            counts = rng.integers(-(1 << 23), 1 << 23, c)
            special = rng.random(c) < 0.3
            counts[special] = rng.choice(SPECIAL_COUNTS, int(special.sum()))
            wires.append(encode_sample(seq0 + i, t_us, int(rng.integers(0, 1 << c)), counts))
        elif kind == "H":
            wires.append(encode_hello(hello_obj(channels, n=i)))
        elif kind == "E":
            wires.append(encode_event(t_us, {"event": "overflow", "dropped": i}))
        else:
            values = rng.integers(0, 1 << 16, size=(int(rng.integers(1, 5)), 3)).astype(np.uint16)
            wires.append(encode_grid(seq0 + i, t_us, values))
    return wires


@st.composite
def chunkings(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """data cut at arbitrary places (also inside frames and right at delimiters)."""
    cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=12))))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def packet_bytes(out: list[Packet]) -> list[bytes]:
    """Each decoded packet as its bytes on the wire before COBS (type .. CRC), in order."""
    res: list[bytes] = []
    for p in out:
        if isinstance(p, RawSamples):
            res.extend(r.tobytes() for r in p.records)
            continue
        if isinstance(p, Hello):
            wire = encode_hello(p.raw)
        elif isinstance(p, EventPacket):
            wire = encode_event(p.t_us, p.payload)
        else:
            assert isinstance(p, GridPacket)
            wire = encode_grid(p.seq, p.t_us, p.values)
        res.append(cobs.decode(wire[:-1]))
    return res


def sent_bytes(wires: list[bytes]) -> list[bytes]:
    return [cobs.decode(w[:-1]) for w in wires]


def decode_chunks(chunks: list[bytes], dec: FrameDecoder | None = None) -> list[Packet]:
    dec = dec if dec is not None else FrameDecoder()
    return [p for c in chunks for p in dec.feed(c)]


# -- chunking ---------------------------------------------------------------------------------


@given(data=st.data(), wires=wire_packets())
def test_any_chunking_decodes_like_one_shot_and_loses_nothing(
    data: st.DataObject, wires: list[bytes]
) -> None:
    stream = b"".join(wires)
    one = FrameDecoder()
    whole = packet_bytes(one.feed(stream))
    assert whole == sent_bytes(wires)
    assert one.counters.bad_packets == 0 and one.counters.packets == len(wires)

    chunked = FrameDecoder()
    assert packet_bytes(decode_chunks(data.draw(chunkings(stream)), chunked)) == whole
    assert chunked.counters == one.counters


def test_byte_by_byte_equals_one_shot_on_a_long_stream() -> None:
    rng = np.random.default_rng(7)
    n = 300
    counts = rng.integers(-(1 << 23), 1 << 23, (n, 8))
    stream = encode_hello(hello_obj([f"c{i}" for i in range(8)])) + b"".join(
        encode_sample(i, 1000 * i, 0, counts[i]) for i in range(n)
    )
    dec = FrameDecoder()
    out = decode_chunks([stream[i : i + 1] for i in range(len(stream))], dec)
    assert packet_bytes(out) == packet_bytes(FrameDecoder().feed(stream))
    assert dec.counters.packets == n + 1


def test_consecutive_samples_of_one_feed_come_out_as_one_block() -> None:
    stream = b"".join(encode_sample(i, 10 * i, 0, [i, -i]) for i in range(50))
    (raw,) = FrameDecoder().feed(stream)
    assert isinstance(raw, RawSamples) and raw.n_channels == 2
    assert raw.records["seq"].tolist() == list(range(50))


# -- what the HELLO decides -------------------------------------------------------------------


def test_before_hello_any_wellformed_sample_length_passes_in_separate_blocks() -> None:
    stream = encode_sample(0, 0, 0, [1, 2]) + encode_sample(1, 1, 0, [1, 2, 3])
    out = FrameDecoder().feed(stream)
    assert [p.n_channels for p in out if isinstance(p, RawSamples)] == [2, 3]


def test_hello_fixes_the_channel_count_and_reset_forgets_it() -> None:
    dec = FrameDecoder()
    dec.feed(encode_hello(hello_obj(["a", "b"])))
    assert dec.expected_channels == 2
    assert dec.feed(encode_sample(0, 0, 0, [1, 2, 3])) == []
    assert dec.counters.bad_length == 1
    dec.reset()
    assert dec.expected_channels is None
    assert len(dec.feed(encode_sample(1, 1, 0, [1, 2, 3]))) == 1


def test_reset_drops_a_partial_frame() -> None:
    dec = FrameDecoder()
    wire = encode_sample(5, 5, 0, [5])
    assert dec.feed(wire[:7]) == []
    dec.reset()
    (raw,) = dec.feed(wire)
    assert isinstance(raw, RawSamples) and raw.records["seq"].tolist() == [5]
    assert dec.counters.bad_packets == 0


# -- bad packets: dropped, counted in the right counter, neighbours unharmed -------------------


def with_crc(packet: bytes) -> bytes:
    """Wire bytes of a packet with a correct CRC, whatever its content."""
    return frame(packet)


def raw_frame(packet_and_crc: bytes) -> bytes:
    return cobs.encode(packet_and_crc) + b"\x00"


def hello_body(obj: object) -> bytes:
    return with_crc(bytes([TYPE_HELLO]) + json.dumps(obj).encode())


def event_body(body: bytes) -> bytes:
    return with_crc(struct.pack("<BI", TYPE_EVENT, 42) + body)


def missing(key: str) -> dict[str, Any]:
    obj = hello_obj(["a", "b"])
    del obj[key]
    return obj


GOOD_SAMPLE = sample_packet(0, 0, 0, [1, 2])
BAD_PACKETS: dict[str, list[tuple[str, bytes]]] = {
    "bad_crc": [
        ("crc off by one", raw_frame(GOOD_SAMPLE + struct.pack("<I", zlib.crc32(GOOD_SAMPLE) ^ 1))),
        ("payload bit flipped", raw_frame(bytes([1, 1]) + GOOD_SAMPLE[2:] + b"\0\0\0\0")),
        ("empty packet (4 CRC bytes only)", raw_frame(struct.pack("<I", zlib.crc32(b"")))),
    ],
    "bad_cobs": [("code byte runs past the frame", b"\x05\x01\x02\x00")],
    "bad_length": [
        ("sample with 3 channels after a 2-channel HELLO", encode_sample(9, 9, 0, [1, 2, 3])),
        ("sample with 1 channel after a 2-channel HELLO", encode_sample(9, 9, 0, [1])),
        ("sample body not a multiple of 4", with_crc(GOOD_SAMPLE + b"\x01\x02")),
        ("sample header cut short", with_crc(GOOD_SAMPLE[:7])),
        ("event without JSON room", with_crc(struct.pack("<BH", TYPE_EVENT, 1))),
        (
            "grid of 2x2 carrying 3 values",
            with_crc(struct.pack("<BHIBB3H", 4, 0, 0, 2, 2, 1, 2, 3)),
        ),
        ("grid with zero rows", with_crc(struct.pack("<BHIBB", TYPE_GRID, 0, 0, 0, 3))),
        ("grid header cut short", with_crc(struct.pack("<BHI", TYPE_GRID, 0, 0))),
    ],
    "bad_type": [
        ("type 0x05", with_crc(b"\x05" + GOOD_SAMPLE[1:])),
        ("type 0x00", with_crc(b"\x00" + GOOD_SAMPLE[1:])),
        ("type 0xff", with_crc(b"\xff")),
    ],
    "bad_body": [
        ("hello not JSON", with_crc(b"\x02{protocol: 1")),
        ("hello not UTF-8", with_crc(b'\x02{"device": "\xff"}')),
        ("hello a JSON list", hello_body([1, 2])),
        ("hello empty", with_crc(b"\x02")),
        *[(f"hello missing {k}", hello_body(missing(k))) for k in hello_obj([])],
        ("hello protocol 2", hello_body(hello_obj(["a", "b"]) | {"protocol": 2})),
        ("hello rate_hz 0", hello_body(hello_obj(["a", "b"]) | {"rate_hz": 0})),
        ("hello rate_hz a string", hello_body(hello_obj(["a", "b"]) | {"rate_hz": "80"})),
        ("hello rate_hz true", hello_body(hello_obj(["a", "b"]) | {"rate_hz": True})),
        ("hello serial a number", hello_body(hello_obj(["a", "b"]) | {"serial": 7})),
        ("hello duplicate channels", hello_body(hello_obj(["a", "a"]))),
        ("hello channel not a string", hello_body(hello_obj(["a", 2]))),
        ("hello 33 channels", hello_body(hello_obj([f"c{i}" for i in range(33)]))),
        ("hello grid without cols", hello_body(hello_obj(["a", "b"]) | {"grid": {"rows": 2}})),
        ("event without 'event'", event_body(b'{"dropped": 3}')),
        ("event a JSON list", event_body(b'["event"]')),
        ("event not JSON", event_body(b"boot")),
        ("event not UTF-8", event_body(b'{"event": "\xfe"}')),
        ("event empty body", event_body(b"")),
    ],
}
CASES = [(counter, name, wire) for counter, cases in BAD_PACKETS.items() for name, wire in cases]


@pytest.mark.parametrize(("counter", "name", "bad"), CASES, ids=[c[1] for c in CASES])
def test_bad_packet_is_dropped_counted_and_spares_its_neighbours(
    counter: str, name: str, bad: bytes
) -> None:
    hello = encode_hello(hello_obj(["a", "b"]))
    before, after = encode_sample(1, 100, 0, [1, 2]), encode_sample(2, 200, 0, [3, 4])
    dec = FrameDecoder()
    out = dec.feed(hello + before + bad + after)
    assert packet_bytes(out) == sent_bytes([hello, before, after]), name
    counts = dec.counters.as_dict()
    assert counts[counter] == 1, f"{name}: {counts}"
    assert dec.counters.bad_packets == 1, f"{name}: {counts}"
    assert dec.expected_channels == 2, f"{name}: a bad packet changed the channel count"


def test_sample_with_more_than_32_channels_is_bad_length_even_before_hello() -> None:
    dec = FrameDecoder()
    assert dec.feed(encode_sample(0, 0, 0, list(range(MAX_CHANNELS + 1)))) == []
    assert len(dec.feed(encode_sample(0, 0, 0, list(range(MAX_CHANNELS))))) == 1
    assert dec.counters.bad_length == 1 and dec.counters.bad_packets == 1


def hello_of_size(n_bytes: int) -> bytes:
    """Wire bytes of a valid HELLO whose packet (type .. CRC) is exactly n_bytes long."""
    obj = hello_obj(["a"], pad="")
    obj["pad"] = "x" * (n_bytes - len(cobs.decode(encode_hello(obj)[:-1])))
    wire = encode_hello(obj)
    assert len(cobs.decode(wire[:-1])) == n_bytes
    return wire


def test_largest_packet_passes_and_one_byte_more_is_oversize_even_with_a_good_crc() -> None:
    """PROTOCOL.md: the largest packet is 16,384 bytes before encoding."""
    dec = FrameDecoder()
    assert isinstance(dec.feed(hello_of_size(MAX_PACKET_BYTES))[0], Hello)
    after = encode_sample(0, 0, 0, [7])
    out = dec.feed(hello_of_size(MAX_PACKET_BYTES + 1) + after)
    assert packet_bytes(out) == sent_bytes([after])
    assert dec.counters.oversize == 1 and dec.counters.bad_packets == 1
