"""Input decoders: every kind answers the link's few questions the same way (reset, feed,
identified, hello, counters), and an unknown kind is refused with the known ones named."""

from __future__ import annotations

import pytest

from firmware_bridge.blocks import SampleBlock
from firmware_bridge.inputs import INPUT_KINDS, AsciiInput, ProtocolInput, make_input
from firmware_bridge.protocol import Hello, encode_hello
from tests.linkkit import CHANNELS, HELLO, samples

T0_S = 1.7e9
# kind: (a new decoder, good bytes: the device and samples 0..2, one bad packet or line)
CASES = {
    "protocol": (ProtocolInput, encode_hello(HELLO) + samples(0, 3), b"\x13\x37junk\x00"),
    "ascii": (
        lambda: AsciiInput(tuple(CHANNELS), 1000.0, "ascii"),
        b"0,0,0\n1,-1,3\n2,-2,6\n",
        b"x\n",
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_input_identifies_the_device_delivers_samples_and_counts_bad_input(kind: str) -> None:
    new, good, bad = CASES[kind]
    dec = new()
    opening = dec.reset(None)
    assert dec.identified == (not dec.handshake)  # no handshake: it says who it is at once
    items = opening + dec.feed(good, T0_S) + dec.feed(bad, T0_S + 0.01)
    assert dec.identified
    assert isinstance(dec.hello, Hello) and dec.hello.channels == tuple(CHANNELS)
    assert [type(i) for i in items] == [Hello, SampleBlock]
    block = items[1]
    assert isinstance(block, SampleBlock) and block.counts[:, 1].tolist() == [0, -1, -2]
    counters = dec.counters()
    assert counters.bytes_in == len(good) + len(bad)
    assert counters.good >= 3 and counters.bad == 1 and sum(counters.bad_detail.values()) == 1


def test_a_handshake_input_is_unidentified_again_on_each_new_connection() -> None:
    dec = ProtocolInput()
    dec.reset(None)
    dec.feed(encode_hello(HELLO), T0_S)
    assert dec.identified
    assert dec.reset("link down: unplugged") == []
    assert not dec.identified and dec.hello is not None  # who it was is still known


def test_an_unknown_kind_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="'protocol' or 'ascii', got 'tcp'"):
        make_input("tcp", "socket://rig:5000")
    assert set(INPUT_KINDS) == {"protocol", "ascii"}


def test_ascii_input_needs_channel_names_and_a_rate() -> None:
    with pytest.raises(ValueError, match="channel names and a nominal rate_hz"):
        make_input("ascii", "/dev/ttyUSB0", ("l", "r"), None)
