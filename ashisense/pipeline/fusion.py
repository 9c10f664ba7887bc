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
        self._kind = kind
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
        s = self._s
        if bars is None:
            assert mat is not None  # a rig has bars, a mat or both
            bar_n = feet_bar = unknown(mat.mat_n.shape[0])
        else:
            bar_n = bars.total_n
            feet_bar = weight_n - bar_n
            if math.isnan(weight_n):
                flags[NO_WEIGHT] = True
        if mat is None:
            feet = feet_bar
            np.less_equal(feet_bar, s.feet_min_n, out=flags[FEET_NEAR_ZERO])
            np.logical_not(bar_n > s.bar_min_n, out=flags[BARS_UNLOADED])
        elif bars is None:
            feet = mat.feet_mat_n
        else:
            feet = _fill_in(mat, feet_bar, bar_n > s.bars_unloaded_n)
        full = self._kind == "full"
        support = bar_n + feet if full else unknown(len(feet))
        lp = self._low_pass(feet, support, bar_n)
        support_ratio = support / weight_n
        if full and math.isfinite(weight_n):
            # Off: the low-passed ratio (a mismatch, if sustained: heel strikes and steps
            # swing the sum for a fraction of a second) and the ratio itself (someone
            # accelerates, a step or the client shifting: the sum is not statics).
            kernels.support_off(
                lp[1],
                support_ratio,
                weight_n,
                self._tols,
                self._hold,
                self._run,
                flags[SUPPORT_MISMATCH],
                flags[MOVING],
            )
        elif bars is not None and math.isfinite(weight_n):
            np.greater(np.abs(bar_n - lp[-1]), s.moving_tol * weight_n, out=flags[MOVING])
        return FeetAndSupport(feet, feet_bar, lp[0], bar_n, support, support_ratio)

    def _low_pass(self, feet: np.ndarray, support: np.ndarray, bar_n: np.ndarray) -> np.ndarray:
        """(k, n) low-passed rows: feet, then support (full rigs), then bar_n (with bars)."""
        if self._kind == "full":
            return self._filter(np.array((feet, support, bar_n)).T).T
        if self._kind == "bars":
            return self._filter(np.array((feet, bar_n)).T).T
        return self._filter(feet[:, None]).T


def _fill_in(mat: MatForces, feet_bar: np.ndarray, held: np.ndarray) -> np.ndarray:
    """The mat's feet force; where a mat sample is invalid, the bars' (W_t - F_bar) only where
    that is physics: a client baseline known and someone holding the bars (`held`). Nobody
    on the rig, the sample stays NaN (missing), not W_t."""
    fill = np.isnan(mat.feet_mat_n)
    if not np.count_nonzero(fill):
        return mat.feet_mat_n
    fill &= ~np.isnan(mat.client_n)
    fill &= held
    return np.where(fill, feet_bar, mat.feet_mat_n)
