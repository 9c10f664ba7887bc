"""Calibration of AshiSense rigs: files and history, the guided procedure, fits and drift.

Drive a calibration with CalibrationProcedure(geometry, build_plan(geometry)); see
docs/calibration.md.
"""

from calibration.drift import DriftCheck, ZeroDrift, check_drift, measure_zero
from calibration.errors import (
    CalibrationError,
    CalibrationFileError,
    CalibrationMismatchError,
    CalibrationNotFoundError,
    ProcedureError,
    RigGeometryError,
    UndeterminedGainsError,
)
from calibration.files import (
    CalibrationFile,
    ChannelCalibration,
    history,
    load_calibration,
    newest_valid,
    save_calibration,
)
from calibration.geometry import Group, RigGeometry
from calibration.plan import PlanSettings, Step, build_plan
from calibration.procedure import CalibrationProcedure, Capture, CheckLimits, Update
from calibration.report import format_report
from calibration.stability import StabilityCriteria, assess_window

__all__ = [
    "CalibrationError",
    "CalibrationFile",
    "CalibrationFileError",
    "CalibrationMismatchError",
    "CalibrationNotFoundError",
    "CalibrationProcedure",
    "Capture",
    "ChannelCalibration",
    "CheckLimits",
    "DriftCheck",
    "Group",
    "PlanSettings",
    "ProcedureError",
    "RigGeometry",
    "RigGeometryError",
    "StabilityCriteria",
    "Step",
    "UndeterminedGainsError",
    "Update",
    "ZeroDrift",
    "assess_window",
    "build_plan",
    "check_drift",
    "format_report",
    "history",
    "load_calibration",
    "measure_zero",
    "newest_valid",
    "save_calibration",
]
