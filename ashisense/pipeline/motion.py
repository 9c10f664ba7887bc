"""Did the client move under the therapist? Four corner cells cannot tell a client's shift from
a foot's slide, so this watches for the feet position moving while the hands and the bar force
hold still; once seen, positions stay flagged until the client baseline is refreshed.
"""

from __future__ import annotations

import numpy as np

from ashisense.pipeline.rolling import Rolling
from ashisense.pipeline.settings import PipelineSettings


class ClientMotionDetector:
    """Per sample: is the feet position suspect because the client moved? (state carried)"""

    def __init__(self, window: int, settings: PipelineSettings) -> None:
        self.s = settings
        self._rolling = Rolling(window, 6)
        self.reset()

    def reset(self) -> None:
        """Forget the windows and the anchor (after a gap); a raised flag stays raised."""
        self._rolling.reset()
        self._was_static = False
        self._anchor = np.full(2, np.nan)
        self.flagged = getattr(self, "flagged", False)

    def push(
        self,
        feet_xy_m: np.ndarray,
        hands_x_m: np.ndarray,
        bar_n: np.ndarray,
        feet_n: np.ndarray,
        client_n: np.ndarray,
        weight_n: float,
        refreshed: np.ndarray,
    ) -> np.ndarray:
        """(n,) True where positions are suspect. refreshed: the baseline was renewed there."""
        s = self.s
        st = self._rolling.push(np.column_stack([feet_xy_m, hands_x_m, bar_n, feet_n]))
        scale = weight_n if np.isfinite(weight_n) else st.mean[:, 4] + st.mean[:, 5]
        static = (
            st.complete
            & (np.fmax(st.sd[:, 2], st.sd[:, 3]) < s.move_hands_sd_m)
            & (np.abs(st.drift[:, 4]) < s.move_bar_frac * scale)
        )
        n = static.size
        idx = np.arange(n)
        prev = np.r_[self._was_static, static[:-1]]
        begins = static & ~prev
        start = np.maximum.accumulate(np.where(begins | ~static, idx, -1))
        anchor = np.where((start >= 0)[:, None], st.mean[np.maximum(start, 0), :2], self._anchor)
        anchor[~static] = np.nan
        moved = np.hypot(*(st.mean[:, :2] - anchor).T)
        with np.errstate(divide="ignore", invalid="ignore"):
            limit = (
                s.move_min_m + s.move_wander_k * s.client_cop_wander_m * client_n / st.mean[:, 5]
            )
        seen = static & (moved > limit)
        if n:
            self._was_static = bool(static[-1])
            self._anchor = anchor[-1] if static[-1] else np.full(2, np.nan)
        # The flag rises at a detection and falls where the baseline is refreshed.
        last_seen = np.maximum.accumulate(np.where(seen, idx, -1))
        last_fresh = np.maximum.accumulate(np.where(refreshed, idx, -1))
        flag = np.where((last_seen >= 0) | (last_fresh >= 0), last_seen > last_fresh, self.flagged)
        if n:
            self.flagged = bool(flag[-1])
        return flag
