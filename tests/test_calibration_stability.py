"""The stability test accepts a load at rest and refuses one settling, creeping or moving."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.stability import StabilityCriteria, assess_window, white_noise_counts

RATE_HZ = 80.0
CHANNELS = ("a", "b")


def window(extra, noise=20.0, seed=0, seconds=2.0):
    """(t, counts) of two channels at 10000 counts of load plus extra(t) on channel a."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE_HZ)) / RATE_HZ
    counts = 10_000 + rng.normal(0, noise, (len(t), 2))
    counts[:, 0] += extra(t)
    return t, counts


def judge(t, counts, **kw):
    return assess_window(
        t,
        counts,
        StabilityCriteria(),
        CHANNELS,
        reference_noise_counts=np.array([20.0, 20.0]),
        zero_counts=np.zeros(2),
        **kw,
    )


def test_a_load_at_rest_is_stable_and_its_mean_is_the_window_mean():
    t, counts = window(lambda t: 0 * t)
    verdict = judge(t, counts)
    assert verdict.stable, verdict.reasons
    np.testing.assert_allclose(verdict.mean_counts, counts.mean(axis=0))


def test_a_load_still_settling_is_refused_as_settling():
    t, counts = window(lambda t: 3000 * np.exp(-(t + 0.5) / 0.3))
    verdict = judge(t, counts)
    assert not verdict.stable
    assert any("a: still settling" in r for r in verdict.reasons)
    assert not any(r.startswith("b:") for r in verdict.reasons)


def test_a_swinging_load_is_refused_as_moving():
    t, counts = window(lambda t: 300 * np.sin(2 * np.pi * t / 1.3))
    verdict = judge(t, counts)
    assert not verdict.stable
    assert any("a: load moving" in r for r in verdict.reasons)


def test_too_short_a_window_is_not_judged_stable():
    t, counts = window(lambda t: 0 * t, seconds=1.0)
    verdict = judge(t, counts)
    assert not verdict.stable
    assert verdict.reasons[0].startswith("collecting")


def test_invalid_samples_make_the_window_unstable():
    t, counts = window(lambda t: 0 * t)
    invalid = np.zeros(counts.shape, bool)
    invalid[5, 1] = True
    verdict = judge(t, counts, invalid=invalid)
    assert not verdict.stable
    assert any("b: the device marks samples invalid" in r for r in verdict.reasons)


def test_creep_is_judged_against_the_load_fraction():
    # A 10000-count load creeping 1 count (0.01 %) over the window is at rest; 20 (0.2 %) is not.
    quiet = np.array([0.1, 0.1])
    for change, stable in ((1.0, True), (20.0, False)):
        t, counts = window(lambda t, c=change: c * t / 2.0, noise=0.5)
        verdict = assess_window(
            t,
            counts,
            StabilityCriteria(),
            CHANNELS,
            reference_noise_counts=quiet,
            zero_counts=np.zeros(2),
        )
        assert verdict.stable == stable, verdict.reasons


@settings(max_examples=30, deadline=None)
@given(
    noise=st.floats(5, 200),
    drift_per_s=st.floats(-50, 50),
    seed=st.integers(0, 2**16),
)
def test_white_noise_estimate_ignores_drift_and_repeated_rows(noise, drift_per_s, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(2000) / RATE_HZ
    counts = rng.normal(0, noise, (len(t), 1)) + drift_per_s * t[:, None]
    repeated = np.repeat(counts, 2, axis=0)  # a logger that sends every sample twice
    for x in (counts, repeated):
        est = white_noise_counts(x)[0]
        assert abs(est / noise - 1) < 0.15


def test_a_moving_zero_is_refused_without_any_noise_reference():
    t, counts = window(lambda t: 300 * np.sin(2 * np.pi * t / 1.3))
    verdict = assess_window(t, counts, StabilityCriteria(), CHANNELS)
    assert not verdict.stable
    assert any("a: load moving" in r for r in verdict.reasons)
