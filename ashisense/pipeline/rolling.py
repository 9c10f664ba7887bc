"""Statistics of the sliding window that ends at each sample of a block, carried across blocks.

Used to find stable stretches (client baseline, bar zero, still therapist, client motion) at
the exact sample where they occur, whatever the block size. The running sums of the last
window are carried from block to block (rebased to the window's start, so they stay small),
so each block costs one cumulative sum over its own samples only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


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


def runs(cond: np.ndarray, carried: int) -> np.ndarray:
    """(n,) int: how many samples in a row cond (n,) bool has held, ending at each (carried:
    the run that ended the last block)."""
    n = cond.shape[0]
    idx = np.arange(n)
    if np.count_nonzero(cond) == n:  # (common: no break in the block)
        return idx + (1 + carried)
    last_false = np.where(cond, -1, idx)
    np.maximum.accumulate(last_false, out=last_false)
    return np.where(last_false >= 0, idx - last_false, idx + 1 + carried)


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
        np.subtract(self._tail, self._tail[:, :1], out=full[:, :w])
        new = full[:, w:]
        z = new[:k]
        np.subtract(x, self._ref, out=z)
        if any_bad:
            z[bad] = 0.0
            new[2 * k :] = bad
            rows = 3 * k
        else:  # nothing invalid: the invalid count stays where it was
            new[2 * k :] = full[2 * k :, w - 1 : w]
            rows = 2 * k
        np.multiply(z, z, out=new[k : 2 * k])
        run = full[:rows, w - 1 :]  # summed on from the last carried sums
        np.add.accumulate(run, axis=1, out=run)
        self._tail = full[:, -w:]
        sums = full[:, w:] - full[:, :n]
        moments = sums[: 2 * k] / w
        mean = moments[:k]
        var = moments[k:] - mean * mean
        np.maximum(var, 0.0, out=var)
        h = w // 2
        if w % 2:  # halves of h and h + 1 samples
            mid = full[:k, h : h + n]
            drift = (full[:k, w:] - mid) / (w - h) - (mid - full[:k, :n]) / h
        else:  # sums over every h samples, then the later half's minus the earlier's
            halves = full[:k, h : w + n] - full[:k, : w + n - h]
            drift = (halves[:, h:] - halves[:, :n]) / h
        return WindowStats(
            complete=sums[2 * k :] == 0,
            mean=mean + self._ref,
            sd=np.sqrt(var, out=var),
            drift=drift,
        )


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
        h = self.span
        k, n = x.shape
        bad = np.isnan(x)
        if np.count_nonzero(bad):
            x = np.where(bad, 0.0, x)
        cum = np.empty((k, h + n))  # column h + i holds the sums up to sample i
        cum[:, :h] = self._cum
        np.add.accumulate(x, axis=1, out=cum[:, h:])
        cum[:, h:] += self._cum[:, -1:]
        self._cum = cum[:, -h:] - cum[:, -h : -h + 1]
        lo = np.arange(h, h + n)
        lo -= np.minimum(length, h)
        return cum[:, h:] - cum[:, lo]
