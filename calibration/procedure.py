"""The calibration procedure as a state machine a terminal wizard or a web page can drive.

Per step: show `current.prompt`; once the operator says the load is in place call `begin()`;
then `feed()` blocks of counts (SampleBlock, or (n, C) arrays with times) until an Update says
"captured" (next step), "unstable" (still moving after timeout_s: begin again), "rejected"
(a wrong weight, a misplaced weight or an outlier: the step, or an earlier one, is to be redone)
or "finished". Then `result(serial)` fits and reports; it raises UndeterminedGainsError when
the steps captured cannot determine a group's gains (say its placements were skipped): queue
the steps it names with `unskip(err.redo_steps)` and walk them. No threads, clocks or I/O inside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from calibration.errors import ProcedureError, UndeterminedGainsError
from calibration.files import CalibrationFile
from calibration.fitting import (
    MAX_CONDITION,
    PLACE_RESOLUTION_M,
    GroupFit,
    fit_group,
    leave_one_out,
    robust_outliers,
    step_errors,
)
from calibration.geometry import Group, RigGeometry
from calibration.plan import Step, group_title
from calibration.report import build_calibration
from calibration.stability import StabilityCriteria, WindowAssessment, assess_window
from calibration.units import STANDARD_GRAVITY_M_S2
from firmware_bridge.blocks import SampleBlock

UpdateState = Literal["idle", "settling", "captured", "unstable", "rejected", "finished"]


@dataclass(frozen=True)
class CheckLimits:
    """When a captured step is sent back to be redone.

    At the end every load step is predicted from all the others (leave one out): it is
    redone when its total is off by more than total_pct of the group's span (the largest
    weight the plan puts on it; load-cell errors are judged against span), or its position by more
    than position_m, and by more than robust_k robust sds of all steps' errors. Right after
    capture the same test runs against the steps so far, immediate_factor times looser (when
    they determine the gains with a condition number under max_condition), else against the
    rig file's nominal gains with prior_total_pct and prior_position_fraction of the group's
    size. That early test only asks once: a step captured again is left to the final test.
    A group whose final fit's condition number exceeds max_condition is not calibrated at all.
    """

    total_pct: float = 0.5
    position_m: float = 0.010
    robust_k: float = 5.0
    immediate_factor: float = 4.0
    max_condition: float = MAX_CONDITION
    prior_total_pct: float = 10.0
    prior_position_fraction: float = 0.1


@dataclass(frozen=True)
class Capture:
    """A step at rest: (C,) mean, sd and white noise of every rig channel over the window."""

    step: Step
    t_mid_s: float
    mean_counts: np.ndarray
    sd_counts: np.ndarray
    noise_counts: np.ndarray
    n_samples: int


@dataclass(frozen=True)
class Update:
    """What happened after a feed (or why nothing did). progress: 0..1 of the window filled."""

    state: UpdateState
    step: Step | None
    message: str
    progress: float = 0.0
    elapsed_s: float = 0.0
    assessment: WindowAssessment | None = None
    redo: tuple[int, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class GroupData:
    """Zero-corrected load steps of one group: deltas (k, m) counts, weights (k,) N, where."""

    steps: tuple[Step, ...]
    deltas: np.ndarray
    weights_n: np.ndarray
    where_m: np.ndarray


class CalibrationProcedure:
    """Walks a plan step by step; see the module docstring for how to drive it."""

    def __init__(
        self,
        geometry: RigGeometry,
        plan: Sequence[Step],
        *,
        criteria: StabilityCriteria | None = None,
        limits: CheckLimits | None = None,
        gravity_m_s2: float = STANDARD_GRAVITY_M_S2,
        rate_hz: float | None = None,
    ) -> None:
        if not plan or plan[0].kind != "zero":
            raise ProcedureError("a calibration plan must start with a zero step")
        self.geometry = geometry
        self.plan = tuple(plan)
        self.criteria = criteria or StabilityCriteria()
        self.limits = limits or CheckLimits()
        self.gravity_m_s2 = gravity_m_s2
        self.rate_hz = rate_hz
        self._todo: list[int] = [s.index for s in self.plan]
        self._captures: dict[int, Capture] = {}
        self._skipped: set[int] = set()
        self._asked_again: set[int] = set()
        self._attempted: set[int] = set()
        self._capturing = False
        self._t0_s: float | None = None
        self._t: list[np.ndarray] = []
        self._c: list[np.ndarray] = []
        self._inv: list[np.ndarray] = []
        self._n_fed = 0
        self._columns: dict[tuple[str, ...], np.ndarray] = {}

    # -- where we are -----------------------------------------------------------------
    @property
    def current(self) -> Step | None:
        """The step to do now, or None when finished."""
        return self.plan[self._todo[0]] if self._todo else None

    @property
    def done(self) -> bool:
        return not self._todo

    @property
    def capturing(self) -> bool:
        """True between begin() and the step's outcome."""
        return self._capturing

    @property
    def captures(self) -> Mapping[int, Capture]:
        """Accepted captures by step index."""
        return dict(self._captures)

    @property
    def skipped(self) -> tuple[int, ...]:
        return tuple(sorted(self._skipped))

    @property
    def attempted(self) -> frozenset[int]:
        """Indices of the steps begun at least once (a prompt can say "again")."""
        return frozenset(self._attempted)

    @property
    def progress(self) -> tuple[int, int]:
        """(steps accepted or skipped, steps in the plan)."""
        return len(self._captures) + len(self._skipped), len(self.plan)

    @property
    def noise_counts(self) -> np.ndarray | None:
        """(C,) white noise of every channel at zero, once a zero is captured."""
        zeros = [c.noise_counts for c in self._captures.values() if c.step.kind == "zero"]
        return np.median(np.array(zeros), axis=0) if zeros else None

    # -- driving it -------------------------------------------------------------------
    def begin(self) -> None:
        """The operator says the current step's load is in place: judge data from now on."""
        if self.current is None:
            raise ProcedureError("the calibration is finished; nothing to begin")
        self._attempted.add(self.current.index)
        self._capturing = True
        self._t0_s = None
        self._t, self._c, self._inv = [], [], []

    def skip(self) -> None:
        """Leave the current load step out of the fit (recorded in the report)."""
        step = self.current
        if step is None or step.kind == "zero":
            raise ProcedureError("only a load step can be skipped; a zero step is required")
        self._skipped.add(self._todo.pop(0))
        self._capturing = False

    def unskip(self, step_indices: Iterable[int]) -> None:
        """Queue skipped steps again, ahead of those still to do (the redo_steps of an
        UndeterminedGainsError, once the operator agrees to do them)."""
        indices = sorted(set(step_indices))
        if self._capturing:
            raise ProcedureError("unskip: a step is capturing; wait for its outcome first")
        wrong = [i + 1 for i in indices if i not in self._skipped]
        if wrong:
            raise ProcedureError(
                f"unskip: expected skipped steps (skipped: {[i + 1 for i in self.skipped]}), "
                f"got steps {wrong}"
            )
        self._skipped.difference_update(indices)
        self._todo = indices + self._todo

    def feed(
        self,
        block: SampleBlock | np.ndarray,
        t_s: np.ndarray | None = None,
        invalid: np.ndarray | None = None,
    ) -> Update:
        """Take the next samples: a SampleBlock, or (n, C) counts in rig channel order with
        (n,) t_s (or the rate_hz given at construction)."""
        counts, t, inv = self._columns_of(block, t_s, invalid)
        step = self.current
        if step is None or not self._capturing:
            return Update("idle", step, "waiting for begin()")
        if self._t0_s is None and len(t):
            self._t0_s = float(t[0])
        self._t.append(t)
        self._c.append(counts)
        self._inv.append(inv)
        t_all = np.concatenate(self._t)
        keep = t_all >= t_all[-1] - self.criteria.window_s
        self._t = [t_all[keep]]
        self._c = [np.concatenate(self._c)[keep]]
        self._inv = [np.concatenate(self._inv)[keep]]
        return self._judge(step)

    # -- inside -----------------------------------------------------------------------
    def _columns_of(
        self, block: SampleBlock | np.ndarray, t_s: np.ndarray | None, invalid: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if isinstance(block, SampleBlock):
            cols = self._columns.get(block.channels)
            if cols is None:
                missing = sorted(set(self.geometry.channels) - set(block.channels))
                if missing:
                    raise ProcedureError(
                        f"the device's blocks lack rig channels {missing}; "
                        f"they carry {list(block.channels)}"
                    )
                cols = np.array([block.channels.index(c) for c in self.geometry.channels])
                self._columns[block.channels] = cols
            return block.counts[:, cols], block.t_s, block.invalid[:, cols]
        counts = np.asarray(block)
        if counts.ndim != 2 or counts.shape[1] != len(self.geometry.channels):
            raise ProcedureError(
                f"feed: expected counts of shape (n, {len(self.geometry.channels)}), "
                f"got {counts.shape}"
            )
        if t_s is None:
            if self.rate_hz is None:
                raise ProcedureError("feed: arrays need t_s, or rate_hz at construction")
            t_s = (self._n_fed + np.arange(len(counts))) / self.rate_hz
        self._n_fed += len(counts)
        inv = np.zeros(counts.shape, bool) if invalid is None else np.asarray(invalid, bool)
        return counts, np.asarray(t_s, dtype=np.float64), inv

    def _judge(self, step: Step) -> Update:
        t, counts, inv = self._t[0], self._c[0], self._inv[0]
        span_s = float(t[-1] - t[0]) if len(t) else 0.0
        elapsed = float(t[-1] - self._t0_s) if len(t) and self._t0_s is not None else 0.0
        progress = min(1.0, span_s / self.criteria.window_s)
        cols = self._judged_columns(step)
        names = tuple(self.geometry.channels[i] for i in cols)
        noise, zero = self.noise_counts, self._zero_at(t.mean() if len(t) else 0.0)
        if len(t) < 2:
            return Update("settling", step, "collecting samples", progress, elapsed)
        verdict = assess_window(
            t,
            counts[:, cols],
            self.criteria,
            names,
            reference_noise_counts=None if noise is None else noise[cols],
            zero_counts=None if zero is None else zero[cols],
            invalid=inv[:, cols],
        )
        if not verdict.stable:
            if elapsed >= self.criteria.timeout_s:
                self._capturing = False
                return Update(
                    "unstable",
                    step,
                    f"Not at rest after {elapsed:.0f} s ({'; '.join(verdict.reasons)}). "
                    "Steady the load (or wait for it to settle) and repeat this step.",
                    progress,
                    elapsed,
                    verdict,
                )
            return Update("settling", step, "; ".join(verdict.reasons), progress, elapsed, verdict)
        full = assess_window(t, counts, self.criteria, self.geometry.channels)
        capture = Capture(
            step, verdict.t_mid_s, full.mean_counts, full.sd_counts, full.noise_counts, len(t)
        )
        self._capturing = False
        if step.kind == "load" and step.index not in self._asked_again:
            problem = self._immediate_problem(capture)
            if problem:
                self._asked_again.add(step.index)
                return Update("rejected", step, problem, 1.0, elapsed, verdict)
        self._captures[step.index] = capture
        self._todo.pop(0)
        if self._todo:
            return Update("captured", step, "captured", 1.0, elapsed, verdict)
        redo = self._final_redo()
        if not redo:
            return Update("finished", step, "all steps captured", 1.0, elapsed, verdict)
        lines = [f"step {i + 1} ({self._describe(self.plan[i])}): {why}" for i, why in redo]
        return Update(
            "rejected",
            self.current,
            "These steps disagree with the others and must be repeated: " + "; ".join(lines),
            1.0,
            elapsed,
            verdict,
            redo=tuple(i for i, _ in redo),
        )

    def _judged_columns(self, step: Step) -> np.ndarray:
        if step.kind == "zero":
            return np.arange(len(self.geometry.channels))
        return self.geometry.index(self.geometry.group(step.group).channels)

    def _zero_at(self, t_s: float) -> np.ndarray | None:
        """(C,) unloaded zero at time t_s, interpolated between the zero steps around it."""
        zeros = sorted(
            ((c.t_mid_s, c.mean_counts) for c in self._captures.values() if c.step.kind == "zero"),
            key=lambda z: z[0],
        )
        if not zeros:
            return None
        before = [z for z in zeros if z[0] <= t_s]
        after = [z for z in zeros if z[0] > t_s]
        if not before or not after:
            return (before or after)[-1 if before else 0][1]
        (t0, z0), (t1, z1) = before[-1], after[0]
        return z0 + (z1 - z0) * (t_s - t0) / (t1 - t0)

    def _load_zero_at(self, t_s: float) -> np.ndarray:
        """_zero_at for a load step, which needs a captured zero step before it."""
        zero = self._zero_at(t_s)
        if zero is None:
            raise ProcedureError(
                f"load step at t={t_s:g} s: expected a captured zero step to correct it, found none"
            )
        return zero

    def group_data(self, group: Group) -> GroupData:
        """The accepted load steps of a group, zero-corrected (drift between zeros removed)."""
        caps = [
            c
            for _, c in sorted(self._captures.items())
            if c.step.kind == "load" and c.step.group == group.name
        ]
        cols = self.geometry.index(group.channels)
        deltas = np.array(
            [c.mean_counts[cols] - self._load_zero_at(c.t_mid_s)[cols] for c in caps]
        ).reshape(-1, len(cols))
        return GroupData(
            steps=tuple(c.step for c in caps),
            deltas=deltas,
            weights_n=np.array([c.step.mass_kg * self.gravity_m_s2 for c in caps]),
            where_m=np.array([c.step.where_m for c in caps]).reshape(-1, group.dim),
        )

    def _describe(self, step: Step) -> str:
        if step.kind == "zero":
            return "zero"
        return f"{step.mass_kg:g} kg on the {group_title(step.group)} at {step.label}"

    def _span_kg(self, group: Group) -> float:
        """The largest weight the plan puts on the group."""
        return max(s.mass_kg for s in self.plan if s.group == group.name)

    def _immediate_problem(self, capture: Capture) -> str | None:
        """A wrong or misplaced weight, judged against the steps so far or the nominal gains."""
        step = capture.step
        group = self.geometry.group(step.group)
        cols = self.geometry.index(group.channels)
        delta = capture.mean_counts[cols] - self._load_zero_at(capture.t_mid_s)[cols]
        lim = self.limits
        gains, total_tol, pos_tol = None, 0.0, 0.0
        so_far = self.group_data(group)
        if len(so_far.steps):
            try:
                fit = fit_group(
                    group, so_far.deltas, so_far.weights_n, so_far.where_m, lim.max_condition
                )
            except UndeterminedGainsError:
                fit = None
            if fit is not None:
                gains = fit.gains_n_per_count
                total_tol = lim.total_pct * lim.immediate_factor
                pos_tol = lim.position_m * lim.immediate_factor
        nominal = self.geometry.nominal_gain_n_per_count
        if gains is None and all(c in nominal for c in group.channels):
            gains = np.array([nominal[c] for c in group.channels])
            size_m = float(np.ptp(group.positions_m, axis=0).max())
            total_tol, pos_tol = lim.prior_total_pct, lim.prior_position_fraction * size_m
        if gains is None:
            return None
        weight_n = step.mass_kg * self.gravity_m_s2
        total_pct, pos_m = step_errors(group, gains, delta, weight_n, step.where_m)
        span_pct = total_pct[0] * step.mass_kg / self._span_kg(group)
        if abs(span_pct) <= total_tol and pos_m[0] <= pos_tol:
            return None
        measured_kg = (1.0 + total_pct[0] / 100.0) * step.mass_kg
        return (
            f"This does not look like {self._describe(step)}: it reads {measured_kg:.2f} kg "
            f"({span_pct:+.1f} % of span), {1000.0 * pos_m[0]:.0f} mm from that place "
            f"(limits {total_tol:g} %, {1000.0 * pos_tol:.0f} mm). "
            "Check the weight and where it sits, then repeat this step."
        )

    def _final_redo(self) -> list[tuple[int, str]]:
        """Steps whose leave-one-out errors stand out; their captures are dropped and queued."""
        lim = self.limits
        redo: list[tuple[int, str]] = []
        for group in self.geometry.groups:
            data = self.group_data(group)
            if len(data.steps) < 3:
                continue
            total_pct, pos_m = leave_one_out(
                group, data.deltas, data.weights_n, data.where_m, lim.max_condition
            )
            masses_kg = np.array([s.mass_kg for s in data.steps])
            total_pct = total_pct * masses_kg / self._span_kg(group)
            bad_total = robust_outliers(total_pct, lim.total_pct, lim.robust_k)
            bad_pos = robust_outliers(pos_m, lim.position_m, lim.robust_k)
            for k in np.flatnonzero(bad_total | bad_pos):
                why = []
                if bad_total[k]:
                    why.append(
                        f"total off by {total_pct[k]:+.2f} % of span (outlier or wrong weight)"
                    )
                if bad_pos[k]:
                    why.append(f"position off by {1000.0 * pos_m[k]:.0f} mm (misplaced weight)")
                redo.append((data.steps[k].index, ", ".join(why)))
        redo.sort()
        for index, _ in redo:
            del self._captures[index]
            self._asked_again.discard(index)
        self._todo = [index for index, _ in redo]
        return redo

    def result(
        self,
        device_serial: str,
        *,
        created_utc: str | None = None,
        previous: CalibrationFile | None = None,
    ) -> CalibrationFile:
        """Fit every group and build the calibration file with its full report.

        Channels of groups this plan did not load are carried over from `previous`. Raises
        UndeterminedGainsError (nothing is built) when a group's steps cannot determine its gains.
        """
        current = self.current
        if current is not None:
            raise ProcedureError(
                f"the calibration is not finished: step {current.index + 1} is next"
            )
        return build_calibration(
            self, self.fits(), device_serial, created_utc=created_utc, previous=previous
        )

    def fits(self) -> dict[str, tuple[GroupData, GroupFit]]:
        """Each planned group's steps and least-squares fit. UndeterminedGainsError naming
        every group the steps cannot determine (places loaded, condition number against
        limits.max_condition; a group with every load step skipped too) and the skipped steps
        that would load new places."""
        planned = {s.group for s in self.plan if s.kind == "load"}
        fits: dict[str, tuple[GroupData, GroupFit]] = {}
        problems: list[str] = []
        groups: list[str] = []
        conditions: list[float] = []
        redo: list[int] = []
        for group in self.geometry.groups:
            if group.name not in planned:
                continue
            data = self.group_data(group)
            try:
                fit = fit_group(
                    group, data.deltas, data.weights_n, data.where_m, self.limits.max_condition
                )
            except UndeterminedGainsError as err:
                steps = self._new_places_skipped(group, data)
                problems.append(f"{err}. {self._advice(group, steps)}")
                groups += err.groups
                conditions += err.conditions
                redo += steps
                continue
            fits[group.name] = (data, fit)
        if problems:
            raise UndeterminedGainsError(
                "Calibration refused, nothing to save: " + " ".join(problems),
                groups=tuple(groups),
                conditions=tuple(conditions),
                max_condition=self.limits.max_condition,
                redo_steps=tuple(sorted(redo)),
            )
        return fits

    def _new_places_skipped(self, group: Group, data: GroupData) -> list[int]:
        """Skipped load steps of the group at places none of its captured steps loaded."""
        loaded = np.asarray(data.where_m).reshape(-1, group.dim)
        out = []
        for i in self.skipped:
            step = self.plan[i]
            if step.group != group.name:
                continue
            gap_m = np.linalg.norm(loaded - np.asarray(step.where_m), axis=1)
            if not (gap_m < PLACE_RESOLUTION_M).any():
                out.append(i)
        return out

    def _advice(self, group: Group, steps: list[int]) -> str:
        """What the operator does about an undetermined group: redo those skipped steps, or
        (none skipped) plan single-weight steps at more places."""
        if not steps:
            return (
                f"Plan single-weight steps at more places on the {group_title(group.name)} "
                "(PlanSettings: bar_fractions along a bar; mat_inset for the table's corners "
                "and edges)."
            )
        numbers = ", ".join(str(i + 1) for i in steps)
        masses_kg = {self.plan[i].mass_kg for i in steps}
        if len(masses_kg) == 1:
            places = f"{masses_kg.pop():g} kg at " + ", ".join(self.plan[i].label for i in steps)
        else:
            places = ", ".join(
                f"{self.plan[i].mass_kg:g} kg at {self.plan[i].label}" for i in steps
            )
        return (
            f"Redo the skipped placements (steps {numbers}: on the {group_title(group.name)}, "
            f"{places}) and do not skip them."
        )
