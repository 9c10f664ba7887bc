"""The feet's x in a hold, with the client's breathing averaged out (full rigs with both hands).

The client's breathing moves their CoP by a few mm at ~0.25 Hz; the mat reads it as the feet
moving by F_c·δ / F_feet (over 1 cm at light feet). While the hands hold still on the bars
the feet stand still too (a therapist on overhead bars moves hands and feet together), so in
such a hold the feet's x is the feet's moment averaged over the hold, up to one breath back,
over their force averaged likewise: Σ(M_x - M_cx) / ΣF_feet. A whole breath averages the
breathing out; a shorter hold averages part of it. Only the position is averaged (the feet
force stays per sample, so the live force does not lag), and only in holds: the first
sample where a hand moves ends it. Cumulative sums are carried from block to block, so any
cut of the stream gives the same answer.
"""

from __future__ import annotations

import numpy as np

from ashisense.pipeline import kernels
from ashisense.pipeline.rolling import Rolling, TrailingSums


class HoldAverage:
    """Per sample: the feet's x averaged over the hold ending there (state carried).
    span: the most samples averaged (one breath); window: samples over which both hands'
    sd must stay under hands_sd_m for a hold (a hold has lasted that long when first seen)."""

    def __init__(self, span: int, window: int, hands_sd_m: float) -> None:
        self._sums = TrailingSums(2, span)
        self._hands = Rolling(window, 2)
        self._lead = window - 1
        self._hands_sd_m = hands_sd_m
        self.reset()

    def reset(self) -> None:
        """Forget the past (after a gap): no hold running, the hands' window empty."""
        self._sums.reset()
        self._hands.reset()
        self.restart()

    def restart(self) -> None:
        """The client moment changed: a new hold begins (the hands' window goes on)."""
        self._run = 0  # still samples in a row ending at the last one
        self._usable = 0  # usable samples in a row ending at the last one

    def push(
        self,
        moment_nm: np.ndarray,
        feet_n: np.ndarray,
        hands_x_m: tuple[np.ndarray, np.ndarray],
        usable: np.ndarray,
    ) -> np.ndarray:
        """(n,) the averaged x in holds (NaN elsewhere). moment_nm: the feet's moment
        Σf·x - M_cx (n,); feet_n: their force (n,), 0 where not usable; hands_x_m: the left
        and right hands' x (n,) each; usable: (n,) bool, the sample may enter an average
        (the feet defined under the client moment in force; a hold never reaches back past
        a sample that is not). An invalid sample (NaN) counts for nothing."""
        st = self._hands.push(np.array(hands_x_m).T)
        # The hold began `lead` samples before its first still window ended (that window
        # was still all along), but not before the last sample that was not usable.
        still, length, mf, self._run, self._usable = kernels.hold_lengths(
            st.complete,
            st.sd,
            self._hands_sd_m,
            usable,
            moment_nm,
            feet_n,
            self._run,
            self._usable,
            self._lead,
        )
        sums = self._sums.push(mf, length)
        ok = still & (sums[1] > 0)
        return np.where(ok, sums[0] / np.where(ok, sums[1], 1.0), np.nan)
