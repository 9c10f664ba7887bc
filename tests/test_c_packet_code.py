"""The firmware's portable C (hardware/firmware) speaks protocol v1 byte for byte like the host.

A small harness (hardware/firmware/ashiproto/test_vectors_main.c, built by tests/firmwarekit.py
with the host gcc under AddressSanitizer/UBSan) prints frames that are compared with the
reference encoder in firmware_bridge/protocol.py, then decoded by the host's FrameDecoder.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
from cobs import cobs
from firmwarekit import ask, build_harness, c_bytes, run_vectors
from hypothesis import given, settings
from hypothesis import strategies as st

from ashisense.sim.model import SIM_CHANNELS
from firmware_bridge.decoder import EventPacket, FrameDecoder, GridPacket, Packet, RawSamples
from firmware_bridge.events import BUTTONS
from firmware_bridge.protocol import (
    Hello,
    encode_event,
    encode_grid,
    encode_hello,
    encode_sample,
)

PROTOCOL_MD_VECTOR = bytes.fromhex(
    "03 01 01 03 e8 03 01 01 01 01 01 02 01 01 01 09 ff ff ff ff ee 4a 7b f7 00"
)
I32_EXTREMES = [-8388608, 8388607, 8388608, -8388609, 0, -1, -(2**31), 2**31 - 1]
ERROR_MESSAGE = b'bad "RATE"\\ \t\x01\x7f\xc3\xa9'
HX711_MAX, HX711_MIN = 8388607, -8388608


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compiled C harness (built once per module)."""
    return build_harness(tmp_path_factory.mktemp("c_harness"))


@pytest.fixture(scope="module")
def vectors(harness: Path) -> dict[str, str]:
    """The harness's fixed test vectors, name -> printed value."""
    return run_vectors(harness)


def _grid_long_runs() -> np.ndarray:
    v = np.zeros((4, 127), dtype=np.uint16)
    v[0] = 0x0101
    v[2] = 0xFFFF
    v[3] = np.where(np.arange(127) % 2, 0x0001, 0x0100)
    return v


def _grid_largest() -> np.ndarray:
    i = np.arange(64 * 127, dtype=np.uint64)
    v = ((i * np.uint64(2654435761)) >> np.uint64(16)) & np.uint64(0xFFFF)
    v[i % 509 == 0] = 0
    return v.astype(np.uint16).reshape(64, 127)


def _cobs_input(non_zero: int, trailing_zero: bool) -> bytes:
    return bytes(i % 255 + 1 for i in range(non_zero)) + (b"\x00" if trailing_zero else b"")


SAMPLE_VECTORS = {  # name: (seq, t_us, invalid, counts)
    "protocol_vector": (1, 1000, 0, [1, -1]),
    "sample_wrap_all_invalid_32ch": (65535, 2**32 - 1, 0xFFFFFFFF, I32_EXTREMES * 4),
    "sample_no_channels": (0, 0, 0, []),
    "sample_zeros_8ch": (0, 0, 0, [0] * 8),
}
EVENT_VECTORS = {  # name: (t_us, event object)
    "event_boot": (0, {"event": "boot"}),
    "event_overflow": (2**32 - 1, {"event": "overflow", "dropped": 2**32 - 1}),
    "event_adc_fault": (123456789, {"event": "adc_fault", "channel": 7}),
    "event_rate": (1000, {"event": "rate", "rate_hz": 10}),
    "event_error": (42, {"event": "error", "message": ERROR_MESSAGE.decode("latin-1")}),
    **{  # the handset's buttons, in rig_config.h's order, at t_us 4e9 + index
        f"event_client_{b}": (4_000_000_000 + i, {"event": "client", "button": b})
        for i, b in enumerate(BUTTONS)
    },
    "event_handset_stuck": (77, {"event": "handset_stuck", "button": "stop"}),
    "event_handset_unstuck": (78, {"event": "handset_unstuck", "button": "stop"}),
}
GRID_VECTORS = {  # name: (seq, t_us, make values)
    "grid_zeros": (0, 0, lambda: np.zeros((3, 4), dtype=np.uint16)),
    "grid_long_runs": (0x0101, 0x01010101, _grid_long_runs),
    "grid_largest": (777, 4_000_000_000, _grid_largest),
}
EXPECTED_FRAMES = {
    **{name: lambda v=v: encode_sample(*v) for name, v in SAMPLE_VECTORS.items()},
    **{name: lambda v=v: encode_event(*v) for name, v in EVENT_VECTORS.items()},
    **{name: lambda v=v: encode_grid(v[0], v[1], v[2]()) for name, v in GRID_VECTORS.items()},
}
EXPECTED_COBS = {
    "cobs_empty": (0, False),
    "cobs_single_zero": (0, True),
    "cobs_253_non_zero": (253, False),
    "cobs_254_non_zero": (254, False),
    "cobs_254_then_zero": (254, True),
    "cobs_255_non_zero": (255, False),
    "cobs_508_non_zero": (508, False),
    "cobs_509_then_zero": (509, True),
}


def decode_one(wire: bytes) -> Packet:
    """The host decoder's view of one C frame; it must accept it without complaint."""
    decoder = FrameDecoder()
    packets = decoder.feed(wire)
    assert decoder.counters.bad_packets == 0, decoder.counters.as_dict()
    assert len(packets) == 1, packets
    return packets[0]


def test_protocol_md_test_vector_is_what_the_c_code_sends(vectors: dict[str, str]) -> None:
    assert c_bytes(vectors["protocol_vector"]) == PROTOCOL_MD_VECTOR


@pytest.mark.parametrize("name", sorted(EXPECTED_FRAMES))
def test_c_frame_equals_python_reference(vectors: dict[str, str], name: str) -> None:
    assert c_bytes(vectors[name]).hex() == EXPECTED_FRAMES[name]().hex()


@pytest.mark.parametrize("name", sorted(EXPECTED_COBS))
def test_c_cobs_edge_case_equals_cobs_package(vectors: dict[str, str], name: str) -> None:
    assert c_bytes(vectors[name]).hex() == cobs.encode(_cobs_input(*EXPECTED_COBS[name])).hex()


def test_firmware_hello_is_compact_json_the_host_accepts(vectors: dict[str, str]) -> None:
    body = c_bytes(vectors["hello_json"])
    hello = Hello.from_json(body)
    assert hello.channels == SIM_CHANNELS  # the example rig's channels, as the simulator names them
    assert hello.rate_hz == 80.0
    assert hello.serial == "E6614103E7452D2F"
    frame = c_bytes(vectors["hello_rp2040"])
    assert frame == encode_hello(json.loads(body))
    assert decode_one(frame) == hello


@pytest.mark.parametrize("name", sorted(SAMPLE_VECTORS))
def test_c_sample_decodes_on_the_host(vectors: dict[str, str], name: str) -> None:
    seq, t_us, invalid, counts = SAMPLE_VECTORS[name]
    packet = decode_one(c_bytes(vectors[name]))
    assert isinstance(packet, RawSamples) and packet.n_channels == len(counts)
    rec = packet.records[0]
    assert (rec["seq"], rec["t_us"], rec["invalid"]) == (seq, t_us, invalid)
    assert rec["counts"].tolist() == counts


@pytest.mark.parametrize("name", sorted(EVENT_VECTORS))
def test_c_event_decodes_on_the_host(vectors: dict[str, str], name: str) -> None:
    packet = decode_one(c_bytes(vectors[name]))
    assert isinstance(packet, EventPacket)
    assert (packet.t_us, packet.payload) == EVENT_VECTORS[name]


@pytest.mark.parametrize("name", sorted(GRID_VECTORS))
def test_c_grid_decodes_on_the_host(vectors: dict[str, str], name: str) -> None:
    seq, t_us, make_values = GRID_VECTORS[name]
    packet = decode_one(c_bytes(vectors[name]))
    assert isinstance(packet, GridPacket) and (packet.seq, packet.t_us) == (seq, t_us)
    np.testing.assert_array_equal(packet.values, make_values())


def test_firmware_like_stream_decodes_without_loss(vectors: dict[str, str], harness: Path) -> None:
    """HELLO, boot, 8-channel SAMPLEs and events as the RP2040 sends them, fed in odd chunks."""
    n = 200
    rows = [[(i * 7919 + ch * 104729) % 2**24 - 2**23 for ch in range(8)] for i in range(n)]
    sample_frames = ask(
        harness,
        [f"S {i % 2**16} {i * 12500} {i % 3} " + " ".join(map(str, r)) for i, r in enumerate(rows)],
    )
    wire = b"".join(
        [c_bytes(vectors["hello_rp2040"]), c_bytes(vectors["event_boot"])]
        + [c_bytes(f) for f in sample_frames]
        + [c_bytes(vectors["event_overflow"])]
    )
    decoder = FrameDecoder()
    packets = [p for i in range(0, len(wire), 7) for p in decoder.feed(wire[i : i + 7])]
    assert decoder.counters.bad_packets == 0, decoder.counters.as_dict()
    assert isinstance(packets[0], Hello) and packets[0].channels == SIM_CHANNELS
    assert isinstance(packets[-1], EventPacket) and packets[-1].payload["event"] == "overflow"
    records = np.concatenate([p.records for p in packets if isinstance(p, RawSamples)])
    assert records["counts"].tolist() == rows
    assert records["seq"].tolist() == list(range(n))
    assert records["invalid"].tolist() == [i % 3 for i in range(n)]


def test_builders_return_zero_and_stay_in_bounds_when_a_frame_does_not_fit(
    vectors: dict[str, str],
) -> None:
    # guarded_sample() returns -1 if anything was written past the given capacity.
    assert int(vectors["len_sample_cap_exact"]) == len(PROTOCOL_MD_VECTOR)
    for name in (
        "len_sample_cap_short",
        "len_sample_cap_zero",
        "len_sample_33_channels",
        "len_grid_over_16k",
        "len_cobs_cap_short",
        "len_hello_json_cap_short",
        "len_boot_json_cap_16",
    ):
        assert int(vectors[name]) == 0, name
    assert int(vectors["len_boot_json_cap_17"]) == len('{"event":"boot"}')
    assert int(vectors["len_client_json_cap_37"]) == 0
    assert int(vectors["len_client_json_cap_38"]) == len('{"event":"client","button":"lighter"}')


def test_crc32_equals_zlib_also_when_chained(vectors: dict[str, str]) -> None:
    assert int(vectors["crc32_check"], 16) == zlib.crc32(b"123456789")
    assert int(vectors["crc32_chained"], 16) == zlib.crc32(b"6789", zlib.crc32(b"12345"))


samples = st.tuples(
    st.integers(0, 2**16 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.lists(
        st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from(I32_EXTREMES)),
        max_size=32,
    ),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(samples, min_size=1, max_size=60))
def test_random_samples_equal_python_encoder(harness: Path, batch: list) -> None:
    requests = [" ".join(map(str, ["S", seq, t, inv, *counts])) for seq, t, inv, counts in batch]
    answers = ask(harness, requests)
    for (seq, t, inv, counts), answer in zip(batch, answers, strict=True):
        assert c_bytes(answer) == encode_sample(seq, t, inv, counts)


def test_sample_with_more_than_32_channels_is_refused(harness: Path) -> None:
    assert ask(harness, ["S 1 2 3 " + " ".join(["7"] * 33)]) == ["-"]


UNKNOWN = "INVALID unknown command, expected HELLO?, START, STOP or RATE <hz>"
BAD_RATE = "INVALID RATE expects one positive integer in Hz, e.g. RATE 80"
COMMANDS = {
    "HELLO?": "HELLO",
    "START": "START",
    "STOP": "STOP",
    "  STOP \r": "STOP",
    "RATE 80": "RATE 80",
    "RATE 10\r": "RATE 10",
    "RATE\t\t250": "RATE 250",
    "RATE 4294967295": "RATE 4294967295",
    "": "NONE",
    " \t\r": "NONE",
    "RATE": BAD_RATE,
    "RATE 0": BAD_RATE,
    "RATE -5": BAD_RATE,
    "RATE +5": BAD_RATE,
    "RATE 8O": BAD_RATE,
    "RATE 4294967296": BAD_RATE,
    "RATE 99999999999999999999": BAD_RATE,
    "RATE 80 90": BAD_RATE,
    "hello?": UNKNOWN,
    "HELLO": UNKNOWN,
    "HELLO? now": UNKNOWN,
    "STARTX": UNKNOWN,
    "RATE80": UNKNOWN,
    "FOO": UNKNOWN,
}


def test_command_parser_answers_each_command_as_protocol_md_says(harness: Path) -> None:
    answers = ask(harness, ["C " + line for line in COMMANDS])
    assert dict(zip(COMMANDS, answers, strict=True)) == COMMANDS


def expected_command(line: str) -> str:
    """Model of ashi_parse_command (PROTOCOL.md commands; blanks are space, tab, CR, LF)."""
    blanks = " \t\r\n"
    text = line.strip(blanks)
    if not text:
        return "NONE"
    if text in ("HELLO?", "START", "STOP"):
        return {"HELLO?": "HELLO", "START": "START", "STOP": "STOP"}[text]
    cut = next((i for i, ch in enumerate(text) if ch in blanks), len(text))
    if text[:cut] != "RATE":
        return UNKNOWN
    arg = text[cut:].lstrip(blanks)
    ok = arg.isascii() and arg.isdigit() and 0 < int(arg) < 2**32
    return f"RATE {int(arg)}" if ok else BAD_RATE


command_lines = st.one_of(
    st.text(alphabet="HELOSTARP?0123456789 \t\r+-x", max_size=16),
    st.builds(
        "{}{}{}".format,
        st.sampled_from(["RATE", " RATE", "RATE\t"]),
        st.sampled_from([" ", "  ", "\t", ""]),
        st.text("0123456789 x", max_size=12),
    ),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(command_lines, min_size=1, max_size=40))
def test_command_parser_matches_its_model_on_random_lines(harness: Path, lines: list[str]) -> None:
    answers = ask(harness, ["C " + line for line in lines])
    assert answers == [expected_command(line) for line in lines]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(max_size=48).filter(lambda b: 0 not in b), min_size=1, max_size=20))
def test_error_event_json_escapes_like_json_dumps(harness: Path, messages: list[bytes]) -> None:
    answers = ask(harness, ["E " + m.hex() for m in messages])
    for message, answer in zip(messages, answers, strict=True):
        obj = {"event": "error", "message": message.decode("latin-1")}
        assert c_bytes(answer) == json.dumps(obj, separators=(",", ":")).encode()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 24),
            st.lists(st.integers(HX711_MIN, HX711_MAX), min_size=1, max_size=8),
            st.integers(0, 2**32 - 1),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_parallel_hx711_bits_unpack_to_the_counts_each_chip_sent(
    harness: Path, reads: list[tuple[int, list[int], int]]
) -> None:
    """GPIO word k holds bit 23-k (MSB first) of chip i at GPIO first+i; other pins are noise."""
    requests = []
    for first, counts, noise in reads:
        lanes = ((1 << len(counts)) - 1) << first
        words = []
        for k in range(24):
            bits = sum(
                (((c & 0xFFFFFF) >> (23 - k)) & 1) << (first + i) for i, c in enumerate(counts)
            )
            words.append((noise & ~lanes & 0xFFFFFFFF) | bits)
        requests.append(" ".join(map(str, ["U", first, len(counts), *words])))
    answers = ask(harness, requests)
    for (_, counts, _), answer in zip(reads, answers, strict=True):
        assert [int(v) for v in answer.split()] == counts


def test_channel_health_marks_invalid_and_reports_each_fault_once(harness: Path) -> None:
    # Two channels, fault after 3 clipped samples in a row, recovery on the 2nd good one.
    steps = [  # (not_ready, counts) -> (invalid, entered_fault)
        ((0, [5, 6]), (0, 0)),
        ((0, [HX711_MAX, 6]), (1, 0)),  # clipped: invalid, not yet a fault
        ((0, [HX711_MAX, 6]), (1, 0)),
        ((0, [HX711_MAX, 6]), (1, 1)),  # stuck at the rail: open wire -> fault, reported
        ((0, [HX711_MAX, 6]), (1, 0)),  # still in fault: not reported again
        ((0, [5, 6]), (1, 0)),  # first good sample: still not trusted
        ((0, [5, 6]), (0, 0)),  # recovered
        ((2, [5, 6]), (2, 2)),  # chip 1 not ready: fault at once
        ((0, [5, 6]), (2, 0)),
        ((0, [5, 6]), (0, 0)),
        ((0, [HX711_MIN, 6]), (1, 0)),  # brief overload at the negative rail
        ((0, [5, 6]), (0, 0)),  # ... is not a fault
    ]
    requests = ["H 2 3 2"] + [
        " ".join(map(str, ["h", not_ready, *counts])) for (not_ready, counts), _ in steps
    ]
    answers = ask(harness, requests)
    assert answers[0] == "ok"
    assert [tuple(map(int, a.split())) for a in answers[1:]] == [want for _, want in steps]
