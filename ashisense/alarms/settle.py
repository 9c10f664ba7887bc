"""The engine's quiet-block screen: one compiled pass over every rule's block of values.

Most blocks change no rule's condition: nothing starts it while it is off, nothing ends it while
it is on. For those rules the engine only keeps the last known value and the episode's peak.
`settle` decides which rules are quiet and keeps their values, in one loop over rules and
samples (numba: a block of 8 samples costs microseconds, where a dozen numpy calls cost tens).
The others go through the full comparison (engine._compare), which this never replaces.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


class RuleArrays:
    """Per-rule values the screen reads and writes for all rules at once (index: the rule's
    place in the engine): last known value, episode peak, the condition, whether the verdict
    that can change it held at the previous sample (ConditionTimer.waiting), whether the limit
    is an upper one, and the test of that verdict: value * factor >= threshold (factor -1
    flips a clearing test `value <= clear` into the same form)."""

    def __init__(self, n_rules: int) -> None:
        # two arrays for the screen (each argument costs its call), named rows for the rest
        self._reals = np.zeros((4, n_rules))
        self.value, self.peak, self.factor, self.threshold = self._reals
        self.value[:] = self.peak[:] = np.nan
        self.factor[:] = 1.0
        self._flags = np.zeros((3, n_rules), dtype=bool)
        self.active, self.waiting, self.above = self._flags
        self.above[:] = True

    def set_verdict(self, i: int, above: bool, limit: float, hysteresis: float) -> None:
        """The test of rule i's changing verdict: while off, sign * value > start (sign -1 for
        a lower limit), written value * sign >= the next float above start; while on,
        sign * value <= clear (the limit back by the hysteresis), written value * -sign >=
        -clear. NaN fails both, as it does in the full comparison."""
        sign = 1.0 if above else -1.0
        start = sign * limit
        self.above[i] = above
        if self.active[i]:
            self.factor[i], self.threshold[i] = -sign, hysteresis - start
        else:
            self.factor[i], self.threshold[i] = sign, np.nextafter(start, math.inf)

    def settle(self, rows: np.ndarray, values: np.ndarray, applies: np.ndarray) -> np.ndarray:
        """(k,) bool: the rules (at `rows`) whose condition this block may change; for the
        others, keep the newest known value and, while on, the episode's peak.

        values: (k, n) float64, each rule's measured values. applies: (k, n) bool, where each
        rule's limit holds (elsewhere the value is not shown, and an active condition ends).
        """
        busy = np.empty(rows.shape[0], dtype=bool)
        _settle(rows, values, applies, self._reals, self._flags, busy)
        return busy


@njit(cache=True, nogil=True)
def _settle(
    rows: np.ndarray,
    values: np.ndarray,
    applies: np.ndarray,
    reals: np.ndarray,
    flags: np.ndarray,
    busy: np.ndarray,
) -> None:
    value, peak, factor, threshold = reals[0], reals[1], reals[2], reals[3]
    active, waiting, above = flags[0], flags[1], flags[2]
    n = values.shape[1]
    for i in range(rows.shape[0]):
        r = rows[i]
        changing = waiting[r]
        for j in range(n):
            if applies[i, j]:
                changing |= values[i, j] * factor[r] >= threshold[r]
            else:  # NaN where the limit does not apply: fails the verdict, ends a condition
                changing |= active[r]
            if changing:
                break
        busy[i] = changing
        if changing:
            continue
        for j in range(n - 1, -1, -1):
            if applies[i, j] and not math.isnan(values[i, j]):
                value[r] = values[i, j]
                break
        if active[r]:
            peak[r] = _extreme(peak[r], values[i], applies[i], above[r])


@njit(cache=True, nogil=True)
def _extreme(start: float, x: np.ndarray, applies: np.ndarray, above: bool) -> float:
    """np.fmax.reduce (np.fmin for a lower limit) of x where it applies, from `start`: NaN is
    passed over."""
    out = start
    for j in range(x.shape[0]):
        if not applies[j] or math.isnan(x[j]):
            continue
        if math.isnan(out) or (x[j] > out if above else x[j] < out):
            out = x[j]
    return out
