"""SampleStream: wraps continue seamlessly, losses and restarts become explicit Gaps, no sample
is ever invented, and a reconnect holds samples until the device has said who it is."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.decoder import EventPacket, GridPacket, RawSamples
from firmware_bridge.errors import DeviceChangedError
from firmware_bridge.listener import Item
from firmware_bridge.protocol import Hello, sample_dtype
from firmware_bridge.stream import SampleStream

CHANNELS = ["bar_lh", "bar_rh", "foot_l", "foot_r"]
RATE_HZ = 80.0
PERIOD_US = 12_500
HOST0_S = 1.7e9  # host time of device time 0 in these tests
LATENCY_S = 0.002
MAX_READ = 8  # samples in one read at most: 0.1 s at 80 Hz


def hello(channels: list[str] = CHANNELS) -> Hello:
    return Hello.from_dict(
        {
            "protocol": 1,
            "device": "ashi-test",
            "serial": "T-1",
            "firmware": "0.1",
            "rate_hz": RATE_HZ,
            "channels": channels,
        }
    )


def raw(
    seq: np.ndarray,
    t_us: np.ndarray,
    invalid: np.ndarray | int = 0,
    counts: np.ndarray | None = None,
    n_channels: int = len(CHANNELS),
) -> RawSamples:
    """SAMPLE records as the decoder delivers them (seq and t_us wrapped like the device's)."""
    seq, t_us = np.asarray(seq, dtype=np.int64), np.asarray(t_us, dtype=np.int64)
    rec = np.zeros(seq.size, dtype=sample_dtype(n_channels))
    rec["type"] = 1
    rec["seq"] = seq % (1 << 16)
    rec["t_us"] = t_us % (1 << 32)
    rec["invalid"] = invalid
    rec["counts"] = (
        counts if counts is not None else (seq[:, None] * 10 + np.arange(n_channels)) % (1 << 23)
    )
    return RawSamples(rec)


def arrival(t_us_unwrapped: int, host0_s: float = HOST0_S) -> float:
    """Host time at which a read ending with the sample at device time t_us arrives."""
    return host0_s + t_us_unwrapped / 1e6 + LATENCY_S


def started(channels: list[str] = CHANNELS) -> SampleStream:
    """A stream that has had its HELLO."""
    s = SampleStream()
    assert s.push([hello(channels)], HOST0_S) == [hello(channels)]
    return s


def of(items: list[Item], kind: type) -> list:
    return [i for i in items if isinstance(i, kind)]


def joined(items: list[Item]) -> SampleBlock:
    return SampleBlock.concat(of(items, SampleBlock))


def push_in_chunks(
    stream: SampleStream,
    seq: np.ndarray,
    t_us: np.ndarray,
    cuts: list[int] = (),
    counts: np.ndarray | None = None,
    host0_s: float = HOST0_S,
    max_read: int = MAX_READ,
) -> list[Item]:
    """Push samples split at `cuts` and at least every `max_read` samples, each chunk arriving
    LATENCY_S after its last sample was taken."""
    out: list[Item] = []
    cuts = [*cuts, *range(max_read, seq.size, max_read)]
    bounds = [0, *sorted({c for c in cuts if 0 < c < seq.size}), seq.size]
    for a, b in itertools.pairwise(bounds):
        chunk = raw(seq[a:b], t_us[a:b], counts=None if counts is None else counts[a:b])
        out += stream.push([chunk], arrival(int(t_us[b - 1]), host0_s))
    return out


# -- wraps ------------------------------------------------------------------------------------


@given(
    start=st.integers(65_536 - 40, 65_535),
    n=st.integers(2, 80),
    cuts=st.lists(st.integers(0, 80), max_size=5),
)
def test_seq_wrap_65535_to_0_continues_without_a_gap(start: int, n: int, cuts: list[int]) -> None:
    s = started()
    seq = start + np.arange(n)
    out = push_in_chunks(s, seq, PERIOD_US * np.arange(n), cuts)
    assert of(out, Gap) == []
    assert s.lost_samples == 0 and s.samples == n
    assert joined(out).seq.tolist() == seq.tolist()


@given(
    before_wrap_us=st.integers(1, 200 * PERIOD_US),
    n=st.integers(2, 400),
    cuts=st.lists(st.integers(0, 400), max_size=5),
)
def test_t_us_wrap_at_2_32_unwraps_to_a_monotonic_clock(
    before_wrap_us: int, n: int, cuts: list[int]
) -> None:
    s = started()
    t_us = (1 << 32) - before_wrap_us + PERIOD_US * np.arange(n)
    out = push_in_chunks(s, np.arange(n), t_us, cuts)
    block = joined(out)
    assert of(out, Gap) == [] and s.restarts == 0
    np.testing.assert_allclose(block.t_device_s, t_us / 1e6, rtol=0, atol=1e-9)
    assert np.all(np.diff(block.t_s) > 0)


def test_t_us_wrap_keeps_host_times_exact_when_each_sample_is_read_alone() -> None:
    s = started()
    t_us = (1 << 32) - 100 * PERIOD_US + PERIOD_US * np.arange(300)
    block = joined(push_in_chunks(s, np.arange(300), t_us, max_read=1))
    np.testing.assert_allclose(block.t_s, HOST0_S + t_us / 1e6 + LATENCY_S, rtol=0, atol=5e-6)


# -- losses -----------------------------------------------------------------------------------


@given(
    start=st.integers(0, 65_535),
    kept=st.lists(st.booleans(), min_size=2, max_size=200),
    cuts=st.lists(st.integers(0, 200), max_size=6),
)
def test_a_seq_jump_is_a_gap_with_the_exact_lost_count_and_nothing_invented(
    start: int, kept: list[bool], cuts: list[int]
) -> None:
    keep = np.array([True, *kept])  # the first sample received sets the origin
    n = keep.size
    sent_seq = start + np.arange(n)
    sent_t_us = 5_000_000 + PERIOD_US * np.arange(n)
    counts = np.random.default_rng(start).integers(-(1 << 23), 1 << 23, (n, len(CHANNELS)))
    idx = np.flatnonzero(keep)
    s = started()
    out = push_in_chunks(s, sent_seq[idx], sent_t_us[idx], cuts, counts[idx])

    last = idx[-1]
    missing = ~keep[: last + 1]
    runs = np.diff(np.r_[0, missing.astype(int), 0])
    run_lengths = (np.flatnonzero(runs == -1) - np.flatnonzero(runs == 1)).tolist()
    gaps = of(out, Gap)
    assert [g.lost for g in gaps] == run_lengths
    assert s.lost_samples == sum(run_lengths) == int(missing.sum())
    block = joined(out)
    assert block.seq.tolist() == sent_seq[idx].tolist()  # unwrapped, and only what came
    assert np.array_equal(block.counts, counts[idx])
    for b in of(out, SampleBlock):
        assert np.all(np.diff(b.seq) == 1), "a block spans a gap"
    # each gap lies between the samples around it, and comes before the block after it
    for k, item in enumerate(out):
        if isinstance(item, Gap):
            after = out[k + 1]
            assert isinstance(after, SampleBlock)
            assert item.t_end_s == after.t_s[0] and item.t_start_s < item.t_end_s


def test_an_outage_longer_than_the_seq_period_is_counted_by_the_clock() -> None:
    s = started()
    lost = 70_000  # 875 s at 80 Hz: seq wrapped more than once meanwhile
    seq = np.r_[np.arange(10), 10 + lost + np.arange(10)]
    t_us = PERIOD_US * seq
    out = s.push([raw(seq[:10], t_us[:10])], arrival(int(t_us[9])))
    out += s.push([raw(seq[10:], t_us[10:])], arrival(int(t_us[-1])))
    assert [g.lost for g in of(out, Gap)] == [lost]
    assert joined(out).seq.tolist() == seq.tolist()


# -- restarts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("same_push", [False, True], ids=["across pushes", "within a push"])
def test_a_device_restart_is_a_gap_of_unknown_size_and_the_clock_fit_restarts(
    same_push: bool,
) -> None:
    # before: the device has been up for 500 s; then it reboots (seq and clock start over)
    # and its samples arrive 20 s of host time later
    n = 200
    t_old = 500_000_000 + PERIOD_US * np.arange(n)
    t_new = 100_000 + PERIOD_US * np.arange(n)
    host_new0 = HOST0_S + 520.0
    seq = np.r_[np.arange(n), np.arange(n)]
    t_us = np.r_[t_old, t_new]
    s = started()
    out = push_in_chunks(s, seq[: n - 50], t_us[: n - 50], max_read=1)
    if same_push:  # the old clock's last samples and the new clock's first in one read
        chunk = raw(seq[n - 50 : n + 1], t_us[n - 50 : n + 1])
        out += s.push([chunk], arrival(int(t_new[0]), host_new0))
        out += push_in_chunks(s, seq[n + 1 :], t_us[n + 1 :], host0_s=host_new0, max_read=1)
    else:
        out += push_in_chunks(s, seq[n - 50 : n], t_us[n - 50 : n], max_read=1)
        out += push_in_chunks(s, seq[n:], t_us[n:], host0_s=host_new0, max_read=1)

    (gap,) = of(out, Gap)
    assert gap.lost == -1 and "restarted" in gap.reason
    assert s.restarts == 1 and s.lost_samples == 0 and s.samples == 2 * n
    new = joined(out[out.index(gap) :])
    np.testing.assert_allclose(new.t_device_s, t_new / 1e6)
    # mapped by a fit of the new clock alone (one carried over would be 20 s off)
    np.testing.assert_allclose(new.t_s, host_new0 + t_new / 1e6 + LATENCY_S, rtol=0, atol=5e-6)
    assert gap.t_start_s == joined(out[: out.index(gap)]).t_s[-1] < new.t_s[0]


# -- channels and masks -----------------------------------------------------------------------


@given(
    n_channels=st.integers(1, 32),
    invalid=st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=30),
)
def test_invalid_bitmask_becomes_the_mask_bit_i_for_channel_i(
    n_channels: int, invalid: list[int]
) -> None:
    channels = [f"c{i}" for i in range(n_channels)]
    s = started(channels)
    n = len(invalid)
    bits = np.array(invalid, dtype=np.uint32)
    out = s.push([raw(np.arange(n), PERIOD_US * np.arange(n), bits, n_channels=n_channels)], 0.0)
    block = joined(out)
    expected = [[bool(b >> i & 1) for i in range(n_channels)] for b in invalid]
    assert block.invalid.tolist() == expected
    assert block.channels == tuple(channels)


def test_samples_before_the_first_hello_are_counted_as_unannounced_not_delivered() -> None:
    s = SampleStream()
    assert s.push([raw(np.arange(7), PERIOD_US * np.arange(7))], HOST0_S) == []
    assert s.unannounced == 7 and s.samples == 0
    out = s.push([hello(), raw(np.arange(7, 10), PERIOD_US * np.arange(7, 10))], HOST0_S + 1)
    assert out[0] == hello()
    assert joined(out).seq.tolist() == [7, 8, 9]
    assert s.unannounced == 7 and s.samples == 3 and of(out, Gap) == []


# -- reconnects -------------------------------------------------------------------------------


def up_then_reconnected() -> SampleStream:
    """A stream that received samples 0..9 (one per read), then lost the link and got it back."""
    s = started()
    push_in_chunks(s, np.arange(10), PERIOD_US * np.arange(10), max_read=1)
    s.reconnected("link down: unplugged")
    return s


def test_reconnect_holds_samples_until_the_hello_then_releases_them_with_the_gap() -> None:
    s = up_then_reconnected()
    seq = np.arange(15, 40)  # samples 10..14 were lost while the cable was out
    held = push_in_chunks(s, seq, PERIOD_US * seq)
    assert held == [], "samples went out before the device said who it is"
    out = s.push([hello()], HOST0_S + 1)
    assert out[0] == hello()
    (gap,) = of(out, Gap)
    assert gap.lost == 5 and "unplugged" in gap.reason
    assert out.index(gap) < out.index(of(out, SampleBlock)[0])
    assert joined(out).seq.tolist() == seq.tolist()
    assert s.lost_samples == 5 and s.samples == 10 + seq.size


def test_held_samples_keep_the_times_they_arrived_at_not_the_hellos() -> None:
    s = started()
    s.reconnected("link down: unplugged")
    t_us = PERIOD_US * np.arange(50)
    assert push_in_chunks(s, np.arange(50), t_us, max_read=1) == []
    block = joined(s.push([hello()], HOST0_S + 5.0))
    np.testing.assert_allclose(block.t_s, HOST0_S + t_us / 1e6 + LATENCY_S, rtol=0, atol=5e-6)


def test_reconnect_without_loss_records_the_outage_once_the_stream_has_settled() -> None:
    s = up_then_reconnected()
    seq = np.arange(10, 200)  # 2.4 s of samples, none lost
    out = s.push([hello()], HOST0_S + 0.2) + push_in_chunks(s, seq, PERIOD_US * seq)
    (gap,) = of(out, Gap)
    assert gap.lost == 0 and "unplugged" in gap.reason
    assert joined(out).seq.tolist() == seq.tolist()
    assert s.lost_samples == 0


def test_reconnect_to_a_rebooted_device_is_a_restart_that_names_the_outage() -> None:
    s = up_then_reconnected()
    out = s.push([hello(), raw(np.arange(5), 50_000 + PERIOD_US * np.arange(5))], HOST0_S + 30)
    (gap,) = of(out, Gap)
    assert gap.lost == -1 and "restarted" in gap.reason and "unplugged" in gap.reason
    assert s.restarts == 1


def test_reconnect_to_a_device_with_other_channels_is_refused() -> None:
    s = up_then_reconnected()
    assert s.push([raw(np.arange(10, 15), PERIOD_US * np.arange(10, 15))], HOST0_S + 1) == []
    other = ["bar_lh", "bar_rh", "foot_l"]
    with pytest.raises(DeviceChangedError) as err:
        s.push([hello(other)], HOST0_S + 1)
    assert isinstance(err.value, RuntimeError)
    assert str(other) in str(err.value) and str(CHANNELS) in str(err.value)
    assert s.hello == hello() and s.samples == 10


def test_a_reconnect_holds_at_most_hold_s_of_samples_and_counts_the_older_ones_lost_once() -> None:
    s = up_then_reconnected()  # samples 0..9 delivered, then the link went down
    seq = np.arange(10, 10 + 15 * int(RATE_HZ))  # 15 s of samples and no HELLO
    assert push_in_chunks(s, seq, PERIOD_US * seq) == []
    kept = int(10 * RATE_HZ)
    assert s.held_samples == kept
    assert s.lost_samples == seq.size - kept  # counted as they are dropped, not at the HELLO
    out = s.push([hello()], HOST0_S + 20)
    (gap,) = of(out, Gap)
    assert gap.lost == seq.size - kept
    assert joined(out).seq.tolist() == seq[-kept:].tolist()
    assert s.lost_samples == seq.size - kept and s.held_samples == 0  # not counted twice


def test_samples_dropped_while_held_stay_lost_when_the_device_had_restarted() -> None:
    s = started()
    uptime_us = 600 * 10**6  # it had run for ten minutes before the cable came out
    push_in_chunks(s, np.arange(10), uptime_us + PERIOD_US * np.arange(10), host0_s=HOST0_S)
    s.reconnected("link down: unplugged")
    seq = np.arange(15 * int(RATE_HZ))  # it rebooted meanwhile: seq and clock start again
    push_in_chunks(s, seq, 50_000 + PERIOD_US * seq, host0_s=HOST0_S + 700)
    out = s.push([hello()], HOST0_S + 720)
    (gap,) = of(out, Gap)
    assert gap.lost == -1 and "restarted" in gap.reason
    assert s.lost_samples == 5 * int(RATE_HZ)  # the dropped ones, counted once
    assert joined(out).seq.tolist() == seq[-10 * int(RATE_HZ) :].tolist()


@pytest.mark.parametrize(
    ("field", "value"), [("serial", "T-2"), ("device", "other-model")], ids=["serial", "model"]
)
def test_a_device_that_returns_as_another_device_is_refused_until_accepted(
    field: str, value: str
) -> None:
    s = up_then_reconnected()
    other = Hello.from_dict({**hello().to_dict(), field: value})
    s.push([raw(np.arange(3), PERIOD_US * np.arange(3))], HOST0_S + 1)
    with pytest.raises(DeviceChangedError) as err:
        s.push([other], HOST0_S + 1)
    assert value in str(err.value) and "until the new device is accepted" in str(err.value)
    assert s.hello == hello() and s.samples == 10
    s.reconnected("device changed")
    s.accept_new_device()
    out = s.push([other, raw(np.arange(3), PERIOD_US * np.arange(3))], HOST0_S + 2)
    assert out[1] == other and s.hello == other
    (gap,) = of(out, Gap)
    assert gap.lost == -1 and "device replaced" in gap.reason and value in gap.reason
    assert joined(out).seq.tolist() == [0, 1, 2]


def test_the_same_device_coming_back_with_new_firmware_is_not_refused() -> None:
    s = up_then_reconnected()
    updated = Hello.from_dict({**hello().to_dict(), "firmware": "0.2"})
    assert s.push([updated], HOST0_S + 1) == [updated]


# -- events and grids -------------------------------------------------------------------------


def test_events_and_grids_are_timed_on_the_sample_clock_even_across_a_wrap() -> None:
    s = started()
    t_us = (1 << 32) - 10 * PERIOD_US + PERIOD_US * np.arange(400)  # wraps after 10 samples
    push_in_chunks(s, np.arange(400), t_us, max_read=1)
    t_event_us = int(t_us[-1]) + 5_000  # raw u32 value, past the wrap
    values = np.arange(6, dtype=np.uint16).reshape(2, 3)
    out = s.push(
        [
            EventPacket(t_us=t_event_us % (1 << 32), payload={"event": "overflow", "dropped": 3}),
            GridPacket(seq=7, t_us=t_event_us % (1 << 32), values=values),
        ],
        HOST0_S + 99,
    )
    event, grid = out
    assert isinstance(event, DeviceEvent) and event.name == "overflow"
    assert event.payload == {"event": "overflow", "dropped": 3}
    assert event.t_device_s == pytest.approx(t_event_us / 1e6)
    true_s = HOST0_S + t_event_us / 1e6
    assert abs(event.t_s - true_s) < 2 * LATENCY_S
    assert isinstance(grid, GridBlock) and len(grid) == 1
    assert grid.seq.tolist() == [7] and np.array_equal(grid.values[0], values)
    assert abs(grid.t_s[0] - true_s) < 2 * LATENCY_S


def test_an_event_before_any_sample_is_stamped_with_its_arrival() -> None:
    s = started()
    (event,) = s.push([EventPacket(t_us=123, payload={"event": "boot"})], HOST0_S + 5)
    assert isinstance(event, DeviceEvent)
    assert event.t_s == HOST0_S + 5 and event.t_device_s == pytest.approx(123e-6)
