"""Statistics of the sliding window that ends at each sample of a block, carried across blocks.

Used to find stable stretches (client baseline, bar zero, still therapist, client motion) at
the exact sample where they occur, whatever the block size. The running sums of the last
window are carried from block to block (rebased to the window's start, so they stay small),
so each block costs one cumulative sum over its own samples only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ashisense.pipeline import kernels


class WindowStats(NamedTuple):
    """Per sample of the block, over the `size` samples ending there: (k, n) arrays, one row
    per column of the stream (each a contiguous series).

    complete: the window holds `size` valid (non-NaN) samples of that column.
    mean, sd: per column; drift: mean of the window's second half minus its first half.
    """

    complete: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    drift: np.ndarray


def samples_in(seconds: float, rate_hz: float) -> int:
    """A window of `seconds` at `rate_hz`, in samples (at least the 2 a Rolling needs)."""
    return max(2, round(seconds * rate_hz))


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
        # size - 1 invalid samples preceded the stream. Rebased to their first column as the
        # next block starts, so that they stay the size of a window's sums.
        self._tail = np.zeros((3 * k, w))
        self._tail[2 * k :] = np.arange(w)

    def push(self, x: np.ndarray) -> WindowStats:
        """Add a (n, k) block; returns the statistics of the window ending at each new sample."""
        x = np.asarray(x, dtype=np.float64).T  # (k, n)
        if not self._all_ref and x.shape[1]:
            self._all_ref = kernels.first_refs(x, self._ref, self._has_ref)
        return WindowStats(*kernels.rolling_push(self._tail, self._ref, x))

    @property
    def state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The carried sums (3k, w), column offsets (k, 1) and which columns have one (k,),
        for a kernel that pushes this window itself (kernels.held_x), in place."""
        return self._tail, self._ref, self._has_ref


class TrailingSums:
    """Sums of k columns over a trailing stretch of each sample's own length (at most `span`
    samples), carried from block to block: the running sums of the last `span` samples are
    kept, rebased so they stay small."""

    def __init__(self, rows: int, span: int) -> None:
        self.span = span
        self._cum = np.zeros((rows, span))

    def reset(self) -> None:
        """Forget the past (after a gap)."""
        self._cum[:] = 0.0

    def push(self, x: np.ndarray, length: np.ndarray) -> np.ndarray:
        """(k, n) the sums of x (k, n) over the `length` (n,) samples ending at each sample
        (at most span; a NaN counts as 0)."""
        out: np.ndarray = kernels.trailing_sums(self._cum, x, length)
        return out

    @property
    def sums(self) -> np.ndarray:
        """The carried running sums (k, span), for a kernel that pushes them itself, in place."""
        return self._cum
