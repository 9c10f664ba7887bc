"""Stage 2 of the pipeline: the bars. Zero tracking, then per bar the tension, where the hand
acts (lever rule between the two mounts) and the left bar's share."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ashisense.pipeline.forces import channel_rows
from ashisense.pipeline.rolling import samples_in
from ashisense.pipeline.settings import PipelineSettings
from ashisense.pipeline.types import unknown
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
        self._left = channel_rows(left) if left else None
        self._right = channel_rows(right) if right else None
        # Bars with both mounts: which side (0 left, 1 right), their head and foot channels.
        pairs = [(k, pair) for k, pair in enumerate(hand_mounts(rig)) if pair is not None]
        self._hand_sides = [k for k, _ in pairs]
        self._hand_rows = (
            (channel_rows([p[0] for _, p in pairs]), channel_rows([p[1] for _, p in pairs]))
            if pairs
            else None
        )
        self._head_x_m = rig.bars.head_mount_x_m if rig.bars else np.nan
        self._foot_x_m = rig.bars.foot_mount_x_m if rig.bars else np.nan

    def reset(self) -> None:
        """Samples were lost: restart the zero tracking's window (its corrections stay)."""
        self.zero.reset()

    def __call__(self, force_n: np.ndarray) -> BarForces:
        """The bars of a (C, n) force block (rig order), whose bar rows it corrects in place
        by the zero tracking first."""
        corrected = self.zero.apply(force_n[self._bar])  # in place: a view if a slice
        if not isinstance(self._bar, slice):
            force_n[self._bar] = corrected
        n = force_n.shape[1]
        left_n = (
            np.add.reduce(force_n[self._left], axis=0) if self._left is not None else unknown(n)
        )
        right_n = (
            np.add.reduce(force_n[self._right], axis=0) if self._right is not None else unknown(n)
        )
        total_n = np.add.reduce(force_n[self._bar], axis=0)
        hand_x_m = self._hands_x_m(force_n)
        share = left_n / np.where(total_n > self._min_n, total_n, np.nan)
        return BarForces(left_n, right_n, total_n, hand_x_m[0], hand_x_m[1], share)

    def _hands_x_m(self, force_n: np.ndarray) -> np.ndarray:
        """(2, n) where the left and right hands act along their bars (lever rule)."""
        n = force_n.shape[1]
        if self._hand_rows is None:
            return np.full((2, n), np.nan)
        heads, feet = self._hand_rows
        f_head, f_foot = force_n[heads], force_n[feet]
        tot = f_head + f_foot
        x = (f_head * self._head_x_m + f_foot * self._foot_x_m) / np.where(
            tot > self._min_n, tot, np.nan
        )
        if len(self._hand_sides) == 2:  # the rows are left, right
            return x
        x_m = np.full((2, n), np.nan)
        x_m[self._hand_sides] = x
        return x_m
