"""Streaming low-pass for display: Butterworth SOS with its state carried between blocks.

A NaN input yields a NaN output and the filter holds the last valid value meanwhile, so one bad
sample cannot poison the state; filtering in chunks gives the same output as one pass. The
sections run in a compiled kernel (kernels.py) doing lfilter's transposed direct form: this
runs on every live block, where scipy's per-call checks and dispatch cost more than the
filtering (tests/test_pipeline_filters.py holds the result to scipy's sosfilt).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from ashisense.pipeline import kernels


class StreamingLowPass:
    """Low-pass k columns of a (n, k) stream; state (zi, last valid value) is carried."""

    def __init__(self, cutoff_hz: float, rate_hz: float, columns: int, order: int = 2) -> None:
        if not 0 < cutoff_hz < rate_hz / 2:
            raise ValueError(
                f"StreamingLowPass: cutoff_hz must be in (0, rate_hz/2 = {rate_hz / 2:g}), "
                f"got {cutoff_hz:g}"
            )
        self.sos = signal.butter(order, cutoff_hz, fs=rate_hz, output="sos")
        self._zi_unit = signal.sosfilt_zi(self.sos)  # (sections, 2): steady state for input 1
        self.columns = columns
        self.reset()

    def reset(self) -> None:
        """Forget the past (after a gap): each column restarts at steady state on its next value."""
        self._zi = np.zeros((self.sos.shape[0], 2, self.columns))
        self._last = np.full(self.columns, np.nan)
        self._started = np.zeros(self.columns, dtype=bool)
        self._all_started = False

    def _start(self, filled: np.ndarray) -> np.ndarray:
        """Start the columns that see their first valid value in this block (held-filled)
        at steady state there; returns the block with the values before any filled in."""
        unknown = np.isnan(filled)  # only before a column's first valid value ever
        seen = ~unknown.all(axis=0)
        new = seen & ~self._started
        first = filled[np.argmax(~unknown, axis=0), np.arange(self.columns)]
        self._zi[:, :, new] = self._zi_unit[:, :, None] * first[new]
        self._started |= new
        self._all_started = bool(self._started.all())
        return np.where(unknown, np.where(seen, first, 0.0), filled)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Filter a (n, k) block; returns (n, k) float64, NaN where x is NaN."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape[0] == 0:
            return x.copy()
        if self._all_started:  # (the rest of a stream: one call)
            y: np.ndarray = kernels.low_pass(self.sos, self._zi, x, self._last)
            return y
        bad = np.isnan(x)
        any_bad = np.count_nonzero(bad)
        filled = _hold_last(x, bad, self._last) if any_bad else x
        self._last = filled[-1].copy()
        filled = self._start(filled)
        y = kernels.sos_cascade(self.sos, self._zi, filled)
        if any_bad:
            y[bad] = np.nan
        return y


def _hold_last(x: np.ndarray, bad: np.ndarray, last: np.ndarray) -> np.ndarray:
    """x with each NaN replaced by the column's previous valid value (from `last` at the start)."""
    idx = np.where(bad, -1, np.arange(x.shape[0])[:, None])
    np.maximum.accumulate(idx, axis=0, out=idx)
    out = x[np.maximum(idx, 0), np.arange(x.shape[1])]
    return np.where(idx < 0, last, out)
