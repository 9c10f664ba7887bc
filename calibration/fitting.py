"""Least-squares fit of a group's gains from known weights at known positions.

Each load step gives zero-corrected counts d (m cells), a weight W (N) and where it sits p.
With gains g the cells read f = g * d, and statics ask sum(f) = W and sum(f * x_cell) = W * p
(one moment row per dimension). Stacking every step gives an overdetermined linear system in g,
solved with numpy.linalg.lstsq: for a bar it is the lever rule, for the mat the joint corner fit.
A group the loaded places cannot determine (too few places, ill-conditioned) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from calibration.errors import UndeterminedGainsError
from calibration.geometry import Group

# above it a fit's gains are not trusted (CheckLimits.max_condition): a full mat plan scores
# about 1.5, the centre stack plus one corner 2.5; at 30 noise moves gains well under 1 %
MAX_CONDITION = 30.0
PLACE_RESOLUTION_M = 1e-3  # places closer than this count as one


@dataclass(frozen=True)
class GroupFit:
    """Fitted gains (m,) N per count, the rank of the system and its condition number."""

    gains_n_per_count: np.ndarray
    rank: int
    condition: float


def _frame(group: Group) -> tuple[np.ndarray, np.ndarray]:
    """Centre and half-extent of the cells, so moment rows are in newtons like the total row."""
    centre = group.positions_m.mean(axis=0)
    half = np.abs(group.positions_m - centre).max(axis=0)
    return centre, np.where(half > 0, half, 1.0)


def design(
    group: Group, deltas: np.ndarray, weights_n: np.ndarray, where_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the force and moment balance: A (k * (1 + dim), m) and b (k * (1 + dim),)."""
    d = np.asarray(deltas, dtype=np.float64).reshape(-1, len(group.channels))
    w = np.asarray(weights_n, dtype=np.float64).reshape(-1)
    p = np.asarray(where_m, dtype=np.float64).reshape(-1, group.dim)
    centre, half = _frame(group)
    arms = (group.positions_m - centre) / half  # (m, dim)
    rows = [d] + [d * arms[:, j] for j in range(group.dim)]
    rhs = [w] + [w * (p[:, j] - centre[j]) / half[j] for j in range(group.dim)]
    return np.concatenate(rows), np.concatenate(rhs)


def min_places(group: Group) -> int:
    """Distinct places a group must be loaded at: each gives 1 + dim balance rows (total and
    moments) and the m gains need m independent rows (1 on a bar, 2 on a 4-cell mat)."""
    return -(-len(group.channels) // (1 + group.dim))


def places_loaded(group: Group, where_m: np.ndarray) -> int:
    """How many distinct places (to PLACE_RESOLUTION_M) the steps loaded."""
    p = np.asarray(where_m, dtype=np.float64).reshape(-1, group.dim)
    return len(np.unique(np.round(p / PLACE_RESOLUTION_M), axis=0))


def _condition_text(condition: float) -> str:
    return f"{condition:.2g}" if np.isfinite(condition) else "infinite (a gain is left free)"


def fit_group(
    group: Group,
    deltas: np.ndarray,
    weights_n: np.ndarray,
    where_m: np.ndarray,
    max_condition: float = MAX_CONDITION,
) -> GroupFit:
    """Fit every gain of the group jointly. UndeterminedGainsError when the loaded places
    cannot tell the cells apart: fewer distinct places than min_places, or a condition number
    above max_condition (noise in the readings then moves the gains far more than it should)."""
    a, b = design(group, deltas, weights_n, where_m)
    scale = np.linalg.norm(a, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    solution, _, rank, sv = np.linalg.lstsq(a / scale, b, rcond=None)
    m = len(group.channels)
    full = rank == m and len(sv) == m and sv[-1] > 0
    condition = float(sv[0] / sv[-1]) if full else float("inf")
    places, need = places_loaded(group, where_m), min_places(group)
    if places < need or not condition <= max_condition:
        raise UndeterminedGainsError(
            f"{group.name}: the steps captured cannot determine its {m} gains "
            f"({places} distinct place{'s' if places != 1 else ''} loaded, at least {need} "
            f"needed; condition number {_condition_text(condition)}, limit {max_condition:.2g})"
            ": load it at more places",
            groups=(group.name,),
            conditions=(condition,),
            max_condition=max_condition,
        )
    return GroupFit(gains_n_per_count=solution / scale, rank=int(rank), condition=condition)


def resultant(
    group: Group, gains_n_per_count: np.ndarray, deltas: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Total force (k,) N and where it acts (k, dim) m, for (k, m) zero-corrected counts."""
    f = np.asarray(deltas, dtype=np.float64).reshape(-1, len(group.channels)) * gains_n_per_count
    total = f.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        where = (f @ group.positions_m) / total[:, None]
    return total, where


def step_errors(
    group: Group,
    gains_n_per_count: np.ndarray,
    deltas: np.ndarray,
    weights_n: ArrayLike,
    where_m: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Per step: total error in % of the weight, and distance (m) from the true position."""
    total, where = resultant(group, gains_n_per_count, deltas)
    w = np.asarray(weights_n, dtype=np.float64).reshape(-1)
    p = np.asarray(where_m, dtype=np.float64).reshape(-1, group.dim)
    return 100.0 * (total - w) / w, np.linalg.norm(where - p, axis=1)


def leave_one_out(
    group: Group,
    deltas: np.ndarray,
    weights_n: np.ndarray,
    where_m: np.ndarray,
    max_condition: float = MAX_CONDITION,
) -> tuple[np.ndarray, np.ndarray]:
    """Each step's errors as predicted by a fit of all the others (NaN where the others alone
    do not determine the gains well): a misplaced weight or an outlier stands out here."""
    d = np.asarray(deltas, dtype=np.float64).reshape(-1, len(group.channels))
    w = np.asarray(weights_n, dtype=np.float64).reshape(-1)
    p = np.asarray(where_m, dtype=np.float64).reshape(-1, group.dim)
    total_pct = np.full(len(d), np.nan)
    position_m = np.full(len(d), np.nan)
    for k in range(len(d)):  # one small lstsq per step: tens of steps, not samples
        keep = np.arange(len(d)) != k
        try:
            fit = fit_group(group, d[keep], w[keep], p[keep], max_condition)
        except UndeterminedGainsError:
            continue
        te, pe = step_errors(group, fit.gains_n_per_count, d[k], w[k], p[k])
        total_pct[k], position_m[k] = te[0], pe[0]
    return total_pct, position_m


def robust_outliers(errors: np.ndarray, abs_tol: float, k: float) -> np.ndarray:
    """True where |error| exceeds both abs_tol and k robust sds (MAD) of all the errors."""
    e = np.abs(np.asarray(errors, dtype=np.float64))
    finite = e[np.isfinite(e)]
    scale = 1.4826 * float(np.median(finite)) if len(finite) else 0.0
    with np.errstate(invalid="ignore"):
        return np.isfinite(e) & (e > max(abs_tol, k * scale))
