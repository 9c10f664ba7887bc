"""Bar zero tracking, as scales do it: follow slow drift while unloaded, bounded and logged."""

from __future__ import annotations

import logging

import numpy as np

from ashisense.pipeline import kernels
from ashisense.pipeline.rolling import Rolling

log = logging.getLogger(__name__)


class BarZeroTracker:
    """Keeps a per-channel correction (N) that is added to the calibrated bar forces.

    When every bar channel has stayed within band_n of zero with sd under sd_n for a whole
    window, each channel's zero moves by its window mean from the next sample on; the total
    correction is clipped to +-limit_n (drift beyond that is a fault, not drift) and every
    move is logged.
    """

    def __init__(
        self, names: tuple[str, ...], window: int, band_n: float, sd_n: float, limit_n: float
    ) -> None:
        self.names = names
        self.band_n, self.sd_n, self.limit_n = band_n, sd_n, limit_n
        self._limits = np.array([band_n, sd_n])
        self.correction_n = np.zeros(len(names))
        self._rolling = Rolling(window, len(names))
        self._empty = True  # the window holds nothing since the last reset
        self.loaded = False  # the last block had a bar loaded throughout: the zero held still

    def reset(self) -> None:
        """Forget the window (after a gap); the correction stays."""
        if not self._empty:
            self._rolling.reset()
            self._empty = True

    def apply(self, bar_n: np.ndarray) -> np.ndarray:
        """Correct a (B, n) block of calibrated bar forces (a row per channel) in place, then
        track the zero from it; returns the block."""
        out = bar_n
        # Some channel loaded in every sample (NaN is not loaded): nothing to track.
        self.loaded = kernels.zero_correct(out, self.correction_n, self.band_n)
        if self.loaded:
            self.reset()
            return out
        # A move applies from the sample after its window (not from the next block): the
        # same zeros however the stream was cut. Each move needs a fresh window, so there
        # are at most a few per block.
        start, n = 0, out.shape[1]
        mean_n = np.empty(len(self.names))
        while start < n:
            self._empty = False
            first = kernels.zero_window(out, start, *self._rolling.state, self._limits, mean_n)
            if first < 0:
                break
            before = self.correction_n
            self.set_zero(mean_n, "unloaded")
            start += first + 1
            out[:, start:] += (self.correction_n - before)[:, None]
        return out

    def set_zero(self, residual_n: np.ndarray, why: str) -> None:
        """Move the zero so that `residual_n` (the corrected reading now) reads 0, bounded."""
        wanted = self.correction_n - residual_n
        new = np.clip(wanted, -self.limit_n, self.limit_n)
        if np.any(new != wanted):
            log.warning(
                "bar zero tracking (%s) at its limit of +-%g N: %s",
                why,
                self.limit_n,
                {n: round(float(w), 2) for n, w in zip(self.names, wanted, strict=True)},
            )
        if np.any(np.abs(new - self.correction_n) > 0.05):
            log.info(
                "bar zero tracked (%s): %s N",
                why,
                {n: round(float(c), 2) for n, c in zip(self.names, new, strict=True)},
            )
        self.correction_n = new
        self.reset()  # the next move needs a fresh window of corrected readings
