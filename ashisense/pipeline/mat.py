"""Stage 3 of the pipeline: the mat and the client baseline. The mat's total and centre of
pressure, the stability window shared by the baseline, the client-motion watch and the
therapist-weight estimate, the client baseline, and the feet force and position on the mat."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ashisense.pipeline import kernels
from ashisense.pipeline.bars import BarForces
from ashisense.pipeline.baseline import WINDOW, BaselineTracker, ClientBaseline
from ashisense.pipeline.clientshift import ClientShiftWatch
from ashisense.pipeline.flags import (
    CLIENT_MOVING,
    CLIENT_SHIFT,
    FEET_NEAR_ZERO,
    MAT_ZERO_OLD,
    NO_BASELINE,
)
from ashisense.pipeline.hold import HoldAverage
from ashisense.pipeline.matzero import MatZeroTracker
from ashisense.pipeline.motion import ClientMotionDetector
from ashisense.pipeline.rolling import Rolling, WindowStats, samples_in
from ashisense.pipeline.settings import PipelineSettings
from ashisense.pipeline.types import unknown
from ashisense.rig import Rig

_NOWHERE = np.zeros(0, dtype=bool)  # no client-motion watch: nothing suspect


class MatForces(NamedTuple):
    """The mat in one block: (n,) float64 arrays, NaN where unknown, unless said otherwise.

    mat_n: total mat force (N). cop_x_m, cop_y_m: its centre of pressure (client and feet).
    client_n: F_c, the client baseline in force at each sample, (n,), or (1,) when one holds
    for the whole block (NaN before the first). feet_mat_n: mat_n - client_n.
    feet_x_m, feet_y_m: where the feet act (NaN near zero force or without a baseline).
    window: statistics of the window ending at each sample, rows as baseline.WINDOW.
    baseline_before: the client baseline held before this block (a new object: it changed).
    zero_drift_n: the mat's zero drift since the baseline, taken off the feet (n,).
    shift_t_s: host time of the block's client-shift re-estimate (NaN: none).
    """

    mat_n: np.ndarray
    cop_x_m: np.ndarray
    cop_y_m: np.ndarray
    client_n: np.ndarray
    feet_mat_n: np.ndarray
    feet_x_m: np.ndarray
    feet_y_m: np.ndarray
    window: WindowStats
    baseline_before: ClientBaseline | None
    zero_drift_n: np.ndarray
    shift_t_s: float = math.nan


class MatStage:
    """The mat of a rig that has one, with the streaming state built for a sample rate: the
    stability window, the client baseline tracker and (watch_motion: full rigs with both
    hands) the client-motion and client-shift watches.

    therapist_weight_n: a known (profile) weight: on a full rig, the mat zero is tracked
    against it. carry: the stage this one replaces at a new rate; its client baseline,
    client-moved flag and mat zero are kept.
    """

    def __init__(
        self,
        rig: Rig,
        settings: PipelineSettings,
        rate_hz: float,
        client_weight_n: float | None,
        *,
        watch_motion: bool,
        therapist_weight_n: float | None = None,
        carry: MatStage | None = None,
    ) -> None:
        self._s = settings
        s = settings
        self._feet_limits = np.array([s.feet_min_n, s.client_cop_wander_m, s.position_sigma_m])
        mats = rig.index("mat")
        self._mat = np.array(mats, dtype=np.int64)  # the cells' rows in a force block
        cells = [rig.channel[i] for i in mats]
        self._mat_xy = np.array([[c.x_m, c.y_m] for c in cells], dtype=np.float64)
        centroid = self._mat_xy.mean(axis=0)  # where an even drift of the cells acts
        self.window = Rolling(samples_in(settings.window_s, rate_hz), len(WINDOW))
        self.tracker = BaselineTracker(settings, client_weight_n, rate_hz)
        self.motion = ClientMotionDetector(settings) if watch_motion else None
        self.shift = (
            ClientShiftWatch(settings, rate_hz, (rig.bars.head_mount_x_m, rig.bars.foot_mount_x_m))
            if watch_motion and rig.bars is not None
            else None
        )
        self.hold = (
            HoldAverage(
                samples_in(settings.hold_span_s, rate_hz),
                samples_in(settings.hold_detect_s, rate_hz),
                settings.move_hands_sd_m,
            )
            if self.shift is not None
            else None
        )
        self.zero = (
            MatZeroTracker(settings, therapist_weight_n, (centroid[0], centroid[1]))
            if rig.kind == "full" and therapist_weight_n is not None
            else None
        )
        if carry is not None:
            self.tracker.baseline = carry.tracker.baseline
            self.zero = carry.zero
            if self.motion is not None and carry.motion is not None:
                self.motion.flagged = carry.motion.flagged

    def reset(self) -> None:
        """Samples were lost: restart the window and the watches (the baseline stays)."""
        self.tracker.restart()
        self.window.reset()
        if self.motion is not None:
            self.motion.reset()
        if self.shift is not None:
            self.shift.reset()
        if self.hold is not None:
            self.hold.reset()

    def restart_shift(self) -> None:
        """A client baseline set from outside: the client-shift watch measured its gaps
        against the one before, and a hold's sums used it, so both start afresh."""
        if self.shift is not None:
            self.shift.reset()
        if self.hold is not None:
            self.hold.restart()

    def __call__(
        self,
        t_s: np.ndarray,
        force_n: np.ndarray,
        bars: BarForces | None,
        weight_n: float,
        flags: np.ndarray,
    ) -> MatForces:
        """The mat of a (C, n) force block at times t_s (bars: that block's, None on a
        mat-only rig; weight_n: W_t in use, NaN unknown); sets the NO_BASELINE,
        FEET_NEAR_ZERO and CLIENT_MOVING rows of `flags` (see flags.py)."""
        mat_n, (moment_x, moment_y), cop, st = self._window(force_n, bars)
        had = self.tracker.baseline
        client, refreshed = self.tracker.push(t_s, st)
        drift, in_force = np.zeros(1), client
        if self.zero is not None:
            drift, in_force = self.zero.push(t_s, st, client, refreshed, flags[MAT_ZERO_OLD])
        client_n, client_mx, client_my = in_force
        shift_t_s, rebased, anchor_x = math.nan, None, None
        if self.shift is not None and bars is not None:
            got = self._watch_shift(
                t_s, mat_n, moment_x, client, (client_n, client_mx), bars, refreshed, flags
            )
            client_mx, client, shift_t_s, rebased, anchor_x = got
        suspect = (
            self.motion.push(st, client, weight_n, refreshed, rebased)
            if self.motion is not None
            else _NOWHERE
        )
        feet_mat, denom = kernels.feet_on_mat(
            mat_n,
            client_n,
            suspect,
            flags[NO_BASELINE],
            flags[FEET_NEAR_ZERO],
            flags[CLIENT_MOVING],
            self._feet_limits,
        )
        return MatForces(
            mat_n=mat_n,
            cop_x_m=cop[0],
            cop_y_m=cop[1],
            client_n=client_n,
            feet_mat_n=feet_mat,
            feet_x_m=self._feet_x(moment_x - client_mx, denom, anchor_x, bars, rebased),
            feet_y_m=(moment_y - client_my) / denom,
            window=st,
            baseline_before=had,
            zero_drift_n=drift,
            shift_t_s=shift_t_s,
        )

    def _window(
        self, force_n: np.ndarray, bars: BarForces | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, WindowStats]:
        """The mat's total (n,), Σf·x and Σf·y (2, n), centre of pressure (2, n) and the
        stability window's statistics once the block's columns are in it (one kernel)."""
        s = self._s
        mat_n, moments, cop, *stats = kernels.mat_window(
            force_n,
            self._mat,
            self._mat_xy,
            *self._bar_columns(bars, force_n.shape[1]),
            s.feet_min_n,
            s.bars_unloaded_n,
            *self.window.state,
        )
        return mat_n, moments, cop, WindowStats(*stats)

    def _watch_shift(
        self,
        t_s: np.ndarray,
        mat_n: np.ndarray,
        moment_x: np.ndarray,
        client: np.ndarray,
        in_force: tuple[np.ndarray, np.ndarray],
        bars: BarForces,
        refreshed: np.ndarray,
        flags: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray | None, np.ndarray | None]:
        """Run the client-shift watch: the client moment with its re-estimates (n,), the
        baseline rows likewise, the host time of the last re-estimate (NaN: none), (n,)
        where it was re-estimated (None: nowhere) and (n,) the feet x the hands give while a
        shift is pending (None: none pending); sets the CLIENT_SHIFT
        row of `flags`, and the held baseline from a re-estimate on."""
        assert self.shift is not None
        got = self.shift.push(
            t_s,
            mat_n,
            moment_x,
            in_force,
            (bars.hand_left_x_m, bars.hand_right_x_m),
            (bars.left_n, bars.right_n),
            refreshed,
        )
        flags[CLIENT_SHIFT] = got.flag
        anchor = got.anchor_x_m
        if math.isnan(got.event_t_s):
            return in_force[1], client, math.nan, None, anchor
        b = self.tracker.baseline
        if b is not None and got.delta_end_nm:
            self.tracker.baseline = ClientBaseline(
                b.force_n, b.moment_x_nm + got.delta_end_nm, b.moment_y_nm, got.event_t_s
            )
        n = t_s.shape[0]
        moved = np.vstack(
            (
                np.broadcast_to(client[0], (n,)),
                client[1] + got.delta_mx_nm,
                np.broadcast_to(client[2], (n,)),
            )
        )
        return in_force[1] + got.delta_mx_nm, moved, got.event_t_s, got.rebased, anchor

    def _feet_x(
        self,
        moment_n_m: np.ndarray,
        denom: np.ndarray,
        anchor_x_m: np.ndarray | None,
        bars: BarForces | None,
        rebased: np.ndarray | None,
    ) -> np.ndarray:
        """The feet's x: their moment over their force (NaN where undefined), averaged over
        holds (hold.py), or where a client shift is pending the hands' anchor."""
        if self.hold is None or bars is None:
            return _anchored(moment_n_m / denom, denom, anchor_x_m)
        hands = (bars.hand_left_x_m, bars.hand_right_x_m)
        return self.hold.push(moment_n_m, denom, hands, anchor_x_m, rebased)

    @staticmethod
    def _bar_columns(bars: BarForces | None, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bars' columns of the stability window: bar_n, hand_l, hand_r (n,) each."""
        if bars is None:
            return np.zeros(n), unknown(n), unknown(n)
        return bars.total_n, bars.hand_left_x_m, bars.hand_right_x_m


def _anchored(x_m: np.ndarray, denom: np.ndarray, anchor_x_m: np.ndarray | None) -> np.ndarray:
    """x_m, or where a client shift is pending the hands' anchor (clientshift.py)."""
    if anchor_x_m is None:
        return x_m
    return np.where(np.isfinite(anchor_x_m) & np.isfinite(denom), anchor_x_m, x_m)
