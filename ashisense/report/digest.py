"""What the trainer's report shows of one session, derived again from its raw counts.

`digest_session` runs the session through the pipeline once and keeps the per-sample series
a report plots (float32, enough for figures), with the limit that held at each sample (that of
the body region the feet were on), and the figures of ashisense.session.figures: peak, time
loaded, time over the limit, time and peak per body region, alarms by priority. The duration
is the session's own (as `ashisense sessions` lists it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ashisense.alarms import RuleSet
from ashisense.bodymap import REGIONS, BodyMap
from ashisense.rig import Rig
from ashisense.session.analysis import SessionAnalysis
from ashisense.session.figures import (
    LOADED_N,
    Figures,
    alarms_raised,
    held_limits,
    limits_held,
    session_figures,
)
from ashisense.store.base import SessionStore
from ashisense.store.records import AlarmRecord, SessionInfo, duration_text
from ashisense.store.replay import session_items
from calibration.units import STANDARD_GRAVITY_M_S2

REPORT_BLOCK_SAMPLES = 8192


@dataclass(frozen=True)
class RegionFigures:
    """Time the feet spent in a body region and the peak feet force there."""

    name: str
    time_s: float
    peak_n: float
    limit_n: float | None
    no_go: bool


@dataclass
class SessionDigest:
    """One session as the report sees it.

    Series are per sample (float32; region int8, -1 unknown): elapsed_s since the session's
    start, feet_n, feet_x_m, feet_y_m, bar_left_n, bar_right_n, and limit_held_n, the limit
    that held at each sample (its region's; NaN where none). alarms: the alarm log shown
    (as recorded, or evaluated again with other rules: `alarms_source` says which).
    limit_n: the overall feet-force limit (None if no rule or profile gives one);
    region_limits_n: the limit per body region (index as REGIONS, NaN where none).
    """

    info: SessionInfo
    rig: Rig
    body: BodyMap | None
    rate_hz: float
    elapsed_s: np.ndarray
    feet_n: np.ndarray
    feet_x_m: np.ndarray
    feet_y_m: np.ndarray
    bar_left_n: np.ndarray
    bar_right_n: np.ndarray
    region: np.ndarray
    limit_held_n: np.ndarray
    alarms: list[AlarmRecord]
    alarms_source: str
    limit_n: float | None
    region_limits_n: np.ndarray
    pressure_basis: str
    peak_pressure_kpa: float
    regions: list[RegionFigures] = field(default_factory=list)

    @property
    def title(self) -> str:
        who = self.info.meta.therapist.get("id", "?")
        label = f" ({self.info.meta.label})" if self.info.meta.label else ""
        return f"session {self.info.id} · {who}{label}"

    @property
    def sample_s(self) -> float:
        return 1.0 / self.rate_hz

    def summary_figures(self) -> Figures:
        """The figures, each sample judged against the limit that held there."""
        return session_figures(
            self.elapsed_s,
            self.feet_n,
            self.region,
            self.limit_held_n,
            self.bar_left_n,
            self.bar_right_n,
            self.sample_s,
        )

    def region_at(self, t_s: float) -> str:
        """The body region the feet were on at host time t_s ("" unknown)."""
        i = int(np.searchsorted(self.elapsed_s, t_s - self.info.meta.started_s, side="right")) - 1
        code = int(self.region[i]) if 0 <= i < len(self.region) else -1
        return REGIONS[code] if code >= 0 else ""

    def limits_text(self) -> str:
        """The limits in force: overall, and each region whose own limit is lower."""
        if self.limit_n is None and not np.isfinite(self.region_limits_n).any():
            return "none"
        parts = [] if self.limit_n is None else [_force(self.limit_n) + " anywhere"]
        for name, limit in zip(REGIONS, self.region_limits_n, strict=True):
            if np.isfinite(limit) and (self.limit_n is None or limit < self.limit_n):
                parts.append(f"{name} {float(limit):.0f} N")
        return "; ".join(parts)

    def figures(self) -> dict[str, str]:
        """The summary table's rows for this session: label -> formatted value."""
        s, meta = self.info.summary, self.info.meta
        f = self.summary_figures()
        raised = alarms_raised(self.alarms)
        return {
            "client": str(meta.client.get("id", "-")),
            "therapist": str(meta.therapist.get("id", "-")),
            "duration": duration_text(s.duration_s),
            "samples": f"{len(self.feet_n)} at {self.rate_hz:g} Hz; {s.lost_samples} lost on "
            f"the link, {s.dropped_samples} dropped by the recorder"
            + ("; session interrupted" if self.info.interrupted else ""),
            "peak feet force": "n/a"
            if math.isnan(f.peak_n)
            else f"{_force(f.peak_n)} at {f.peak_at_s:.1f} s"
            + (f", {f.peak_region}" if f.peak_region else ""),
            "limits in force": self.limits_text(),
            "time on the client": f"{f.time_loaded_s:.1f} s (feet force > {LOADED_N:.0f} N)",
            "mean feet force on the client": "n/a"
            if math.isnan(f.mean_loaded_n)
            else f"{f.mean_loaded_n:.0f} N",
            "time over the limit": "n/a"
            if self.limit_n is None and not np.isfinite(self.region_limits_n).any()
            else f"{f.time_over_limit_s:.1f} s (each moment against the limit where the feet were)",
            "peak pressure": "n/a"
            if math.isnan(self.peak_pressure_kpa)
            else f"{self.peak_pressure_kpa:.0f} kPa ({self.pressure_basis})",
            "bar balance (left share)": "n/a"
            if math.isnan(f.bar_left_share)
            else f"{f.bar_left_share:.0%} left, mean bar load {f.mean_bar_n:.0f} N",
            "alarms raised": ", ".join(f"{raised[p]} {p}" for p in ("high", "medium", "low"))
            + f" ({self.alarms_source})",
        }


def _force(n: float) -> str:
    return f"{n:.0f} N ({n / STANDARD_GRAVITY_M_S2:.1f} kgf)"


def _region_figures(d: SessionDigest) -> list[RegionFigures]:
    f = d.summary_figures()
    out = []
    for code, name in enumerate(REGIONS):
        if f.region_time_s[code] == 0 and name == "off_body":
            continue
        limit = float(d.region_limits_n[code])
        out.append(
            RegionFigures(
                name=name,
                time_s=float(f.region_time_s[code]),
                peak_n=float(f.region_peak_n[code]),
                limit_n=limit if math.isfinite(limit) else None,
                no_go=d.body is not None and name in d.body.no_go,
            )
        )
    return out


def digest_session(
    store: SessionStore,
    session_id: int,
    *,
    rules: RuleSet | None = None,
    on_samples: Callable[[int], None] | None = None,
) -> SessionDigest:
    """Derive one session for the report. rules: evaluate alarms with these instead of
    showing the alarm log as recorded. on_samples(n): progress."""
    info = store.session(session_id)
    analysis = SessionAnalysis.for_session(info, rules=rules, alarms=True)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in (*_SERIES, "limit_held_n")}
    evaluated: list[AlarmRecord] = []
    basis, peak_kpa = "none", -math.inf
    for item in session_items(store, session_id, block_samples=REPORT_BLOCK_SAMPLES):
        step = analysis.feed(item)
        if step is None:
            continue
        est = step.estimate
        parts["elapsed_s"].append(est.t_s - info.meta.started_s)
        for name in _SERIES[1:]:
            parts[name].append(getattr(est, name))
        parts["limit_held_n"].append(held_limits(analysis.engine, est, analysis.rig.kind))
        evaluated += [AlarmRecord.of(e) for e in step.alarms]
        if est.pressure_basis != "none":
            basis = est.pressure_basis
        peak_kpa = max(peak_kpa, float(np.fmax.reduce(est.pressure_kpa, initial=-np.inf)))
        if on_samples is not None:
            on_samples(len(step.block))
    series = {
        name: np.concatenate(chunks).astype(np.int8 if name == "region" else np.float32)
        if chunks
        else np.empty(0, np.int8 if name == "region" else np.float32)
        for name, chunks in parts.items()
    }
    hello_rate = (info.hello or {}).get("rate_hz")
    recorded = store.alarms(session_id)
    if rules is not None:
        alarms, source = evaluated, "evaluated with other rules"
    elif recorded or not info.meta.rules_text:
        alarms, source = recorded, "as recorded" if info.meta.rules_text else "no rules in force"
    else:
        alarms, source = evaluated, "evaluated again"
    limits, overall = limits_held(analysis.engine)
    digest = SessionDigest(
        info=info,
        rig=analysis.rig,
        body=analysis.client.body_map() if analysis.client else None,
        rate_hz=float(hello_rate) if hello_rate else _rate(series["elapsed_s"]),
        alarms=alarms,
        alarms_source=source,
        limit_n=overall if math.isfinite(overall) else None,
        region_limits_n=limits,
        limit_held_n=series["limit_held_n"],
        pressure_basis=basis,
        peak_pressure_kpa=peak_kpa if math.isfinite(peak_kpa) else math.nan,
        elapsed_s=series["elapsed_s"],
        feet_n=series["feet_n"],
        feet_x_m=series["feet_x_m"],
        feet_y_m=series["feet_y_m"],
        bar_left_n=series["bar_left_n"],
        bar_right_n=series["bar_right_n"],
        region=series["region"],
    )
    digest.regions = _region_figures(digest)
    return digest


_SERIES = ("elapsed_s", "feet_n", "feet_x_m", "feet_y_m", "bar_left_n", "bar_right_n", "region")


def _rate(elapsed_s: np.ndarray) -> float:
    if elapsed_s.shape[0] < 2:
        return 1.0
    return float(1.0 / np.median(np.diff(elapsed_s.astype(np.float64))))
