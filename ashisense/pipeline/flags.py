"""The uncertainty flags of one block: a (len(Uncertain), n) bool matrix, row i for the bit
2**i of Uncertain. Each stage sets its own rows (numpy's out=: no per-flag arrays to join);
reason_codes() joins them into EstimateBlock.uncertain_reason."""

from __future__ import annotations

import numpy as np

from ashisense.pipeline import kernels
from ashisense.pipeline.types import Uncertain

(
    INVALID_INPUT,
    NO_BASELINE,
    FEET_NEAR_ZERO,
    CLIENT_MOVING,
    SUPPORT_MISMATCH,
    NO_WEIGHT,
    MOVING,
    SATURATED,
    BARS_UNLOADED,
    CLIENT_SHIFT,
    MAT_ZERO_OLD,
) = (
    f.bit_length() - 1
    for f in (
        Uncertain.INVALID_INPUT,
        Uncertain.NO_BASELINE,
        Uncertain.FEET_NEAR_ZERO,
        Uncertain.CLIENT_MOVING,
        Uncertain.SUPPORT_MISMATCH,
        Uncertain.NO_WEIGHT,
        Uncertain.MOVING,
        Uncertain.SATURATED,
        Uncertain.BARS_UNLOADED,
        Uncertain.CLIENT_SHIFT,
        Uncertain.MAT_ZERO_OLD,
    )
)


_ROWS = len(Uncertain)


def new_flags(n: int) -> np.ndarray:
    """A block's flag matrix, (len(Uncertain), n) bool, all clear."""
    return np.zeros((_ROWS, n), dtype=bool)


def reason_codes(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n,) uint16 Uncertain bits of each sample from the flag matrix, and (n,) bool
    whether any is set."""
    codes, uncertain = kernels.reason_codes(flags)
    return codes, uncertain
