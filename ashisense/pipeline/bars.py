"""Stage 2 of the pipeline: the bars. Zero tracking, then per bar the tension, where the hand
acts (lever rule between the two mounts) and the left bar's share."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ashisense.pipeline import kernels
from ashisense.pipeline.forces import channel_rows
from ashisense.pipeline.rolling import samples_in
from ashisense.pipeline.settings import PipelineSettings
from ashisense.pipeline.zero import BarZeroTracker
from ashisense.rig import Rig


class BarForces(NamedTuple):
    """The bars in one block, each (n,) float64, NaN where unknown.

    left_n, right_n, total_n: bar tension per bar and in all (N, the therapist's hands).
    hand_left_x_m, hand_right_x_m: where along each bar the hand acts (NaN for a bar without
    both mounts, or carrying bar_min_n or less). left_share: left_n / total_n.
    """

    left_n: np.ndarray
    right_n: np.ndarray
    total_n: np.ndarray
    hand_left_x_m: np.ndarray
    hand_right_x_m: np.ndarray
    left_share: np.ndarray


def hand_mounts(rig: Rig) -> list[tuple[int, int] | None]:
    """(head index, foot index) of the left and right bars, None where a mount is missing."""
    out: list[tuple[int, int] | None] = []
    for side in ("left", "right"):
        head = rig.index("bar", side=side, end="head")
        foot = rig.index("bar", side=side, end="foot")
        out.append((head[0], foot[0]) if head and foot else None)
    return out


class BarStage:
    """The bars of a rig that has them; carries the bar zero tracking (built for a rate).

    carry: the stage this one replaces at a new rate; its zero corrections are kept.
    """

    def __init__(
        self,
        rig: Rig,
        settings: PipelineSettings,
        rate_hz: float,
        carry: BarStage | None = None,
    ) -> None:
        s = settings
        names = tuple(rig.channels[i] for i in rig.index("bar"))
        window = samples_in(s.zero_window_s, rate_hz)
        self.zero = BarZeroTracker(names, window, s.zero_band_n, s.zero_sd_n, s.zero_limit_n)
        if carry is not None:
            self.zero.correction_n = carry.zero.correction_n
        self._min_n = s.bar_min_n
        self._bar = channel_rows(rig.index("bar"))
        left, right = rig.index("bar", side="left"), rig.index("bar", side="right")
        self._rows = (
            np.array(rig.index("bar"), dtype=np.intp),
            np.array(left, dtype=np.intp),
            np.array(right, dtype=np.intp),
        )
        # The head and foot channel of each side's bar (-1: a mount missing).
        self._mounts = np.array([pair or (-1, -1) for pair in hand_mounts(rig)], dtype=np.intp)
        self._mounts_x_m = np.array(
            [rig.bars.head_mount_x_m, rig.bars.foot_mount_x_m] if rig.bars else [np.nan, np.nan]
        )

    def reset(self) -> None:
        """Samples were lost: restart the zero tracking's window (its corrections stay)."""
        self.zero.reset()

    def __call__(self, force_n: np.ndarray) -> BarForces:
        """The bars of a (C, n) force block (rig order), whose bar rows it corrects in place
        by the zero tracking first."""
        corrected = self.zero.apply(force_n[self._bar])  # in place: a view if a slice
        if not isinstance(self._bar, slice):
            force_n[self._bar] = corrected
        left_n, right_n, total_n, hands, share = kernels.bar_forces(
            force_n, *self._rows, self._mounts, self._mounts_x_m, self._min_n
        )
        return BarForces(left_n, right_n, total_n, hands[0], hands[1], share)
