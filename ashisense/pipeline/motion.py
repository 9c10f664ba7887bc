"""Did the client move under the therapist? Four corner cells cannot tell a client's shift from
a foot's slide, so this watches for the feet position moving while the hands and the bar force
hold still; once seen, positions stay flagged until the client baseline is refreshed.
"""

from __future__ import annotations

import numpy as np

from ashisense.pipeline.rolling import WindowStats
from ashisense.pipeline.settings import PipelineSettings


class ClientMotionDetector:
    """Per sample: is the feet position suspect because the client moved? (state carried)"""

    def __init__(self, settings: PipelineSettings) -> None:
        self.s = settings
        self.flagged = False
        self.reset()

    def reset(self) -> None:
        """Forget the anchor (after a gap); a raised flag stays raised."""
        self._was_static = False
        self._anchor = np.full(2, np.nan)

    def push(
        self,
        st: WindowStats,
        client: np.ndarray,
        weight_n: float,
        refreshed: np.ndarray,
    ) -> np.ndarray:
        """(n,) True where positions are suspect.

        st: window statistics of [mat_n, moment_x_nm, moment_y_nm, hand_left_x_m,
        hand_right_x_m, bar_n]; client: (n, 3) baseline [F_c, M_x, M_y] per sample;
        refreshed: (n,) the baseline was renewed there (nobody on).
        """
        s = self.s
        feet_n = st.mean[:, 0] - client[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            feet_xy = (st.mean[:, 1:3] - client[:, 1:]) / feet_n[:, None]
            limit = s.move_min_m + s.move_wander_k * s.client_cop_wander_m * client[:, 0] / feet_n
        scale = weight_n if np.isfinite(weight_n) else st.mean[:, 5] + feet_n
        static = (
            st.complete.all(axis=1)
            & (feet_n > s.feet_min_n)
            & (np.fmax(st.sd[:, 3], st.sd[:, 4]) < s.move_hands_sd_m)
            & (np.abs(st.drift[:, 5]) < s.move_bar_frac * scale)
        )
        n = static.size
        if not static.any() and not refreshed.any():  # nothing to watch in this block
            self._was_static = False
            self._anchor = np.full(2, np.nan)
            return np.full(n, self.flagged)
        idx = np.arange(n)
        begins = static & ~np.concatenate(([self._was_static], static[:-1]))
        start = np.maximum.accumulate(np.where(begins | ~static, idx, -1))
        anchor = np.where((start >= 0)[:, None], feet_xy[np.maximum(start, 0)], self._anchor)
        with np.errstate(invalid="ignore"):
            moved = np.hypot(*(feet_xy - anchor).T)
            seen = static & (moved > limit)
            drifting = static & (moved > s.move_suspect_frac * limit)  # suspect, not yet proof
        if n:
            self._was_static = bool(static[-1])
            self._anchor = anchor[-1] if static[-1] else np.full(2, np.nan)
        # The flag rises at a detection and falls where the baseline is refreshed.
        last_seen = np.maximum.accumulate(np.where(seen, idx, -1))
        last_fresh = np.maximum.accumulate(np.where(refreshed, idx, -1))
        flag = np.where((last_seen >= 0) | (last_fresh >= 0), last_seen > last_fresh, self.flagged)
        if n:
            self.flagged = bool(flag[-1])
        return flag | drifting
