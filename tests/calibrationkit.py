"""Calibrations walked on the simulated table with known truth, and the corner check made
afterwards with the saved constants; for the procedure's tests and its benchmark."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from calibration import simulate
from calibration.files import CalibrationFile
from calibration.geometry import RigGeometry
from calibration.plan import PlanSettings, build_plan
from calibration.procedure import CalibrationProcedure, Update
from calibration.units import STANDARD_GRAVITY_M_S2

#: The mass put back on each mat corner to check a calibration.
CHECK_KG = 20.0


def calibrate(
    geometry: RigGeometry,
    truth: simulate.SimTruth,
    faults: Mapping[int, simulate.Fault] | None = None,
    settings: PlanSettings | None = None,
    seed: int = 1,
) -> tuple[CalibrationProcedure, simulate.SimulatedOperator, list[Update]]:
    """A whole calibration by the simulated operator (who makes `faults`, by step index) on
    a table with `truth`: the procedure, the operator and every update the procedure gave."""
    proc = CalibrationProcedure(geometry, build_plan(geometry, settings))
    operator = simulate.SimulatedOperator(
        simulate.SimulatedTable(geometry, truth, seed=seed), faults
    )
    return proc, operator, simulate.run_simulated(proc, operator)


def corner_check(
    proc: CalibrationProcedure, cal: CalibrationFile, table: simulate.SimulatedTable
) -> list[tuple[float, float]]:
    """CHECK_KG on each mat corner position of the plan again, read with the calibration's
    constants: per corner, the total's relative error and the centre's distance (m)."""
    geometry = proc.geometry
    mat = geometry.group("mat")
    cols = geometry.index(mat.channels)
    gains = np.array([cal.channels[c].gain_n_per_count for c in mat.channels])
    offsets = np.array([cal.channels[c].offset_counts for c in mat.channels])
    errors = []
    for step in (s for s in proc.plan if s.group == "mat" and "corner" in s.label):
        table.set_loads([simulate.Load("mat", CHECK_KG, step.where_m)])
        table.read(3.0)  # let it settle
        f = (table.read(2.0).counts[:, cols].mean(axis=0) - offsets) * gains
        total_n, cop_m = f.sum(), f @ mat.positions_m / f.sum()
        errors.append(
            (
                float(total_n / (CHECK_KG * STANDARD_GRAVITY_M_S2) - 1),
                float(np.linalg.norm(cop_m - step.where_m)),
            )
        )
    return errors
