"""Pressure-grid frames of the simulated rig: a real prone imprint plus the therapist's feet.

The client's imprint is the mean PoPu prone map (CC0, see data/ATTRIBUTION.md) scaled so
that it integrates to the client's force; each foot is a heel and a forefoot lobe, widened
by the body the load passes through, integrating to that foot's share of the feet force.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from ashisense.sim.sensors import PagedNormal

IMPRINT_FILE = Path(__file__).parent / "data" / "prone_imprint.json"
FOOT_HALF_SPACING_M = 0.09  # each foot this far from the feet's centre line
SPREAD_M = 0.03  # how much the client's body widens a foot's load on its way to the grid
# (offset along x from the foot's centroid, share of the foot's load, sigma x, sigma y), m.
# Heel toward larger x: the therapist faces the client's head. Shares × offsets sum to 0.
FOOT_LOBES = ((0.06, 0.4, 0.030, 0.025), (-0.04, 0.6, 0.045, 0.035))
_STREAM_GRID = 13


@functools.cache
def _imprint() -> np.ndarray:
    values = np.asarray(json.loads(IMPRINT_FILE.read_text())["values"], dtype=np.float64)
    values /= values.sum()
    values.flags.writeable = False
    return values


def load_imprint() -> np.ndarray:
    """The client's prone imprint (rows, cols), summing to 1; row 0 at the head, col 0 left."""
    return _imprint()


def _profiles(centres_m: np.ndarray, at_m: np.ndarray, sigma_m: float) -> np.ndarray:
    """Gaussian weights (m, len(centres)) around each `at`, each row summing to 1."""
    w = np.exp(-0.5 * ((centres_m[None, :] - at_m[:, None]) / sigma_m) ** 2)
    return w / np.maximum(w.sum(axis=1, keepdims=True), 1e-300)


class GridRenderer:
    """Renders frames of a rows × cols taxel grid laid over the table.

    x_m (rows,), y_m (cols,): taxel centres in the table frame. taxel_area_m2: area of one
    taxel. pa_per_count: pressure of one raw count. noise_counts: RMS noise per taxel.
    """

    def __init__(
        self,
        x_m: np.ndarray,
        y_m: np.ndarray,
        taxel_area_m2: float,
        pa_per_count: float,
        noise_counts: float,
        seed: int,
    ) -> None:
        self.x_m = np.asarray(x_m, dtype=np.float64)
        self.y_m = np.asarray(y_m, dtype=np.float64)
        imprint = load_imprint()
        if imprint.shape != (self.x_m.size, self.y_m.size):
            raise ValueError(
                f"GridRenderer: imprint {IMPRINT_FILE.name} is {imprint.shape}, "
                f"grid is {(self.x_m.size, self.y_m.size)}"
            )
        self._imprint = imprint
        self._counts_per_n = 1.0 / (taxel_area_m2 * pa_per_count)
        self._noise_counts = noise_counts
        self._noise = PagedNormal((seed, _STREAM_GRID), imprint.size, page_len=256)

    def force_map_n(
        self,
        client_n: np.ndarray,
        feet_n: np.ndarray,
        feet_x_m: np.ndarray,
        feet_y_m: np.ndarray,
        left_share: np.ndarray,
    ) -> np.ndarray:
        """Noise-free force on each taxel (m, rows, cols), N.

        feet_y_m: the line between the two feet; left_share: left foot's share of feet_n.
        """
        out = client_n[:, None, None] * self._imprint
        on = feet_n > 0
        fx = np.where(on, feet_x_m, 0.0)
        fy = np.where(on, feet_y_m, 0.0)
        load = np.where(on, feet_n, 0.0)
        for side, share in ((-1.0, left_share), (1.0, 1.0 - left_share)):
            for dx, lobe_share, sx, sy in FOOT_LOBES:
                rows = _profiles(self.x_m, fx + dx, float(np.hypot(sx, SPREAD_M)))
                cols = _profiles(
                    self.y_m, fy + side * FOOT_HALF_SPACING_M, float(np.hypot(sy, SPREAD_M))
                )
                out += np.einsum("mr,mc->mrc", rows * (load * share * lobe_share)[:, None], cols)
        return out

    def frames(self, first_frame: int, force_map_n: np.ndarray) -> np.ndarray:
        """Raw uint16 frames from force maps; first_frame numbers the frames (addresses noise)."""
        counts = force_map_n * self._counts_per_n
        if self._noise_counts:
            noise = self._noise.take(first_frame, counts.shape[0]).reshape(counts.shape)
            counts = counts + self._noise_counts * noise
        return np.clip(np.rint(counts), 0, np.iinfo(np.uint16).max).astype(np.uint16)
