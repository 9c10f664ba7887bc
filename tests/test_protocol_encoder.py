"""The reference encoder writes exactly PROTOCOL.md's bytes, and the decoder reads them back."""

from __future__ import annotations

import struct
import zlib

import numpy as np
from cobs import cobs
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.decoder import EventPacket, FrameDecoder, GridPacket, RawSamples
from firmware_bridge.protocol import (
    CRC32_RESIDUE,
    TYPE_SAMPLE,
    Hello,
    encode_event,
    encode_grid,
    encode_hello,
    encode_sample,
    encode_samples,
    frame,
    sample_packet,
)

# PROTOCOL.md, "Test vector": SAMPLE seq=1, t_us=1000, invalid=0, counts=[1, -1]
VECTOR_PACKET = bytes.fromhex("01 0100 e8030000 00000000 01000000 ffffffff")
VECTOR_CRC = bytes.fromhex("ee4a7bf7")
VECTOR_WIRE = bytes.fromhex(
    "03 01 01 03 e8 03 01 01 01 01 01 02 01 01 01 09 ff ff ff ff ee 4a 7b f7 00"
)

i24 = st.integers(-(1 << 23), (1 << 23) - 1)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)


def test_vector_packet_and_crc_are_protocol_md_bytes() -> None:
    assert len(VECTOR_PACKET) == 19
    assert sample_packet(1, 1000, 0, [1, -1]) == VECTOR_PACKET
    assert struct.pack("<I", zlib.crc32(VECTOR_PACKET)) == VECTOR_CRC


def test_vector_encodes_to_protocol_md_wire_bytes() -> None:
    assert encode_sample(1, 1000, 0, [1, -1]) == VECTOR_WIRE
    assert encode_samples(np.array([1]), np.array([1000]), np.array([0]), np.array([[1, -1]])) == (
        VECTOR_WIRE
    )


def test_vector_decodes_to_protocol_md_fields_whole_and_byte_by_byte() -> None:
    for chunks in ([VECTOR_WIRE], [VECTOR_WIRE[i : i + 1] for i in range(len(VECTOR_WIRE))]):
        dec = FrameDecoder()
        out = [p for c in chunks for p in dec.feed(c)]
        assert len(out) == 1 and isinstance(out[0], RawSamples)
        rec = out[0].records
        assert out[0].n_channels == 2
        assert rec["type"].tolist() == [TYPE_SAMPLE]
        assert rec["seq"].tolist() == [1]
        assert rec["t_us"].tolist() == [1000]
        assert rec["invalid"].tolist() == [0]
        assert rec["counts"].tolist() == [[1, -1]]
        assert struct.pack("<I", int(rec["crc"][0])) == VECTOR_CRC
        assert dec.counters.bad_packets == 0 and dec.counters.packets == 1


@given(data=st.binary(max_size=300))
def test_crc_residue_holds_for_any_packet(data: bytes) -> None:
    packet = data + struct.pack("<I", zlib.crc32(data))
    assert zlib.crc32(packet) == CRC32_RESIDUE


@given(body=st.binary(max_size=600))
def test_frame_is_cobs_of_packet_and_crc_with_one_trailing_delimiter(body: bytes) -> None:
    wire = frame(body)
    assert wire.endswith(b"\x00") and wire.count(0) == 1
    assert cobs.decode(wire[:-1]) == body + struct.pack("<I", zlib.crc32(body))


@given(
    rows=st.lists(
        st.tuples(u16, u32, u32, st.lists(i24, min_size=3, max_size=3)), min_size=1, max_size=20
    )
)
def test_encode_samples_equals_one_encode_sample_per_row(
    rows: list[tuple[int, int, int, list[int]]],
) -> None:
    seq, t_us, invalid, counts = (np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
    one_by_one = b"".join(encode_sample(*r) for r in rows)
    assert encode_samples(seq, t_us, invalid, counts) == one_by_one


@given(
    seq=st.integers(-5, 200_000),
    t_us=st.integers(-5, (1 << 33)),
    invalid=u32,
    counts=st.lists(i24, min_size=0, max_size=32),
)
def test_sample_round_trip_wraps_seq_and_t_us_like_the_device(
    seq: int, t_us: int, invalid: int, counts: list[int]
) -> None:
    (raw,) = FrameDecoder().feed(encode_sample(seq, t_us, invalid, counts))
    assert isinstance(raw, RawSamples)
    rec = raw.records
    assert rec["seq"].tolist() == [seq % (1 << 16)]
    assert rec["t_us"].tolist() == [t_us % (1 << 32)]
    assert rec["invalid"].tolist() == [invalid]
    assert rec["counts"].reshape(-1).tolist() == counts


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@given(
    channels=st.lists(names, max_size=32, unique=True),
    device=names,
    rate_hz=st.floats(0.1, 1e5),
    extra=st.dictionaries(st.sampled_from(["note", "build", "ü"]), st.integers()),
)
def test_hello_round_trip_keeps_fields_and_unknown_keys(
    channels: list[str], device: str, rate_hz: float, extra: dict[str, int]
) -> None:
    obj = {
        "protocol": 1,
        "device": device,
        "serial": "SN1",
        "firmware": "1.0",
        "rate_hz": rate_hz,
        "channels": channels,
        "grid": {"rows": 4, "cols": 3, "rate_hz": 10},
        **extra,
    }
    (hello,) = FrameDecoder().feed(encode_hello(obj))
    assert isinstance(hello, Hello)
    assert hello.channels == tuple(channels)
    assert hello.device == device and hello.rate_hz == rate_hz
    assert hello.grid == {"rows": 4, "cols": 3, "rate_hz": 10}
    assert hello.to_dict() == obj


@given(
    t_us=u32,
    payload=st.fixed_dictionaries(
        {"event": st.sampled_from(["boot", "overflow", "adc_fault", "rate", "error", "new"])},
        optional={"dropped": st.integers(0, 10**6), "message": names},
    ),
)
def test_event_round_trip(t_us: int, payload: dict[str, object]) -> None:
    (event,) = FrameDecoder().feed(encode_event(t_us, payload))
    assert event == EventPacket(t_us=t_us, payload=payload)


@given(
    seq=u16,
    t_us=u32,
    shape=st.tuples(st.integers(1, 12), st.integers(1, 12)),
    seed=st.integers(0, 2**32 - 1),
)
def test_grid_round_trip(seq: int, t_us: int, shape: tuple[int, int], seed: int) -> None:
    values = np.random.default_rng(seed).integers(0, 1 << 16, size=shape).astype(np.uint16)
    (grid,) = FrameDecoder().feed(encode_grid(seq, t_us, values))
    assert isinstance(grid, GridPacket)
    assert (grid.seq, grid.t_us) == (seq, t_us)
    assert grid.values.dtype == np.uint16 and np.array_equal(grid.values, values)
