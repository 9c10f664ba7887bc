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
        # (sections, 2): the steady state for input 1
        self._zi_unit = np.ascontiguousarray(signal.sosfilt_zi(self.sos))
        self.columns = columns
        self.reset()

    def reset(self) -> None:
        """Forget the past (after a gap): each column restarts at steady state on its next value."""
        self._zi = np.zeros((self.sos.shape[0], 2, self.columns))
        self._last = np.full(self.columns, np.nan)
        self._started = np.zeros(self.columns, dtype=bool)

    @property
    def state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """sos, zi, the steady state for input 1, the last valid values and which columns
        have started: kernels.low_pass's arguments besides x, carried on in place."""
        return self.sos, self._zi, self._zi_unit, self._last, self._started

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Filter a (n, k) block; returns (n, k) float64, NaN where x is NaN."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape[0] == 0:
            return x.copy()
        y: np.ndarray = kernels.low_pass(x, *self.state)
        return y
