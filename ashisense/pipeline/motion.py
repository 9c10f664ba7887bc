"""Did the client move under the therapist? Four corner cells cannot tell a client's shift from
a foot's slide, so this watches for the feet position moving while the hands and the bar force
hold still; once seen, positions stay flagged until the client baseline is refreshed.
"""

from __future__ import annotations

import numpy as np

from ashisense.pipeline import kernels
from ashisense.pipeline.baseline import BAR_N, MOMENT_X, MOMENT_Y
from ashisense.pipeline.rolling import WindowStats
from ashisense.pipeline.settings import PipelineSettings

_NO_ANCHOR = np.full(2, np.nan)  # (read only: shared by every detector)
_NO_ANCHOR.flags.writeable = False
_NOWHERE = np.zeros(0, dtype=bool)  # no re-estimate in the block


class ClientMotionDetector:
    """Per sample: is the feet position suspect because the client moved? (state carried)"""

    def __init__(self, settings: PipelineSettings) -> None:
        self.s = settings
        self.flagged = False
        self._limits = np.array(
            [settings.feet_min_n, settings.move_hands_sd_m, settings.move_bar_frac]
        )
        self.reset()

    def reset(self) -> None:
        """Forget the anchor (after a gap); a raised flag stays raised."""
        self._was_static = False
        self._anchor = _NO_ANCHOR

    def push(
        self,
        st: WindowStats,
        client: np.ndarray,
        weight_n: float,
        refreshed: np.ndarray,
        rebased: np.ndarray | None = None,
    ) -> np.ndarray | bool:
        """(n,) True where positions are suspect (a plain bool when it holds for the block).

        st: statistics of the pipeline's WINDOW columns (baseline.py); client: the baseline
        rows [F_c, M_x, M_y] per sample, (3, n) or (3, 1); refreshed: (n,) the baseline was
        renewed there (nobody on); rebased: (n,) the client moment was re-estimated there
        (clientshift.py): a new stretch begins, a raised flag stays (an earlier move is not
        in the re-estimate).
        """
        s = self.s
        static, feet_n = kernels.motion_static(
            st.mean,
            st.sd,
            st.drift,
            st.complete[: BAR_N + 1],  # (bars_loaded is complete with bar_n)
            client,
            weight_n,
            self._limits,
            _NOWHERE if rebased is None else rebased,  # positions jump there: a new stretch
        )
        if not np.count_nonzero(static):  # nothing to watch (nobody on, or moving)
            return self._unwatched(refreshed)
        n = static.size
        # Positions and limits where static (NaN elsewhere: never read there); column 0 of
        # `xy` is the anchor carried from the last block.
        denom = np.where(static, feet_n, np.nan)
        xy = np.empty((2, n + 1))
        xy[:, 0] = self._anchor
        np.divide(st.mean[MOMENT_X : MOMENT_Y + 1] - client[1:], denom, out=xy[:, 1:])
        limit = s.move_min_m + s.move_wander_k * s.client_cop_wander_m * client[0] / denom
        # Each static stretch is anchored where it began (it may have begun in an earlier
        # block).
        seen, drifting, self._anchor = kernels.motion_moved(
            xy, static, self._was_static, limit, s.move_suspect_frac
        )
        self._was_static = bool(static[-1])
        return self._latch(seen, refreshed) | drifting

    def _unwatched(self, refreshed: np.ndarray) -> np.ndarray | bool:
        """The flag over a block with no static stretch: a raised flag holds until the first
        refresh; the next stretch starts a new anchor."""
        self._was_static = False
        self._anchor = _NO_ANCHOR
        if not (np.count_nonzero(refreshed) and self.flagged):
            return self.flagged and not np.count_nonzero(refreshed)
        flag = np.zeros(refreshed.size, dtype=bool)  # raised until the first refresh
        flag[: int(np.argmax(refreshed))] = True
        self.flagged = False
        return flag

    def _latch(self, seen: np.ndarray, refreshed: np.ndarray) -> np.ndarray:
        """(n,) the flag: it rises at a detection (seen) and falls where the baseline is
        refreshed."""
        if np.count_nonzero(refreshed):
            idx = np.arange(seen.size)
            last_seen = np.maximum.accumulate(np.where(seen, idx, -1))
            last_fresh = np.maximum.accumulate(np.where(refreshed, idx, -1))
            flag = np.where(
                (last_seen >= 0) | (last_fresh >= 0), last_seen > last_fresh, self.flagged
            )
        else:
            flag = np.logical_or.accumulate(seen) | self.flagged
        self.flagged = bool(flag[-1])
        return flag
