"""Compiled per-sample loops of the force rule kinds whose numpy form takes a dozen calls a block.

A live block is 1 to 8 samples: there a numpy call costs far more than its arithmetic, and a
rule written as one loop over the block (numba) costs a microsecond where its array form cost
tens. Each loop does the same floating-point operations in the same order as the array form
it replaced (tests/test_alarms_vectorised.py holds the engine to a plain reference).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def region_force(
    feet_n: np.ndarray, region: np.ndarray, inside: np.ndarray, clear_below_n: float
) -> np.ndarray:
    """The feet force where the region code is one of the rule's (inside[code]), else 0; at
    an unknown position (code -1), 0 under clear_below_n and NaN (keep the verdict) above."""
    out = np.empty(feet_n.shape[0])
    for j in range(feet_n.shape[0]):
        code = region[j]
        if code == -1:
            out[j] = 0.0 if feet_n[j] < clear_below_n else math.nan
        elif 0 <= code < inside.shape[0] and inside[code]:
            out[j] = feet_n[j]
        else:
            out[j] = 0.0
    return out


@njit(cache=True, nogil=True)
def let_go_n(history_n: np.ndarray, n: int, width: int, min_fraction: float) -> np.ndarray:
    """(2, n): per bar, how much of its load went within the window of each of the last n
    samples (the sample and the `width - 1` before it, NaN passed over), 0 unless at least
    min_fraction of the most the window held (and that is finite). history_n: (2, m), m >= n,
    the bars' loads (left, right) with the samples before the block."""
    m = history_n.shape[1]
    out = np.zeros((2, n))
    for b in range(2):
        for j in range(n):
            end = m - n + j
            most = math.nan
            for k in range(max(0, end - width + 1), end + 1):
                x = history_n[b, k]
                if not math.isnan(x) and (math.isnan(most) or x > most):
                    most = x
            drop = most - history_n[b, end]
            if math.isfinite(most) and drop >= min_fraction * most:
                out[b, j] = drop
    return out


@njit(cache=True, nogil=True)
def bar_drop(
    history_n: np.ndarray,
    width: int,
    min_fraction: float,
    feet_n: np.ndarray,
    weight_n: np.ndarray,
    on_client_share: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grip loss over a block of n samples: the larger let-go of both bars (let_go_n) as a
    share of the therapist's weight, where the feet carry at least on_client_share of it, and
    which hand (True: the right one let go more)."""
    n = feet_n.shape[0]
    left, right = let_go_n(history_n, n, width, min_fraction)
    value = np.empty(n)
    applies = np.empty(n, dtype=np.bool_)
    for j in range(n):
        value[j] = np.fmax(left[j], right[j]) / weight_n[j]
        applies[j] = feet_n[j] >= on_client_share * weight_n[j]
    return value, applies, right > left


@njit(cache=True, nogil=True)
def dwell_held_s(
    t_s: np.ndarray,
    x_m: np.ndarray,
    y_m: np.ndarray,
    feet_n: np.ndarray,
    min_force_n: float,
    spot_m: float,
    last_cell: np.ndarray,
    start_s: np.ndarray,
) -> np.ndarray:
    """How long the feet have pressed within one spot at each sample (s; 0 where unloaded),
    on two grids offset by half a spot: the longer stay of both (NaN until both grids saw a
    stay begin). last_cell, start_s: (2,) per grid, the previous sample's cell (-1 unloaded)
    and when its stay began; carried across blocks (updated in place)."""
    out = np.empty(t_s.shape[0])
    for j in range(t_s.shape[0]):
        loaded = np.isfinite(x_m[j]) and np.isfinite(y_m[j]) and feet_n[j] >= min_force_n
        for g in range(2):
            cell = -1.0
            if loaded:
                offset = 0.5 * g
                ix = np.floor(x_m[j] / spot_m + offset)
                iy = np.floor(y_m[j] / spot_m + offset)
                cell = ix * 100_003 + iy
            if cell != last_cell[g]:
                start_s[g] = t_s[j]
            last_cell[g] = cell
        held_s = (t_s[j] - start_s[0], t_s[j] - start_s[1])
        longer_s = math.nan if math.isnan(held_s[0] + held_s[1]) else max(held_s)
        out[j] = longer_s if loaded else 0.0
    return out
