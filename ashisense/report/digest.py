"""What the trainer's report shows of one session, derived again from its raw counts.

`digest_session` runs the session through the pipeline once and keeps the per-sample series
a report plots (float32, enough for figures) plus exact figures: peak, time loaded, time over
the client's limit, time and peak per body region, alarms by priority.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ashisense.alarms import AlarmEngine, RuleSet
from ashisense.bodymap import REGIONS, BodyMap
from ashisense.rig import Rig
from ashisense.session.analysis import SessionAnalysis
from ashisense.store.base import SessionStore
from ashisense.store.records import AlarmRecord, SessionInfo
from ashisense.store.replay import session_items
from calibration.units import STANDARD_GRAVITY_M_S2

#: Feet force above which the therapist counts as standing on the client (N, about 5 kgf).
LOADED_N = 50.0
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
    start, feet_n, feet_x_m, feet_y_m, bar_left_n, bar_right_n. alarms: the alarm log shown
    (as recorded, or evaluated again with other rules: `alarms_source` says which).
    limit_n: the client's overall feet-force limit (None if no rule or profile gives one).
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
    alarms: list[AlarmRecord]
    alarms_source: str
    limit_n: float | None
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

    @property
    def peak(self) -> tuple[float, float, str]:
        """Peak feet force (N), when (s into the session) and in which region ("" unknown)."""
        if not np.isfinite(self.feet_n).any():
            return math.nan, math.nan, ""
        i = int(np.nanargmax(self.feet_n))
        code = int(self.region[i])
        return float(self.feet_n[i]), float(self.elapsed_s[i]), REGIONS[code] if code >= 0 else ""

    def figures(self) -> dict[str, str]:
        """The summary table's rows for this session: label -> formatted value."""
        s, meta = self.info.summary, self.info.meta
        peak_n, peak_at_s, peak_region = self.peak
        loaded = self.feet_n > LOADED_N
        over = (self.feet_n > self.limit_n) if self.limit_n is not None else None
        raised = Counter(a.priority for a in self.alarms if a.transition == "raised")
        left, right = _mean(self.bar_left_n), _mean(self.bar_right_n)
        bars = left + right
        return {
            "client": str(meta.client.get("id", "-")),
            "therapist": str(meta.therapist.get("id", "-")),
            "duration": f"{len(self.feet_n) * self.sample_s / 60:.1f} min",
            "samples": f"{len(self.feet_n)} at {self.rate_hz:g} Hz; {s.lost_samples} lost on "
            f"the link, {s.dropped_samples} dropped by the recorder"
            + ("; session interrupted" if self.info.interrupted else ""),
            "peak feet force": "n/a"
            if math.isnan(peak_n)
            else f"{peak_n:.0f} N ({peak_n / STANDARD_GRAVITY_M_S2:.1f} kgf) at {peak_at_s:.1f} s"
            + (f", {peak_region}" if peak_region else ""),
            "client's limit": "none"
            if self.limit_n is None
            else f"{self.limit_n:.0f} N ({self.limit_n / STANDARD_GRAVITY_M_S2:.1f} kgf)",
            "time on the client": f"{loaded.sum() * self.sample_s:.1f} s "
            f"(feet force > {LOADED_N:.0f} N)",
            "mean feet force on the client": "n/a"
            if not loaded.any()
            else f"{np.mean(self.feet_n[loaded]):.0f} N",
            "time over the limit": "n/a" if over is None else f"{over.sum() * self.sample_s:.1f} s",
            "peak pressure": "n/a"
            if math.isnan(self.peak_pressure_kpa)
            else f"{self.peak_pressure_kpa:.0f} kPa ({self.pressure_basis})",
            "bar balance (left share)": "n/a"
            if not bars > 0
            else f"{left / bars:.0%} left, mean bar load {bars:.0f} N",
            "alarms raised": ", ".join(f"{raised[p]} {p}" for p in ("high", "medium", "low"))
            + f" ({self.alarms_source})",
        }


def client_limit_n(analysis: SessionAnalysis, region: str | None = None) -> float | None:
    """The client's feet-force limit, overall or in one region: the tightest rule in force
    (feet_force rules, and region_force rules naming the region), else the profile's limit,
    else None."""
    limits = []
    engine: AlarmEngine | None = analysis.engine
    if engine is not None:
        for rule in engine.rule_set:
            regions = getattr(rule, "regions", ())
            if rule.enabled and (
                rule.kind == "feet_force" or (region in regions and rule.kind == "region_force")
            ):
                limits.append(rule.limit_value)
    client = analysis.client
    if client is not None:
        own = client.max_feet_n if region is None else client.limit_n(region)
        if own is not None:
            limits.append(float(own))
    return min(limits) if limits else None


def _region_figures(d: SessionDigest, analysis: SessionAnalysis) -> list[RegionFigures]:
    out = []
    for code, name in enumerate(REGIONS):
        here = d.region == code
        if not here.any() and name == "off_body":
            continue
        out.append(
            RegionFigures(
                name=name,
                time_s=float(here.sum()) * d.sample_s,
                peak_n=float(np.fmax.reduce(d.feet_n[here], initial=-np.inf))
                if here.any()
                else math.nan,
                limit_n=client_limit_n(analysis, name),
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
    parts: dict[str, list[np.ndarray]] = {k: [] for k in _SERIES}
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
    digest = SessionDigest(
        info=info,
        rig=analysis.rig,
        body=analysis.client.body_map() if analysis.client else None,
        rate_hz=float(hello_rate) if hello_rate else _rate(series["elapsed_s"]),
        alarms=alarms,
        alarms_source=source,
        limit_n=client_limit_n(analysis),
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
    digest.regions = _region_figures(digest, analysis)
    return digest


_SERIES = ("elapsed_s", "feet_n", "feet_x_m", "feet_y_m", "bar_left_n", "bar_right_n", "region")


def _mean(x: np.ndarray) -> float:
    """Mean of the known values; NaN when none is known (a rig without that part)."""
    known = x[np.isfinite(x)]
    return float(known.mean()) if known.size else math.nan


def _rate(elapsed_s: np.ndarray) -> float:
    if elapsed_s.shape[0] < 2:
        return 1.0
    return float(1.0 / np.median(np.diff(elapsed_s.astype(np.float64))))
