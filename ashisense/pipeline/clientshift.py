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
the same answer; the block is walked event by event, never sample by sample.
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


class _Stretch(NamedTuple):
    """Samples under one client baseline: the feet force over the mat mat_n - F_c and the
    mat's Σf·x (m,), the baseline [F_c, M_cx] in force ((m,) or (1,) each), the hands' mean
    x (m,) and where the hands cannot follow the body (m,) bool."""

    feet_n: np.ndarray
    moment_x: np.ndarray
    f_c: np.ndarray
    m_cx: np.ndarray
    hands: np.ndarray
    off: np.ndarray


class _Verdicts:
    """A block's verdicts as the walk fills them in (ShiftResult's fields)."""

    __slots__ = ("anchor", "delta", "event_t_s", "flag", "rebased", "total")

    def __init__(self, n: int) -> None:
        self.flag = np.zeros(n, dtype=bool)
        self.rebased = np.zeros(n, dtype=bool)
        self.anchor: np.ndarray | None = None  # made at the first flagged sample
        self.delta = np.zeros(n)
        self.event_t_s = math.nan
        self.total = 0.0

    def result(self) -> ShiftResult:
        return ShiftResult(
            self.flag, self.rebased, self.anchor, self.delta, self.event_t_s, self.total
        )


class ClientShiftWatch:
    """Per sample: has the client slid under the therapist, and by what moment? (state
    carried). mounts_x_m: the bars' head and foot mount x; a hand within shift_mount_margin_m
    of either cannot follow the body there."""

    def __init__(
        self, settings: PipelineSettings, rate_hz: float, mounts_x_m: tuple[float, float]
    ) -> None:
        s = settings
        self._s = s
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
        n = t_s.shape[0]
        f_c, m_cx = client
        # Hands that cannot follow the body: at a mount's end, or a bar let go.
        feet_n, hands, off, most_n = kernels.shift_inputs(
            mat_n, f_c, *hands_x_m, *bars_n, self._hand_lo, self._hand_hi
        )
        block = _Stretch(feet_n, moment_x, f_c, m_cx, hands, off)
        out = _Verdicts(n)
        fresh = np.flatnonzero(refreshed) if np.count_nonzero(refreshed) else None
        if self._counts[1] < 0 and not most_n > self._s.shift_min_feet_n:
            # Nobody on the feet and no shift pending: no flag, no re-estimate; only the
            # samples after the last new baseline leave state behind (carried, not scanned).
            start = 0 if fresh is None else int(fresh[-1]) + 1
            if fresh is not None:
                self.reset()
            if start < n:
                kernels.shift_skip(
                    *_cut(block, slice(start, n), 0.0),
                    self._last,
                    self._counts,
                    self._cum,
                    *self._fast.state,
                    self._s.shift_min_feet_n,
                )
            return out.result()
        starts, stops = ([0], [n]) if fresh is None else _stretches(refreshed)
        for start, stop in zip(starts, stops, strict=True):
            if start:  # new baselines before it: the watch starts afresh after them
                self.reset()
                out.total, out.event_t_s = 0.0, math.nan
            self._walk(t_s, block, start, stop, out)
        if fresh is not None and refreshed[-1]:
            self.reset()
            out.total, out.event_t_s = 0.0, math.nan
        return out.result()

    def _walk(
        self, t_s: np.ndarray, block: _Stretch, start: int, stop: int, out: _Verdicts
    ) -> None:
        """Scan the samples start:stop (one client baseline) event by event, into `out`."""
        while start < stop:
            part = slice(start, stop)
            at, moved = self._scan(_cut(block, part, out.total))
            if at is not None:
                out.flag[part] = at
                if out.anchor is None:
                    out.anchor = np.full(t_s.shape[0], np.nan)
                out.anchor[part] = np.where(at, block.hands[part] + self._ref[0], np.nan)
            if moved is None:
                out.delta[part] = out.total
                return
            k, d_m = moved
            out.delta[start : start + k + 1] = out.total
            out.total += d_m
            out.rebased[start + k] = True
            out.event_t_s = float(t_s[start + k])
            self.reset()
            start += k + 1

    def _scan(self, stretch: _Stretch) -> tuple[np.ndarray | None, tuple[int, float] | None]:
        """Flags over a stretch with one baseline (None: none) and the first re-estimate in
        it (index, moment change) or None; the state is carried to its end (undone by reset()
        if an event ends the stretch early)."""
        flag, flagged, e, d_m = kernels.shift_scan(
            *stretch,
            self._last,
            self._counts,
            self._ref,
            self._cum,
            *self._fast.state,
            self._limits,
            self._spans,
        )
        return (flag if flagged else None), ((e, d_m) if e >= 0 else None)


def _part(a: np.ndarray, part: slice) -> np.ndarray:
    """A stretch of an (n,) series, or a (1,) one that holds for the whole block."""
    return a if a.shape[0] == 1 else a[part]


def _cut(block: _Stretch, part: slice, delta_mx_nm: float) -> _Stretch:
    """The samples `part` of a block, the client moment re-estimated by delta_mx_nm."""
    feet_n, moment_x, f_c, m_cx, hands, off = block
    return _Stretch(
        feet_n[part], moment_x[part], _part(f_c, part), _part(m_cx, part) + delta_mx_nm,
        hands[part], off[part],
    )  # fmt: skip


def _stretches(refreshed: np.ndarray) -> tuple[list[int], list[int]]:
    """Starts and stops of the runs of samples where the baseline was not set anew."""
    edges = np.diff(refreshed.view(np.int8), prepend=1, append=1)
    return np.flatnonzero(edges == -1).tolist(), np.flatnonzero(edges == 1).tolist()
