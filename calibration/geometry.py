"""Where each load cell sits, grouped the way calibration loads them: one group per bar, one mat.

A bar is a one-dimensional group (two mounts along x, lever rule); the mat a two-dimensional one
(cells at (x, y), force and moment balance). Both are fitted by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from calibration.errors import RigGeometryError

GroupKind = Literal["bar", "mat"]


@dataclass(frozen=True)
class Group:
    """Channels loaded together by a calibration weight, and their positions.

    positions_m: (m, dim) with dim 1 for a bar (x of the head and foot mounts) and 2 for the
    mat (x, y of each cell), in the table frame.
    """

    name: str
    kind: GroupKind
    channels: tuple[str, ...]
    positions_m: np.ndarray

    @property
    def dim(self) -> int:
        return int(self.positions_m.shape[1])

    def __post_init__(self) -> None:
        if self.positions_m.shape != (len(self.channels), 1 if self.kind == "bar" else 2):
            raise RigGeometryError(
                f"group {self.name}: expected positions_m of shape "
                f"({len(self.channels)}, {1 if self.kind == 'bar' else 2}), "
                f"got {self.positions_m.shape}"
            )

    def true_forces_n(self, weight_n: float, where_m: np.ndarray) -> np.ndarray:
        """(m,) forces on the cells of a weight at where_m (lever rule; bilinear or rigid plate).

        A bar or a rectangle of 4 mat cells splits the load bilinearly (what a real platform
        does: a load over a corner goes to that corner); other layouts take the rigid-plate
        (minimum-norm) split. Both reproduce the total and the moments exactly.
        """
        where = np.asarray(where_m, dtype=np.float64).reshape(self.dim)
        pos = self.positions_m
        if self.kind == "bar":
            (x_head,), (x_foot,) = pos
            foot = (where[0] - x_head) / (x_foot - x_head)
            return weight_n * np.array([1.0 - foot, foot])
        xs, ys = np.unique(pos[:, 0]), np.unique(pos[:, 1])
        if len(pos) == 4 and len(xs) == 2 and len(ys) == 2:
            u = (where[0] - xs[0]) / (xs[1] - xs[0])
            v = (where[1] - ys[0]) / (ys[1] - ys[0])
            wx = np.where(pos[:, 0] == xs[1], u, 1.0 - u)
            wy = np.where(pos[:, 1] == ys[1], v, 1.0 - v)
            return weight_n * wx * wy
        design = np.vstack([np.ones(len(pos)), pos.T])
        return weight_n * np.linalg.pinv(design) @ np.concatenate([[1.0], where])


@dataclass(frozen=True)
class RigGeometry:
    """The calibratable groups of a rig, its channel order and nominal (prior) constants."""

    channels: tuple[str, ...]
    groups: tuple[Group, ...]
    nominal_gain_n_per_count: dict[str, float]
    nominal_offset_counts: dict[str, float]

    def group(self, name: str) -> Group:
        """The group called name; raises RigGeometryError listing the valid names."""
        for g in self.groups:
            if g.name == name:
                return g
        raise RigGeometryError(
            f"unknown group {name!r}: expected one of {[g.name for g in self.groups]}"
        )

    def index(self, channels: tuple[str, ...]) -> np.ndarray:
        """Column indices of channels in the rig order."""
        return np.array([self.channels.index(c) for c in channels], dtype=np.intp)

    @classmethod
    def from_rig(cls, rig: RigLike) -> RigGeometry:
        """Build from a validated rig (ashisense.rig.Rig or anything shaped like it)."""
        chans = list(rig.channel)
        groups: list[Group] = []
        for side in ("left", "right"):
            mounts = {c.end: c for c in chans if c.role == "bar" and c.side == side}
            if not mounts:
                continue
            if set(mounts) != {"head", "foot"} or rig.bars is None:
                raise RigGeometryError(
                    f"{rig.source}: {side} bar: expected a head and a foot mount channel "
                    f"and a [bars] section, found mounts {sorted(mounts)}"
                )
            groups.append(
                Group(
                    name=f"bar_{side}",
                    kind="bar",
                    channels=(mounts["head"].name, mounts["foot"].name),
                    positions_m=np.array(
                        [[rig.bars.head_mount_x_m], [rig.bars.foot_mount_x_m]], dtype=np.float64
                    ),
                )
            )
        cells = [c for c in chans if c.role == "mat"]
        if cells:
            groups.append(
                Group(
                    name="mat",
                    kind="mat",
                    channels=tuple(c.name for c in cells),
                    positions_m=np.array([[c.x_m, c.y_m] for c in cells], dtype=np.float64),
                )
            )
        return cls(
            channels=tuple(c.name for c in chans),
            groups=tuple(groups),
            nominal_gain_n_per_count={
                c.name: c.gain_n_per_count for c in chans if c.gain_n_per_count is not None
            },
            nominal_offset_counts={
                c.name: c.offset_counts for c in chans if c.offset_counts is not None
            },
        )


class RigLike(Protocol):
    """What from_rig reads: rig.channel (name, role, side, end, x_m, y_m, gain, offset),
    rig.bars (head_mount_x_m, foot_mount_x_m) and rig.source."""

    channel: Any
    bars: Any
    source: str
