"""The review's display series of a session, derived once and kept with it.

`derive_display` runs the session through its analysis once (the code path of live, replay,
export and the report) and keeps per-sample float32 series; `DisplaySeries.parts()` is what
the store keeps (store.put_derived) under `display_key(info, samples)`, a key naming the
session's rig, calibration, people, rules and length, so that a session re-analysed with
another calibration or rules, or grown while recording, is derived again. Two levels of
detail: an overview of the whole session (min/max feet force per time bucket: empty buckets
are gaps) to draw its timeline at once, and full-rate segments read for the moments a
trainer scrubs to; heatmaps of a grid rig (at most MAX_GRID_HZ) and the figures
(ashisense.session.figures) go with them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ashisense.alarms import AlarmEngine
from ashisense.pipeline.types import EstimateBlock, GridEstimate
from ashisense.session.analysis import SessionAnalysis
from ashisense.session.figures import held_limits, limits_held, session_figures
from ashisense.store.base import SessionStore
from ashisense.store.derived import Parts
from ashisense.store.records import SessionInfo
from ashisense.store.replay import session_items
from firmware_bridge.blocks import GridBlock

#: Bump when what is derived changes: every session is then derived again on open.
DISPLAY_VERSION = 1
#: Samples per kept full-rate segment (about 3.4 min at 80 Hz).
SEGMENT_SAMPLES = 16_384
#: Buckets of the overview: finer than any screen's timeline.
OVERVIEW_BUCKETS = 4_000
MAX_GRID_HZ = 2.0
MAX_GRID_FRAMES = 1_800
BLOCK_SAMPLES = 8_192

#: Per-sample float32 columns: EstimateBlock fields (units in the names).
FLOAT_COLUMNS: tuple[str, ...] = (
    "feet_n",
    "feet_display_n",
    "feet_x_m",
    "feet_y_m",
    "bar_left_n",
    "bar_right_n",
    "hand_left_x_m",
    "hand_right_x_m",
    "bar_left_share",
    "support_ratio",
    "mat_n",
    "cop_x_m",
    "cop_y_m",
    "pressure_kpa",
)
OVERVIEW = "overview"
FIGURES = "figures"
GRID = "grid"


def display_key(info: SessionInfo, samples: int) -> str:
    """What the display series of a session were derived from, as a short hash."""
    m = info.meta
    what = [
        DISPLAY_VERSION,
        m.rig_text,
        m.calibration,
        m.client,
        m.therapist,
        m.rules_text,
        m.contraindications_text,
        info.hello,
        [(b.t_s, b.state) for b in info.baselines],
        samples,
    ]
    text = json.dumps(what, sort_keys=True, default=repr, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def segment_part(k: int) -> str:
    return f"segment/{k:05d}"


def grid_levels(added: np.ndarray) -> tuple[np.ndarray, float]:
    """A frame of added pressure as 8-bit levels scaled to its peak, and that scale."""
    clean = np.nan_to_num(added.astype(np.float64), nan=0.0).clip(min=0.0)
    scale = float(clean.max()) or 1.0
    return np.rint(clean / scale * 255.0).astype(np.uint8), scale


class _Collector:
    """Per-sample series and thinned heatmaps, gathered step by step."""

    def __init__(
        self, analysis: SessionAnalysis, engine: AlarmEngine | None, grid_gap_s: float
    ) -> None:
        self.mat_idx = np.array(analysis.rig.index("mat"), dtype=np.intp)
        self.engine, self.rig_kind = engine, analysis.rig.kind
        self.cols: dict[str, list[np.ndarray]] = {
            k: [] for k in ("t_s", "region", "mat_cells_n", "limit_n")
        }
        self.cols.update({k: [] for k in FLOAT_COLUMNS})
        self.grid_gap_s = grid_gap_s
        self.grids: dict[str, list[Any]] = {"t_s": [], "levels": [], "scale": [], "peak": []}
        self.pressure_basis = "none"

    def block(self, est: EstimateBlock) -> None:
        self.cols["t_s"].append(est.t_s)
        self.cols["region"].append(est.region.astype(np.int8))
        self.cols["mat_cells_n"].append(est.force_n[:, self.mat_idx].astype(np.float32))
        self.cols["limit_n"].append(held_limits(self.engine, est, self.rig_kind))
        for k in FLOAT_COLUMNS:
            self.cols[k].append(getattr(est, k).astype(np.float32))
        if est.pressure_basis != "none":
            self.pressure_basis = est.pressure_basis

    def grid(self, est: GridEstimate) -> None:
        kept = self.grids["t_s"]
        for i in np.flatnonzero(est.valid):
            if kept and est.t_s[i] < kept[-1] + self.grid_gap_s:
                continue
            levels, scale = grid_levels(est.added[i])
            kept.append(float(est.t_s[i]))
            self.grids["levels"].append(levels)
            self.grids["scale"].append(scale)
            self.grids["peak"].append(float(est.peak[i]))

    def columns(self) -> dict[str, np.ndarray]:
        out = {}
        for k, parts in self.cols.items():
            if parts:
                out[k] = np.concatenate(parts)
            elif k == "mat_cells_n":
                out[k] = np.empty((0, self.mat_idx.size), np.float32)
            else:
                out[k] = np.empty(
                    0, np.float64 if k == "t_s" else np.int8 if k == "region" else np.float32
                )
        return out


@dataclass
class DisplaySeries:
    """A session's display series: full-rate columns (t_s float64, region int8, limit_n and
    the FLOAT_COLUMNS float32, mat_cells_n (n, mat channels)), its heatmaps and figures."""

    key: str
    started_s: float
    rate_hz: float
    pressure_basis: str
    columns: dict[str, np.ndarray]
    grids: dict[str, np.ndarray]
    region_limits_n: np.ndarray
    overall_limit_n: float

    def parts(self) -> Parts:
        """What the store keeps: overview, figures, grid and the full-rate segments."""
        cols = self.columns
        n = len(cols["t_s"])
        starts = np.arange(0, max(n, 1), SEGMENT_SAMPLES)
        parts: dict[str, dict[str, np.ndarray]] = {
            OVERVIEW: self.overview(starts),
            FIGURES: self.figures(),
        }
        if len(self.grids.get("t_s", ())):
            parts[GRID] = self.grids
        for k, s in enumerate(starts):
            parts[segment_part(k)] = {c: v[s : s + SEGMENT_SAMPLES] for c, v in cols.items()}
        return parts

    def overview(self, segment_starts: np.ndarray) -> dict[str, np.ndarray]:
        """Per time bucket: feet force min/max (NaN in buckets without samples: gaps), the
        tightest limit held, and at the bucket's peak sample its region and feet position;
        the mean left-bar share; plus the meta data (rate, limits, segment start times)."""
        cols = self.columns
        t = cols["t_s"]
        meta = {
            "meta": np.array([self.started_s, self.rate_hz, self.overall_limit_n, len(t)]),
            "region_limits_n": self.region_limits_n,
            "segment_t0_s": t[segment_starts] if len(t) else np.empty(0),
            "pressure_basis": np.frombuffer(self.pressure_basis.encode(), np.uint8),
        }
        if not len(t):
            return meta
        edges = np.linspace(t[0], t[-1], OVERVIEW_BUCKETS + 1)
        first = np.searchsorted(t, edges[:-1], side="left")
        last = np.searchsorted(t, edges[1:], side="left")
        last[-1] = len(t)
        filled = last > first
        starts = first[filled]
        feet = cols["feet_n"]

        def per_bucket(values: np.ndarray, how: Any) -> np.ndarray:
            out = np.full(OVERVIEW_BUCKETS, np.nan, np.float32)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[filled] = how.reduceat(values, starts)
            return out

        peak_at = _argmax_per_bucket(feet, starts, len(t))
        picked = np.full(OVERVIEW_BUCKETS, -1, np.intp)
        picked[filled] = peak_at
        at = np.maximum(picked, 0)
        count = np.zeros(OVERVIEW_BUCKETS)
        count[filled] = np.diff(np.append(starts, len(t)))
        share = cols["bar_left_share"]
        share_sum = per_bucket(np.nan_to_num(share), np.add)
        share_n = per_bucket(np.isfinite(share).astype(np.float32), np.add)
        return meta | {
            "t_s": edges[:-1],
            "feet_min_n": per_bucket(feet, np.fmin),
            "feet_max_n": per_bucket(feet, np.fmax),
            "limit_n": per_bucket(cols["limit_n"], np.fmin),
            "region": np.where(picked >= 0, cols["region"][at], -1).astype(np.int8),
            "feet_x_m": np.where(picked >= 0, cols["feet_x_m"][at], np.nan).astype(np.float32),
            "feet_y_m": np.where(picked >= 0, cols["feet_y_m"][at], np.nan).astype(np.float32),
            "bar_left_share": np.where(share_n > 0, share_sum / np.maximum(share_n, 1), np.nan),
        }

    def figures(self) -> dict[str, np.ndarray]:
        """The session's figures (session_figures) as arrays: scalars in `values`."""
        c = self.columns
        f = session_figures(
            c["t_s"] - self.started_s,
            c["feet_n"],
            c["region"],
            c["limit_n"],
            c["bar_left_n"],
            c["bar_right_n"],
            1.0 / self.rate_hz,
        )
        return {
            "values": np.array([getattr(f, name) for name in FIGURE_VALUES]),
            "region_time_s": f.region_time_s,
            "region_peak_n": f.region_peak_n,
            "region_over_s": f.region_over_s,
        }


#: The names of figures()["values"], in order.
FIGURE_VALUES = (
    "peak_n",
    "peak_at_s",
    "time_over_limit_s",
    "time_loaded_s",
    "mean_loaded_n",
    "bar_left_share",
    "mean_bar_n",
)


def _argmax_per_bucket(values: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Index of the largest known value in each run [starts[k], starts[k + 1]) (its first
    sample when none is known), whole-array."""
    filled = np.where(np.isfinite(values), values, -np.inf)
    top = np.maximum.reduceat(filled, starts)
    bucket = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    hit = np.flatnonzero(filled == top[bucket])
    first_hit = np.full(len(starts), -1, np.intp)
    first_hit[bucket[hit][::-1]] = hit[::-1]  # the first hit of each bucket wins
    return np.where(first_hit >= 0, first_hit, starts)


def derive_display(
    store: SessionStore,
    session_id: int,
    on_progress: Callable[[float], None] | None = None,
    *,
    grids: bool = True,
) -> DisplaySeries:
    """Derive the display series of a session from its raw counts. on_progress(share done).
    grids=False: leave the grid frames out (a quick first pass for a grid rig: every series
    as with them but the pressure, whose contact area then comes from the profile)."""
    info = store.session(session_id)
    total = max(store.sample_count(session_id), 1)
    # Estimates only: the alarms shown are the session's log; an engine of the session's
    # rules, never fed, says which limit held at each sample.
    analysis = SessionAnalysis.for_session(info, alarms=False)
    engine = SessionAnalysis.for_session(info).engine
    duration_s = max(info.summary.duration_s, 1.0)
    collect = _Collector(analysis, engine, max(1.0 / MAX_GRID_HZ, duration_s / MAX_GRID_FRAMES))
    done = 0
    for item in session_items(store, session_id, block_samples=BLOCK_SAMPLES, grids=grids):
        if isinstance(item, GridBlock):
            est = analysis.feed_grid(item)
            if est is not None:
                collect.grid(est)
            continue
        step = analysis.feed(item)
        if step is not None:
            collect.block(step.estimate)
            done += len(step.block)
            if on_progress is not None:
                on_progress(min(done / total, 1.0))
    cols = collect.columns()
    limits, overall = limits_held(engine)
    hello_rate = (info.hello or {}).get("rate_hz")
    heatmaps = collect.grids
    return DisplaySeries(
        key=display_key(info, store.sample_count(session_id)),
        started_s=info.meta.started_s,
        rate_hz=float(hello_rate) if hello_rate else _rate(cols["t_s"]),
        pressure_basis=collect.pressure_basis,
        columns=cols,
        grids={k: np.asarray(v) for k, v in heatmaps.items()} if heatmaps["t_s"] else {},
        region_limits_n=limits,
        overall_limit_n=overall,
    )


def _rate(t_s: np.ndarray) -> float:
    if t_s.shape[0] < 2:
        return 1.0
    return float(1.0 / np.median(np.diff(t_s)))


@dataclass(frozen=True)
class KeptDisplay:
    """The display series kept with a session, as read back: its key, the overview (with
    the meta data), the figures and the heatmaps (empty without a grid)."""

    key: str
    overview: dict[str, np.ndarray]
    figures: dict[str, np.ndarray]
    grids: dict[str, np.ndarray]

    @property
    def started_s(self) -> float:
        return float(self.overview["meta"][0])

    @property
    def rate_hz(self) -> float:
        return float(self.overview["meta"][1])

    @property
    def overall_limit_n(self) -> float:
        return float(self.overview["meta"][2])

    @property
    def samples(self) -> int:
        return int(self.overview["meta"][3])

    @property
    def pressure_basis(self) -> str:
        return bytes(self.overview.get("pressure_basis", np.empty(0, np.uint8))).decode()

    def figure_values(self) -> dict[str, float]:
        return dict(zip(FIGURE_VALUES, map(float, self.figures["values"]), strict=True))


def read_display(store: SessionStore, session_id: int) -> KeptDisplay | None:
    """The display series kept with the session, if they fit it as it is now."""
    info = store.session(session_id)
    key = display_key(info, store.sample_count(session_id))
    got = store.derived(session_id, key, [OVERVIEW, FIGURES, GRID])
    if OVERVIEW not in got or FIGURES not in got:
        return None
    return KeptDisplay(key, got[OVERVIEW], got[FIGURES], got.get(GRID, {}))


def kept(key: str, parts: Parts) -> KeptDisplay:
    """The KeptDisplay of parts made by DisplaySeries.parts()."""
    return KeptDisplay(key, dict(parts[OVERVIEW]), dict(parts[FIGURES]), dict(parts.get(GRID, {})))


def keep_display(
    store: SessionStore, session_id: int, on_progress: Callable[[float], None] | None = None
) -> KeptDisplay:
    """Derive the display series and keep them with the session (the store must be open
    for writing); what read_display then gives."""
    series = derive_display(store, session_id, on_progress)
    parts = series.parts()
    store.put_derived(session_id, series.key, parts)
    return kept(series.key, parts)


def window(
    read: Callable[[list[str]], dict[str, dict[str, np.ndarray]]],
    segment_t0_s: np.ndarray,
    t0_s: float,
    t1_s: float,
) -> dict[str, np.ndarray] | None:
    """Full-rate columns of the samples in [t0_s, t1_s] from the kept segments, which
    read(part names) gives (store.derived for one session and key, or parts in memory);
    None when a segment is missing (derived again meanwhile)."""
    if not len(segment_t0_s):
        return None
    first = max(int(np.searchsorted(segment_t0_s, t0_s, side="right")) - 1, 0)
    last = max(int(np.searchsorted(segment_t0_s, t1_s, side="right")) - 1, first)
    names = [segment_part(k) for k in range(first, last + 1)]
    got = read(names)
    if len(got) != len(names):
        return None
    cols = {c: np.concatenate([got[n][c] for n in names]) for c in got[names[0]]}
    t = cols["t_s"]
    a, b = np.searchsorted(t, t0_s, side="left"), np.searchsorted(t, t1_s, side="right")
    return {c: v[a:b] for c, v in cols.items()}


__all__ = [
    "FIGURE_VALUES",
    "DisplaySeries",
    "derive_display",
    "display_key",
    "grid_levels",
    "keep_display",
    "kept",
    "read_display",
    "window",
]
