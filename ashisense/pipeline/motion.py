"""Did the client move under the therapist? Four corner cells cannot tell a client's shift from
a foot's slide, so this watches for the feet position moving while the hands and the bar force
hold still; once seen, positions stay flagged until the client baseline is refreshed.
"""

from __future__ import annotations

import numpy as np

from ashisense.pipeline import kernels
from ashisense.pipeline.baseline import BAR_N
from ashisense.pipeline.rolling import WindowStats
from ashisense.pipeline.settings import PipelineSettings

_NOWHERE = np.zeros(0, dtype=bool)  # no re-estimate in the block


class ClientMotionDetector:
    """Per sample: is the feet position suspect because the client moved? (state carried)"""

    def __init__(self, settings: PipelineSettings) -> None:
        s = settings
        self.flagged = False
        self._limits = np.array(
            [
                s.feet_min_n,
                s.move_hands_sd_m,
                s.move_bar_frac,
                s.move_min_m,
                s.move_wander_k * s.client_cop_wander_m,
                s.move_suspect_frac,
            ]
        )
        self.reset()

    def reset(self) -> None:
        """Forget the anchor (after a gap); a raised flag stays raised."""
        self._was_static = False
        self._anchor = np.full(2, np.nan)  # where the last static stretch began

    def push(
        self,
        st: WindowStats,
        client: np.ndarray,
        weight_n: float,
        refreshed: np.ndarray,
        rebased: np.ndarray | None = None,
    ) -> np.ndarray:
        """(n,) True where positions are suspect.

        st: statistics of the pipeline's WINDOW columns (baseline.py); client: the baseline
        rows [F_c, M_x, M_y] per sample, (3, n) or (3, 1); refreshed: (n,) the baseline was
        renewed there (nobody on); rebased: (n,) the client moment was re-estimated there
        (clientshift.py): a new stretch begins, a raised flag stays (an earlier move is not
        in the re-estimate). A static stretch is anchored where it began (maybe in an
        earlier block); the flag rises at a detection and falls where the baseline is
        refreshed (kernels.motion_flags).
        """
        flag, self._was_static, self.flagged = kernels.motion_flags(
            st.mean,
            st.sd,
            st.drift,
            st.complete[: BAR_N + 1],  # (bars_loaded is complete with bar_n)
            client,
            weight_n,
            self._limits,
            _NOWHERE if rebased is None else rebased,  # positions jump there: a new stretch
            refreshed,
            self._anchor,
            self._was_static,
            self.flagged,
        )
        return flag
