"""Compiled per-block kernels of the pipeline's streaming state (numba, cached on disk).

A live block is tens of samples, so a chain of numpy calls costs far more in call overhead
than in arithmetic; these kernels do each job in one call. Each does the same floating-point
operations in the same order as the numpy it replaced (no fastmath), so the estimates are
unchanged, and any cut of the stream still gives the same answer. Only the pipeline's stage
modules import this one: numba loads with the pipeline, not with the command line.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def runs(cond: np.ndarray, carried: int) -> np.ndarray:
    """(n,) int64: how many samples in a row cond (n,) bool has held, ending at each
    (carried: the run that ended the last block)."""
    out = np.empty(cond.shape[0], dtype=np.int64)
    r = carried
    for i in range(cond.shape[0]):
        r = r + 1 if cond[i] else 0
        out[i] = r
    return out


@njit(cache=True)
def first_refs(x: np.ndarray, ref: np.ndarray, has_ref: np.ndarray) -> bool:
    """Take each column's first valid value of x (k, n) as its reference where it has none
    yet (ref (k, 1), has_ref (k,), in place); returns whether every column has one."""
    k, n = x.shape
    every = True
    for j in range(k):
        if not has_ref[j]:
            for i in range(n):
                if not math.isnan(x[j, i]):
                    ref[j, 0] = x[j, i]
                    has_ref[j] = True
                    break
        every = every and has_ref[j]
    return every


@njit(cache=True)
def _window_sums(tail: np.ndarray, x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """(3k, w + n): the carried cumulative sums of [z, z^2, invalid] rebased to their first
    column, then summed on over x (k, n) with z = x - ref (0 where x is NaN)."""
    k, n = x.shape
    w = tail.shape[1]
    full = np.empty((3 * k, w + n))
    for r in range(3 * k):
        base = tail[r, 0]
        for c in range(w):
            full[r, c] = tail[r, c] - base
    for j in range(k):
        s, s2, nb = full[j, w - 1], full[k + j, w - 1], full[2 * k + j, w - 1]
        for i in range(n):
            v = x[j, i]
            if math.isnan(v):
                z = 0.0
                nb = nb + 1.0
            else:
                z = v - ref[j, 0]
            s = s + z
            s2 = s2 + z * z
            full[j, w + i] = s
            full[k + j, w + i] = s2
            full[2 * k + j, w + i] = nb
    return full


@njit(cache=True)
def rolling_push(
    tail: np.ndarray, ref: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Window statistics of a (k, n) block x (rolling.Rolling.push): complete, mean, sd,
    drift (k, n) each, and the new carried sums (3k, w); tail: the carried sums (3k, w),
    ref (k, 1) each column's offset."""
    k, n = x.shape
    w = tail.shape[1]
    full = _window_sums(tail, x, ref)
    complete = np.empty((k, n), dtype=np.bool_)
    mean = np.empty((k, n))
    sd = np.empty((k, n))
    drift = np.empty((k, n))
    h = w // 2
    for j in range(k):
        for i in range(n):
            m = (full[j, w + i] - full[j, i]) / w
            var = (full[k + j, w + i] - full[k + j, i]) / w - m * m
            if var < 0.0:
                var = 0.0
            complete[j, i] = full[2 * k + j, w + i] - full[2 * k + j, i] == 0
            mean[j, i] = m + ref[j, 0]
            sd[j, i] = math.sqrt(var)
            if w % 2:  # halves of h and h + 1 samples
                mid = full[j, h + i]
                drift[j, i] = (full[j, w + i] - mid) / (w - h) - (mid - full[j, i]) / h
            else:
                late = full[j, w + i] - full[j, h + i]
                drift[j, i] = (late - (full[j, h + i] - full[j, i])) / h
    return complete, mean, sd, drift, full[:, n:].copy()


@njit(cache=True)
def trailing_sums(
    cum: np.ndarray, x: np.ndarray, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(k, n) sums of x (k, n) over the `length` (n,) samples ending at each (at most h, a
    NaN counting as 0) and the new carried sums (k, h); cum: the carried sums (k, h)."""
    k, n = x.shape
    h = cum.shape[1]
    full = np.empty((k, h + n))
    out = np.empty((k, n))
    for j in range(k):
        for c in range(h):
            full[j, c] = cum[j, c]
        s = 0.0
        carried = cum[j, h - 1]
        for i in range(n):
            v = x[j, i]
            s = s + (0.0 if math.isnan(v) else v)
            full[j, h + i] = s + carried
        for i in range(n):
            lo = h + i - min(length[i], h)
            out[j, i] = full[j, h + i] - full[j, lo]
    new = np.empty((k, h))
    for j in range(k):
        base = full[j, n]
        for c in range(h):
            new[j, c] = full[j, n + c] - base
    return out, new
