"""A straightforward reference for the alarm engine's block stage: every rule compared sample
by sample on every block, with no quiet-block screening over the rule arrays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ashisense.alarms import AlarmEngine, AlarmEvent


class ReferenceEngine(AlarmEngine):
    """An AlarmEngine whose every block goes through the full per-rule comparison."""

    def _evaluate(self, c: Any, sig: Mapping[str, Any], t_s: np.ndarray) -> list[AlarmEvent]:
        events: list[AlarmEvent] = []
        for rt in c.rules:
            events += self._advance(rt, t_s, rt.measure(sig))
        return events


def trailing_max_reference(x: np.ndarray, width: int) -> np.ndarray:
    """The largest non-NaN value of each run of `width` samples, one window at a time."""
    m = x.shape[-1] - width + 1
    out = np.full((*x.shape[:-1], m), np.nan)
    for j in range(m):
        window = x[..., j : j + width]
        known = ~np.isnan(window)
        out[..., j] = np.where(
            known.any(axis=-1), np.where(known, window, -np.inf).max(axis=-1), np.nan
        )
    return out
