"""Statistics of the sliding window that ends at each sample of a block, carried across blocks.

Used to find stable stretches (client baseline, bar zero, still therapist, client motion) at
the exact sample where they occur, whatever the block size. One cumulative sum per block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WindowStats:
    """Per sample of the block, over the `size` samples ending there: (n, k) arrays.

    complete: the window holds `size` valid (non-NaN) samples of that column.
    mean, sd: per column; drift: mean of the window's second half minus its first half.
    """

    complete: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    drift: np.ndarray


class Rolling:
    """Sliding-window mean, sd and drift of a k-column stream; NaN makes a window incomplete."""

    def __init__(self, size: int, columns: int) -> None:
        if size < 2:
            raise ValueError(f"Rolling: size must be >= 2 samples, got {size}")
        self.size = size
        self.columns = columns
        self.reset()

    def reset(self) -> None:
        """Forget the past (after a gap): windows are incomplete until refilled."""
        self._tail = np.full((self.size - 1, self.columns), np.nan)
        self._ref = np.zeros(self.columns)  # removes each column's offset before squaring
        self._has_ref = np.zeros(self.columns, dtype=bool)

    def push(self, x: np.ndarray) -> WindowStats:
        """Add a (n, k) block; returns the statistics of the window ending at each new sample."""
        x = np.asarray(x, dtype=np.float64)
        n, w, k = x.shape[0], self.size, self.columns
        both = np.concatenate([self._tail, x])
        self._tail = both[-(w - 1) :]
        bad = np.isnan(both)
        if not self._has_ref.all():
            good = ~bad
            seen = good.any(axis=0) & ~self._has_ref
            self._ref[seen] = both[np.argmax(good, axis=0), np.arange(k)][seen]
            self._has_ref |= seen
        z = np.where(bad, 0.0, both - self._ref)
        # One cumulative sum of [z, z^2, bad] with a leading zero row.
        c = np.zeros((n + w, 3 * k))
        np.cumsum(np.concatenate([z, z * z, bad], axis=1), axis=0, out=c[1:])
        end = c[w:]
        start = c[:n]
        mid = c[w // 2 : w // 2 + n]
        sums = end - start
        mean = sums[:, :k] / w
        var = sums[:, k : 2 * k] / w - mean * mean
        drift = (end[:, :k] - mid[:, :k]) / (w - w // 2) - (mid[:, :k] - start[:, :k]) / (w // 2)
        return WindowStats(
            complete=sums[:, 2 * k :] == 0,
            mean=mean + self._ref,
            sd=np.sqrt(np.maximum(var, 0.0)),
            drift=drift,
        )
