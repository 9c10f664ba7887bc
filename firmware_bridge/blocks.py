"""Containers that cross from the link to the pipeline: time-major, checked, immutable."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def joined_arrays(blocks: Sequence[Any], names: Iterable[str]) -> dict[str, Any]:
    """Each named array field of consecutive blocks, joined end to end (a block's concat)."""
    return {name: np.concatenate([getattr(b, name) for b in blocks]) for name in names}


@dataclass(frozen=True)
class SampleBlock:
    """Consecutive SAMPLEs of one device, without gaps inside the block.

    t_s: (n,) float64 host time of each sampling instant, seconds since the Unix epoch,
    from the device clock mapped to host time. t_device_s: (n,) float64 unwrapped device
    clock, seconds. seq: (n,) int64 unwrapped sample number. counts: (n, C) int32 raw ADC
    counts. invalid: (n, C) bool, True where the device marked the value invalid.
    """

    t_s: np.ndarray
    t_device_s: np.ndarray
    seq: np.ndarray
    counts: np.ndarray
    invalid: np.ndarray
    channels: tuple[str, ...]

    def __post_init__(self) -> None:
        n = self.t_s.shape[0]
        c = len(self.channels)
        checks = {
            "t_s": (self.t_s, (n,), np.float64),
            "t_device_s": (self.t_device_s, (n,), np.float64),
            "seq": (self.seq, (n,), np.int64),
            "counts": (self.counts, (n, c), np.int32),
            "invalid": (self.invalid, (n, c), np.bool_),
        }
        for name, (arr, shape, dtype) in checks.items():
            if arr.shape != shape or arr.dtype != dtype:
                raise ValueError(
                    f"SampleBlock.{name}: expected shape {shape} dtype {np.dtype(dtype)}, "
                    f"got {arr.shape} {arr.dtype}"
                )

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @classmethod
    def concat(cls, blocks: list[SampleBlock]) -> SampleBlock:
        """Join blocks of the same channels end to end."""
        if not blocks:
            raise ValueError("SampleBlock.concat: no blocks")
        arrays = joined_arrays(blocks, ("t_s", "t_device_s", "seq", "counts", "invalid"))
        return cls(**arrays, channels=blocks[0].channels)


@dataclass(frozen=True)
class GridBlock:
    """Frames of a pressure-mapping grid: values (n, rows, cols) uint16, row 0 at the head."""

    t_s: np.ndarray
    seq: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        n = self.t_s.shape[0]
        if self.values.ndim != 3 or self.values.shape[0] != n or self.values.dtype != np.uint16:
            raise ValueError(
                f"GridBlock.values: expected (n={n}, rows, cols) uint16, "
                f"got {self.values.shape} {self.values.dtype}"
            )

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


@dataclass(frozen=True)
class Gap:
    """Samples that never arrived: between t_start_s and t_end_s (host time), `lost` of them.

    lost is -1 when the count is unknown (for instance the device restarted).
    """

    t_start_s: float
    t_end_s: float
    lost: int
    reason: str


@dataclass(frozen=True)
class DeviceEvent:
    """An EVENT packet: host time, device time, and the JSON object as sent."""

    t_s: float
    t_device_s: float
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.payload.get("event", ""))
