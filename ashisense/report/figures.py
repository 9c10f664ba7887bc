"""The report's figures (matplotlib, no pyplot: safe in any thread, no display needed).

Every function takes one digest, or two to compare (a trainee against an instructor), and
draws them on the same axes with the same scales.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, FancyBboxPatch, Patch, Rectangle

from ashisense.bodymap import BodyMap
from ashisense.report.digest import RegionFigures, SessionDigest
from ashisense.session.figures import BARS_LOADED_N
from calibration.units import STANDARD_GRAVITY_M_S2

SESSION_COLORS = ("#1f6fb4", "#e07b00")
PRIORITY_COLORS = {"high": "#d62728", "medium": "#f0a500", "low": "#17becf"}
#: Points per plotted series: min/max envelopes keep every peak visible.
MAX_POINTS = 3000

# Body outline, prone, seen from above: half width of each region across the table and the
# offset of each leg's centre from the midline, in metres for a 1.75 m client (scaled by
# stature). A drawing aid only: the regions' extents along x come from the body map.
_HALF_WIDTH_M = {
    "head": 0.085, "neck": 0.05, "upper_back": 0.22, "lumbar": 0.16, "pelvis": 0.18,
    "thigh": 0.075, "popliteal": 0.06, "calf": 0.055, "foot": 0.045,
}  # fmt: skip
_LEG_OFFSET_M = {"thigh": 0.09, "popliteal": 0.09, "calf": 0.085, "foot": 0.08}


def envelope(
    t: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin a long series into at most max_points bins: (bin start time, min, max), NaN-aware."""
    n = t.shape[0]
    if n <= max_points:
        return t, y, y
    starts = np.linspace(0, n, max_points, endpoint=False).astype(np.intp)
    with np.errstate(invalid="ignore"):
        return t[starts], np.fmin.reduceat(y, starts), np.fmax.reduceat(y, starts)


def binned_mean(
    t: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """Bin a long series into at most max_points bins: (bin start time, mean of the known
    values, NaN where a bin has none)."""
    n = t.shape[0]
    if n <= max_points:
        return t, y
    starts = np.linspace(0, n, max_points, endpoint=False).astype(np.intp)
    known = np.isfinite(y)
    total = np.add.reduceat(np.where(known, y, 0.0), starts)
    count = np.add.reduceat(known.astype(np.int64), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return t[starts], np.where(count > 0, total / count, np.nan)


def _time_axis(digests: Sequence[SessionDigest]) -> tuple[float, str]:
    longest_s = max((float(d.elapsed_s[-1]) for d in digests if len(d.elapsed_s)), default=0.0)
    return (60.0, "time into the session (min)") if longest_s > 300 else (1.0, "time (s)")


def _kgf_axis(ax: object) -> None:
    ax.secondary_yaxis(  # type: ignore[attr-defined]
        "right",
        functions=(lambda n: n / STANDARD_GRAVITY_M_S2, lambda kgf: kgf * STANDARD_GRAVITY_M_S2),
    ).set_ylabel("kgf")


def force_figure(digests: Sequence[SessionDigest]) -> Figure:
    """Feet force over time with the limit that held at each moment (that of the body region
    the feet were on) and every raised alarm marked."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax = fig.add_subplot()
    scale, label = _time_axis(digests)
    for d, color in zip(digests, SESSION_COLORS, strict=False):
        t, lo, hi = envelope(d.elapsed_s / scale, d.feet_n)
        ax.fill_between(t, lo, hi, color=color, alpha=0.25, linewidth=0)
        ax.plot(t, hi, color=color, linewidth=0.8, label=d.title)
        if np.isfinite(d.limit_held_n).any():  # the limit where the feet were, moment by moment
            t_lim, held, _ = envelope(d.elapsed_s / scale, d.limit_held_n)
            ax.step(t_lim, held, where="post", color=color, linestyle="--", linewidth=1.1,
                    label=f"{d.title}: limit as it held")  # fmt: skip
        raised = [a for a in d.alarms if a.transition == "raised"]
        for priority, pcolor in PRIORITY_COLORS.items():
            at = np.array([a.t_s - d.info.meta.started_s for a in raised if a.priority == priority])
            if at.size:  # a tick at the top of the plot at each alarm (values differ in unit)
                ax.vlines(at / scale, 0, 1, transform=ax.get_xaxis_transform(), colors=pcolor,
                          linewidth=0.5, alpha=0.35)  # fmt: skip
                ax.scatter(at / scale, np.full(at.shape, 0.97), transform=ax.get_xaxis_transform(),
                           marker="v", s=28, color=pcolor, edgecolors=color, linewidths=0.8,
                           zorder=3)  # fmt: skip
    handles = ax.get_legend_handles_labels()[0]
    handles += [
        Line2D([], [], marker="v", linestyle="", color=c, label=f"{p} alarm")
        for p, c in PRIORITY_COLORS.items()
    ]
    fig.legend(handles=handles, loc="outside lower center", fontsize=8, ncols=len(handles))
    ax.set_xlabel(label)
    ax.set_ylabel("feet force (N)")
    ax.set_title("Feet force on the client (envelope of every sample)")
    ax.grid(alpha=0.3)
    _kgf_axis(ax)
    return fig


#: What a body drawing asks per region: its face colour, and its label (None: no label; a
#: colour of its own for it, else dark grey).
FaceOf = Callable[[str], Any]
LabelOf = Callable[[str], tuple[str, str] | None]


def draw_body(ax: Any, body: BodyMap, face_of: FaceOf, label_of: LabelOf) -> None:
    """The client's body from above (head at the left as on the table), each region filled
    with face_of(region) and labelled with label_of(region); no-go regions outlined in red."""
    k = body.stature_m / 1.75
    y0 = body.midline_y_m
    bounds = body.bounds_x_m()
    label_side = 1
    for name, (a, b) in bounds.items():
        x0, x1 = min(a, b), max(a, b)
        edge = "#c00000" if name in body.no_go else "#444444"
        style = "--" if name in body.no_go else "-"
        half = _HALF_WIDTH_M[name] * k
        centres = (
            (y0 - _LEG_OFFSET_M[name] * k, y0 + _LEG_OFFSET_M[name] * k)
            if name in _LEG_OFFSET_M
            else (y0,)
        )
        for yc in centres:
            patch: Patch
            if name == "head":
                patch = Ellipse(((x0 + x1) / 2, yc), x1 - x0, 2 * half)
            else:
                patch = FancyBboxPatch(
                    (x0, yc - half), x1 - x0, 2 * half, boxstyle="round,pad=0,rounding_size=0.02"
                )
            patch.set(facecolor=face_of(name), edgecolor=edge, linestyle=style, linewidth=1.0)
            ax.add_patch(patch)
        _annotate(ax, label_of(name), (x0 + x1) / 2, y0 + label_side * 0.33 * k)
        label_side = -label_side
    # The spine band over the back, from the shoulders to the iliac crest.
    x_from = bounds["upper_back"][0]
    x_to = bounds["lumbar"][1]
    spine = Rectangle(
        (min(x_from, x_to), y0 - body.spine_half_width_m),
        abs(x_to - x_from),
        2 * body.spine_half_width_m,
        facecolor=face_of("spine"),
        edgecolor="#c00000" if "spine" in body.no_go else "#444444",
        linestyle="--",
        hatch="//",
    )
    ax.add_patch(spine)
    _annotate(ax, label_of("spine"), (x_from + x_to) / 2, y0, inside=True)


def _annotate(
    ax: Any, label: tuple[str, str] | None, x: float, y: float, inside: bool = False
) -> None:
    if label is None:
        return
    text, color = label
    ax.annotate(
        text, (x, y), ha="center", va="center", fontsize=7, color=color,
        bbox=None if not inside else {"facecolor": "white", "alpha": 0.7, "linewidth": 0},
    )  # fmt: skip


def _draw_times(ax: Any, d: SessionDigest, body: BodyMap, norm: Normalize) -> None:
    """The body with its regions coloured by the time spent there."""
    figures = {r.name: r for r in d.regions}
    cmap = colormaps["Blues"]
    draw_body(
        ax,
        body,
        lambda name: cmap(norm(figures[name].time_s if name in figures else 0.0)),
        lambda name: _time_label(name, figures.get(name)),
    )


def _time_label(name: str, r: RegionFigures | None) -> tuple[str, str] | None:
    """A region's label in the time figure: time there, peak and limit."""
    if r is None:
        return None
    peak = "–" if math.isnan(r.peak_n) else f"{r.peak_n:.0f}"
    limit = "" if r.limit_n is None else f"/{r.limit_n:.0f}"
    color = "#c00000" if r.no_go and r.time_s > 0 else "#222222"
    return f"{name}\n{r.time_s:.0f} s\n{peak}{limit} N", color


def regions_figure(digests: Sequence[SessionDigest]) -> Figure:
    """Time and peak feet force per body region, on the client's body outline."""
    fig = Figure(figsize=(11, 3.4 * len(digests)), layout="constrained")
    axes = fig.subplots(len(digests), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    longest = max((r.time_s for d in digests for r in d.regions), default=0.0)
    norm = Normalize(0.0, max(longest, 1.0))
    for ax, d in zip(axes, digests, strict=True):
        ax.set_title(f"{d.title}: time (s) and peak/limit feet force (N) per region", fontsize=9)
        ax.set_aspect("equal")
        if d.body is None:
            ax.text(0.5, 0.5, "no client profile: no body regions", ha="center", va="center",
                    transform=ax.transAxes)  # fmt: skip
            continue
        _draw_times(ax, d, d.body, norm)
        edges = d.body.edges_x_m()
        ax.set_xlim(min(edges) - 0.05, max(edges) + 0.05)
        ax.set_ylim(d.body.midline_y_m - 0.45, d.body.midline_y_m + 0.45)
        ax.set_ylabel("y (m)")
        off = next((r for r in d.regions if r.name == "off_body"), None)
        if off is not None and off.time_s > 0:
            ax.text(0.99, 0.02, f"off the body: {off.time_s:.0f} s", ha="right",
                    transform=ax.transAxes, fontsize=7)  # fmt: skip
    axes[-1].set_xlabel("x along the table from the head end (m)")
    fig.colorbar(
        ScalarMappable(norm=norm, cmap="Blues"), ax=list(axes), label="time in region (s)",
        shrink=0.8,
    )  # fmt: skip
    return fig


def path_figure(digests: Sequence[SessionDigest]) -> Figure:
    """Where the feet went on the table: the path of the feet's centre of force."""
    fig = Figure(figsize=(11, 4.6), layout="constrained")
    ax = fig.add_subplot()
    rig = digests[0].rig
    length, width = rig.table.length_m, rig.table.width_m
    ax.add_patch(
        Rectangle((0, -width / 2), length, width, facecolor="#f4f1ea", edgecolor="#777777")
    )
    mats = np.array([(c.x_m, c.y_m) for c in rig.channel if c.role == "mat"], dtype=float)
    mats = mats.reshape(-1, 2)  # a bars-only rig has none
    ax.scatter(mats[:, 0], mats[:, 1], marker="s", color="#777777",
               s=16, label="mat load cells")  # fmt: skip
    body = digests[0].body
    if body is not None:
        for name, (a, b) in body.bounds_x_m().items():
            ax.axvline(min(a, b), color="#bbbbbb", linewidth=0.6)
            ax.text((a + b) / 2, width / 2 + 0.01, name, ha="center", va="bottom", fontsize=7,
                    rotation=30)  # fmt: skip
    single = len(digests) == 1
    for d, color in zip(digests, SESSION_COLORS, strict=False):
        ok = np.flatnonzero(np.isfinite(d.feet_x_m) & np.isfinite(d.feet_y_m))
        pick = ok[:: max(1, ok.shape[0] // 20_000)]
        if single:
            points = ax.scatter(d.feet_x_m[pick], d.feet_y_m[pick], c=d.feet_n[pick], s=2,
                                cmap="viridis", label=d.title)  # fmt: skip
            fig.colorbar(points, ax=ax, label="feet force (N)", shrink=0.8)
        else:
            ax.scatter(d.feet_x_m[pick], d.feet_y_m[pick], s=2, color=color, alpha=0.35,
                       label=d.title)  # fmt: skip
    ax.set_aspect("equal")
    ax.set_xlim(-0.05, length + 0.05)
    ax.set_ylim(-width / 2 - 0.05, width / 2 + 0.15)
    ax.set_xlabel("x along the table from the head end (m)")
    ax.set_ylabel("y across the table (m)")
    ax.set_title("Path of the feet on the table (centre of the feet force)")
    ax.legend(loc="lower right", fontsize=8, markerscale=3)
    return fig


def balance_figure(digests: Sequence[SessionDigest]) -> Figure:
    """Bar balance: the left bar's share of the bar load over time, and its distribution."""
    fig = Figure(figsize=(11, 4.0), layout="constrained")
    over_time, spread = fig.subplots(1, 2, width_ratios=(3, 1), sharey=True)
    scale, label = _time_axis(digests)
    for d, color in zip(digests, SESSION_COLORS, strict=False):
        total = d.bar_left_n + d.bar_right_n
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > BARS_LOADED_N, d.bar_left_n / total, np.nan)
        t, lo, hi = envelope(d.elapsed_s / scale, share)
        over_time.fill_between(t, lo, hi, color=color, alpha=0.2, linewidth=0)
        t, mean = binned_mean(d.elapsed_s / scale, share)
        over_time.plot(t, mean, color=color, linewidth=0.8, label=d.title)
        known = share[np.isfinite(share)]
        if known.size:
            spread.hist(known, bins=40, range=(0, 1), orientation="horizontal", color=color,
                        alpha=0.5, weights=np.full(known.shape, 1 / known.size))  # fmt: skip
    for ax in (over_time, spread):
        ax.axhline(0.5, color="#444444", linewidth=0.8, linestyle=":")
        ax.grid(alpha=0.3)
    over_time.set_ylim(0, 1)
    over_time.set_xlabel(label)
    over_time.set_ylabel("left bar share of the bar load")
    over_time.set_title(f"Bar balance (while the bars carry > {BARS_LOADED_N:.0f} N)")
    over_time.legend(loc="upper left", fontsize=8)
    spread.set_xlabel("share of the time")
    return fig


FIGURES = {
    "Feet force over time": force_figure,
    "Time and peak per body region": regions_figure,
    "Path of the feet on the table": path_figure,
    "Bar balance": balance_figure,
}
