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

_NONE = np.zeros(0)  # no shift pending in the block
_NOWHERE = np.zeros(0, dtype=bool)  # no re-estimate in the block


class HoldAverage:
    """Per sample: the feet's x averaged over the hold ending there (state carried).
    span: the most samples averaged (one breath); window: samples over which both hands'
    sd must stay under hands_sd_m for a hold (a hold has lasted that long when first seen)."""

    def __init__(self, span: int, window: int, hands_sd_m: float) -> None:
        self._sums = TrailingSums(2, span)
        self._hands = Rolling(window, 2)
        self._lead = window - 1
        self._hands_sd_m = hands_sd_m
        # Still and usable samples in a row ending at the last one (carried by the kernel).
        self._runs = np.zeros(2, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        """Forget the past (after a gap): no hold running, the hands' window empty."""
        self._sums.reset()
        self._hands.reset()
        self.restart()

    def restart(self) -> None:
        """The client moment changed: a new hold begins (the hands' window goes on)."""
        self._runs[:] = 0

    def push(
        self,
        moment_nm: np.ndarray,
        denom_n: np.ndarray,
        hands_x_m: tuple[np.ndarray, np.ndarray],
        anchor_x_m: np.ndarray | None,
        rebased: np.ndarray | None,
    ) -> np.ndarray:
        """(n,) the feet's x: moment_nm / denom_n, in holds both averaged over the hold, and
        where a client shift is pending the hands' anchor_x_m (None: none pending).
        moment_nm: the feet's moment Σf·x - M_cx (n,); denom_n: their force, NaN near zero
        (n,); hands_x_m: the left and right hands' x (n,) each; rebased: (n,) where the
        client moment was re-estimated (None: nowhere). A sample enters an average where the
        feet are defined, no shift is pending and the client moment holds (a hold never
        reaches back past one that does not); an invalid sample counts for nothing."""
        # The hold began `lead` samples before its first still window ended (that window
        # was still all along), but not before the last sample that was not usable.
        x_m: np.ndarray = kernels.held_x(
            moment_nm,
            denom_n,
            _NONE if anchor_x_m is None else anchor_x_m,
            _NOWHERE if rebased is None else rebased,
            *hands_x_m,
            *self._hands.state,
            self._sums.sums,
            self._runs,
            self._hands_sd_m,
            self._lead,
        )
        return x_m
