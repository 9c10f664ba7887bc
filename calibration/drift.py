"""Does a calibration still hold? Zero drift since calibration (a technical alarm) and age.

The pipeline measures the unloaded zero (nobody on the table or the bars, at rest) with
`measure_zero`, then `check_drift` compares it with the calibration's unloaded_zero_counts:
a channel whose zero moved by more than limit_n (in newtons, through its gain) is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from calibration.errors import CalibrationMismatchError
from calibration.files import CalibrationFile
from calibration.stability import StabilityCriteria, assess_window


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
    drifts = []
    for name, zero in zero_counts.items():
        counts = float(zero) - cal.unloaded_zero_counts[name]
        force_n = counts * cal.channels[name].gain_n_per_count
        drifts.append(ZeroDrift(name, counts, force_n, abs(force_n) > limit_n))
    return DriftCheck(tuple(drifts), limit_n, cal.age_days(now), interval_days)


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
