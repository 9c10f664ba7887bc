"""A press and its moment: the feet force, body region and pressure when the client pressed,
and the feet force PRESS_FOLLOW_UP_S later (what the therapist did next).

Pure: estimate blocks and presses in, PressRecords out; no thread, clock or I/O. A press is
given at once with what is known (its follow-up NaN), and again, complete, once the estimates
reach its follow-up time; `flush` gives the ones still waiting when a session ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ashisense.bodymap import REGIONS
from ashisense.pipeline.types import EstimateBlock
from ashisense.store.records import PRESS_FOLLOW_UP_S, PressRecord

#: Estimates kept to find the moment of a press that arrives after later samples (s): a
#: device may send its EVENT after a few seconds of samples.
KEEP_S = 5.0


@dataclass(frozen=True)
class _Recent:
    """The newest estimates: host times, displayed feet force, region codes, pressure."""

    t_s: np.ndarray
    feet_n: np.ndarray
    region: np.ndarray
    pressure_kpa: np.ndarray
    pressure_basis: str = ""

    @classmethod
    def of(cls, est: EstimateBlock) -> _Recent:
        return cls(est.t_s, est.feet_display_n, est.region, est.pressure_kpa, est.pressure_basis)

    def then(self, later: _Recent, keep_s: float) -> _Recent:
        """These estimates followed by `later`, trimmed to the last keep_s seconds."""
        if not later.t_s.size:
            return self
        start = later.t_s[-1] - keep_s
        parts = [
            np.concatenate([getattr(self, k), getattr(later, k)])
            for k in ("t_s", "feet_n", "region", "pressure_kpa")
        ]
        first = int(np.searchsorted(parts[0], start, side="left"))
        t_s, feet_n, region, pressure = (p[first:] for p in parts)
        return _Recent(t_s, feet_n, region, pressure, later.pressure_basis)


class PressTracker:
    """Presses with their moment. Feed every estimate block (`on_estimate`) and each press
    (`press`); follow_up_s: when the feet force is taken again after a press.

    A press can arrive before the samples of its moment (a device sends a few samples, then
    the EVENT; the link hands out what it has): it is given at once with the newest moment
    known, and kept with its own moment once the estimates reach it.
    """

    def __init__(self, follow_up_s: float = PRESS_FOLLOW_UP_S) -> None:
        self.follow_up_s = follow_up_s
        self._recent = _Recent(np.empty(0), np.empty(0), np.empty(0, np.int8), np.empty(0))
        self._waiting: list[PressRecord] = []

    def press(self, t_s: float, button: str, source: str) -> PressRecord:
        """The press with the feet force, region and pressure at t_s, as far as known: the
        newest sample at or before it (NaN and "" before any estimate)."""
        record = self._at_moment(PressRecord(t_s, button, source))
        self._waiting.append(record)
        return record

    def on_estimate(self, est: EstimateBlock) -> list[PressRecord]:
        """Take a block of estimates; the presses whose follow-up it reached, complete."""
        if not len(est):
            return []
        self._recent = self._recent.then(_Recent.of(est), KEEP_S)
        last_s = float(est.t_s[-1])
        reached = [self._at_moment(p) for p in self._waiting]
        due = [p for p in reached if p.t_s + self.follow_up_s <= last_s]
        self._waiting = [p for p in reached if p.t_s + self.follow_up_s > last_s]
        if not due:
            return []
        at = np.searchsorted(est.t_s, [p.t_s + self.follow_up_s for p in due], side="left")
        after_n = est.feet_display_n[at]
        return [replace(p, feet_after_n=float(f)) for p, f in zip(due, after_n, strict=True)]

    def flush(self) -> list[PressRecord]:
        """The presses still waiting for their follow-up (it stays unknown: NaN)."""
        waiting, self._waiting = self._waiting, []
        return waiting

    @property
    def waiting(self) -> int:
        """How many presses wait for their follow-up."""
        return len(self._waiting)

    def _at_moment(self, record: PressRecord) -> PressRecord:
        """The record with the estimates at its time: the newest sample at or before it."""
        r = self._recent
        if not r.t_s.size:
            return record
        i = max(int(np.searchsorted(r.t_s, record.t_s, side="right")) - 1, 0)
        if r.t_s[i] > record.t_s and not math.isnan(record.feet_n):
            return record  # its moment left the kept estimates: keep what it had
        code = int(r.region[i])
        return replace(
            record,
            feet_n=float(r.feet_n[i]),
            region=REGIONS[code] if code >= 0 else "",
            pressure_kpa=float(r.pressure_kpa[i]),
            pressure_basis=r.pressure_basis,
        )
