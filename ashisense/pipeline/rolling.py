"""Statistics of the sliding window that ends at each sample of a block, carried across blocks.

Used to find stable stretches (client baseline, bar zero, still therapist) at the exact sample
where they occur, whatever the block size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WindowStats:
    """Per sample of the block, over the `size` samples ending there: (n, k) arrays.

    complete: (n,) bool, the window holds `size` valid samples in every column.
    mean, sd: per column; drift: mean of the window's second half minus its first half;
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
        self._ref = np.full(self.columns, np.nan)

    def push(self, x: np.ndarray) -> WindowStats:
        """Add a (n, k) block; returns the statistics of the window ending at each new sample."""
        x = np.asarray(x, dtype=np.float64)
        n, w = x.shape[0], self.size
        both = np.concatenate([self._tail, x])
        self._tail = both[-(w - 1) :]
        bad = np.isnan(both)
        if np.isnan(self._ref).any():  # a reference removes the offset before squaring
            first = both[np.argmax(~bad, axis=0), np.arange(self.columns)]
            self._ref = np.where(np.isnan(self._ref), first, self._ref)
        z = np.where(bad, 0.0, both - np.nan_to_num(self._ref))
        zero = np.zeros((1, self.columns))
        c1 = np.concatenate([zero, np.cumsum(z, axis=0)])
        c2 = np.concatenate([zero, np.cumsum(z * z, axis=0)])
        cb = np.concatenate([[0], np.cumsum(bad.any(axis=1))])
        end = np.arange(w, w + n)
        start = end - w
        mid = start + w // 2
        s1 = c1[end] - c1[start]
        mean = s1 / w
        var = (c2[end] - c2[start]) / w - mean * mean
        first = (c1[mid] - c1[start]) / (w // 2)
        second = (c1[end] - c1[mid]) / (w - w // 2)
        return WindowStats(
            complete=(cb[end] - cb[start]) == 0,
            mean=mean + self._ref,
            sd=np.sqrt(np.maximum(var, 0.0)),
            drift=second - first,
        )
