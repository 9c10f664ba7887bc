"""Stage 4 of the pipeline: feet force and support. The feet force from the mat, from the bars
(W_t - F_bar) or both (the bars fill in where a mat sample is invalid), the support (bars +
feet) against the therapist weight, and the low-passed figures for display."""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np

from ashisense.pipeline import kernels
from ashisense.pipeline.bars import BarForces
from ashisense.pipeline.filters import StreamingLowPass
from ashisense.pipeline.flags import (
    BARS_UNLOADED,
    FEET_NEAR_ZERO,
    MOVING,
    NO_WEIGHT,
    SUPPORT_MISMATCH,
)
from ashisense.pipeline.mat import MatForces
from ashisense.pipeline.rolling import samples_in
from ashisense.pipeline.settings import PipelineSettings
from ashisense.pipeline.types import unknown


class FeetAndSupport(NamedTuple):
    """Feet force and support in one block, each (n,) float64, NaN where unknown (the fields
    are EstimateBlock's, under the same names: the pipeline passes them on whole).

    feet_n: the best feet force (N): the mat's where it has a valid sample, else the bars'.
    feet_bar_n: W_t - F_bar (statics). feet_display_n: feet_n low-passed for display.
    bar_n: the total bar force (NaN on a mat-only rig). support_n: bar_n + feet_n (full rigs).
    support_ratio: support_n / W_t.
    """

    feet_n: np.ndarray
    feet_bar_n: np.ndarray
    feet_display_n: np.ndarray
    bar_n: np.ndarray
    support_n: np.ndarray
    support_ratio: np.ndarray


class FusionStage:
    """Joins the bars and the mat of a rig of this kind; carries the display low-pass (built
    for a sample rate)."""

    def __init__(
        self, kind: Literal["full", "bars", "mat"], settings: PipelineSettings, rate_hz: float
    ) -> None:
        self._s = settings
        # Low-passed: feet, then support (full rigs), then bar_n (rigs with bars).
        columns = {"full": 3, "bars": 2, "mat": 1}[kind]
        self._filter = StreamingLowPass(
            settings.display_cutoff_hz, rate_hz, columns, settings.display_order
        )
        # SUPPORT_MISMATCH once off for support_hold_s; the run of off samples before.
        self._hold = samples_in(settings.support_hold_s, rate_hz)
        self._run = np.zeros(1, dtype=np.int64)
        self._tols = np.array([settings.support_tol, settings.moving_tol])

    def reset(self) -> None:
        """Samples were lost: restart the low-pass and the mismatch run."""
        self._filter.reset()
        self._run[0] = 0

    def __call__(
        self, bars: BarForces | None, mat: MatForces | None, weight_n: float, flags: np.ndarray
    ) -> FeetAndSupport:
        """Feet and support from a block's bars and mat (None where the rig has none) and
        W_t (N, NaN unknown); sets the NO_WEIGHT, SUPPORT_MISMATCH and MOVING rows of
        `flags` (see flags.py), and on a bars-only rig FEET_NEAR_ZERO and BARS_UNLOADED."""
        if bars is not None and math.isnan(weight_n):
            flags[NO_WEIGHT] = True
        if bars is not None and mat is not None:
            return self._full(bars, mat, weight_n, flags)
        s = self._s
        if bars is None:
            assert mat is not None  # a rig has bars, a mat or both
            feet = mat.feet_mat_n
            bar_n = feet_bar = unknown(feet.shape[0])
            lp = self._filter(feet[:, None]).T
        else:
            bar_n = bars.total_n
            feet = feet_bar = weight_n - bar_n
            np.less_equal(feet_bar, s.feet_min_n, out=flags[FEET_NEAR_ZERO])
            np.logical_not(bar_n > s.bar_min_n, out=flags[BARS_UNLOADED])
            lp = self._filter(np.array((feet, bar_n)).T).T
            if math.isfinite(weight_n):
                np.greater(np.abs(bar_n - lp[-1]), s.moving_tol * weight_n, out=flags[MOVING])
        support = unknown(feet.shape[0])
        return FeetAndSupport(feet, feet_bar, lp[0], bar_n, support, support / weight_n)

    def _full(
        self, bars: BarForces, mat: MatForces, weight_n: float, flags: np.ndarray
    ) -> FeetAndSupport:
        """A full rig's feet and support in one kernel (kernels.fuse_full): the mat's feet,
        where a mat sample is invalid the bars' W_t - F_bar only where that is physics (a
        client baseline known, someone on the bars); the support's mismatch and movement
        (off: the low-passed ratio, a mismatch if sustained, heel strikes and steps swing
        the sum for a fraction of a second; and the ratio itself, someone accelerating)."""
        got = kernels.fuse_full(
            mat.feet_mat_n,
            mat.client_n,
            bars.total_n,
            weight_n,
            self._s.bars_unloaded_n,
            *self._filter.state,
            self._tols,
            self._hold,
            self._run,
            flags[SUPPORT_MISMATCH],
            flags[MOVING],
        )
        feet, feet_bar, feet_display, support, ratio = got
        return FeetAndSupport(feet, feet_bar, feet_display, bars.total_n, support, ratio)
