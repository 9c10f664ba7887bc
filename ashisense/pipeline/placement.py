"""Stage 5 of the pipeline: region and pressure. Which body region of the client the feet are
on (and whether it is a no-go one), and the feet pressure over a contact area taken from the
grid's latest contacts or else the therapist profile."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ashisense.bodymap import UNKNOWN, BodyMap
from ashisense.pipeline import kernels
from ashisense.pipeline.types import GridEstimate


class Placement(NamedTuple):
    """Where the feet are and how hard they press, in one block (the fields are
    EstimateBlock's, under the same names: the pipeline passes them on whole).

    region: (n,) int8 index into ashisense.bodymap.REGIONS, -1 where unknown. no_go: (n,)
    bool, feet in a no-go region of the client. pressure_kpa: (n,) float64 feet force over
    the contact area (NaN without an area). pressure_basis: where the area came from
    ("grid", "profile:<contact>" or "none").
    """

    region: np.ndarray
    no_go: np.ndarray
    pressure_kpa: np.ndarray
    pressure_basis: str


class PlacementStage:
    """Regions from the client's body map (none without a client); pressure over the grid's
    contact area while fresh (grid_hold_s), else over profile_area = (m^2, basis)."""

    def __init__(
        self, body: BodyMap | None, profile_area: tuple[float, str] | None, grid_hold_s: float
    ) -> None:
        self._tables = body.region_tables() if body is not None else None
        self._profile_area = profile_area
        self._grid_hold_s = grid_hold_s
        self._grid_area_m2 = np.nan
        self._grid_area_t_s = -np.inf

    def see_grid(self, est: GridEstimate) -> None:
        """Take the contact area of the last grid frame with feet on it as the basis."""
        ok = np.flatnonzero(est.valid & (est.n_blobs > 0))
        if ok.size:
            i = ok[-1]
            self._grid_area_m2 = float(np.nansum(est.blob_area_m2[i]))
            self._grid_area_t_s = float(est.t_s[i])

    def __call__(
        self, t_s: np.ndarray, feet_x_m: np.ndarray, feet_y_m: np.ndarray, feet_n: np.ndarray
    ) -> Placement:
        """Region and pressure of the feet at (feet_x_m, feet_y_m) with force feet_n (N),
        each (n,) at times t_s."""
        n = t_s.shape[0]
        fresh = n > 0 and t_s[-1] - self._grid_area_t_s <= self._grid_hold_s
        if fresh and self._grid_area_m2 > 0:
            area, basis = self._grid_area_m2, "grid"
        elif self._profile_area is not None:
            area, basis = self._profile_area
        else:
            area, basis = math.nan, "none"
        if self._tables is None:
            pressure_kpa = np.maximum(feet_n, 0.0)
            pressure_kpa /= area
            pressure_kpa /= 1000.0
            return Placement(
                np.full(n, UNKNOWN, dtype=np.int8), np.zeros(n, dtype=bool), pressure_kpa, basis
            )
        region, no_go, pressure_kpa = kernels.place(
            np.ascontiguousarray(feet_x_m, dtype=np.float64),
            np.ascontiguousarray(feet_y_m, dtype=np.float64),
            np.ascontiguousarray(feet_n, dtype=np.float64),
            float(area),
            *self._tables,
        )
        return Placement(region, no_go, pressure_kpa, basis)
