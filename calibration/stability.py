"""Is a load at rest? A test on a window of samples, never a single reading.

Per channel, a straight line is fitted over the window: its change across the window (trend)
catches settling and creep, the spread around it (sd) catches a swinging or moving load. The
trend is compared with its own standard error for the channel's noise (an unfinished settling
would bias the captured mean), the sd with the noise itself; both get an allowance proportional
to the load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StabilityCriteria:
    """Thresholds of the stability test; counts are raw ADC counts.

    A channel is at rest when, over the last window_s seconds (n samples, at least
    min_samples), sd <= max(max_sd_ratio * noise, max_sd_fraction * |load|) and
    |trend| <= max(max_trend_sigmas * noise * sqrt(12 / n), max_trend_fraction * |load|),
    where load is the mean minus the zero and noise the channel's noise at zero (at least
    noise_floor_counts); noise * sqrt(12 / n) is the standard error of the trend for white
    noise. timeout_s is how long a step may settle before it is called unstable.
    """

    window_s: float = 2.0
    min_samples: int = 10
    max_sd_ratio: float = 4.0
    max_sd_fraction: float = 2e-4
    max_trend_sigmas: float = 4.0
    max_trend_fraction: float = 2e-4
    noise_floor_counts: float = 1.0
    timeout_s: float = 30.0


@dataclass(frozen=True)
class WindowAssessment:
    """Result of the test on one window: per-channel (C,) figures and why it is not at rest.

    noise_counts is the larger of the white noise and the sd around the trend: at rest, the
    noise reference for later windows (it includes slow, correlated noise).
    """

    stable: bool
    t_mid_s: float
    mean_counts: np.ndarray
    sd_counts: np.ndarray
    trend_counts: np.ndarray
    noise_counts: np.ndarray
    reasons: tuple[str, ...]


def white_noise_counts(counts: np.ndarray, floor_counts: float = 1.0) -> np.ndarray:
    """(C,) white-noise sd from successive differences of (n, C) counts, robust to drift.

    Rows repeating the previous row exactly (loggers that resend a sample) are dropped first.
    """
    x = np.asarray(counts, dtype=np.float64)
    diffs = np.diff(x, axis=0)
    diffs = diffs[np.any(diffs != 0, axis=1)]
    if len(diffs) < 2:
        return np.full(x.shape[1], float(floor_counts))
    mad = np.median(np.abs(diffs - np.median(diffs, axis=0)), axis=0)
    return np.maximum(1.4826 * mad / np.sqrt(2.0), floor_counts)


def assess_window(
    t_s: np.ndarray,
    counts: np.ndarray,
    criteria: StabilityCriteria,
    channels: tuple[str, ...],
    *,
    reference_noise_counts: np.ndarray | None = None,
    zero_counts: np.ndarray | None = None,
    invalid: np.ndarray | None = None,
) -> WindowAssessment:
    """Test (n,) t_s and (n, C) counts for rest; the caller passes exactly the window to judge.

    reference_noise_counts: (C,) noise measured at zero (else this window's own);
    zero_counts: (C,) the unloaded zero, for the load-proportional allowances.
    """
    x = np.asarray(counts, dtype=np.float64)
    t = np.asarray(t_s, dtype=np.float64)
    tc = t - t.mean()
    mean = x.mean(axis=0)
    span_s = float(t[-1] - t[0]) if len(t) > 1 else 0.0
    denom = float(tc @ tc)
    slope = (tc @ (x - mean)) / denom if denom > 0 else np.zeros(x.shape[1])
    resid = x - mean - np.outer(tc, slope)
    sd = resid.std(axis=0)
    trend = slope * span_s
    white = white_noise_counts(x, criteria.noise_floor_counts)
    noise = white if reference_noise_counts is None else reference_noise_counts
    load = np.abs(mean - zero_counts) if zero_counts is not None else np.zeros_like(mean)
    sd_limit = np.maximum(criteria.max_sd_ratio * noise, criteria.max_sd_fraction * load)
    trend_se = noise * np.sqrt(12.0 / max(len(t), 1))
    trend_limit = np.maximum(
        criteria.max_trend_sigmas * trend_se, criteria.max_trend_fraction * load
    )
    reasons: list[str] = []
    if len(t) < criteria.min_samples or span_s < 0.95 * criteria.window_s:
        reasons.append(
            f"collecting: {len(t)} samples over {span_s:.1f} s, need {criteria.window_s:g} s"
        )
    if invalid is not None:
        for i in np.flatnonzero(np.asarray(invalid).any(axis=0)):
            reasons.append(f"{channels[i]}: the device marks samples invalid")
    for i in np.flatnonzero(np.abs(trend) > trend_limit):
        reasons.append(
            f"{channels[i]}: still settling (changed {trend[i]:+.0f} counts over "
            f"{span_s:.1f} s, limit {trend_limit[i]:.0f})"
        )
    for i in np.flatnonzero(sd > sd_limit):
        reasons.append(
            f"{channels[i]}: load moving (sd {sd[i]:.0f} counts around the trend, "
            f"limit {sd_limit[i]:.0f})"
        )
    return WindowAssessment(
        stable=not reasons,
        t_mid_s=float(t.mean()),
        mean_counts=mean,
        sd_counts=sd,
        trend_counts=trend,
        noise_counts=np.maximum(white, sd),
        reasons=tuple(reasons),
    )
