"""Calibration of AshiSense rigs: files and history, the guided procedure, fits and drift."""

from calibration.errors import (
    CalibrationError,
    CalibrationFileError,
    CalibrationMismatchError,
    CalibrationNotFoundError,
    ProcedureError,
    RigGeometryError,
)
from calibration.files import (
    CalibrationFile,
    ChannelCalibration,
    load_calibration,
    newest_valid,
    save_calibration,
)

__all__ = [
    "CalibrationError",
    "CalibrationFile",
    "CalibrationFileError",
    "CalibrationMismatchError",
    "CalibrationNotFoundError",
    "ChannelCalibration",
    "ProcedureError",
    "RigGeometryError",
    "load_calibration",
    "newest_valid",
    "save_calibration",
]
