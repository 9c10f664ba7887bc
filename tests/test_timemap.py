"""Device clock unwrap and host time mapping: an hour of drifting crystal and USB jitter maps
to within a millisecond, monotonically; host stalls and a backlog at connect are forgotten."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.timemap import WRAP_US, ClockMapper, DeviceClock

HOST0_S = 1.7e9  # host time (Unix seconds) when the device clock read 0
USB_FRAME_S = 1e-3  # full-speed USB: the host polls a bulk IN endpoint once per frame


def usb_arrivals(
    rate_hz: float,
    duration_s: float,
    drift_ppm: float,
    seed: int,
    stall_every_s: float = 30.0,
    stall_max_s: float = 0.15,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A device sampling at rate_hz by its own crystal, seen through USB; all (n,) float64.

    Returns (t_dev_s: device clock, true_s: host time of each sampling instant,
    arrival_s: host time at which the reader has it). A packet waits for the next 1 ms
    USB frame, then for the reader to wake (exponential, 0.3 ms mean, and 1 % of frames
    a scheduler hiccup of 3 ms mean); every ~stall_every_s the host stalls for up to
    stall_max_s and releases everything at once. Arrivals keep the order of sending.
    """
    rng = np.random.default_rng(seed)
    t_dev_s = rng.uniform(0, 5) + np.arange(int(duration_s * rate_hz)) / rate_hz
    true_s = HOST0_S + t_dev_s * (1 + drift_ppm * 1e-6)
    phase_s = rng.uniform(0, USB_FRAME_S)  # of the USB frames against the sampling instants
    frame = np.ceil((true_s - HOST0_S - phase_s) / USB_FRAME_S)
    frames, which = np.unique(frame, return_inverse=True)
    wake_s = rng.exponential(0.3e-3, frames.size)
    hiccup = rng.random(frames.size) < 0.01
    wake_s[hiccup] += rng.exponential(3e-3, int(hiccup.sum()))
    arrival_s = HOST0_S + phase_s + frame * USB_FRAME_S + wake_s[which]
    n_stalls = rng.poisson(duration_s / stall_every_s)
    stall_start = HOST0_S + rng.uniform(0, duration_s, n_stalls)
    stall_end = stall_start + rng.uniform(0.005, stall_max_s, n_stalls)
    for s0, s1 in zip(stall_start, stall_end, strict=True):
        a, b = np.searchsorted(true_s, [s0, s1])
        arrival_s[a:b] = np.maximum(arrival_s[a:b], s1)
    return t_dev_s, true_s, np.maximum.accumulate(arrival_s)


def map_in_chunks(
    mapper: ClockMapper, t_dev_s: np.ndarray, arrival_s: np.ndarray, chunk_s: float = 0.25
) -> np.ndarray:
    """Feed the mapper chunk_s of device time per call, each packet with its own arrival."""
    edges = np.searchsorted(t_dev_s, np.arange(t_dev_s[0], t_dev_s[-1] + chunk_s, chunk_s))
    out = np.empty_like(t_dev_s)
    for a, b in itertools.pairwise([*edges.tolist(), t_dev_s.size]):
        if b > a:
            out[a:b] = mapper.observe_and_map(t_dev_s[a:b], arrival_s[a:b])
    return out


def map_reads(mapper: ClockMapper, t_dev_s: np.ndarray, read_s: np.ndarray) -> np.ndarray:
    """Feed the mapper as the link does: each read's packets with the read's one host time."""
    cuts = np.flatnonzero(np.diff(read_s)) + 1
    out = np.empty_like(t_dev_s)
    for a, b in itertools.pairwise([0, *cuts.tolist(), t_dev_s.size]):
        out[a:b] = mapper.observe_and_map(t_dev_s[a:b], float(read_s[a]))
    return out


# -- the device clock ---------------------------------------------------------------------------


@given(
    start_us=st.integers(0, WRAP_US - 1),
    steps_us=st.lists(st.integers(0, WRAP_US // 2), min_size=1, max_size=60),
    cuts=st.lists(st.integers(1, 60), max_size=6),
)
def test_unwrap_is_the_running_sum_of_steps_however_the_samples_are_split(
    start_us: int, steps_us: list[int], cuts: list[int]
) -> None:
    true_us = start_us + np.cumsum([0, *steps_us])
    clock = DeviceClock()
    got = []
    for a, b in itertools.pairwise(
        [0, *sorted(c for c in set(cuts) if c < true_us.size), true_us.size]
    ):
        times, k = clock.unwrap(true_us[a:b] % WRAP_US)
        assert k == b - a
        got.extend(times.tolist())
    assert got == true_us.tolist()


def test_unwrap_stops_where_the_clock_goes_back_and_reset_starts_a_new_clock() -> None:
    clock = DeviceClock()
    times, k = clock.unwrap(np.array([WRAP_US - 10, 5, 20], dtype=np.int64))
    assert k == 3 and times.tolist() == [WRAP_US - 10, WRAP_US + 5, WRAP_US + 20]
    times, k = clock.unwrap(np.array([30, 10, 11], dtype=np.int64))  # back by 20 µs: a restart
    assert k == 1 and times.tolist() == [WRAP_US + 30]
    clock.reset()
    times, k = clock.unwrap(np.array([10, 11], dtype=np.int64))
    assert k == 2 and times.tolist() == [10, 11]


# -- host time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("rate_hz", "drift_ppm"), [(80, 50.0), (1000, -50.0)])
def test_an_hour_of_50ppm_drift_and_usb_jitter_maps_within_1ms_p99_monotonically(
    rate_hz: float, drift_ppm: float
) -> None:
    duration_s = 3600.0 if rate_hz <= 100 else 600.0
    t_dev_s, true_s, arrival_s = usb_arrivals(rate_hz, duration_s, drift_ppm, seed=1)
    t_s = map_in_chunks(ClockMapper(), t_dev_s, arrival_s)
    err_s = np.abs(t_s - true_s)
    assert np.percentile(err_s, 99) < 1e-3, np.percentile(err_s, [50, 99, 100])
    assert np.all(np.diff(t_s) > 0), "mapped host times went back"
    # without the drift fit an hour at 50 ppm walks 180 ms away: the fit must follow it
    assert np.percentile(err_s[-int(60 * rate_hz) :], 99) < 1e-3


@pytest.mark.parametrize("stall_s", [5.0, 20.0])
def test_a_host_stall_mid_session_is_forgotten_at_once(stall_s: float) -> None:
    """The reader sleeps for stall_s (a busy host) and then gets everything in one read."""
    rate_hz = 80
    t_dev_s = 100.37 + np.arange(int(150 * rate_hz)) / rate_hz
    true_s = HOST0_S + t_dev_s
    read_s = true_s + 0.5e-3  # each packet read on its own, 0.5 ms after sampling ...
    a, b = int(40 * rate_hz), int((40 + stall_s) * rate_hz)
    read_s[a:b] = read_s[b - 1]  # ... except during the stall
    err_s = np.abs(map_reads(ClockMapper(), t_dev_s, read_s) - true_s)
    assert err_s[b:].max() < 1e-3, f"{(err_s[b:] > 1e-3).sum()} samples off, up to {err_s.max()} s"


@pytest.mark.parametrize("backlog_s", [2.5, 5.0, 8.0])
def test_a_backlog_in_the_first_read_is_forgotten_within_seconds(backlog_s: float) -> None:
    """The first read after connecting returns backlog_s of samples at once (a host busy
    starting up); from then on packets are read one by one."""
    rate_hz = 80
    t_dev_s = 100.37 + np.arange(int(60 * rate_hz)) / rate_hz
    true_s = HOST0_S + t_dev_s
    read_s = true_s + 0.5e-3
    n = int(backlog_s * rate_hz)
    read_s[:n] = read_s[n - 1]
    t_s = map_reads(ClockMapper(), t_dev_s, read_s)
    err_s = np.abs(t_s - true_s)
    assert err_s[:n].max() < 1e-3, "the backlog itself: its last sample dates it"
    settled = n + int(2 * backlog_s * rate_hz)
    assert err_s[settled:].max() < 1e-3, (
        f"{(err_s[n:] > 1e-3).sum()} samples after the backlog off by up to {err_s.max()} s"
    )
    assert np.all(np.diff(t_s) > 0)


def test_a_better_minimum_slews_instead_of_stepping_back() -> None:
    """The first packets all came late; when a quick one shows the true offset, host times
    move towards it without ever going back."""
    rate_hz = 1000
    t_dev_s = np.arange(2000) / rate_hz
    true_s = HOST0_S + t_dev_s
    read_s = true_s + 0.5e-3
    read_s[:5] = true_s[4] + 0.060  # the first five read together, 60 ms late
    t_s = map_reads(ClockMapper(), t_dev_s, read_s)
    assert np.all(np.diff(t_s) > 0)
    assert abs(t_s[-1] - true_s[-1]) < 1e-3
