"""The figures of one session a trainer compares (the report's summary and the review's
table of differences), from per-sample series, each judged against the limit that held at
that sample (the one an alarm on the feet force cites then: that of the body region the feet
were on)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ashisense.alarms import AlarmEngine, signals_from_estimate
from ashisense.alarms.limits import region_limits
from ashisense.bodymap import REGIONS
from ashisense.pipeline.types import EstimateBlock
from ashisense.store.records import AlarmRecord

#: Feet force above which the therapist counts as standing on the client (N, about 5 kgf).
LOADED_N = 50.0
#: Bar load (N) below which the left/right share means nothing.
BARS_LOADED_N = 20.0
PRIORITIES = ("high", "medium", "low")


def limits_held(engine: AlarmEngine | None) -> tuple[np.ndarray, float]:
    """The feet-force limit per body region (float32, index as REGIONS, NaN where none) and
    the overall one (NaN if none), from the rules in force for this client (the studio's
    rules tightened by the profile and contraindications)."""
    if engine is None:
        return np.full(len(REGIONS), np.nan, np.float32), math.nan
    per_region, overall = region_limits(engine.rule_set)
    limits = np.array([math.nan if x is None else x for x in per_region], np.float32)
    return limits, math.nan if overall is None else float(overall)


def held_limits(engine: AlarmEngine | None, est: EstimateBlock, rig_kind: str) -> np.ndarray:
    """The feet-force limit that held at each sample of a block (float32, NaN where none):
    the one an alarm on the feet force cites at that moment (AlarmEngine.binding_limits)."""
    if engine is None:
        return np.full(len(est), np.nan, np.float32)
    signals = signals_from_estimate(est, rig_kind)
    return engine.binding_limits(signals).limit_n.astype(np.float32)


@dataclass(frozen=True)
class Figures:
    """One session's figures. Times in s, forces in N; NaN where unknown. region_*: arrays
    indexed as REGIONS."""

    peak_n: float
    peak_at_s: float
    peak_region: str
    time_over_limit_s: float
    time_loaded_s: float
    mean_loaded_n: float
    bar_left_share: float
    mean_bar_n: float
    region_time_s: np.ndarray
    region_peak_n: np.ndarray
    region_over_s: np.ndarray


def session_figures(
    elapsed_s: np.ndarray,
    feet_n: np.ndarray,
    region: np.ndarray,
    limit_n: np.ndarray,
    bar_left_n: np.ndarray,
    bar_right_n: np.ndarray,
    sample_s: float,
) -> Figures:
    """Figures from per-sample series (elapsed_s since the start, limit_n as held_limits)."""
    known = np.isfinite(feet_n)
    with np.errstate(invalid="ignore"):
        over = known & (feet_n > limit_n)
        loaded = known & (feet_n > LOADED_N)
    peak_i = int(np.nanargmax(feet_n)) if known.any() else -1
    code = int(region[peak_i]) if peak_i >= 0 else -1
    codes = np.where(region >= 0, region, len(REGIONS)).astype(np.intp)
    n_regions = len(REGIONS) + 1
    region_peak = np.full(n_regions, -np.inf)
    np.fmax.at(region_peak, codes[known], feet_n[known])
    bars = bar_left_n + bar_right_n
    with np.errstate(invalid="ignore"):
        bars_on = np.isfinite(bars) & (bars > BARS_LOADED_N)
    return Figures(
        peak_n=float(feet_n[peak_i]) if peak_i >= 0 else math.nan,
        peak_at_s=float(elapsed_s[peak_i]) if peak_i >= 0 else math.nan,
        peak_region=REGIONS[code] if code >= 0 else "",
        time_over_limit_s=float(over.sum()) * sample_s,
        time_loaded_s=float(loaded.sum()) * sample_s,
        mean_loaded_n=float(feet_n[loaded].mean()) if loaded.any() else math.nan,
        bar_left_share=float(bar_left_n[bars_on].sum() / bars[bars_on].sum())
        if bars_on.any()
        else math.nan,
        mean_bar_n=float(bars[bars_on].mean()) if bars_on.any() else math.nan,
        region_time_s=np.bincount(codes, minlength=n_regions)[:-1] * sample_s,
        region_peak_n=np.where(np.isfinite(region_peak), region_peak, np.nan)[:-1],
        region_over_s=np.bincount(codes[over], minlength=n_regions)[:-1] * sample_s,
    )


def alarms_raised(alarms: Iterable[AlarmRecord]) -> dict[str, int]:
    """How many alarms were raised, by priority (high, medium, low)."""
    raised = Counter(a.priority for a in alarms if a.transition == "raised")
    return {p: raised[p] for p in PRIORITIES}
