"""Mat zero tracking while the therapist is on: bars + mat against the known weights.

The client baseline holds the mat's zero of the moment it was taken; the cells drift on (up to
±0.2 % FS per hour each), and the drift would read as feet force. Whenever everyone holds
still with the whole therapist on the rig, F_mat + F_bar = F_c + W_t, so the residual of that
balance is the mat's zero drift since the baseline. It is taken only when small (a foot on
the frame or a stool is far larger); a baseline taken
or refreshed (nobody on) confirms the zero anew (drift 0 from there).
"""

from __future__ import annotations

import math

import numpy as np

from ashisense.pipeline import kernels
from ashisense.pipeline.baseline import TOTAL
from ashisense.pipeline.rolling import WindowStats
from ashisense.pipeline.settings import PipelineSettings


class MatZeroTracker:
    """The mat's drift since the client baseline (N, summed over the cells) and when the zero
    was last confirmed (host time, s). weight_n: the therapist's known weight (a profile's:
    an estimated one follows the same balance, so it cannot check it); centroid_m: where an
    even drift of the cells acts (x, y)."""

    def __init__(
        self, settings: PipelineSettings, weight_n: float, centroid_m: tuple[float, float]
    ) -> None:
        s = settings
        self._limits = np.array(
            [
                weight_n,
                s.still_sd_n,
                s.bar_min_n,
                s.feet_min_n,
                s.mat_zero_tol,
                s.mat_zero_step_n,
                *centroid_m,
                s.mat_zero_max_age_s,
            ]
        )
        self.drift_n = 0.0
        self.confirmed_t_s = math.nan

    def push(
        self,
        t_s: np.ndarray,
        st: WindowStats,
        client: np.ndarray,
        refreshed: np.ndarray,
        old: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(n,) the drift in force at each sample (N) and (3, n) the baseline rows [F_c, M_x,
        M_y] with it; sets old (n,) where the zero in force was confirmed more than
        mat_zero_max_age_s before. st: the WINDOW statistics; client: the baseline rows,
        (3, n) or (3, 1); refreshed: (n,) the baseline was set there."""
        drift, moved, self.drift_n, self.confirmed_t_s = kernels.mat_zero(
            st.mean,
            st.sd,
            st.complete[TOTAL],
            client,
            refreshed,
            t_s,
            self._limits,
            self.drift_n,
            self.confirmed_t_s,
            old,
        )
        return drift, moved

    def age_s(self, t_s: float) -> float:
        """Seconds since the zero was last confirmed at host time t_s (NaN: never)."""
        return t_s - self.confirmed_t_s
