"""Exception hierarchy of the calibration package; each also inherits the matching builtin."""

from __future__ import annotations


class CalibrationError(Exception):
    """Base of every error raised by the calibration package."""


class CalibrationFileError(CalibrationError, ValueError):
    """A calibration file that cannot be read or does not follow the format."""


class CalibrationNotFoundError(CalibrationError, FileNotFoundError):
    """No readable calibration in a rig's history folder."""


class CalibrationMismatchError(CalibrationError, ValueError):
    """The newest calibration belongs to another device or lacks channels of this one."""


class ProcedureError(CalibrationError, RuntimeError):
    """The calibration procedure was driven out of order or cannot fit what it captured."""


class UndeterminedGainsError(ProcedureError):
    """The steps captured cannot determine a group's gains: too few distinct places loaded, or
    a least-squares fit too ill-conditioned to trust. Such a calibration is never saved.

    groups: the groups at fault; conditions: their fits' condition numbers (inf when the
    places leave a gain free); redo_steps: skipped plan steps that would load new places.
    """

    def __init__(
        self,
        message: str,
        *,
        groups: tuple[str, ...],
        conditions: tuple[float, ...],
        max_condition: float,
        redo_steps: tuple[int, ...] = (),
    ) -> None:
        super().__init__(message)
        self.groups = groups
        self.conditions = conditions
        self.max_condition = max_condition
        self.redo_steps = redo_steps


class RigGeometryError(CalibrationError, ValueError):
    """A rig description that lacks what calibration needs (mounts, cell positions)."""
