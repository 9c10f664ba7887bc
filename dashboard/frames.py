"""What the browser receives: setup, frame, grid, alarms and status messages as JSON dicts.

Pure functions of the runtime's objects; NaN becomes null (JSON has no NaN). Forces stay in
newtons: the page converts to the studio's unit (kg, lb or N) for display; the words of an
alarm come written in the studio's unit (AlarmEngine.hazards), with the numbers beside them.
A frame carries the feet-force limit that held at each moment (the one the alarm uses) and
a region state that matches the alarm rules: danger only where a rule alarms.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ashisense.alarms import BindingLimits, HazardStatus, LimitSource
from ashisense.bodymap import REGION_TITLES, REGIONS
from ashisense.live import LiveSetup, LiveStatus
from ashisense.pipeline.types import EstimateBlock, GridEstimate, reason_names
from ashisense.profiles import ClientProfile
from ashisense.rig import Rig
from ashisense.store import PressRecord


def num(x: Any, digits: int = 3) -> float | None:
    """A JSON number rounded to `digits`, or None for NaN, inf and None."""
    if x is None:
        return None
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


#: The grid's fields a page draws it with: its layout (the rest is for its signal processing).
GRID_LAYOUT = {"rows", "cols", "pitch_x_m", "pitch_y_m", "origin_x_m", "origin_y_m"}


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
        "grid": grid.model_dump(include=GRID_LAYOUT) if grid else None,
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


def region_view(region: int, no_go: bool, source: LimitSource | None) -> dict[str, Any]:
    """Where the feet are, in words, and its state as the alarm rules see it.

    region_state: "no_go" (a no-go region for this client that an alarm rule guards: its
    alarm follows any real load), "limited" (a region rule's limit holds here), "unguarded"
    (the client must not be pressed here but no rule alarms on it: with corner cells the
    spine band is where the centre of both feet lies when they straddle the spine, so no
    rule alarms on it and the words say so, neutrally), "free", or "unknown" (no position).
    no_go: true only for "no_go", the one state shown as a danger.
    """
    if region < 0:
        return {"region": None, "region_state": "unknown", "region_text": "", "no_go": False}
    name = REGIONS[region]
    title = REGION_TITLES[name]
    guarded = source is not None and name in source.regions
    if no_go and guarded:
        state, text = "no_go", f"No-go: {title}"
    elif no_go and name == "spine":
        state, text = "unguarded", "Feet straddling the spine"
    elif no_go:
        state, text = "unguarded", f"{title.capitalize()} (no alarm rule here)"
    else:
        state, text = ("limited" if guarded else "free"), title.capitalize()
    return {"region": name, "region_state": state, "region_text": text, "no_go": state == "no_go"}


def frame_message(
    est: EstimateBlock,
    seq: int,
    mat_idx: np.ndarray,
    strip: Sequence[tuple[float, float, float]],
    peak_n: float,
    limits: BindingLimits | None = None,
) -> dict[str, Any]:
    """The newest sample of `est` as a frame, with the strip points ([t_s, feet_n, limit_n]:
    the limit that held then) and the feet peak the display gives (those of the last moments:
    a viewer may have missed a frame), and the limit that holds now with its rule (the one an
    alarm cites)."""
    i = len(est) - 1
    source = limits.source_at(i) if limits is not None else None
    limit_n = limits.limit_n[i] if limits is not None else None
    return {
        "type": "frame",
        "seq": seq,
        "t_s": num(est.t_s[i], 4),
        "feet_n": num(est.feet_display_n[i], 1),
        "feet_raw_n": num(est.feet_n[i], 1),
        "feet_peak_n": num(peak_n, 1),
        "feet_x_m": num(est.feet_x_m[i]),
        "feet_y_m": num(est.feet_y_m[i]),
        **region_view(int(est.region[i]), bool(est.no_go[i]), source),
        "limit_n": num(limit_n, 1),
        "limit_source": source.title if source else None,
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
        "strip": [[num(t, 3), num(f, 1), num(lim, 1)] for t, f, lim in strip],
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


def alarm_row(h: HazardStatus, units: str) -> dict[str, Any]:
    """One hazard's alarm: its words in the studio's unit (message), the binding rule's
    title, where, value and limit (value_n / limit_n for forces), and its folded causes.
    rule_id: the binding rule, for acknowledging (which acts on the whole hazard)."""
    lead = h.lead
    force = lead.unit == "N"
    return {
        "hazard": h.hazard,
        "rule_id": lead.rule_id,
        "priority": str(h.priority),
        "state": str(h.state),
        "message": h.text(units),
        "title": lead.title,
        "where": lead.where,
        "unit": lead.unit,
        "value": num(lead.peak if math.isfinite(lead.peak) else lead.value, 2),
        "limit": num(lead.limit, 2),
        "value_n": num(lead.peak, 1) if force else None,
        "limit_n": num(lead.limit, 1) if force else None,
        "since_s": num(h.since_s, 3),
        "paused_until_s": num(h.audio_paused_until_s, 3),
        "latched": h.latched,
        "causes": [
            {
                "rule_id": c.rule_id,
                "title": c.title,
                "priority": str(c.priority),
                "state": str(c.state),
                "limit": num(c.limit, 2),
            }
            for c in h.causes
        ],
    }


def alarms_message(hazards: Iterable[HazardStatus], t_s: float, units: str) -> dict[str, Any]:
    """The alarms a person sees, one per hazard (switched-off ones included: always shown)."""
    shown = list(hazards)
    sounding = [h.priority for h in shown if h.audible]
    return {
        "type": "alarms",
        "t_s": num(t_s, 3),
        "audible": str(min(sounding, key=lambda p: p.rank)) if sounding else None,
        "list": [alarm_row(h, units) for h in shown],
    }


def press_message(press: PressRecord) -> dict[str, Any]:
    """A press of the client (handset or client page): a cue for the therapist at once."""
    return {
        "type": "press",
        "t_s": num(press.t_s, 3),
        "button": press.button,
        "source": press.source,
        "feet_n": num(press.feet_n, 1),
        "region": press.region or None,
        "region_text": REGION_TITLES.get(press.region, ""),
        "pressure_kpa": num(press.pressure_kpa, 1),
    }


def status_message(status: LiveStatus, viewers: int) -> dict[str, Any]:
    """Link, pipeline and recorder health. The link's rate_hz is in device time (the last
    rate through a stall); recent_rate_hz, recent_lost and silent_s say what arrived over
    the last second of host time, so the page can tell a stalled or unplugged rig at once."""
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
            "nominal_hz": num((link.device or {}).get("rate_hz"), 2),
            "recent_rate_hz": num(link.recent_rate_hz, 2),
            "recent_lost": link.recent_lost,
            "silent_s": num(link.silent_s, 3),
            "samples": link.samples,
            "lost_samples": link.lost_samples,
            "bad_packets": link.bad_packets,
            "reconnects": link.reconnects,
            "gaps": link.gaps,
            "last_error": link.last_error,
            "identified": link.identified,
            "held_samples": link.held_samples,
            "refused": link.refused,
        },
        "pipeline": (
            {
                "rig_kind": p.rig_kind,
                "baseline_ready": p.baseline_ready,
                "baseline_status": p.baseline_status,
                "weight_n": num(p.therapist_weight_n, 1),
                "weight_source": p.weight_source,
                "client_shift_observable": p.client_shift_observable,
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
