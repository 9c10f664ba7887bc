"""Does a calibration still hold? Zero drift since calibration (a technical alarm) and age.

`measure_zero` takes the unloaded zero (nobody on the table or the bars, at rest) from a
window, then `check_drift` compares it with the calibration's unloaded_zero_counts: a channel
whose zero moved by more than limit_n (in newtons, through its gain) is reported. During a
session `ZeroDriftMonitor` does the same on the raw stream, wherever a bar or the mat is
unloaded and at rest.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from calibration.errors import CalibrationMismatchError
from calibration.files import CalibrationFile
from calibration.stability import StabilityCriteria, assess_window

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ZeroDrift:
    """One channel's zero now minus its zero at calibration, in counts and newtons."""

    channel: str
    drift_counts: float
    drift_n: float
    beyond: bool


@dataclass(frozen=True)
class DriftCheck:
    """Per-channel zero drift against limit_n, and the calibration's age against the interval."""

    channels: tuple[ZeroDrift, ...]
    limit_n: float
    age_days: float
    interval_days: float | None

    @property
    def beyond(self) -> tuple[str, ...]:
        """Channels whose zero moved beyond the limit (raise the technical alarm if any)."""
        return tuple(d.channel for d in self.channels if d.beyond)

    @property
    def stale(self) -> bool:
        """True when the calibration is older than the studio's interval."""
        return self.interval_days is not None and self.age_days > self.interval_days

    def message(self) -> str:
        """One line for an alarm or a log: what moved, by how much, how old."""
        parts = [
            f"{d.channel} zero moved {d.drift_n:+.1f} N ({d.drift_counts:+.0f} counts)"
            for d in self.channels
            if d.beyond
        ]
        if parts:
            parts.append(f"limit {self.limit_n:g} N: recalibrate or check the load cells")
        if self.stale:
            parts.append(
                f"calibration is {self.age_days:.0f} days old (interval {self.interval_days:g})"
            )
        return "; ".join(parts) or "calibration holds"


def check_drift(
    cal: CalibrationFile,
    zero_counts: Mapping[str, float],
    limit_n: float,
    *,
    interval_days: float | None = None,
    now: datetime | None = None,
) -> DriftCheck:
    """Compare the unloaded zero now with the calibration's, channel by channel.

    zero_counts: channel -> zero now (counts); channels it lacks are not judged. Raises
    CalibrationMismatchError for a channel the calibration does not know.
    """
    unknown = sorted(set(zero_counts) - set(cal.channels))
    if unknown:
        raise CalibrationMismatchError(
            f"zero drift: expected channels of the calibration {sorted(cal.channels)}, "
            f"got unknown {unknown}"
        )
    drifts = tuple(
        _drift(
            name,
            float(zero) - cal.unloaded_zero_counts[name],
            cal.channels[name].gain_n_per_count,
            limit_n,
        )
        for name, zero in zero_counts.items()
    )
    return DriftCheck(drifts, limit_n, cal.age_days(now), interval_days)


def _drift(channel: str, counts: float, gain_n_per_count: float, limit_n: float) -> ZeroDrift:
    force_n = counts * gain_n_per_count
    return ZeroDrift(channel, counts, force_n, abs(force_n) > limit_n)


def measure_zero(
    t_s: np.ndarray,
    counts: np.ndarray,
    channels: tuple[str, ...],
    criteria: StabilityCriteria | None = None,
) -> dict[str, float] | None:
    """The mean of every channel over the last criteria.window_s of (n,) t_s and (n, C)
    counts if it is at rest there, else None (do not judge drift from a moving signal)."""
    crit = criteria or StabilityCriteria()
    t = np.asarray(t_s, dtype=np.float64)
    keep = t >= t[-1] - crit.window_s
    verdict = assess_window(t[keep], np.asarray(counts)[keep], crit, channels)
    if not verdict.stable:
        return None
    return dict(zip(channels, map(float, verdict.mean_counts), strict=True))


class ZeroDriftMonitor:
    """Zero drift since calibration, measured on a live or replayed raw stream.

    The stream is cut into consecutive windows of criteria.window_s by sample time (from the
    first sample, again after `reset`), so any cutting into blocks gives the same result. On
    each window, a group of channels (one bar's mounts, the mat's cells) is judged when all
    its channels are at rest (`assess_window`) and its total force from the calibration's
    zero is under unloaded_n: nobody on it. Each judged channel's drift is then
    (mean - zero at calibration) x gain, in N. A zero that moved further than unloaded_n is
    not seen here; a broken cell shows in other alarms (support, channel flags).

    channels: names in the order of the counts' columns; zero_counts, gains_n_per_count: per
    channel; groups: lists of channel names judged together.
    """

    def __init__(
        self,
        channels: Sequence[str],
        zero_counts: Mapping[str, float],
        gains_n_per_count: Mapping[str, float],
        groups: Sequence[Sequence[str]],
        limit_n: float,
        *,
        unloaded_n: float | None = None,
        criteria: StabilityCriteria | None = None,
    ) -> None:
        self.channels = tuple(channels)
        self.limit_n = limit_n
        self.unloaded_n = 5.0 * limit_n if unloaded_n is None else unloaded_n
        if not self.unloaded_n > limit_n > 0:
            raise ValueError(
                f"ZeroDriftMonitor: expected unloaded_n > limit_n > 0, found unloaded_n "
                f"{self.unloaded_n:g} and limit_n {limit_n:g}"
            )
        self.criteria = criteria or StabilityCriteria()
        self._zero = np.array([zero_counts[c] for c in self.channels], dtype=np.float64)
        self._gain = np.array([gains_n_per_count[c] for c in self.channels], dtype=np.float64)
        self._groups = [[self.channels.index(c) for c in g] for g in groups if g]
        self.drift_n = np.full(len(self.channels), np.nan)  # latest judged drift per channel
        self._value = math.nan
        self.reset()

    def reset(self) -> None:
        """Samples were lost: drop the window being filled (judged drifts are kept)."""
        self._t0_s = math.nan
        self._window = 0
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def update(self, t_s: np.ndarray, counts: np.ndarray, invalid: np.ndarray) -> np.ndarray:
        """Feed (n,) times and (n, C) counts and invalid flags in stream order; returns (n,)
        the largest |drift| (N) of any channel judged so far, as known at each sample (NaN
        before the first judgement). A window is judged at the first sample after it."""
        n = t_s.shape[0]
        out = np.empty(n)
        if n == 0:
            return out
        if math.isnan(self._t0_s):
            self._t0_s = float(t_s[0])
        window = np.floor((t_s - self._t0_s) / self.criteria.window_s).astype(np.int64)
        starts = np.flatnonzero(np.diff(window, prepend=self._window) != 0)
        bounds = [0, *starts.tolist(), n]
        for lo, hi in itertools.pairwise(bounds):
            if lo == hi:
                continue
            if window[lo] != self._window:
                self._judge()
                self._window = int(window[lo])
            out[lo:hi] = self._value
            self._parts.append((t_s[lo:hi], counts[lo:hi], invalid[lo:hi]))
        return out

    def drifts(self) -> tuple[ZeroDrift, ...]:
        """The latest judged drift of every channel judged so far."""
        return tuple(
            _drift(name, float(d / g), float(g), self.limit_n)
            for name, d, g in zip(self.channels, self.drift_n, self._gain, strict=True)
            if not math.isnan(d)
        )

    def _judge(self) -> None:
        """Judge the window just completed, group by group."""
        if not self._parts:
            return
        t_s, counts, invalid = (np.concatenate(p) for p in zip(*self._parts, strict=True))
        self._parts = []
        was_beyond = np.abs(self.drift_n) > self.limit_n
        for cols in self._groups:
            mean = counts[:, cols].mean(axis=0)
            force_n = (mean - self._zero[cols]) * self._gain[cols]
            if not abs(float(force_n.sum())) < self.unloaded_n:
                continue  # loaded (checked first: it is cheap)
            names = tuple(self.channels[i] for i in cols)
            verdict = assess_window(
                t_s, counts[:, cols], self.criteria, names, invalid=invalid[:, cols]
            )
            if verdict.stable:
                self.drift_n[cols] = force_n
        if not np.isnan(self.drift_n).all():
            self._value = float(np.nanmax(np.abs(self.drift_n)))
        now_beyond = np.abs(self.drift_n) > self.limit_n
        if (now_beyond & ~was_beyond).any():
            log.warning(
                "zero drift since calibration: %s; limit %g N: recalibrate or check the load cells",
                ", ".join(
                    f"{d.channel} zero moved {d.drift_n:+.1f} N" for d in self.drifts() if d.beyond
                ),
                self.limit_n,
            )
