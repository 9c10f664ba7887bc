"""Streaming DSP carries its state: chunked == one pass, NaN stays NaN and never poisons state."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from ashisense.pipeline.filters import StreamingLowPass
from ashisense.pipeline.rolling import Rolling


def _series(seed: int, n: int, k: int, nan_frac: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 300.0 + 50.0 * rng.standard_normal((n, k)).cumsum(axis=0) / np.sqrt(n)
    x[rng.random((n, k)) < nan_frac] = np.nan
    return x


def _chunks(n: int, cuts: list[int]) -> list[slice]:
    edges = [0, *sorted({c % (n + 1) for c in cuts}), n]
    return [slice(a, b) for a, b in itertools.pairwise(edges)]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 400),
    cuts=st.lists(st.integers(0, 400), max_size=12),
    nan_frac=st.sampled_from([0.0, 0.05, 0.5]),
)
def test_low_pass_in_random_chunks_equals_one_pass(
    seed: int, n: int, cuts: list[int], nan_frac: float
) -> None:
    x = _series(seed, n, 3, nan_frac)
    whole = StreamingLowPass(4.0, 80.0, 3)(x)
    f = StreamingLowPass(4.0, 80.0, 3)
    parts = np.concatenate([f(x[s]) for s in _chunks(n, cuts)])
    np.testing.assert_allclose(parts, whole, rtol=1e-12, atol=1e-9, equal_nan=True)


def test_low_pass_output_is_nan_exactly_where_input_is() -> None:
    x = _series(1, 300, 2, 0.2)
    y = StreamingLowPass(4.0, 80.0, 2)(x)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(x))
    assert np.isfinite(y[-50:][~np.isnan(x[-50:])]).all()  # the state survived the NaNs


def test_low_pass_matches_scipy_and_starts_at_steady_state() -> None:
    x = np.full((200, 1), 500.0)
    x[100:] = 700.0
    f = StreamingLowPass(4.0, 80.0, 1)
    y = f(x)
    np.testing.assert_allclose(y[:100], 500.0)  # no start-up transient from zero
    sos = signal.butter(2, 4.0, fs=80.0, output="sos")
    ref = signal.sosfilt(sos, x[:, 0] - 500.0) + 500.0
    np.testing.assert_allclose(y[:, 0], ref, rtol=1e-12)
    assert y[100, 0] < 600.0 < y[-1, 0]  # low-passed: the step arrives gradually


def test_reset_restarts_from_the_next_value() -> None:
    f = StreamingLowPass(4.0, 80.0, 1)
    f(np.full((50, 1), 100.0))
    f.reset()
    np.testing.assert_allclose(f(np.full((5, 1), 900.0)), 900.0)


def test_cutoff_must_be_below_nyquist() -> None:
    with pytest.raises(ValueError, match=r"cutoff_hz must be in \(0, rate_hz/2 = 5\)"):
        StreamingLowPass(8.0, 10.0, 1)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 300),
    size=st.integers(2, 60),
    cuts=st.lists(st.integers(0, 300), max_size=10),
)
def test_rolling_window_stats_match_numpy_however_chunked(
    seed: int, n: int, size: int, cuts: list[int]
) -> None:
    x = _series(seed, n, 2, 0.02)
    r = Rolling(size, 2)
    chunks = _chunks(n, cuts)
    parts = [r.push(x[s]) for s in chunks]
    assert all(p.mean.shape == (2, c.stop - c.start) for p, c in zip(parts, chunks, strict=True))
    complete = np.concatenate([p.complete.T for p in parts])  # stats are (columns, samples)
    mean = np.concatenate([p.mean.T for p in parts])
    sd = np.concatenate([p.sd.T for p in parts])
    drift = np.concatenate([p.drift.T for p in parts])
    for i in range(n):
        window = x[max(0, i - size + 1) : i + 1]
        full = (i >= size - 1) & ~np.isnan(window).any(axis=0)
        np.testing.assert_array_equal(complete[i], full)
        if full.any():
            w = window[:, full]
            np.testing.assert_allclose(mean[i, full], w.mean(axis=0), rtol=1e-9)
            np.testing.assert_allclose(sd[i, full], w.std(axis=0), atol=1e-6)
            half = size // 2
            expect = w[half:].mean(axis=0) - w[:half].mean(axis=0)
            np.testing.assert_allclose(drift[i, full], expect, atol=1e-6)


def test_rolling_sums_carried_over_a_long_stream_stay_exact() -> None:
    rng = np.random.default_rng(5)
    r = Rolling(80, 2)
    recent: list[np.ndarray] = []
    for i in range(4000):  # 64,000 samples: over 13 minutes at 80 Hz
        x = np.column_stack(
            [5000.0 + 300.0 * np.sin(i / 7) + rng.standard_normal(16), rng.standard_normal(16)]
        )
        st = r.push(x)
        recent = [*recent[-4:], x]
    last = np.concatenate(recent)  # the last window: 5 blocks of 16
    np.testing.assert_allclose(st.mean[:, -1], last.mean(axis=0), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(st.sd[:, -1], last.std(axis=0), rtol=1e-9)
