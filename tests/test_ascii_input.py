"""ASCII line input (DIY HX711 sketches): any separator, any chunking, bad lines counted,
host timestamps strictly increasing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.ascii import MAX_LINE_BYTES, AsciiLineDecoder
from firmware_bridge.blocks import SampleBlock

CHANNELS = ("l", "r", "f")
RATE_HZ = 10.0
T0_S = 1.7e9

i32 = st.integers(-(1 << 31), (1 << 31) - 1)
separators = st.text(st.sampled_from(", \t;"), min_size=1, max_size=3).filter(
    lambda s: s.count(",") + s.count(";") <= 1  # one field boundary, not an empty field
)
line_ends = st.sampled_from(["\n", "\r\n"])


@st.composite
def lines_of(draw: st.DrawFn, n_channels: int = len(CHANNELS)) -> tuple[list[list[int]], bytes]:
    """Rows of integers printed the ways sketches print them, and the bytes."""
    rows = draw(st.lists(st.lists(i32, min_size=n_channels, max_size=n_channels), max_size=30))
    text = ""
    for row in rows:
        seps = [draw(separators) for _ in row[1:]]
        body = str(row[0]) + "".join(s + str(v) for s, v in zip(seps, row[1:], strict=True))
        pad = draw(st.sampled_from(["", " ", "\t"]))
        text += pad + body + pad + draw(line_ends)
    return rows, text.encode()


def feed_chunks(dec: AsciiLineDecoder, chunks: list[bytes], t0_s: float = T0_S) -> SampleBlock:
    """Feed chunks 20 ms apart; the concatenated blocks (empty block if none)."""
    blocks = []
    for i, chunk in enumerate(chunks):
        block = dec.feed(chunk, t0_s + 0.02 * i)
        if block is not None:
            blocks.append(block)
    if not blocks:
        return SampleBlock(
            t_s=np.zeros(0),
            t_device_s=np.zeros(0),
            seq=np.zeros(0, dtype=np.int64),
            counts=np.zeros((0, len(dec.channels)), dtype=np.int32),
            invalid=np.zeros((0, len(dec.channels)), dtype=bool),
            channels=dec.channels,
        )
    return SampleBlock.concat(blocks)


def cut(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(data)}), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@given(sample=lines_of(), cuts=st.lists(st.integers(0, 2000), max_size=10))
def test_any_separators_and_any_chunking_give_the_printed_values(
    sample: tuple[list[list[int]], bytes], cuts: list[int]
) -> None:
    rows, data = sample
    dec = AsciiLineDecoder(CHANNELS, RATE_HZ)
    block = feed_chunks(dec, cut(data, cuts))
    assert block.counts.tolist() == rows
    assert block.counts.dtype == np.int32 and block.counts.shape == (len(rows), 3)
    assert not block.invalid.any()
    assert block.seq.tolist() == list(range(len(rows)))
    assert dec.bad_lines == 0 and dec.samples == len(rows)


@pytest.mark.parametrize(
    "line",
    [
        "1,2,3",
        "1 2 3",
        "1\t2\t3",
        "1;2;3",
        "1, 2, 3",
        "1 ;\t2 , 3",
        "  -1,+2,3  ",
        "1,2,3\r",
    ],
)
def test_each_separator_style_parses(line: str) -> None:
    dec = AsciiLineDecoder(CHANNELS, RATE_HZ)
    block = dec.feed(line.encode() + b"\n", T0_S)
    assert block is not None
    assert np.abs(block.counts).tolist() == [[1, 2, 3]]


@pytest.mark.parametrize(
    "bad",
    [
        "HX711 ready",  # a banner
        "1,2",  # too few
        "1,2,3,4",  # too many
        "1.5,2,3",  # not integers
        "nan,2,3",
        "1,2,0x10",
        "2147483648,0,0",  # beyond int32
        "-2147483649,0,0",
        "1,2,3 kg",
        "\xff\xfe,1,2",
    ],
)
def test_a_bad_line_is_counted_and_its_neighbours_survive(bad: str) -> None:
    dec = AsciiLineDecoder(CHANNELS, RATE_HZ)
    data = b"1,1,1\n" + bad.encode("latin-1") + b"\n2,2,2\n"
    block = dec.feed(data, T0_S)
    assert block is not None and block.counts.tolist() == [[1, 1, 1], [2, 2, 2]]
    assert dec.bad_lines == 1


def test_int32_limits_are_kept_exactly() -> None:
    dec = AsciiLineDecoder(CHANNELS, RATE_HZ)
    block = dec.feed(b"2147483647,-2147483648,0\n", T0_S)
    assert block is not None and block.counts.tolist() == [[2**31 - 1, -(2**31), 0]]


def test_empty_lines_are_neither_samples_nor_bad() -> None:
    dec = AsciiLineDecoder(CHANNELS, RATE_HZ)
    assert dec.feed(b"\n\r\n  \n", T0_S) is None
    assert dec.bad_lines == 0 and dec.samples == 0


def test_a_partial_line_waits_for_its_end() -> None:
    dec = AsciiLineDecoder(CHANNELS, RATE_HZ)
    assert dec.feed(b"12,3", T0_S) is None
    assert dec.feed(b"4,5", T0_S + 0.01) is None
    block = dec.feed(b"6\n7,8,", T0_S + 0.02)
    assert block is not None and block.counts.tolist() == [[12, 34, 56]]
    block = dec.feed(b"9\n", T0_S + 0.03)
    assert block is not None and block.counts.tolist() == [[7, 8, 9]]
    assert dec.bad_lines == 0


def test_reset_drops_the_partial_line_of_the_old_connection() -> None:
    dec = AsciiLineDecoder(CHANNELS, RATE_HZ)
    dec.feed(b"1,2", T0_S)
    dec.reset()
    block = dec.feed(b"4,5,6\n", T0_S + 1)
    assert block is not None and block.counts.tolist() == [[4, 5, 6]]


def test_an_over_long_line_is_one_bad_line_and_none_of_it_becomes_a_sample() -> None:
    dec = AsciiLineDecoder(CHANNELS, RATE_HZ)
    junk = b"7" * (MAX_LINE_BYTES // 2)
    for i in range(6):  # 3 kB without a newline, in pieces
        assert dec.feed(junk, T0_S + i * 0.01) is None
    block = dec.feed(b"1,2,3\n4,5,6\n", T0_S + 1)  # the junk line's end, then a real line
    assert block is not None and block.counts.tolist() == [[4, 5, 6]]
    assert dec.bad_lines == 1


# -- timestamps ---------------------------------------------------------------------------------


def test_the_last_line_of_a_read_is_stamped_at_arrival_and_earlier_ones_a_period_apart() -> None:
    dec = AsciiLineDecoder(CHANNELS, RATE_HZ)
    block = dec.feed(b"1,1,1\n2,2,2\n3,3,3\n", T0_S + 5)
    assert block is not None
    np.testing.assert_allclose(block.t_s, T0_S + 5 - np.array([0.2, 0.1, 0.0]), rtol=0, atol=1e-6)


@given(
    lines_per_read=st.lists(st.integers(0, 40), min_size=1, max_size=30),
    gaps_s=st.lists(st.floats(0, 0.5), min_size=30, max_size=30),
)
def test_timestamps_strictly_increase_even_when_reads_come_faster_than_the_rate(
    lines_per_read: list[int], gaps_s: list[float]
) -> None:
    dec = AsciiLineDecoder(CHANNELS, RATE_HZ)
    t_s, host_s, stamps = [], T0_S, []
    for n, gap_s in zip(lines_per_read, gaps_s, strict=False):
        host_s += gap_s
        block = dec.feed(b"1,2,3\n" * n, host_s)
        if block is not None:
            t_s.append(block.t_s)
            stamps.append((block.t_s[-1], host_s))
    all_t = np.concatenate(t_s) if t_s else np.zeros(0)
    assert np.all(np.diff(all_t) > 0)
    assert all_t.size == sum(lines_per_read)
    for last_s, rx_s in stamps:
        assert last_s >= rx_s  # never before the bytes arrived
