"""From a finished procedure to a calibration file: gains, offsets and the error figures.

Per channel and for each group's total: linearity (largest deviation of a stacking series from
its best straight line through zero, % of span), hysteresis (unloading minus loading at the
same load, % of span), repeatability (pooled sd of readings of the same load at the same place,
N). Per group, the eccentricity test: each single-weight placement's total and position, both
from the final fit and as predicted by a fit of all other steps (leave one out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from calibration.files import FORMAT_VERSION, CalibrationFile, ChannelCalibration, utc_now_iso
from calibration.fitting import GroupFit, leave_one_out, step_errors
from calibration.geometry import Group
from calibration.plan import Step

if TYPE_CHECKING:
    from calibration.procedure import CalibrationProcedure, GroupData

METHOD = (
    "known weights at known positions; per group one least-squares fit (numpy.linalg.lstsq) "
    "of all gains from the force and moment balance (lever rule on a bar, joint corner fit on "
    "the mat); zero drift removed by interpolating between zero steps; offset = final zero"
)


def load_figures(steps: Sequence[Step], forces_n: np.ndarray) -> dict[str, np.ndarray]:
    """Linearity, hysteresis (N) and repeatability (N sd) of (k, q) forces; NaN if undefined.

    Needs, respectively: a series with two load levels or more; a level reached both loading
    and unloading; the same load at the same place twice in the same direction.
    """
    f = np.asarray(forces_n, dtype=np.float64).reshape(len(steps), -1)
    q = f.shape[1]
    lin, hys = np.full(q, np.nan), np.full(q, np.nan)
    series: dict[tuple, list[int]] = defaultdict(list)
    repeats: dict[tuple, list[int]] = defaultdict(list)
    for k, s in enumerate(steps):
        series[(s.series, s.where_m)].append(k)
        repeats[(s.where_m, s.mass_kg, s.direction)].append(k)
    for ks in series.values():
        masses = np.array([steps[k].mass_kg for k in ks])
        dirs = np.array([steps[k].direction for k in ks])
        fs = f[ks]
        levels = np.unique(masses)
        if len(levels) >= 2:
            means = np.array([fs[masses == level].mean(axis=0) for level in levels])
            slope = levels @ means / (levels @ levels)
            lin = np.fmax(lin, np.abs(means - np.outer(levels, slope)).max(axis=0))
        for level in levels:
            up = (masses == level) & (dirs == "loading")
            down = (masses == level) & (dirs == "unloading")
            if up.any() and down.any():
                hys = np.fmax(hys, np.abs(fs[down].mean(axis=0) - fs[up].mean(axis=0)))
    sq, dof = np.zeros(q), 0
    for ks in repeats.values():
        if len(ks) >= 2:
            sq += ((f[ks] - f[ks].mean(axis=0)) ** 2).sum(axis=0)
            dof += len(ks) - 1
    rep = np.sqrt(sq / dof) if dof else np.full(q, np.nan)
    return {"linearity_n": lin, "hysteresis_n": hys, "repeatability_n": rep}


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _group_report(
    group: Group, data: GroupData, gains: np.ndarray, max_condition: float
) -> dict[str, Any]:
    """Per-channel and total figures, and the eccentricity table, of one fitted group."""
    forces = data.deltas * gains
    with_total = np.column_stack([forces, forces.sum(axis=1)])
    fig = load_figures(data.steps, with_total)
    span = np.maximum(np.abs(with_total).max(axis=0), 1e-12)
    total_pct, pos_m = step_errors(group, gains, data.deltas, data.weights_n, data.where_m)
    loo_total_pct, loo_pos_m = leave_one_out(
        group, data.deltas, data.weights_n, data.where_m, max_condition
    )
    rows = []
    for k, s in enumerate(data.steps):
        rows.append(
            {
                "step": s.index,
                "series": s.series,
                "label": s.label,
                "mass_kg": s.mass_kg,
                "direction": s.direction,
                "where_m": list(s.where_m),
                "total_n": float(with_total[k, -1]),
                "total_err_pct": float(total_pct[k]),
                "position_err_m": _num(pos_m[k]),
                "loo_total_err_pct": _num(loo_total_pct[k]),
                "loo_position_err_m": _num(loo_pos_m[k]),
            }
        )
    single = np.array([s.series.endswith(":single") for s in data.steps])
    corner = np.array([s.series.endswith(":single") and "corner" in s.label for s in data.steps])

    def worst(values: np.ndarray, mask: np.ndarray) -> float | None:
        v = np.abs(values[mask])
        v = v[np.isfinite(v)]
        return float(v.max()) if len(v) else None

    figures = {
        key: [_num(100.0 * v / s) for v, s in zip(fig[key], span, strict=True)]
        for key in ("linearity_n", "hysteresis_n")
    }
    return {
        "kind": group.kind,
        "channels": list(group.channels),
        "span_n": [float(s) for s in span[:-1]],
        "total": {
            "span_n": float(span[-1]),
            "linearity_pct": figures["linearity_n"][-1],
            "hysteresis_pct": figures["hysteresis_n"][-1],
            "repeatability_n": _num(fig["repeatability_n"][-1]),
        },
        "linearity_pct": figures["linearity_n"][:-1],
        "hysteresis_pct": figures["hysteresis_n"][:-1],
        "repeatability_n": [_num(v) for v in fig["repeatability_n"][:-1]],
        "eccentricity": {
            "max_total_err_pct": worst(total_pct, single),
            "max_position_err_m": worst(pos_m, single),
            "max_loo_total_err_pct": worst(loo_total_pct, single),
            "max_loo_position_err_m": worst(loo_pos_m, single),
            "corner_max_total_err_pct": worst(total_pct, corner),
            "corner_max_position_err_m": worst(pos_m, corner),
        },
        "steps": rows,
    }


def build_calibration(
    proc: CalibrationProcedure,
    fits: Mapping[str, tuple[GroupData, GroupFit]],
    device_serial: str,
    *,
    created_utc: str | None = None,
    previous: CalibrationFile | None = None,
) -> CalibrationFile:
    """Assemble the calibration file of a finished procedure from its groups' fits
    (proc.fits(), which refuses groups the steps cannot determine)."""
    geo = proc.geometry
    zeros = sorted(
        (c for c in proc.captures.values() if c.step.kind == "zero"), key=lambda c: c.t_mid_s
    )
    final_zero = zeros[-1].mean_counts
    channels: dict[str, ChannelCalibration] = {}
    groups: dict[str, Any] = {}
    for group in geo.groups:
        if group.name not in fits:
            continue
        data, fit = fits[group.name]
        rep = _group_report(group, data, fit.gains_n_per_count, proc.limits.max_condition)
        rep["condition"] = fit.condition
        groups[group.name] = rep
        for j, name in enumerate(group.channels):
            channels[name] = ChannelCalibration(
                offset_counts=float(final_zero[geo.channels.index(name)]),
                gain_n_per_count=float(fit.gains_n_per_count[j]),
                linearity_pct=rep["linearity_pct"][j],
                hysteresis_pct=rep["hysteresis_pct"][j],
                repeatability_n=rep["repeatability_n"][j],
            )
    carried = []
    if previous is not None:
        for name in geo.channels:
            if name not in channels and name in previous.channels:
                channels[name] = previous.channels[name]
                carried.append(name)
    drift = zeros[-1].mean_counts - zeros[0].mean_counts
    report = {
        "gravity_m_s2": proc.gravity_m_s2,
        "criteria": asdict(proc.criteria),
        "limits": asdict(proc.limits),
        "groups": groups,
        "skipped_steps": [
            {"step": i, "label": proc.plan[i].label, "group": proc.plan[i].group}
            for i in proc.skipped
        ],
        "carried_over": {
            "channels": carried,
            "from": previous.created_utc if carried and previous is not None else None,
        },
        "zero": {
            "duration_s": float(zeros[-1].t_mid_s - zeros[0].t_mid_s),
            "drift_counts": dict(zip(geo.channels, map(float, drift), strict=True)),
            "noise_counts": dict(
                zip(geo.channels, map(float, np.asarray(proc.noise_counts)), strict=True)
            ),
        },
    }
    return CalibrationFile(
        version=FORMAT_VERSION,
        created_utc=created_utc or utc_now_iso(),
        device_serial=device_serial,
        channels={n: channels[n] for n in geo.channels if n in channels},
        method=METHOD,
        report=report,
        unloaded_zero_counts={
            n: float(final_zero[i]) for i, n in enumerate(geo.channels) if n in channels
        },
    )


def _fmt(value: float | None, spec: str) -> str:
    return "  n/a" if value is None else format(value, spec)


def format_report(cal: CalibrationFile) -> str:
    """A plain-text summary for a terminal: per-channel constants and figures, eccentricity."""
    lines = [
        f"Calibration of device {cal.device_serial} at {cal.created_utc}",
        f"{'channel':<18}{'offset':>12}{'gain N/count':>14}{'lin %':>8}{'hys %':>8}{'rep N':>8}",
    ]
    for name, ch in cal.channels.items():
        lines.append(
            f"{name:<18}{ch.offset_counts:>12.0f}{ch.gain_n_per_count:>14.6g}"
            f"{_fmt(ch.linearity_pct, '8.3f')}{_fmt(ch.hysteresis_pct, '8.3f')}"
            f"{_fmt(ch.repeatability_n, '8.3f')}"
        )
    for name, g in cal.report.get("groups", {}).items():
        t, e = g["total"], g["eccentricity"]
        lines.append(
            f"{name} total: linearity {_fmt(t['linearity_pct'], '.3f')} %, hysteresis "
            f"{_fmt(t['hysteresis_pct'], '.3f')} %, repeatability "
            f"{_fmt(t['repeatability_n'], '.3f')} N"
        )
        pos = e["max_position_err_m"]
        loo = e["max_loo_position_err_m"]
        lines.append(
            f"{name} eccentricity: total within {_fmt(e['max_total_err_pct'], '.3f')} %, "
            f"position within {_fmt(None if pos is None else 1000 * pos, '.1f')} mm "
            f"(each predicted from the others: {_fmt(e['max_loo_total_err_pct'], '.3f')} %, "
            f"{_fmt(None if loo is None else 1000 * loo, '.1f')} mm)"
        )
    skipped = cal.report.get("skipped_steps") or []
    if skipped:
        lines.append(f"skipped steps (not fitted): {[s['step'] + 1 for s in skipped]}")
    return "\n".join(lines)
