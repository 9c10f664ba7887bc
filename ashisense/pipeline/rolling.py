"""Statistics of the sliding window that ends at each sample of a block, carried across blocks.

Used to find stable stretches (client baseline, bar zero, still therapist, client motion) at
the exact sample where they occur, whatever the block size. The running sums of the last
window are carried from block to block (rebased to the window's start, so they stay small),
so each block costs one cumulative sum over its own samples only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WindowStats:
    """Per sample of the block, over the `size` samples ending there: (k, n) arrays, one row
    per column of the stream (each a contiguous series).

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
        w, k = self.size, self.columns
        self._ref = np.zeros((k, 1))  # removes each column's offset before squaring
        self._has_ref = np.zeros(k, dtype=bool)
        self._all_ref = False
        # Cumulative sums of [z, z^2, invalid] (rows) at the last `size` positions: as if
        # size - 1 invalid samples preceded the stream.
        self._cum = np.zeros((3 * k, w))
        self._cum[2 * k :] = np.arange(w)

    def push(self, x: np.ndarray) -> WindowStats:
        """Add a (n, k) block; returns the statistics of the window ending at each new sample."""
        x = np.asarray(x, dtype=np.float64).T  # (k, n)
        k, n = x.shape
        w = self.size
        bad = np.isnan(x)
        any_bad = np.count_nonzero(bad)
        if not self._all_ref and n:
            good = ~bad
            seen = good.any(axis=1) & ~self._has_ref
            self._ref[seen, 0] = x[np.arange(k), np.argmax(good, axis=1)][seen]
            self._has_ref |= seen
            self._all_ref = bool(self._has_ref.all())
        # full: the carried cumulative sums, then this block's ([z, z^2, bad] summed on).
        full = np.empty((3 * k, w + n))
        full[:, :w] = self._cum
        new = full[:, w:]
        z = new[:k]
        np.subtract(x, self._ref, out=z)
        summed = new if any_bad else new[: 2 * k]  # nothing invalid: the count stays
        if any_bad:
            z[bad] = 0.0
            new[2 * k :] = bad
        else:
            new[2 * k :] = self._cum[2 * k :, -1:]
        np.multiply(z, z, out=new[k : 2 * k])
        np.cumsum(summed, axis=1, out=summed)
        summed += self._cum[: len(summed), -1:]
        if n:
            self._cum = full[:, -w:] - full[:, -w, None]
        end = full[:, w:]
        start = full[:, :n]
        mid = full[:k, w // 2 : w // 2 + n]
        sums = end - start
        mean = sums[:k] / w
        var = sums[k : 2 * k] / w - mean * mean
        drift = (end[:k] - mid) / (w - w // 2) - (mid - start[:k]) / (w // 2)
        return WindowStats(
            complete=sums[2 * k :] == 0,
            mean=mean + self._ref,
            sd=np.sqrt(np.maximum(var, 0.0)),
            drift=drift,
        )
