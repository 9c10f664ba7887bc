"""A straightforward reference for the alarm engine's block stage: every rule compared sample
by sample on every block, with no quiet-block screening over the rule arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from ashisense.alarms import AlarmEngine, AlarmEvent
from ashisense.alarms.kinds import Measurer, Signals


class ReferenceEngine(AlarmEngine):
    """An AlarmEngine whose every block goes through the full per-rule comparison, each rule
    measured alone (its own measurer, from its first block on)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._alone: dict[str, Measurer] = {}

    def _evaluate(self, c: Any, sig: Signals, t_s: np.ndarray) -> list[AlarmEvent]:
        events: list[AlarmEvent] = []
        for rt in c.rules:
            if rt.spec.id not in self._alone:
                self._alone[rt.spec.id] = rt.spec.measurer(self.ctx)
            events += self._advance(rt, t_s, self._alone[rt.spec.id](sig))
        return events


def let_go_reference(history_n: np.ndarray, n: int, width: int, min_fraction: float) -> np.ndarray:
    """(rows, n): for each of the last n samples, its drop from the largest non-NaN value of
    the `width` samples up to it, kept where it is at least min_fraction of that (finite)
    largest value, else 0; one window at a time."""
    m = history_n.shape[-1]
    out = np.zeros((history_n.shape[0], n))
    for j in range(n):
        end = m - n + j
        window = history_n[:, max(0, end - width + 1) : end + 1]
        known = ~np.isnan(window)
        most = np.where(known.any(axis=-1), np.where(known, window, -np.inf).max(axis=-1), np.nan)
        with np.errstate(invalid="ignore"):
            drop = most - history_n[:, end]
            keep = np.isfinite(most) & (drop >= min_fraction * most)
        out[:, j] = np.where(keep, drop, 0.0)
    return out
