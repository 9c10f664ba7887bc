"""A simulated rig with calibration weights on it, for tests, benchmarks and a demo wizard.

Forces from known weights (lever rule on the bars, bilinear split on a 4-corner mat) become
counts through true gains and offsets, with white noise, zero drift (a slope plus a random
walk), creep (a slow first-order response to load changes) and settling after a placement.
A SimulatedOperator follows a procedure's prompts and can make mistakes on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from calibration.errors import ProcedureError
from calibration.geometry import RigGeometry
from calibration.plan import Step
from calibration.procedure import CalibrationProcedure, Update
from calibration.units import STANDARD_GRAVITY_M_S2
from firmware_bridge.blocks import SampleBlock


@dataclass(frozen=True)
class SimTruth:
    """The rig's true constants and imperfections; counts = offset + force / gain + errors.

    drift_counts_per_s: sd of each channel's zero slope; walk_counts_per_sqrt_s: random walk
    of the zero; creep_fraction of each load change appears with creep_tau_s; a placement
    settles with settle_tau_s.
    """

    gains_n_per_count: Mapping[str, float]
    offsets_counts: Mapping[str, float]
    noise_counts: float = 20.0
    drift_counts_per_s: float = 1.0
    walk_counts_per_sqrt_s: float = 1.0
    creep_fraction: float = 0.002
    creep_tau_s: float = 600.0
    settle_tau_s: float = 0.3
    rate_hz: float = 80.0

    @classmethod
    def around_nominal(
        cls, geometry: RigGeometry, gain_sd_fraction: float, seed: int, **imperfections: float
    ) -> SimTruth:
        """True gains gain_sd_fraction (sd) off the rig file's nominal ones (1e-3 N/count where
        it gives none), the nominal offsets (else 0); imperfections as the fields above."""
        rng = np.random.default_rng(seed)
        nominal = geometry.nominal_gain_n_per_count
        gains = {
            c: nominal.get(c, 1e-3) * (1 + rng.normal(0, gain_sd_fraction))
            for c in geometry.channels
        }
        offsets = {c: geometry.nominal_offset_counts.get(c, 0.0) for c in geometry.channels}
        return cls(gains, offsets, **imperfections)


@dataclass(frozen=True)
class Load:
    """mass_kg on a group at where_m ((x,) on a bar, (x, y) on the mat)."""

    group: str
    mass_kg: float
    where_m: tuple[float, ...]


class SimulatedTable:
    """The rig's channels under a set of loads; `read` advances time and returns samples."""

    def __init__(
        self,
        geometry: RigGeometry,
        truth: SimTruth,
        *,
        seed: int = 0,
        gravity_m_s2: float = STANDARD_GRAVITY_M_S2,
        t0_s: float = 1.7e9,
    ) -> None:
        self.geometry = geometry
        self.truth = truth
        self.gravity_m_s2 = gravity_m_s2
        self._rng = np.random.default_rng(seed)
        names = geometry.channels
        self._gain = np.array([truth.gains_n_per_count[c] for c in names])
        self._offset = np.array([truth.offsets_counts[c] for c in names], dtype=np.float64)
        self._slope = self._rng.normal(0.0, truth.drift_counts_per_s, len(names))
        self._walk = np.zeros(len(names))
        self._t0_s = t0_s
        self._n = 0
        self._target_n = np.zeros(len(names))
        self._force_n = np.zeros(len(names))
        self._creep_n = np.zeros(len(names))
        self._swing = 0.0
        self._swing_pattern = np.zeros(len(names))

    @property
    def samples_read(self) -> int:
        """Samples per channel produced so far."""
        return self._n

    @property
    def t_s(self) -> float:
        """Time of the next sample."""
        return self._t0_s + self._n / self.truth.rate_hz

    def true_forces_n(self, loads: list[Load]) -> np.ndarray:
        """(C,) channel forces of a set of loads."""
        out = np.zeros(len(self.geometry.channels))
        for load in loads:
            group = self.geometry.group(load.group)
            f = group.true_forces_n(load.mass_kg * self.gravity_m_s2, np.array(load.where_m))
            out[self.geometry.index(group.channels)] += f
        return out

    def set_loads(self, loads: list[Load], swing_fraction: float = 0.0) -> None:
        """Put these loads on now (they settle); swing_fraction of the load keeps moving
        between the cells of its group until the next call."""
        self._target_n = self.true_forces_n(loads)
        self._swing = swing_fraction
        pattern = np.zeros(len(self.geometry.channels))
        for load in loads:
            cols = self.geometry.index(self.geometry.group(load.group).channels)
            pattern[cols] = load.mass_kg * self.gravity_m_s2 * np.resize([1.0, -1.0], len(cols))
        self._swing_pattern = pattern

    def read(self, duration_s: float) -> SampleBlock:
        """The next duration_s of samples of every channel (int32 counts)."""
        tr = self.truth
        n = max(1, round(duration_s * tr.rate_hz))
        idx = self._n + np.arange(n)
        t_rel = idx / tr.rate_hz
        dt = (np.arange(n) + 1)[:, None] / tr.rate_hz
        settle = np.exp(-dt / tr.settle_tau_s)
        force = self._target_n + (self._force_n - self._target_n) * settle
        creep_target = tr.creep_fraction * self._target_n
        creep = creep_target + (self._creep_n - creep_target) * np.exp(-dt / tr.creep_tau_s)
        swing = self._swing * np.sin(2 * np.pi * t_rel / 1.3)[:, None] * self._swing_pattern
        steps = self._rng.normal(0.0, tr.walk_counts_per_sqrt_s / np.sqrt(tr.rate_hz), (n, 1))
        walk = self._walk + np.cumsum(steps * np.ones(len(self._gain)), axis=0)
        zero = self._offset + np.outer(t_rel, self._slope) + walk
        noise = self._rng.normal(0.0, tr.noise_counts, force.shape)
        counts = np.rint(zero + (force + creep + swing) / self._gain + noise)
        self._force_n, self._creep_n, self._walk = force[-1], creep[-1], walk[-1]
        self._n += n
        t = self._t0_s + t_rel
        return SampleBlock(
            t_s=t,
            t_device_s=t_rel.copy(),
            seq=idx.astype(np.int64),
            counts=counts.astype(np.int32),
            invalid=np.zeros(counts.shape, dtype=bool),
            channels=self.geometry.channels,
        )


@dataclass(frozen=True)
class Fault:
    """An operator's mistake on one attempt of a step: a swinging load, a weight off its
    place by offset_m, or a mass_factor times the right mass."""

    swing_fraction: float = 0.0
    offset_m: tuple[float, ...] | None = None
    mass_factor: float = 1.0


class SimulatedOperator:
    """Does what each prompt says on a SimulatedTable, with scripted faults (one per step
    index, used on the first attempt only). Also a block source for the wizard."""

    serial = "SIM-CAL-0001"

    def __init__(
        self,
        table: SimulatedTable,
        faults: Mapping[int, Fault] | None = None,
        block_s: float = 0.25,
    ) -> None:
        self.table = table
        self.faults = dict(faults or {})
        self.block_s = block_s
        self.attempts: dict[int, int] = {}

    @property
    def channels(self) -> tuple[str, ...]:
        return self.table.geometry.channels

    def prepare(self, step: Step) -> None:
        """Carry out the step: remove everything, or put its load where it says."""
        self.attempts[step.index] = self.attempts.get(step.index, 0) + 1
        fault = self.faults.pop(step.index, Fault())
        if step.kind == "zero":
            self.table.set_loads([], fault.swing_fraction)
            return
        where = np.array(step.where_m)
        if fault.offset_m is not None:
            where = where + np.array(fault.offset_m)
        load = Load(step.group, step.mass_kg * fault.mass_factor, tuple(where))
        self.table.set_loads([load], fault.swing_fraction)

    def next_block(self, timeout_s: float = 1.0) -> SampleBlock:
        """The next block of samples (simulated time runs as fast as it is read)."""
        return self.table.read(self.block_s)

    def close(self) -> None:
        """Nothing to release."""


def run_simulated(
    procedure: CalibrationProcedure, operator: SimulatedOperator, max_feeds: int = 100_000
) -> list[Update]:
    """Drive a procedure to the end with a simulated operator; returns every non-settling
    Update (captured, unstable, rejected, finished) in order."""
    events: list[Update] = []
    for _ in range(max_feeds):
        step = procedure.current
        if step is None:
            return events
        if not procedure.capturing:
            operator.prepare(step)
            procedure.begin()
        update = procedure.feed(operator.next_block())
        if update.state != "settling":
            events.append(update)
    raise ProcedureError(f"simulated calibration did not finish within {max_feeds} blocks")
