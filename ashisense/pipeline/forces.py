"""Stage 1 of the pipeline: raw counts to calibrated forces by channel, in rig order, NaN
where a sample is invalid or sits at the converter's rail."""

from __future__ import annotations

import numpy as np

from ashisense.pipeline import kernels
from ashisense.pipeline.flags import INVALID_INPUT, SATURATED
from ashisense.rig import Rig
from firmware_bridge.blocks import SampleBlock

ADC_RAIL_COUNTS = (-(2**23), 2**23 - 1)  # a 24-bit converter's limits: a reading there is railed


class CountsToForces:
    """force_n = (counts - offset_counts) * gain_n_per_count with the rig's calibration.

    Works by channel: the result has a row per channel (each a contiguous series; the
    EstimateBlock's time-major force_n is its .T).
    """

    def __init__(self, rig: Rig) -> None:
        self._rig = rig
        self._offsets = np.ascontiguousarray(rig.offsets_counts, dtype=np.float64)
        self._gains = np.ascontiguousarray(rig.gains_n_per_count, dtype=np.float64)
        self._columns_cache = {rig.channels: np.arange(len(rig.channels))}

    def __call__(self, block: SampleBlock, flags: np.ndarray) -> np.ndarray:
        """(C, n) forces (N) of a block in rig order; sets the INVALID_INPUT and SATURATED
        rows of `flags` (the block's flag matrix, see flags.py). Raises RigMismatchError for
        a block whose channels are not the rig's."""
        force_n: np.ndarray = kernels.counts_to_forces(
            block.counts,
            block.invalid,
            self._columns(block.channels),
            self._offsets,
            self._gains,
            *ADC_RAIL_COUNTS,
            flags[INVALID_INPUT],
            flags[SATURATED],
        )
        return force_n

    def _columns(self, channels: tuple[str, ...]) -> np.ndarray:
        """Index that puts a block's columns in rig order."""
        if channels not in self._columns_cache:
            self._rig.check_channels(channels)
            pos = {name: i for i, name in enumerate(channels)}
            self._columns_cache[channels] = np.array([pos[c] for c in self._rig.channels])
        return self._columns_cache[channels]


def channel_rows(idx: list[int]) -> slice | np.ndarray:
    """Rows of these channels in a (C, n) force block: a slice where they are evenly spaced
    (a view, not a copy), else an index array. idx: distinct rig channel indices, not empty."""
    step = idx[1] - idx[0] if len(idx) > 1 else 1
    if step > 0 and idx == list(range(idx[0], idx[-1] + 1, step)):
        return slice(idx[0], idx[-1] + 1, step)
    return np.array(idx, dtype=np.intp)
