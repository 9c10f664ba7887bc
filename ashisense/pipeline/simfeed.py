"""Feed the simulated rig's blocks to the pipeline without the wire (tests, benchmarks)."""

from __future__ import annotations

import numpy as np

from firmware_bridge.blocks import GridBlock, SampleBlock


def sample_block(
    t_s: np.ndarray,
    counts: np.ndarray,
    invalid: np.ndarray,
    channels: tuple[str, ...],
    first_seq: int = 0,
) -> SampleBlock:
    """A SampleBlock with t_s as both host and device time and consecutive seq numbers."""
    n = t_s.shape[0]
    return SampleBlock(
        t_s=np.asarray(t_s, dtype=np.float64),
        t_device_s=np.asarray(t_s, dtype=np.float64),
        seq=np.arange(first_seq, first_seq + n, dtype=np.int64),
        counts=np.asarray(counts, dtype=np.int32),
        invalid=np.asarray(invalid, dtype=bool),
        channels=tuple(channels),
    )


def grid_block(t_s: np.ndarray, frames: np.ndarray, first_seq: int = 0) -> GridBlock:
    """A GridBlock of uint16 frames (n, rows, cols) at times t_s."""
    n = t_s.shape[0]
    return GridBlock(
        t_s=np.asarray(t_s, dtype=np.float64),
        seq=np.arange(first_seq, first_seq + n, dtype=np.int64),
        values=np.asarray(frames, dtype=np.uint16),
    )
