"""The report's view of the client's voice: their comfort map on the body outline, and the
presses of the session in words."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ashisense.bodymap import REGION_TITLES, BodyMap
from ashisense.client.comfort import ComfortMap, comfort_map
from ashisense.report.digest import SessionDigest
from ashisense.report.figures import draw_body
from ashisense.store.base import SessionStore
from calibration.units import STANDARD_GRAVITY_M_S2 as G

#: Comfort limits outside this range (kgf) take the colour scale's ends.
SCALE_KGF = (10.0, 50.0)
CMAP = "viridis"


def comfort_until(store: SessionStore, d: SessionDigest) -> ComfortMap | None:
    """The client's comfort map from their sessions up to this one (None: no client)."""
    client_id = d.info.meta.client.get("id")
    if not client_id:
        return None
    started_s = d.info.meta.started_s
    sessions = [
        i.id
        for i in store.sessions()
        if i.meta.client.get("id") == client_id and i.meta.started_s <= started_s
    ]
    return comfort_map(client_id, {sid: store.presses(sid) for sid in sessions})


def comfort_figure(maps: Sequence[tuple[str, BodyMap, ComfortMap]]) -> Figure:
    """Each client's comfort limit per region (kgf) on their body outline, the comfortable
    range below it, and the presses and sessions each figure rests on."""
    fig = Figure(figsize=(11, 3.4 * len(maps)), layout="constrained")
    axes = fig.subplots(len(maps), 1, squeeze=False)[:, 0]
    norm = Normalize(*SCALE_KGF)
    for ax, (title, body, comfort) in zip(axes, maps, strict=True):
        ax.set_title(
            f"{title}: comfort limit per region (where the client starts to ask for lighter), "
            f"from {comfort.sessions} sessions",
            fontsize=9,
        )
        ax.set_aspect("equal")
        _draw_comfort(ax, body, comfort, norm)
        edges = body.edges_x_m()
        ax.set_xlim(min(edges) - 0.05, max(edges) + 0.05)
        ax.set_ylim(body.midline_y_m - 0.45, body.midline_y_m + 0.45)
        ax.set_ylabel("y (m)")
    axes[-1].set_xlabel("x along the table from the head end (m)")
    fig.colorbar(
        ScalarMappable(norm=norm, cmap=CMAP), ax=list(axes), label="comfort limit (kgf)",
        shrink=0.8,
    )  # fmt: skip
    return fig


def _draw_comfort(ax: Any, body: BodyMap, comfort: ComfortMap, norm: Normalize) -> None:
    """The body with each region coloured by its comfort limit and labelled with it."""
    regions = {r.region: r for r in comfort.regions}
    cmap = colormaps[CMAP]

    def face(name: str) -> object:
        r = regions.get(name)
        return "#eeeeee" if r is None or math.isnan(r.limit_n) else cmap(norm(r.limit_n / G))

    def label(name: str) -> tuple[str, str] | None:
        r = regions.get(name)
        if r is None:
            return None
        limit = "–" if math.isnan(r.limit_n) else f"{r.limit_n / G:.1f} kgf"
        floor = "" if math.isnan(r.floor_n) else f"\nfrom {r.floor_n / G:.1f}"
        return f"{name}\n{limit}{floor}\n{r.presses} presses, {r.sessions} sess.", "#222222"

    draw_body(ax, body, face, label)


def press_lines(store: SessionStore, d: SessionDigest) -> list[str]:
    """The session's presses in words (escaped HTML), for the notes."""
    t0 = d.info.meta.started_s
    lines = []
    for p in store.presses(d.info.id):
        where = f" on the {REGION_TITLES[p.region]}" if p.region else ""
        force = "" if math.isnan(p.feet_n) else f" at {p.feet_n / G:.1f} kgf"
        after = "" if math.isnan(p.feet_after_n) else f"; 2 s later {p.feet_after_n / G:.1f} kgf"
        lines.append(
            escape(f"{p.t_s - t0:.1f} s, the client pressed {p.button} ({p.source}){where}"
                   f"{force}{after}")
        )  # fmt: skip
    return lines
