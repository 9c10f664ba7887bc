"""Did the client slide under the therapist? (full rigs with both hands on the bars)

Four corner cells give one moment for two bodies: the client's and the feet's. The hands
tell the feet apart: a therapist on overhead bars keeps the hands roughly above the body,
so the gap between the mat's feet position and the hands (the mean of both hands' lever-rule
positions) holds still while the client does, whatever the feet force. A client who slides
moves the mat's feet position by F_c·d / F_feet and leaves the hands where they were.

Per sample: gap g = x_feet(mat) - x_hands; its low-pass (breathing at ~0.25 Hz largely stays
in, so the threshold sits above it) against a reference, the feet-force-weighted mean gap
over a window that ended shift_delay_s before (one breath long when the run allows, shorter
just after the therapist climbed on). Their difference times F_feet / F_c is the client's
implied slide; beyond shift_client_m it is a shift: CLIENT_SHIFT from there. Once the slide
has settled, the client moment is re-estimated over one shift_fit_s window from the
balance of moments with the feet held at the hands plus the reference gap:
M_c' = M_c + mean(F_feet·(g - g_ref)); the client force is kept (a slide conserves it).
Meanwhile the feet are where the hands plus the reference gap put them.
The watch then starts afresh. Everything is evaluated per sample with carried sums and
filter states, and the re-estimate is an event at a sample, so any cut of the stream gives
the same answer; a block is one compiled call (kernels.shift_watch) walking it event by event.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ashisense.pipeline import kernels
from ashisense.pipeline.filters import StreamingLowPass
from ashisense.pipeline.rolling import samples_in
from ashisense.pipeline.settings import PipelineSettings


class ShiftResult(NamedTuple):
    """A block's verdicts: flag (n,) bool, CLIENT_SHIFT; rebased (n,) bool, a re-estimate at
    that sample; anchor_x_m (n,) where the feet are while a shift is pending: the hands plus
    the reference gap (NaN elsewhere; None: no shift pending in the block); delta_mx_nm
    (n,) the client moment re-estimated since the block began (add it to the baseline's);
    event_t_s: host time of the block's last re-estimate (NaN: none); delta_end_nm:
    delta_mx_nm at the last sample."""

    flag: np.ndarray
    rebased: np.ndarray
    anchor_x_m: np.ndarray | None
    delta_mx_nm: np.ndarray
    event_t_s: float
    delta_end_nm: float


class ClientShiftWatch:
    """Per sample: has the client slid under the therapist, and by what moment? (state
    carried). mounts_x_m: the bars' head and foot mount x; a hand within shift_mount_margin_m
    of either cannot follow the body there."""

    def __init__(
        self, settings: PipelineSettings, rate_hz: float, mounts_x_m: tuple[float, float]
    ) -> None:
        s = settings
        self._fast = StreamingLowPass(s.shift_cutoff_hz, rate_hz, 1)
        self._win = samples_in(s.shift_window_s, rate_hz)
        self._delay = samples_in(s.shift_delay_s, rate_hz)
        # In samples: delay, window, least reference, settling and fit (kernels.shift_scan).
        self._spans = np.array(
            [self._delay, self._win]
            + [samples_in(t, rate_hz) for t in (s.shift_min_ref_s, s.shift_settle_s, s.shift_fit_s)]
        )
        self._limits = np.array([s.shift_min_feet_n, s.shift_client_m])
        self._hand_lo = mounts_x_m[0] + s.shift_mount_margin_m
        self._hand_hi = mounts_x_m[1] - s.shift_mount_margin_m
        self.reset()

    def reset(self) -> None:
        """Forget the past (after a gap, or a client baseline set anew): blind until the
        reference window fills again; a pending shift is dropped."""
        self._fast.reset()
        self._cum = np.zeros((2, self._win + self._delay + 1))  # Σ[q, F_feet] at the last samples
        self._last = np.full(2, np.nan)  # the last valid [q, F_feet], held over invalid samples
        # Defined samples in a row ending at the last one; samples since a detection (-1:
        # none pending).
        self._counts = np.array([0, -1], dtype=np.int64)
        self._ref = np.full(1, np.nan)  # the reference gap of the pending shift

    def push(
        self,
        t_s: np.ndarray,
        mat_n: np.ndarray,
        moment_x: np.ndarray,
        client: tuple[np.ndarray, np.ndarray],
        hands_x_m: tuple[np.ndarray, np.ndarray],
        bars_n: tuple[np.ndarray, np.ndarray],
        refreshed: np.ndarray,
    ) -> ShiftResult:
        """The block's verdicts. mat_n, moment_x: the mat's total and Σf·x (n,); client: the
        baseline [F_c, M_cx] in force per sample ((n,) or (1,) each, drift included);
        hands_x_m, bars_n: left and right hand x and bar force (n,) each (a hand NaN on a
        valid bar: the bar is let go); refreshed: (n,) the baseline was set anew there."""
        got = kernels.shift_watch(
            mat_n,
            moment_x,
            *client,
            *hands_x_m,
            *bars_n,
            refreshed,
            self._last,
            self._counts,
            self._ref,
            self._cum,
            *self._fast.state,
            self._limits,
            self._spans,
            self._hand_lo,
            self._hand_hi,
        )
        flag, rebased, anchor, anchored, delta, event, total = got
        event_t_s = float(t_s[event]) if event >= 0 else math.nan
        return ShiftResult(flag, rebased, anchor if anchored else None, delta, event_t_s, total)
