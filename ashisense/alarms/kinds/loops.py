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
    feet_n: np.ndarray,
    region: np.ndarray,
    inside: np.ndarray,
    clear_below_n: float,
    out: np.ndarray,
) -> None:
    """Into out: the feet force where the region code is one of the rule's (inside[code]),
    else 0; at an unknown position (code -1), 0 under clear_below_n and NaN (keep the verdict)
    above. (Kernels fill arrays the caller makes: numba boxes a returned array slower.)"""
    for j in range(feet_n.shape[0]):
        code = int(region[j])  # integer codes, or the same as floats (fused.py)
        if code == -1:
            out[j] = 0.0 if feet_n[j] < clear_below_n else math.nan
        elif 0 <= code < inside.shape[0] and inside[code]:
            out[j] = feet_n[j]
        else:
            out[j] = 0.0


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
    value: np.ndarray,
    applies: np.ndarray,
    right_hand: np.ndarray,
) -> None:
    """Grip loss over a block of n samples, written into value, applies and right_hand (n,):
    the larger let-go of both bars (let_go_n) as a share of the therapist's weight (weight_n;
    not positive: unknown), where the feet carry at least on_client_share of it, and which
    hand (True: the right one let go more). Outputs given, not returned: a returned array
    costs the caller more than making it."""
    n = feet_n.shape[0]
    left, right = let_go_n(history_n, n, width, min_fraction)
    for j in range(n):
        value[j] = np.fmax(left[j], right[j]) / _positive(weight_n[j])
        right_hand[j] = right[j] > left[j]
    on_client(feet_n, weight_n, on_client_share, applies)


@njit(cache=True, nogil=True)
def bar_drop_carried(
    carry_n: np.ndarray,
    left_n: np.ndarray,
    right_n: np.ndarray,
    min_fraction: float,
    feet_n: np.ndarray,
    weight_n: np.ndarray,
    on_client_share: float,
    value: np.ndarray,
    applies: np.ndarray,
    right_hand: np.ndarray,
) -> None:
    """bar_drop on the block's bar loads preceded by carry_n, (2, lag), the window's carried
    samples (fused.py), which it shifts on by the block (in place)."""
    lag = carry_n.shape[1]
    history_n = np.empty((2, lag + left_n.shape[0]))
    history_n[0] = _joined(carry_n[0], left_n)
    history_n[1] = _joined(carry_n[1], right_n)
    _shift_in(carry_n[0], left_n)
    _shift_in(carry_n[1], right_n)
    share = on_client_share
    bar_drop(history_n, lag + 1, min_fraction, feet_n, weight_n, share, value, applies, right_hand)


@njit(cache=True, nogil=True, error_model="numpy")
def rise_per_s(t_s: np.ndarray, x: np.ndarray, lag: int, out: np.ndarray) -> None:
    """Into out: (x[j + lag] - x[j]) / (t_s[j + lag] - t_s[j]) for the last len - lag
    samples."""
    for j in range(out.shape[0]):
        out[j] = (x[j + lag] - x[j]) / (t_s[j + lag] - t_s[j])


@njit(cache=True, nogil=True, error_model="numpy")
def rise_carried(
    carry_t_s: np.ndarray, carry_x: np.ndarray, t_s: np.ndarray, x: np.ndarray, out: np.ndarray
) -> None:
    """rise_per_s over the block preceded by the window's carried samples (lag of them),
    which it shifts on by the block (in place)."""
    lag = carry_t_s.shape[0]
    rise_per_s(_joined(carry_t_s, t_s), _joined(carry_x, x), lag, out)
    _shift_in(carry_t_s, t_s)
    _shift_in(carry_x, x)


@njit(cache=True, nogil=True, error_model="numpy")
def share_of_weight(
    x_n: np.ndarray,
    feet_n: np.ndarray,
    weight_n: np.ndarray,
    on_client_share: float,
    value: np.ndarray,
    applies: np.ndarray,
) -> None:
    """Into value: x_n / W; into applies: where the feet carry at least on_client_share of W
    (on_client)."""
    for j in range(x_n.shape[0]):
        value[j] = x_n[j] / _positive(weight_n[j])
    on_client(feet_n, weight_n, on_client_share, applies)


@njit(cache=True, nogil=True)
def on_client(
    feet_n: np.ndarray, weight_n: np.ndarray, on_client_share: float, applies: np.ndarray
) -> None:
    """Into applies: where the feet carry at least on_client_share of W (W = weight_n where
    positive, else unknown: the limit does not apply)."""
    for j in range(feet_n.shape[0]):
        applies[j] = feet_n[j] >= on_client_share * _positive(weight_n[j])


@njit(cache=True, nogil=True)
def heavier_share(
    left_share: np.ndarray,
    bar_n: np.ndarray,
    min_bar_n: float,
    value: np.ndarray,
    applies: np.ndarray,
    right: np.ndarray,
) -> None:
    """Into value: the heavier bar's share of the bar load; applies: where the bars carry at
    least min_bar_n; right: whether it is the right bar (True also for NaN)."""
    for j in range(left_share.shape[0]):
        left = left_share[j]
        value[j] = np.maximum(left, 1.0 - left)
        applies[j] = bar_n[j] >= min_bar_n
        right[j] = not left >= 0.5


@njit(cache=True, nogil=True)
def _positive(w: float) -> float:
    """w where positive, else NaN (unknown)."""
    return w if w > 0 else math.nan


@njit(cache=True, nogil=True)
def _joined(carry: np.ndarray, x: np.ndarray) -> np.ndarray:
    """carry followed by x, as one new array."""
    lag = carry.shape[0]
    out = np.empty(lag + x.shape[0])
    out[:lag] = carry
    out[lag:] = x
    return out


@njit(cache=True, nogil=True)
def _shift_in(carry: np.ndarray, x: np.ndarray) -> None:
    """carry becomes the last len(carry) samples of carry followed by x (in place)."""
    lag, n = carry.shape[0], x.shape[0]
    for i in range(lag):  # ascending: reads index i + n before it is written
        k = i + n
        carry[i] = carry[k] if k < lag else x[k - lag]


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
    out: np.ndarray,
) -> None:
    """Into out: how long the feet have pressed within one spot at each sample (s; 0 where
    unloaded), on two grids offset by half a spot: the longer stay of both (NaN until both
    grids saw a stay begin). last_cell, start_s: (2,) per grid, the previous sample's cell (-1
    unloaded) and when its stay began; carried across blocks (updated in place)."""
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
