"""Condition delay and clearing hysteresis over a block of samples, state carried across blocks.

A rule's measured value gives two boolean series: `raise_cond` (past the limit) and
`clear_cond` (back inside the limit by the hysteresis). The alarm condition starts once
raise_cond has held for `delay_s` and ends once clear_cond has held for `clear_delay_s`.
Samples whose value is unknown (NaN) keep the previous known sample's verdict: an invalid
sample neither starts nor stops a condition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def forward_fill(flags: np.ndarray, known: np.ndarray, carry: bool) -> np.ndarray:
    """flags where known, else the last known flag before it (`carry` before the first)."""
    idx = np.where(known, np.arange(flags.shape[0]), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, flags[np.maximum(idx, 0)], carry)


def run_held_s(cond: np.ndarray, t_s: np.ndarray, carry_start_s: float) -> tuple[np.ndarray, float]:
    """How long cond has held continuously at each sample (-inf where it is False).

    carry_start_s: start time of the run still going at the end of the previous block (NaN if
    the previous sample was False). Returns the held times and the carry for the next block.
    """
    n = cond.shape[0]
    prev = np.empty(n, dtype=bool)
    prev[0] = not math.isnan(carry_start_s)
    prev[1:] = cond[:-1]
    start_s = np.where(cond & ~prev, t_s, np.nan)
    if n and cond[0] and prev[0]:
        start_s[0] = carry_start_s
    idx = np.where(np.isnan(start_s), -1, np.arange(n))
    np.maximum.accumulate(idx, out=idx)
    run_start_s = start_s[np.maximum(idx, 0)]
    held = np.where(cond, t_s - run_start_s, -np.inf)
    carry = float(run_start_s[-1]) if n and cond[-1] else math.nan
    return held, carry


@dataclass
class ConditionTimer:
    """Turns per-sample raise/clear verdicts into condition on/off transitions.

    delay_s: how long raise_cond must hold before the condition starts. clear_delay_s: how
    long clear_cond must hold before it ends. `active` is the condition at the last sample.
    """

    delay_s: float
    clear_delay_s: float
    active: bool = False
    _raise_last: bool = False
    _clear_last: bool = True
    _raise_start_s: float = math.nan
    _clear_start_s: float = math.nan

    @property
    def waiting(self) -> bool:
        """The verdict that can change the condition (raise_cond while it is off, clear_cond
        while on) held at the last sample: a block where it holds nowhere is quiet only if
        this is False (its run would go on into the block)."""
        return self._clear_last if self.active else self._raise_last

    def update(
        self, t_s: np.ndarray, raise_cond: np.ndarray, clear_cond: np.ndarray, known: np.ndarray
    ) -> list[tuple[int, bool]]:
        """Sample indices where the condition starts (True) or ends (False), in order."""
        if t_s.shape[0] == 0:
            return []
        # Fast path, the usual case: nothing in this block can change the condition. While it
        # is off only the raise run matters (and vice versa): a run of the other verdict
        # cannot span the moment the condition changes.
        waiting, carry = (
            (clear_cond, self._clear_last) if self.active else (raise_cond, self._raise_last)
        )
        if not np.count_nonzero(waiting) and (not carry or np.count_nonzero(known) == known.size):
            if self.active:
                self._clear_last, self._clear_start_s = False, math.nan
            else:
                self._raise_last, self._raise_start_s = False, math.nan
            return []
        raise_ff = forward_fill(raise_cond, known, self._raise_last)
        clear_ff = forward_fill(clear_cond, known, self._clear_last)
        self._raise_last, self._clear_last = bool(raise_ff[-1]), bool(clear_ff[-1])
        raise_held, self._raise_start_s = run_held_s(raise_ff, t_s, self._raise_start_s)
        clear_held, self._clear_start_s = run_held_s(clear_ff, t_s, self._clear_start_s)
        # One vectorized search per transition: transitions are few, samples many.
        out: list[tuple[int, bool]] = []
        i = 0
        while i < t_s.shape[0]:
            if self.active:
                hits = np.flatnonzero(clear_held[i:] >= self.clear_delay_s)
            else:
                hits = np.flatnonzero(raise_held[i:] >= self.delay_s)
            if hits.size == 0:
                break
            i += int(hits[0])
            self.active = not self.active
            out.append((i, self.active))
            i += 1
        return out
