"""Recorded sessions for the review page, from any session store (open_store: an SQLite
file, or a PostgreSQL URL at the desk): the list, a session's overview with its logs and
figures (display series derived once and kept, dashboard.review_jobs), full-rate windows
for the moments the trainer scrubs to, two sessions' differences, and a session evaluated
again under other rules or another client profile."""

from __future__ import annotations

import base64
import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ashisense.alarms import AlarmEngine, alarm_text, load_rule_set
from ashisense.bodymap import REGIONS
from ashisense.live import describe_setup
from ashisense.profiles import ClientProfile
from ashisense.session.analysis import SessionAnalysis
from ashisense.session.display import FLOAT_COLUMNS, GRID, KeptDisplay, window
from ashisense.session.episodes import AlarmEpisode, alarm_episodes
from ashisense.session.evaluate import evaluate_session
from ashisense.session.figures import PRIORITIES, alarms_raised
from ashisense.session.snapshot import rules_of
from ashisense.store import AlarmRecord, Annotation, SessionInfo, open_store
from dashboard.frames import num, setup_message
from dashboard.review_jobs import DisplayJobs

#: Longest window of full-rate samples one request returns (s).
MAX_WINDOW_S = 180.0
#: Largest rate a window is sent at: faster rigs are thinned (each kept point the bin's peak).
MAX_WINDOW_HZ = 100.0
OVERVIEW_COLUMNS = ("feet_min_n", "feet_max_n", "limit_n", "feet_x_m", "feet_y_m", "bar_left_share")


def listed(a: np.ndarray, digits: int) -> list[Any]:
    """A float array as a JSON list, rounded, null where not finite."""
    r = np.round(np.asarray(a, dtype=np.float64), digits)
    out = r.astype(object)
    out[~np.isfinite(r)] = None
    return list(out.tolist())


def session_row(info: SessionInfo) -> dict[str, Any]:
    """A session as the review page lists it (duration as `ashisense sessions` gives it)."""
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


def note_row(n: Annotation, author: str | None = None) -> dict[str, Any]:
    """A note for the page; `own` when written by this author (who may edit it)."""
    return {
        "id": n.id,
        "t_s": num(n.t_s, 3),
        "t_end_s": num(n.t_end_s, 3),
        "text": n.text,
        "author": n.author,
        "own": author is not None and n.author == author,
    }


def episode_row(
    e: AlarmEpisode, end_s: float, engine: AlarmEngine | None, units: str
) -> dict[str, Any]:
    """An alarm episode for the page: its rule's title, value and limit in the studio's unit."""
    rule = engine.rule(e.rule_id) if engine else None
    return {
        "t_s": num(e.t_s, 3),
        "title": rule.title() if rule else e.rule_id.replace("_", " ").capitalize(),
        "value_text": rule.fmt(e.value, units) if rule else _plain(e.value),
        "limit_text": rule.fmt(e.limit, units) if rule else _plain(e.limit),
        "end_s": num(e.end_s, 3),
        "duration_s": num(e.duration_s(end_s), 2),
        "rule_id": e.rule_id,
        "priority": e.priority,
        "value": num(e.value, 2),
        "limit": num(e.limit, 2),
        "region": e.region,
        "message": e.message,
        "acknowledged": e.acknowledged,
    }


def _region_at(kept: KeptDisplay) -> Any:
    """Where the feet were at a time, from the overview (the region at each bucket's peak)."""
    t, region = kept.overview.get("t_s"), kept.overview.get("region")

    def at(t_s: float) -> str:
        if t is None or region is None or not len(t):
            return ""
        code = int(region[max(int(np.searchsorted(t, t_s, side="right")) - 1, 0)])
        return REGIONS[code] if code >= 0 else ""

    return at


def _plain(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.2f}"


def episodes(
    alarms: Sequence[AlarmRecord],
    kept: KeptDisplay,
    end_s: float,
    engine: AlarmEngine | None,
    units: str,
) -> list[dict[str, Any]]:
    """The alarm log as episodes, each with the region the feet were on when it was raised."""
    return [episode_row(e, end_s, engine, units) for e in alarm_episodes(alarms, _region_at(kept))]


def figures_json(
    kept: KeptDisplay, info: SessionInfo, alarms: Sequence[AlarmRecord]
) -> dict[str, Any]:
    """The session's figures: one duration (the session's own), per-region time and peak."""
    f = kept.figures
    limits = kept.overview["region_limits_n"]
    return {
        "duration_s": num(info.summary.duration_s, 2),
        **{k: num(v, 4) for k, v in kept.figure_values().items()},
        "alarms_raised": alarms_raised(alarms),
        "regions": [
            {
                "name": name,
                "time_s": num(f["region_time_s"][i], 2),
                "peak_n": num(f["region_peak_n"][i], 1),
                "over_s": num(f["region_over_s"][i], 2),
                "limit_n": num(limits[i], 1),
            }
            for i, name in enumerate(REGIONS)
        ],
    }


class Review:
    """The review of one store's sessions (any SessionStore backend, by open_store)."""

    def __init__(self, store_target: str | Path) -> None:
        self.store_target = store_target
        self.jobs = DisplayJobs(store_target)

    def sessions(self) -> list[dict[str, Any]]:
        """Every stored session, newest first ([] before the first recording)."""
        if isinstance(self.store_target, Path) and not self.store_target.exists():
            return []
        with open_store(self.store_target, readonly=True) as store:
            return [session_row(i) for i in reversed(store.sessions())]

    def open(self, session_id: int, units: str, author: str | None) -> dict[str, Any]:
        """A session as the page shows it, or how far its series are derived (state
        "deriving", progress; with a preview of a grid rig's series meanwhile)."""
        shown, complete, job = self.jobs.current(session_id)
        if job is not None and job.error is not None:
            return {"state": "failed", "error": job.error}
        if shown is None:
            return {"state": "deriving", "progress": round(job.progress if job else 0.0, 3)}
        out = self._payload(session_id, shown, units, author)
        out["state"] = "ready" if complete else "preview"
        out["progress"] = 1.0 if job is None else round(job.progress, 3)
        return out

    def _payload(
        self, session_id: int, kept: KeptDisplay, units: str, author: str | None
    ) -> dict[str, Any]:
        with open_store(self.store_target, readonly=True) as store:
            info = store.session(session_id)
            alarms, notes, gaps = (
                store.alarms(session_id),
                store.annotations(session_id),
                store.gaps(session_id),
            )
        analysis = SessionAnalysis.for_session(info)
        alarms = worded(alarms, analysis.engine, units)
        setup = describe_setup(
            analysis.rig,
            analysis.client,
            analysis.therapist,
            analysis.engine,
            info.id,
            kept.started_s,
        )
        ov = kept.overview
        end_s = kept.started_s + max(info.summary.duration_s, 0.0)
        return {
            "session": session_row(info),
            "key": kept.key,
            "setup": setup_message(setup, units),
            "rate_hz": kept.rate_hz,
            "pressure_basis": kept.pressure_basis,
            "overall_limit_n": num(kept.overall_limit_n, 1),
            "overview": {"t_s": listed(ov.get("t_s", np.empty(0)), 3)}
            | {c: listed(ov.get(c, np.empty(0)), 3) for c in OVERVIEW_COLUMNS}
            | {"region": [int(x) for x in ov.get("region", ())]},
            "figures": figures_json(kept, info, alarms),
            "alarms": [alarm_row(a, analysis.engine) for a in alarms],
            "episodes": episodes(alarms, kept, end_s, analysis.engine, units),
            "notes": [note_row(n, author) for n in notes],
            "gaps": [
                {"t_start_s": num(g.t_start_s, 3), "t_end_s": num(g.t_end_s, 3), "lost": g.lost}
                for g in gaps
            ],
        }

    def window(self, session_id: int, key: str, t0_s: float, t1_s: float) -> dict[str, Any] | None:
        """Full-rate samples (at most MAX_WINDOW_HZ) and heatmaps in [t0_s, t1_s] of the
        series kept under `key`; None when they are no longer kept (derived again)."""
        t1_s = min(t1_s, t0_s + MAX_WINDOW_S)
        with open_store(self.store_target, readonly=True) as store:
            store.session(session_id)  # SessionNotFoundError before anything else
        overview = self.jobs.read(session_id, key, ["overview"]).get("overview")
        if overview is None:
            return None
        cols = window(
            lambda names: self.jobs.read(session_id, key, names),
            overview["segment_t0_s"],
            t0_s,
            t1_s,
        )
        if cols is None:
            return None
        out = window_json(cols, float(overview["meta"][1]))
        out["grids"] = self._grids(session_id, key, t0_s, t1_s)
        return out

    def _grids(self, session_id: int, key: str, t0_s: float, t1_s: float) -> list[dict[str, Any]]:
        grid = self.jobs.read(session_id, key, [GRID]).get(GRID)
        if not grid:
            return []
        t = grid["t_s"]
        a, b = np.searchsorted(t, t0_s - 2.0), np.searchsorted(t, t1_s, side="right")
        levels = grid["levels"]
        return [
            {
                "t_s": num(t[i], 3),
                "rows": int(levels.shape[1]),
                "cols": int(levels.shape[2]),
                "scale": num(grid["scale"][i], 3),
                "peak": num(grid["peak"][i], 2),
                "levels": base64.b64encode(levels[i].tobytes()).decode("ascii"),
            }
            for i in range(a, b)
        ]

    def compare(self, a: int, b: int) -> list[dict[str, Any]] | None:
        """The table of differences of two sessions (b - a); None until both are derived."""
        figures = []
        for sid in (a, b):
            kept, complete, _job = self.jobs.current(sid)
            if kept is None or not complete:
                return None
            with open_store(self.store_target, readonly=True) as store:
                figures.append(figures_json(kept, store.session(sid), store.alarms(sid)))
        return difference_rows(figures[0], figures[1])

    def evaluate(
        self, session_id: int, rules_path: Path | None, client: ClientProfile | None, units: str
    ) -> dict[str, Any]:
        """The alarms the session would have raised under other rules or another client
        profile (`ashisense evaluate`'s code path), beside those it recorded."""
        with open_store(self.store_target, readonly=True) as store:
            info = store.session(session_id)
            rules = load_rule_set(rules_path) if rules_path else None
            if rules is None:
                rules = rules_of(info)
            if rules is None:
                raise ValueError("the session was recorded without alarm rules: choose a rule set")
            result = evaluate_session(store, session_id, rules, client=client)
            recorded = store.alarms(session_id)
        end_s = info.meta.started_s + info.summary.duration_s
        engine = SessionAnalysis.for_session(info, rules=rules, client=client).engine
        evaluated = worded([AlarmRecord.of(e) for e in result.events], engine, units)
        return {
            "limits": result.notes,
            "episodes": [episode_row(e, end_s, engine, units) for e in alarm_episodes(evaluated)],
            "by_rule": rule_counts(recorded, evaluated),
            "raised": alarms_raised(evaluated),
            "recorded_raised": alarms_raised(recorded),
        }


def worded(
    alarms: Sequence[AlarmRecord], engine: AlarmEngine | None, units: str
) -> list[AlarmRecord]:
    """Log rows with their words in the studio's unit (alarm_text), as the live page shows."""
    return [
        dataclasses.replace(
            a, message=alarm_text(a, engine.rule(a.rule_id) if engine else None, units)
        )
        for a in alarms
    ]


def alarm_row(a: AlarmRecord, engine: AlarmEngine | None) -> dict[str, Any]:
    rule = engine.rule(a.rule_id) if engine else None
    return {
        "t_s": num(a.t_s, 3),
        "rule_id": a.rule_id,
        "title": rule.title() if rule else a.rule_id.replace("_", " ").capitalize(),
        "priority": a.priority,
        "transition": a.transition,
        "state": a.state,
        "value": num(a.value, 2),
        "limit": num(a.limit, 2),
        "message": a.message,
    }


def rule_counts(
    recorded: Sequence[AlarmRecord], evaluated: Sequence[AlarmRecord]
) -> list[dict[str, Any]]:
    """Raised alarms per rule: as recorded, and as evaluated."""
    rows: dict[str, dict[str, Any]] = {}
    for which, log in (("recorded", recorded), ("evaluated", evaluated)):
        for a in log:
            if a.transition == "raised":
                row = rows.setdefault(
                    a.rule_id,
                    {"rule_id": a.rule_id, "priority": a.priority, "recorded": 0, "evaluated": 0},
                )
                row[which] += 1
    return sorted(
        rows.values(),
        key=lambda r: (
            PRIORITIES.index(r["priority"]) if r["priority"] in PRIORITIES else 9,
            r["rule_id"],
        ),
    )


#: Rows of the table of differences: (key in the figures, label, unit).
DIFFERENCES = (
    ("duration_s", "duration", "s"),
    ("peak_n", "peak feet force", "N"),
    ("time_over_limit_s", "time over the limit", "s"),
    ("time_loaded_s", "time on the client", "s"),
    ("mean_loaded_n", "mean feet force on the client", "N"),
    ("bar_left_share", "left bar share", "share"),
)


def difference_rows(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows (key, label, unit, a, b, diff = b - a) of two sessions' figures_json."""

    def row(key: str, label: str, unit: str, x: Any, y: Any) -> dict[str, Any]:
        diff = None if x is None or y is None else num(y - x, 4)
        return {"key": key, "label": label, "unit": unit, "a": x, "b": y, "diff": diff}

    rows = [row(k, label, unit, a.get(k), b.get(k)) for k, label, unit in DIFFERENCES]
    for p in PRIORITIES:
        rows.append(
            row(
                f"alarms_{p}",
                f"{p} alarms raised",
                "count",
                a["alarms_raised"][p],
                b["alarms_raised"][p],
            )
        )
    for ra, rb in zip(a["regions"], b["regions"], strict=True):
        if (ra["time_s"] or 0) > 0 or (rb["time_s"] or 0) > 0:
            name = ra["name"]
            rows.append(row(f"time_{name}", f"time on {name}", "s", ra["time_s"], rb["time_s"]))
            rows.append(row(f"peak_{name}", f"peak on {name}", "N", ra["peak_n"], rb["peak_n"]))
    return rows


def window_json(cols: dict[str, np.ndarray], rate_hz: float) -> dict[str, Any]:
    """Window columns as JSON lists; above MAX_WINDOW_HZ every k-th sample, with the feet
    peak of its bin (so no peak is lost)."""
    n = len(cols["t_s"])
    step = max(1, math.ceil(rate_hz / MAX_WINDOW_HZ))
    pick = np.arange(0, n, step)
    feet = cols["feet_n"]
    peak = np.fmax.reduceat(feet, pick) if n else feet
    out: dict[str, Any] = {"t_s": listed(cols["t_s"][pick], 4), "feet_peak_n": listed(peak, 1)}
    for c in FLOAT_COLUMNS:
        digits = 1 if c.endswith(("_n", "_kpa")) else 3
        out[c] = listed(cols[c][pick], digits)
    out["limit_n"] = listed(cols["limit_n"][pick], 1)
    out["region"] = [int(x) for x in cols["region"][pick]]
    cells = cols["mat_cells_n"][pick]
    out["mat_cells_n"] = [listed(cells[:, j], 1) for j in range(cells.shape[1])]
    return out


__all__ = ["Review", "difference_rows", "session_row"]
