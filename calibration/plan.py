"""The list of steps a calibration walks through, with the prompt an operator reads at each.

Every group gets a stacking series at its middle (loading, then unloading back to zero: linearity
and hysteresis) and a series of one weight at several positions (eccentricity: bar quarters; mat
centre, corners and edges, and the centre again for repeatability). Zero steps, with everything
removed, open and close each series; they also remove the zero drift between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from calibration.geometry import Group, RigGeometry

StepKind = Literal["zero", "load"]
Direction = Literal["loading", "unloading"]


@dataclass(frozen=True)
class Step:
    """One thing the operator does, then holds still while the procedure captures it.

    For a load step, mass_kg is the total on the group and where_m its position in the table
    frame ((x,) on a bar, (x, y) on the mat). series names steps that share a position and
    are stacked; label says the place in words ("centre", "head-left corner").
    """

    index: int
    kind: StepKind
    group: str
    mass_kg: float
    where_m: tuple[float, ...]
    direction: Direction
    series: str
    label: str
    prompt: str


@dataclass(frozen=True)
class PlanSettings:
    """Which weights to use. Stack masses are added one by one (then removed in reverse).

    bar_fractions: where along the bar (0 = head mount, 1 = foot mount) the single weight is
    hung; mat_inset: how far from the mat centre towards a cell the corner and edge positions
    are (1 = right over the cell).
    """

    bar_stack_kg: tuple[float, ...] = (5.0, 5.0, 10.0)
    bar_single_kg: float = 10.0
    bar_fractions: tuple[float, ...] = (0.25, 0.75, 0.5)
    mat_stack_kg: tuple[float, ...] = (10.0, 10.0)
    mat_single_kg: float = 20.0
    mat_inset: float = 0.75
    groups: tuple[str, ...] | None = None  # None: every group of the rig


ZERO_PROMPT = (
    "Remove every weight from the bars and the table; nobody touches the rig. "
    "Press Enter when all is still."
)


def group_title(group: str) -> str:
    """How prompts name a group: "left bar", "right bar", "table"."""
    return "table" if group == "mat" else " ".join(reversed(group.split("_")))


def _fmt(mass_kg: float) -> str:
    return f"{mass_kg:g} kg"


def _where_text(group: Group, where: tuple[float, ...], label: str) -> str:
    if group.kind == "bar":
        return f"{label} (x = {where[0]:.3f} m from the table's head end)"
    return f"{label} (x = {where[0]:.3f} m, y = {where[1]:+.3f} m)"


def _stack(group: Group, masses_kg: Sequence[float], where: tuple[float, ...], label: str):
    """(mass, direction, prompt) for loading the stack one mass at a time, then unloading."""
    side = f"the {group_title(group.name)}"
    verb = "Place" if group.kind == "mat" else "Hang"
    totals = np.cumsum(masses_kg)
    place = _where_text(group, where, label)
    out = []
    for i, total in enumerate(totals):
        add = f"{verb} {_fmt(masses_kg[i])} on {side} at {place}"
        out.append((float(total), "loading", f"{add}: {_fmt(total)} in total there."))
    for i in range(len(totals) - 1, 0, -1):
        out.append(
            (
                float(totals[i - 1]),
                "unloading",
                f"Take {_fmt(masses_kg[i])} off {side}: {_fmt(totals[i - 1])} left at {place}.",
            )
        )
    return out


def _mat_positions(group: Group, inset: float) -> list[tuple[str, tuple[float, ...]]]:
    centre = group.positions_m.mean(axis=0)
    cells = centre + inset * (group.positions_m - centre)
    lo, hi = cells.min(axis=0), cells.max(axis=0)
    pts = [("centre", (centre[0], centre[1]))]
    pts += [
        (f"{ex}-{ey} corner", (x, y))
        for ex, x in (("head", lo[0]), ("foot", hi[0]))
        for ey, y in (("left", lo[1]), ("right", hi[1]))
    ]
    pts += [
        ("head edge", (lo[0], centre[1])),
        ("foot edge", (hi[0], centre[1])),
        ("left edge", (centre[0], lo[1])),
        ("right edge", (centre[0], hi[1])),
        ("centre", (centre[0], centre[1])),
    ]
    return [(name, (float(x), float(y))) for name, (x, y) in pts]


def _group_steps(group: Group, s: PlanSettings) -> list[tuple]:
    """(kind, mass, where, direction, series, label, prompt) for one group, zeros included."""
    zero = ("zero", 0.0, (), "unloading", "zero", "zero", ZERO_PROMPT)
    steps: list[tuple] = []
    if group.kind == "bar":
        (x_head,), (x_foot,) = group.positions_m
        mid: tuple[float, ...] = (float(x_head + x_foot) / 2.0,)
        stack, single_kg = s.bar_stack_kg, s.bar_single_kg
        singles: list[tuple[str, tuple[float, ...]]] = [
            (f"{f:.0%} of the way from the head mount", (float(x_head + f * (x_foot - x_head)),))
            for f in s.bar_fractions
        ]
        mid_label = "the middle"
        single_verb = f"Hang {_fmt(single_kg)} alone on the {group_title(group.name)} at"
    else:
        positions = _mat_positions(group, s.mat_inset)
        mid_label, mid = positions[0]
        stack, single_kg, singles = s.mat_stack_kg, s.mat_single_kg, positions
        single_verb = f"Place {_fmt(single_kg)} alone on the table at"
    for mass, direction, prompt in _stack(group, stack, mid, mid_label):
        steps.append(("load", mass, mid, direction, f"{group.name}:stack", mid_label, prompt))
    steps.append(zero)
    for label, where in singles:
        prompt = f"{single_verb} {_where_text(group, where, label)}."
        steps.append(("load", single_kg, where, "loading", f"{group.name}:single", label, prompt))
    steps.append(zero)
    return steps


def build_plan(geometry: RigGeometry, settings: PlanSettings | None = None) -> list[Step]:
    """The default procedure for every group of the rig (or settings.groups)."""
    s = settings or PlanSettings()
    names = s.groups if s.groups is not None else tuple(g.name for g in geometry.groups)
    raw: list[tuple] = [("zero", 0.0, (), "unloading", "zero", "zero", ZERO_PROMPT)]
    for name in names:
        raw.extend(_group_steps(geometry.group(name), s))
    plan = []
    for i, (kind, mass, where, direction, series, label, prompt) in enumerate(raw):
        group = "all" if kind == "zero" else series.split(":")[0]
        plan.append(Step(i, kind, group, mass, where, direction, series, label, prompt))
    return plan
