"""Recorded sessions for the review page: derived again from the raw counts through the same
analysis as live (ashisense.session.analysis), thinned to a display rate (heatmaps too), with
the alarm log, notes and gaps as they were recorded."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from ashisense.live import describe_setup
from ashisense.pipeline.types import EstimateBlock
from ashisense.session.analysis import SessionAnalysis
from ashisense.store import SessionInfo, open_store
from ashisense.store.replay import session_items
from dashboard.frames import grid_message, num, setup_message
from firmware_bridge.blocks import GridBlock

MAX_POINTS = 36_000  # an hour at 10 Hz: a few MB of JSON
MAX_HZ = 20.0
MAX_GRID_FRAMES = 1_800  # heatmaps: an hour at one every 2 s (about 4 MB for 64 x 27)
MAX_GRID_HZ = 2.0

# Columns of the review series: EstimateBlock fields, in the frame's names.
SERIES_FIELDS: tuple[str, ...] = (
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


class Thinner:
    """Keeps the first sample of every 1/hz bin, and the feet peak (unfiltered) in each bin."""

    def __init__(self, hz: float, t0_s: float, mat_idx: np.ndarray) -> None:
        self.hz, self.t0_s, self.mat_idx = hz, t0_s, mat_idx
        self._bin = -1
        self.pressure_basis = "none"
        self.t_s: list[np.ndarray] = []
        self.cols: dict[str, list[np.ndarray]] = {
            k: [] for k in (*SERIES_FIELDS, "region", "peak", "mat_cells")
        }

    def push(self, est: EstimateBlock) -> None:
        if len(est) == 0:
            return
        self.pressure_basis = est.pressure_basis
        bins = np.floor((est.t_s - self.t0_s) * self.hz).astype(np.int64)
        prev = np.concatenate([[self._bin], bins[:-1]])
        starts = np.flatnonzero(bins != prev)
        self._bin = int(bins[-1])
        head = est.feet_n[: starts[0]] if starts.size else est.feet_n
        if head.size and self.cols["peak"]:
            last = self.cols["peak"][-1]
            last[-1] = np.fmax(last[-1], np.fmax.reduce(head))
        if not starts.size:
            return
        self.t_s.append(est.t_s[starts])
        for k in SERIES_FIELDS:
            self.cols[k].append(getattr(est, k)[starts])
        self.cols["region"].append(est.region[starts].astype(np.float64))
        self.cols["peak"].append(np.fmax.reduceat(est.feet_n, starts))
        self.cols["mat_cells"].append(est.force_n[np.ix_(starts, self.mat_idx)])

    def columns(self) -> dict[str, Any]:
        """Lists for JSON (null where unknown); mat_cells as one list per mat channel."""

        def listed(parts: list[np.ndarray], digits: int) -> list[Any]:
            if not parts:
                return []
            a = np.round(np.concatenate(parts).astype(np.float64), digits)
            listed_a = a.astype(object)  # None (JSON null) where not finite
            listed_a[~np.isfinite(a)] = None
            return listed_a.tolist()

        out: dict[str, Any] = {"t_s": listed(self.t_s, 3), "pressure_basis": self.pressure_basis}
        for k in SERIES_FIELDS:
            out[k] = listed(self.cols[k], 1 if k.endswith(("_n", "_kpa")) else 3)
        out["region"] = listed(self.cols["region"], 0)
        out["feet_peak_n"] = listed(self.cols["peak"], 1)
        cells = self.cols["mat_cells"]
        stacked = np.concatenate(cells) if cells else np.empty((0, self.mat_idx.size))
        out["mat_cells_n"] = [listed([stacked[:, j]], 1) for j in range(stacked.shape[1])]
        return out


def session_row(info: SessionInfo) -> dict[str, Any]:
    """A session as the review page lists it."""
    s, m = info.summary, info.meta
    return {
        "id": info.id,
        "label": m.label,
        "started_s": num(m.started_s, 3),
        "stopped_s": num(info.stopped_s, 3),
        "duration_s": num(s.duration_s, 1),
        "samples": s.samples,
        "lost_samples": s.lost_samples,
        "alarm_count": s.alarm_count,
        "peak_feet_n": num(s.peak_feet_n, 1),
        "client": m.client.get("id"),
        "therapist": m.therapist.get("id"),
        "interrupted": info.interrupted,
    }


def build_series(store_path: str | Path, session_id: int, units: str) -> dict[str, Any]:
    """Everything the review page plays: setup, thinned series, alarm log, notes, gaps.

    Raises SessionNotFoundError for an unknown id, RigFileError / ProfileError when the
    session's snapshots cannot be read back.
    """
    with open_store(store_path, readonly=True) as store:
        info = store.session(session_id)
        analysis = SessionAnalysis.for_session(info)
        duration_s = max(info.summary.duration_s, 1.0)
        hz = min(MAX_HZ, MAX_POINTS / duration_s)
        t0_s = info.meta.started_s
        thin = Thinner(hz, t0_s, np.array(analysis.rig.index("mat"), dtype=np.intp))
        grid_gap_s = max(1.0 / MAX_GRID_HZ, duration_s / MAX_GRID_FRAMES)
        grids: list[dict[str, Any]] = []
        for item in session_items(store, session_id):
            if isinstance(item, GridBlock):
                # as live: the grid analysis itself, for the heatmap (feed() keeps no result)
                if analysis.rig.grid is not None:
                    est = analysis.pipeline.process_grid(item)
                    if not grids or item.t_s[-1] >= grids[-1]["t_s"] + grid_gap_s:
                        msg = grid_message(est)
                        if msg is not None:
                            grids.append(msg)
                continue
            step = analysis.feed(item)
            if step is not None:
                thin.push(step.estimate)
        alarms = store.alarms(session_id)
        notes = store.annotations(session_id)
        gaps = store.gaps(session_id)
    setup = describe_setup(
        analysis.rig, analysis.client, analysis.therapist, analysis.engine, info.id, t0_s
    )
    return {
        "session": session_row(info),
        "setup": setup_message(setup, units),
        "hz": hz,
        "series": thin.columns(),
        "grids": grids,
        "alarms": [
            {
                "t_s": num(a.t_s, 3),
                "rule_id": a.rule_id,
                "priority": a.priority,
                "transition": a.transition,
                "state": a.state,
                "value": num(a.value, 2),
                "limit": num(a.limit, 2),
                "message": a.message,
            }
            for a in alarms
        ],
        "notes": [{"t_s": num(n.t_s, 3), "text": n.text, "author": n.author} for n in notes],
        "gaps": [
            {"t_start_s": num(g.t_start_s, 3), "t_end_s": num(g.t_end_s, 3), "lost": g.lost}
            for g in gaps
        ],
    }


class SeriesCache:
    """The last few review series, keyed by session and how much of it was stored (a session
    still recording is derived again once more samples arrived)."""

    def __init__(self, store_path: str | Path, size: int = 4) -> None:
        self.store_path = store_path
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[int, int, str], dict[str, Any]] = OrderedDict()

    def sessions(self) -> list[dict[str, Any]]:
        """Every stored session, newest first ([] before the first recording)."""
        if isinstance(self.store_path, Path) and not self.store_path.exists():
            return []
        with open_store(self.store_path, readonly=True) as store:
            return [session_row(i) for i in reversed(store.sessions())]

    def get(self, session_id: int, units: str) -> dict[str, Any]:
        with open_store(self.store_path, readonly=True) as store:
            key = (session_id, store.sample_count(session_id), units)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        series = build_series(self.store_path, session_id, units)
        with self._lock:
            self._items[key] = series
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return series


__all__ = ["SeriesCache", "Thinner", "build_series", "session_row"]
