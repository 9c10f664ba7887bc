"""What the browser receives: setup, frame, grid, alarms and status messages as JSON dicts.

Pure functions of the runtime's objects; NaN becomes null (JSON has no NaN). Forces stay in
newtons: the page converts to the studio's unit (kg or lb) for display.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ashisense.alarms import AlarmState, AlarmStatus
from ashisense.bodymap import REGIONS
from ashisense.live import LiveSetup, LiveStatus
from ashisense.pipeline.types import EstimateBlock, GridEstimate, reason_names
from ashisense.profiles import ClientProfile
from ashisense.rig import Rig


def num(x: Any, digits: int = 3) -> float | None:
    """A JSON number rounded to `digits`, or None for NaN, inf and None."""
    if x is None:
        return None
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


def rig_view(rig: Rig) -> dict[str, Any]:
    """The rig's geometry for drawing: table, bar mounts, mat cells, grid."""
    bars = rig.bars
    grid = rig.grid
    return {
        "kind": rig.kind,
        "table": {"length_m": rig.table.length_m, "width_m": rig.table.width_m},
        "bars": bars.model_dump() if bars else None,
        "mat": [
            {"name": c.name, "x_m": c.x_m, "y_m": c.y_m} for c in rig.channel if c.role == "mat"
        ],
        "grid": (
            {
                "rows": grid.rows,
                "cols": grid.cols,
                "pitch_x_m": grid.pitch_x_m,
                "pitch_y_m": grid.pitch_y_m,
                "origin_x_m": grid.origin_x_m,
                "origin_y_m": grid.origin_y_m,
            }
            if grid
            else None
        ),
    }


def body_view(client: ClientProfile | None) -> dict[str, Any] | None:
    """Where the client's body regions lie on the table (for the body outline)."""
    if client is None:
        return None
    body = client.body_map()
    bounds = body.bounds_x_m()
    return {
        "stature_m": body.stature_m,
        "head_x_m": body.head_x_m,
        "direction": body.direction,
        "midline_y_m": body.midline_y_m,
        "spine_half_width_m": body.spine_half_width_m,
        # the spine band runs from the shoulders (top of upper_back) to the iliac crest
        "spine_x_m": [bounds["upper_back"][0], bounds["lumbar"][1]],
        "bands": [{"region": r, "x_m": [a, b]} for r, (a, b) in bounds.items()],
        "no_go": sorted(body.no_go),
    }


def setup_message(setup: LiveSetup, units: str) -> dict[str, Any]:
    """Everything a page needs before it can draw frames."""
    c, t = setup.client, setup.therapist
    session = (
        {"id": setup.session_id, "started_s": setup.started_s}
        if setup.session_id is not None
        else None
    )
    return {
        "type": "setup",
        "units": units,
        "rig": rig_view(setup.rig),
        "body": body_view(c),
        "regions": list(REGIONS),
        "region_limits_n": [num(x, 1) for x in setup.region_limits_n],
        "feet_limit_n": num(setup.feet_limit_n, 1),
        "client": {"id": c.id, "weight_kg": c.weight_kg, "height_m": c.height_m} if c else None,
        "therapist": {"id": t.id, "weight_kg": t.weight_kg} if t else None,
        "session": session,
        "rules": [{"id": i, "priority": p, "title": title} for i, p, title in setup.rules],
    }


def mat_columns(rig: Rig) -> np.ndarray:
    """Indices of the mat channels in EstimateBlock.force_n."""
    return np.array(rig.index("mat"), dtype=np.intp)


def frame_message(
    est: EstimateBlock,
    seq: int,
    mat_idx: np.ndarray,
    strip: Sequence[tuple[float, float]],
    peak_n: float,
) -> dict[str, Any]:
    """The newest sample of `est` as a frame, with the strip points and the feet peak the
    display gives (those of the last moments: a viewer may have missed a frame)."""
    i = len(est) - 1
    region = int(est.region[i])
    return {
        "type": "frame",
        "seq": seq,
        "t_s": num(est.t_s[i], 4),
        "feet_n": num(est.feet_display_n[i], 1),
        "feet_raw_n": num(est.feet_n[i], 1),
        "feet_peak_n": num(peak_n, 1),
        "feet_x_m": num(est.feet_x_m[i]),
        "feet_y_m": num(est.feet_y_m[i]),
        "region": REGIONS[region] if region >= 0 else None,
        "no_go": bool(est.no_go[i]),
        "bar_left_n": num(est.bar_left_n[i], 1),
        "bar_right_n": num(est.bar_right_n[i], 1),
        "hand_left_x_m": num(est.hand_left_x_m[i]),
        "hand_right_x_m": num(est.hand_right_x_m[i]),
        "bar_left_share": num(est.bar_left_share[i]),
        "support_ratio": num(est.support_ratio[i]),
        "mat_n": num(est.mat_n[i], 1),
        "cop_x_m": num(est.cop_x_m[i]),
        "cop_y_m": num(est.cop_y_m[i]),
        "mat_cells_n": [num(x, 1) for x in est.force_n[i, mat_idx]],
        "pressure_kpa": num(est.pressure_kpa[i], 1),
        "pressure_basis": est.pressure_basis,
        "uncertain": list(reason_names(int(est.uncertain_reason[i]))),
        "baseline_ready": est.baseline_ready,
        "weight_n": num(est.therapist_weight_n, 1),
        "strip": [[num(t, 3), num(f, 1)] for t, f in strip],
    }


def grid_message(est: GridEstimate) -> dict[str, Any] | None:
    """The newest valid grid frame as 8-bit levels (base64) scaled to its peak; None if none."""
    ok = np.flatnonzero(est.valid)
    if ok.size == 0:
        return None
    i = int(ok[-1])
    added = np.nan_to_num(est.added[i].astype(np.float64), nan=0.0).clip(min=0.0)
    scale = float(added.max()) or 1.0
    levels = np.rint(added / scale * 255.0).astype(np.uint8)
    blobs = [
        {
            "x_m": num(est.blob_x_m[i, b]),
            "y_m": num(est.blob_y_m[i, b]),
            "force_n": num(est.blob_force_n[i, b], 1),
            "area_m2": num(est.blob_area_m2[i, b], 5),
        }
        for b in range(int(est.n_blobs[i]))
    ]
    return {
        "type": "grid",
        "t_s": num(est.t_s[i], 4),
        "rows": int(levels.shape[0]),
        "cols": int(levels.shape[1]),
        "unit": est.unit,
        "peak": num(est.peak[i], 2),
        "scale": num(scale, 3),
        "area_m2": num(est.area_m2[i], 5),
        "levels": base64.b64encode(levels.tobytes()).decode("ascii"),
        "blobs": blobs,
    }


def alarm_row(s: AlarmStatus) -> dict[str, Any]:
    return {
        "rule_id": s.rule_id,
        "priority": str(s.priority),
        "state": str(s.state),
        "message": s.message,
        "since_s": num(s.since_s, 3),
        "value": num(s.value, 2),
        "limit": num(s.limit, 2),
        "paused_until_s": num(s.audio_paused_until_s, 3),
        "latched": s.latched,
    }


def alarms_message(statuses: Iterable[AlarmStatus], t_s: float) -> dict[str, Any]:
    """Alarms that are not inactive (OFF ones included: they are always shown)."""
    shown = [s for s in statuses if s.state is not AlarmState.INACTIVE]
    sounding = [s.priority for s in shown if s.audible]
    return {
        "type": "alarms",
        "t_s": num(t_s, 3),
        "audible": str(min(sounding, key=lambda p: p.rank)) if sounding else None,
        "list": [alarm_row(s) for s in shown],
    }


def status_message(status: LiveStatus, viewers: int) -> dict[str, Any]:
    """Link, pipeline and recorder health."""
    link = status.link
    p = status.pipeline
    r = status.recorder
    return {
        "type": "status",
        "t_s": num(status.t_s, 3),
        "link": {
            "state": link.state,
            "url": link.url,
            "serial": (link.device or {}).get("serial"),
            "rate_hz": num(link.rate_hz, 2),
            "samples": link.samples,
            "lost_samples": link.lost_samples,
            "bad_packets": link.bad_packets,
            "reconnects": link.reconnects,
            "gaps": link.gaps,
            "last_error": link.last_error,
        },
        "pipeline": (
            {
                "rig_kind": p.rig_kind,
                "baseline_ready": p.baseline_ready,
                "baseline_status": p.baseline_status,
                "weight_n": num(p.therapist_weight_n, 1),
                "weight_source": p.weight_source,
            }
            if p
            else None
        ),
        "recorder": (
            {
                "state": r.state,
                "message": r.message,
                "written_samples": r.written_samples,
                "dropped_samples": r.dropped_samples,
            }
            if r
            else None
        ),
        "session_id": status.session_id,
        "problem": status.problem,
        "viewers": viewers,
    }
