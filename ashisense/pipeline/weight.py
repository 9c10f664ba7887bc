"""The therapist weight W_t in use: the therapist profile's, else estimated on a full rig from
windows where everyone holds still (support = bars + feet on the mat), else unknown."""

from __future__ import annotations

import numpy as np

from ashisense.pipeline.baseline import BAR_N, MAT, TOTAL
from ashisense.pipeline.rolling import WindowStats
from ashisense.pipeline.settings import PipelineSettings


class TherapistWeight:
    """W_t (N) and its source: "profile", "estimated" or "none". profile_n: the profile's
    weight (None without a therapist profile)."""

    def __init__(self, profile_n: float | None, settings: PipelineSettings) -> None:
        self._profile_n = profile_n
        self._s = settings
        self.estimate_n = np.nan  # NaN: none yet

    def current(self) -> tuple[float, str]:
        """W_t in use (N, NaN unknown) and its source."""
        if self._profile_n is not None:
            return self._profile_n, "profile"
        if np.isfinite(self.estimate_n):
            return float(self.estimate_n), "estimated"
        return np.nan, "none"

    def follow(self, st: WindowStats, client_n: np.ndarray) -> None:
        """Update the estimate from the still windows of a block: statistics of the WINDOW
        columns (baseline.py) and the client baseline force (n,) or (1,) in force."""
        s = self._s
        feet_win = st.mean[MAT] - client_n
        still = st.complete[TOTAL] & (st.sd[TOTAL] < s.still_sd_n)
        still &= feet_win > s.feet_min_n
        still &= st.mean[BAR_N] > s.bar_min_n
        if np.count_nonzero(still):
            self._update(_median((st.mean[TOTAL] - client_n)[still]))

    def _update(self, candidate_n: float) -> None:
        """Follow the upper envelope of still-phase support: lower values mean a foot elsewhere."""
        w = self.estimate_n
        if np.isnan(w) or candidate_n > w:
            self.estimate_n = candidate_n
        elif candidate_n > 0.97 * w:
            self.estimate_n = w + 0.2 * (candidate_n - w)


def _median(x: np.ndarray) -> float:
    """np.median of a non-empty 1-d array, without its per-call overhead."""
    m = x.size // 2
    if x.size % 2:
        return float(np.partition(x, m)[m])
    part = np.partition(x, (m - 1, m))
    return float((part[m - 1] + part[m]) / 2)
