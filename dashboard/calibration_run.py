"""A calibration run in the dashboard: the one CalibrationProcedure of `ashisense calibrate`,
fed the live runtime's sample blocks through a block tap and driven by the page's buttons.

The tap (the link's dispatcher thread) and the page's requests (server threads) meet under
one lock; the tap only feeds the procedure's 2 s window. The fit and the report are made in a
request thread once the last step is captured. `snapshot()` is what the page polls.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from ashisense.live import LiveError, LiveRuntime
from calibration.errors import CalibrationError, ProcedureError, UndeterminedGainsError
from calibration.files import CalibrationFile, history, save_calibration
from calibration.geometry import RigGeometry
from calibration.plan import PlanSettings, Step, build_plan, group_title
from calibration.procedure import CalibrationProcedure, Update
from firmware_bridge.blocks import SampleBlock

ACTIVITY = "a calibration"


class CalibrationRunError(LiveError):
    """A calibration request that cannot be met now (the message is for the operator)."""


def _phase(update: Update | None, step: Step | None, capturing: bool, window_s: float) -> str:
    """One word for the page's stability indicator. A load still moving two windows after
    the operator said it was in place is called moving (before that, it is settling)."""
    if step is None:
        return "finished"
    if update is None or update.step is None or update.step.index != step.index:
        return "capturing" if capturing else "waiting"
    if update.state == "settling":
        # a window still filling is judged on too few samples to say more than "capturing"
        reasons = update.assessment.reasons if update.assessment else ("collecting",)
        if any(r.startswith("collecting") for r in reasons):
            return "collecting"
        moving = any("load moving" in r for r in reasons)
        return "moving" if moving and update.elapsed_s >= 2 * window_s else "settling"
    if update.state in ("unstable", "rejected"):
        return update.state
    return "capturing" if capturing else "waiting"


def _num(x: float | None, scale: float = 1.0) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x) * scale


class CalibrationRun:
    """One calibration of the connected device, from the first zero to the saved file.

    Raises CalibrationRunError when the rig cannot be calibrated now (no device yet, channels
    that do not match, an empty plan) and LiveError while a session records. While the run
    captures, sessions are refused; the tap goes once the last step is captured or on abort.
    """

    def __init__(self, runtime: LiveRuntime, settings: PlanSettings, folder: Path) -> None:
        hello = runtime.hello
        if hello is None:
            raise CalibrationRunError(
                "calibration refused: the rig has not said who it is yet (is it connected?)"
            )
        rig = runtime.setup().rig
        try:
            rig.check_channels(hello.channels)
            self.geometry = RigGeometry.from_rig(rig)
            self.procedure = CalibrationProcedure(
                self.geometry, build_plan(self.geometry, settings)
            )
        except (ValueError, CalibrationError) as err:
            raise CalibrationRunError(f"calibration refused: {err}") from err
        self.runtime = runtime
        self.serial = hello.serial
        self.folder = folder
        self.settings = settings
        self._lock = threading.Lock()
        self._last: Update | None = None
        self._begun: dict[int, int] = {}  # step index -> times begun (to say "again")
        self._error = ""
        self._tapped = True
        self._result: CalibrationFile | None = None
        self._saved: dict[str, Any] | None = None
        self.aborted = False
        runtime.add_block_tap(self._on_block, excludes_sessions=ACTIVITY)

    # -- the dispatcher thread ---------------------------------------------------------------
    def _on_block(self, block: SampleBlock) -> None:
        if not self.procedure.capturing:  # the common case: waiting for the operator
            return
        with self._lock:
            if not self.procedure.capturing:
                return
            try:
                self._last = self.procedure.feed(block)
            except ProcedureError as err:  # the device's channels changed under us
                self._error = str(err)
                self._release()
                return
            if self.procedure.done:
                self._release()

    def _release(self) -> None:
        """Stop taking blocks and allow sessions again (lock held)."""
        if self._tapped:
            self._tapped = False
            self.runtime.remove_block_tap(self._on_block)

    # -- the page's buttons --------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Still taking blocks (steps left, not aborted, no error)."""
        with self._lock:
            return self._tapped

    def _check_step(self, step_index: int | None) -> Step:
        step = self.procedure.current
        if self._error or not self._tapped or step is None:
            raise CalibrationRunError("the calibration is not expecting a step now")
        if step_index is not None and step_index != step.index:
            raise CalibrationRunError(
                f"step {step_index + 1} is not the current step any more; step "
                f"{step.index + 1} is: {step.prompt}"
            )
        return step

    def begin(self, step_index: int | None = None) -> None:
        """The operator says the current step's load is in place (step_index: the step the
        page showed, so a stale page cannot capture another one)."""
        with self._lock:
            step = self._check_step(step_index)
            self.procedure.begin()
            self._begun[step.index] = self._begun.get(step.index, 0) + 1
            self._last = None

    def skip(self, step_index: int | None = None) -> None:
        """Leave the current load step out of the fit; zero steps cannot be skipped."""
        with self._lock:
            self._check_step(step_index)
            try:
                self.procedure.skip()
            except ProcedureError as err:
                raise CalibrationRunError(str(err)) from err
            self._last = None
            if self.procedure.done:
                self._release()

    def abort(self) -> None:
        """Stop here; nothing is saved."""
        with self._lock:
            self.aborted = True
            self._release()

    def result(self) -> CalibrationFile:
        """The fitted calibration (made once, with channels not calibrated now carried over
        from this device's newest file in the folder). CalibrationRunError when the steps
        cannot determine a group's gains: the run then stops with the procedure's message."""
        with self._lock:
            return self._fit()

    def _fit(self) -> CalibrationFile:
        if self._result is not None:
            return self._result
        if not self.procedure.done or self.aborted:
            raise CalibrationRunError("the calibration is not finished")
        previous = None
        if self.folder.is_dir():
            same = [cal for _, cal in history(self.folder) if cal.device_serial == self.serial]
            previous = same[-1] if same else None
        try:
            self._result = self.procedure.result(self.serial, previous=previous)
        except UndeterminedGainsError as err:  # says which group, why, and what to redo
            self._error = str(err)
            raise CalibrationRunError(self._error) from err
        except ProcedureError as err:
            self._error = f"the fit failed: {err}"
            raise CalibrationRunError(self._error) from err
        return self._result

    def save(self) -> dict[str, Any]:
        """Write the calibration file into the history folder and have the runtime use it if
        the rig reads that folder. Returns {path, name, folder, in_use, note}. Refused (as the
        fit is) when the steps cannot determine a group's gains."""
        with self._lock:
            if self._saved is not None:
                raise CalibrationRunError(f"already saved as {self._saved['name']}")
            cal = self._fit()
            path = save_calibration(cal, self.folder)
            in_use, note = self._use(cal)
            self._saved = {
                "path": str(path),
                "name": path.name,
                "folder": str(self.folder),
                "in_use": in_use,
                "note": note,
            }
            return dict(self._saved)

    def _use(self, cal: CalibrationFile) -> tuple[bool, str]:
        rig_path = self.runtime.config.rig_path
        try:
            self.runtime.reload_calibration()
        except LiveError as err:
            return False, str(err)
        used = self.runtime.setup().rig.calibration_file
        if used is not None and (used.created_utc, used.device_serial) == (
            cal.created_utc,
            cal.device_serial,
        ):
            return True, "the live view uses it now"
        return False, (
            f'to use it, set [calibration] path = "{self.folder}" in {rig_path.name} and '
            'calibration = "file" on its channels'
        )

    # -- what the page shows -------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The run as JSON for the page: plan with each step's status, the current step and
        its stability indicator, and at the end the report."""
        with self._lock:
            proc = self.procedure
            step = proc.current
            last = self._last
            done, total = proc.progress
            captured = proc.captures
            skipped = set(proc.skipped)
            out: dict[str, Any] = {
                "serial": self.serial,
                "folder": str(self.folder),
                "active": self._tapped,
                "aborted": self.aborted,
                "error": self._error,
                "done": done,
                "total": total,
                "capturing": proc.capturing,
                "phase": _phase(last, step, proc.capturing, proc.criteria.window_s),
                "step": None,
                "last": None,
                "plan": [
                    {
                        "index": s.index,
                        "kind": s.kind,
                        "group": s.group,
                        "label": s.label,
                        "mass_kg": s.mass_kg,
                        "direction": s.direction,
                        "status": "captured"
                        if s.index in captured
                        else "skipped"
                        if s.index in skipped
                        else "current"
                        if step is not None and s.index == step.index
                        else "todo",
                    }
                    for s in proc.plan
                ],
                "report": None,
                "saved": self._saved,
            }
            if step is not None:
                out["step"] = {
                    "index": step.index,
                    "kind": step.kind,
                    "group": step.group,
                    "title": "zero" if step.kind == "zero" else group_title(step.group),
                    "prompt": step.prompt,
                    "mass_kg": step.mass_kg,
                    "where_m": list(step.where_m),
                    "again": self._begun.get(step.index, 0) > (1 if proc.capturing else 0),
                    "can_skip": step.kind == "load",
                }
            if last is not None:
                out["last"] = {
                    "state": last.state,
                    "step": None if last.step is None else last.step.index,
                    "message": last.message,
                    "progress": last.progress,
                    "elapsed_s": last.elapsed_s,
                    "timeout_s": proc.criteria.timeout_s,
                    "redo": list(last.redo),
                }
            if proc.done and not self.aborted and not self._error:
                try:
                    out["report"] = report_json(self._fit(), self.geometry)
                except CalibrationRunError:
                    out["error"] = self._error
            return out


def report_json(cal: CalibrationFile, geometry: RigGeometry) -> dict[str, Any]:
    """The figures the page shows: per channel (with its change from the gain in use when the
    run began, the geometry's nominal gain) and per group, and the eccentricity table."""
    report = cal.report
    carried = set(report.get("carried_over", {}).get("channels", []))
    group_of = {c: g.name for g in geometry.groups for c in g.channels}
    before = geometry.nominal_gain_n_per_count
    channels = []
    for name, ch in cal.channels.items():
        was = before.get(name)
        channels.append(
            {
                "name": name,
                "group": group_of.get(name),
                "offset_counts": ch.offset_counts,
                "gain_n_per_count": ch.gain_n_per_count,
                "gain_before_n_per_count": was,
                "gain_change_pct": None if not was else 100.0 * (ch.gain_n_per_count / was - 1.0),
                "linearity_pct": ch.linearity_pct,
                "hysteresis_pct": ch.hysteresis_pct,
                "repeatability_n": ch.repeatability_n,
                "carried_over": name in carried,
            }
        )
    groups = []
    for name, g in report.get("groups", {}).items():
        ecc = g["eccentricity"]
        groups.append(
            {
                "name": name,
                "title": group_title(name),
                "kind": g["kind"],
                "condition": g["condition"],
                "total": g["total"],
                "eccentricity": {
                    "max_total_err_pct": ecc["max_total_err_pct"],
                    "max_position_err_mm": _num(ecc["max_position_err_m"], 1000.0),
                    "max_loo_total_err_pct": ecc["max_loo_total_err_pct"],
                    "max_loo_position_err_mm": _num(ecc["max_loo_position_err_m"], 1000.0),
                },
                "placements": [
                    {
                        "step": row["step"],
                        "label": row["label"],
                        "mass_kg": row["mass_kg"],
                        "where_m": row["where_m"],
                        "total_err_pct": row["total_err_pct"],
                        "position_err_mm": _num(row["position_err_m"], 1000.0),
                        "loo_total_err_pct": row["loo_total_err_pct"],
                        "loo_position_err_mm": _num(row["loo_position_err_m"], 1000.0),
                    }
                    for row in g["steps"]
                    if row["series"].endswith(":single")
                ],
            }
        )
    return {
        "created_utc": cal.created_utc,
        "device_serial": cal.device_serial,
        "channels": channels,
        "groups": groups,
        "skipped_steps": [s["step"] for s in report.get("skipped_steps", [])],
        "zero_duration_s": report.get("zero", {}).get("duration_s"),
    }


class CalibrationDesk:
    """The dashboard's calibration: at most one run, kept (with its report) until closed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._run: CalibrationRun | None = None

    @property
    def run(self) -> CalibrationRun | None:
        with self._lock:
            return self._run

    def start(self, runtime: LiveRuntime, settings: PlanSettings, folder: Path) -> CalibrationRun:
        """A new run (replacing a finished one); refused while another one captures."""
        with self._lock:
            if self._run is not None and self._run.active:
                done, total = self._run.procedure.progress
                raise CalibrationRunError(
                    f"a calibration is already running ({done} of {total} steps done); "
                    "abort it first"
                )
            self._run = CalibrationRun(runtime, settings, folder)
            return self._run

    def current(self) -> CalibrationRun:
        """The run; CalibrationRunError when there is none."""
        run = self.run
        if run is None:
            raise CalibrationRunError("no calibration is running: begin one first")
        return run

    def close(self) -> None:
        """Abort the run if it still captures and forget it (its report too)."""
        with self._lock:
            run, self._run = self._run, None
        if run is not None:
            run.abort()
