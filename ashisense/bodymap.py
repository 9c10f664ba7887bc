"""Body regions of a prone client along the table, from stature and where the head lies.

Landmark heights are the segment proportions of Drillis & Contini (1966), "Body segment
parameters", Rep. 1166-03, New York University, as tabulated in D. A. Winter, "Biomechanics
and Motor Control of Human Movement", 4th ed., Wiley 2009, Fig. 4.1 (heights above the floor
as fractions of stature H): chin 0.870, shoulder (acromion) 0.818, chest (nipple) 0.720,
elbow 0.630, hip (greater trochanter) 0.530, knee 0.285, ankle 0.039; foot length 0.152.
Lying prone, a landmark at height h*H standing lies (1 - h)*H from the vertex along the body.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

# Region codes are indices into REGIONS; -1 means "unknown" (no position).
REGIONS: tuple[str, ...] = (
    "off_body",
    "head",
    "neck",
    "upper_back",
    "spine",
    "lumbar",
    "pelvis",
    "thigh",
    "popliteal",
    "calf",
    "foot",
)
UNKNOWN = -1
REGION_CODE: dict[str, int] = {name: i for i, name in enumerate(REGIONS)}
# What a person reads for each region (alarm texts, the panel); never the id.
REGION_TITLES: dict[str, str] = {
    "off_body": "off the body",
    "head": "head",
    "neck": "neck",
    "upper_back": "upper back",
    "spine": "spine",
    "lumbar": "lumbar / kidney band",
    "pelvis": "pelvis / glutes",
    "thigh": "thigh",
    "popliteal": "back of the knee",
    "calf": "calf",
    "foot": "foot",
}

# Never pressed in Ashiatsu: skull, cervical spine, spinous processes, popliteal fossa.
NO_GO_DEFAULT: frozenset[str] = frozenset({"head", "neck", "spine", "popliteal"})
# Pressed lightly: the lumbar band over the kidneys (floating ribs to iliac crest).
SENSITIVE_DEFAULT: frozenset[str] = frozenset({"lumbar"})

# Standing heights as fractions of H (Winter 2009, Fig. 4.1, after Drillis & Contini 1966).
H_CHIN = 0.870
H_SHOULDER = 0.818
H_CHEST = 0.720
H_ELBOW = 0.630
H_HIP = 0.530
H_KNEE = 0.285
H_ANKLE = 0.039
FOOT_LENGTH = 0.152
# Derived boundaries (not in the table, placed between its landmarks and said so):
H_RIB_MARGIN = (H_CHEST + H_ELBOW) / 2  # lowest ribs / T12, top of the kidney band
H_ILIAC_CREST = (H_ELBOW + H_HIP) / 2  # L4, bottom of the kidney band
H_GLUTEAL_FOLD = H_HIP - 0.05  # buttock crease, about 9 cm below the trochanter at 1.75 m
POPLITEAL_HALF = 0.03  # the fossa spans the knee joint line +-0.03 H (about +-5 cm)

# Boundaries along the body from the vertex (fractions of H) and the region after each.
_EDGES = np.array(
    [
        0.0,
        1 - H_CHIN,
        1 - H_SHOULDER,
        1 - H_RIB_MARGIN,
        1 - H_ILIAC_CREST,
        1 - H_GLUTEAL_FOLD,
        1 - H_KNEE - POPLITEAL_HALF,
        1 - H_KNEE + POPLITEAL_HALF,
        1 - H_ANKLE,
        1 - H_ANKLE + FOOT_LENGTH,
    ]
)
_AFTER_EDGE = np.array(
    [REGION_CODE[r] for r in ("head", "neck", "upper_back", "lumbar", "pelvis", "thigh")]
    + [REGION_CODE[r] for r in ("popliteal", "calf", "foot", "off_body")],
    dtype=np.int8,
)
# Region by np.searchsorted(_EDGES, u, side="right"): before the vertex, then after each edge.
_BY_EDGE = np.concatenate(([REGION_CODE["off_body"]], _AFTER_EDGE)).astype(np.int8)
# The spine band runs from the shoulders to the iliac crest (cervical part is "neck").
_SPINE_FROM = 1 - H_SHOULDER
_SPINE_TO = 1 - H_ILIAC_CREST


@dataclass(frozen=True)
class BodyMap:
    """Where each region of a prone client lies on the table.

    stature_m: client height. head_x_m: x of the top of the head (vertex). direction: +1 if
    the feet point to larger x (head at the head end), -1 otherwise. midline_y_m: y of the
    spine. spine_half_width_m: half width of the no-go band over the spinous processes.
    no_go: region names this client must not be pressed on.
    """

    stature_m: float
    head_x_m: float
    direction: int = 1
    midline_y_m: float = 0.0
    spine_half_width_m: float = 0.03
    no_go: frozenset[str] = field(default=NO_GO_DEFAULT)

    def __post_init__(self) -> None:
        if not 0.5 < self.stature_m < 2.5:
            raise ValueError(f"BodyMap: stature_m must be in (0.5, 2.5) m, got {self.stature_m}")
        if self.direction not in (1, -1):
            raise ValueError(f"BodyMap: direction must be 1 or -1, got {self.direction}")
        unknown = set(self.no_go) - set(REGIONS)
        if unknown:
            raise ValueError(f"BodyMap: unknown no-go regions {sorted(unknown)}; valid: {REGIONS}")

    def edges_x_m(self) -> np.ndarray:
        """Region boundaries along x (m), in body order from the vertex."""
        return self.head_x_m + self.direction * _EDGES * self.stature_m

    def bounds_x_m(self) -> dict[str, tuple[float, float]]:
        """(start, end) along x of each band region, in body order (spine excluded)."""
        edges = self.edges_x_m()
        return {
            REGIONS[code]: (float(edges[i]), float(edges[i + 1]))
            for i, code in enumerate(_AFTER_EDGE[:-1])
        }

    def _along(self, x_m: np.ndarray) -> np.ndarray:
        """Distance from the vertex along the body, as a fraction of stature."""
        return self.direction * (np.asarray(x_m, dtype=np.float64) - self.head_x_m) / self.stature_m

    def _in_spine(self, u: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        return (
            (u >= _SPINE_FROM)
            & (u < _SPINE_TO)
            & (np.abs(y_m - self.midline_y_m) < self.spine_half_width_m)
        )

    def classify(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Region code (int8, index into REGIONS) of each point; -1 where x or y is NaN."""
        x_m = np.asarray(x_m, dtype=np.float64)
        y_m = np.asarray(y_m, dtype=np.float64)
        if x_m.shape != y_m.shape:
            x_m, y_m = np.broadcast_arrays(x_m, y_m)
        u = self._along(x_m)
        codes = _BY_EDGE[np.searchsorted(_EDGES, u.ravel(), side="right")].reshape(u.shape)
        codes[self._in_spine(u, y_m)] = REGION_CODE["spine"]
        codes[np.isnan(x_m) | np.isnan(y_m)] = UNKNOWN
        return codes

    def region_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What classify() and no_go_mask() read, as arrays for a compiled kernel (the
        pipeline's placement stage): [direction, head_x_m, stature_m], the edges along the
        body, the region after each edge (int8, one more than the edges), [spine from, spine
        to, midline_y_m, spine_half_width_m] and the no-go table (bool, by code, -1 last)."""
        along = np.array([self.direction, self.head_x_m, self.stature_m], dtype=np.float64)
        spine = np.array(
            [_SPINE_FROM, _SPINE_TO, self.midline_y_m, self.spine_half_width_m], dtype=np.float64
        )
        return along, _EDGES, _BY_EDGE, spine, self._no_go_table

    @cached_property
    def _no_go_table(self) -> np.ndarray:
        return np.array([name in self.no_go for name in REGIONS] + [False])

    def no_go_mask(self, codes: np.ndarray) -> np.ndarray:
        """True where a region code is one of this client's no-go regions."""
        return self._no_go_table[np.asarray(codes)]  # -1: the trailing False

    def border_distance_m(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Distance (m) from each point to the nearest region border (NaN where unknown)."""
        x_m = np.asarray(x_m, dtype=np.float64)
        y_m = np.asarray(y_m, dtype=np.float64)
        u = self._along(x_m)
        d_x = np.min(np.abs(u[..., None] - _EDGES), axis=-1) * self.stature_m
        # Distance to the spine rectangle's outline, inside or out.
        du = np.maximum(_SPINE_FROM - u, u - _SPINE_TO) * self.stature_m
        dy = np.abs(y_m - self.midline_y_m) - self.spine_half_width_m
        outside = np.hypot(np.maximum(du, 0), np.maximum(dy, 0))
        d_spine = np.where((du < 0) & (dy < 0), np.minimum(-du, -dy), outside)
        return np.minimum(d_x, d_spine)


def regions_named(names: Iterable[str]) -> frozenset[str]:
    """Check region names against REGIONS; raises ValueError listing the valid ones."""
    names = frozenset(names)
    unknown = names - set(REGIONS)
    if unknown:
        raise ValueError(f"unknown body regions {sorted(unknown)}; valid: {', '.join(REGIONS)}")
    return names
