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


class RigGeometryError(CalibrationError, ValueError):
    """A rig description that lacks what calibration needs (mounts, cell positions)."""
