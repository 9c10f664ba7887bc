"""The calibration procedure on a simulated rig: recovered gains, eccentricity, and bad steps
(settling, moving, misplaced, wrong weight) detected and repeated instead of fitted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ashisense.rig import load_rig
from calibration.errors import ProcedureError, UndeterminedGainsError
from calibration.geometry import RigGeometry
from calibration.plan import PlanSettings, build_plan
from calibration.procedure import CalibrationProcedure
from calibration.simulate import (
    Fault,
    Load,
    SimTruth,
    SimulatedOperator,
    SimulatedTable,
    run_simulated,
)
from tests.calibrationkit import calibrate, corner_check

RIG = Path(__file__).resolve().parent.parent / "examples" / "sim_rig.toml"


@pytest.fixture(scope="module")
def geometry() -> RigGeometry:
    return RigGeometry.from_rig(load_rig(RIG))


@pytest.fixture(scope="module")
def truth(geometry) -> SimTruth:
    """True gains 3 % (sd) away from the rig file's nominal ones, HX711-like noise, drift, creep."""
    return SimTruth.around_nominal(geometry, 0.03, seed=7, noise_counts=20.0)


def index_of(plan, group, label, series="single"):
    return next(
        s.index for s in plan if s.group == group and s.label == label and s.series.endswith(series)
    )


def gain_errors(cal, truth):
    return {
        c: cal.channels[c].gain_n_per_count / truth.gains_n_per_count[c] - 1 for c in cal.channels
    }


def test_recovered_gains_are_within_0_1_percent_of_truth(geometry, truth):
    proc, _, events = calibrate(geometry, truth)
    assert events[-1].state == "finished"
    cal = proc.result("SIM-1")
    errors = gain_errors(cal, truth)
    assert set(errors) == set(geometry.channels)
    assert max(abs(e) for e in errors.values()) < 1e-3, errors


def test_mat_corner_test_totals_within_0_1_percent_and_positions_within_5_mm(geometry, truth):
    proc, operator, _ = calibrate(geometry, truth)
    cal = proc.result("SIM-1")
    ecc = cal.report["groups"]["mat"]["eccentricity"]
    assert ecc["corner_max_total_err_pct"] < 0.1
    assert ecc["corner_max_position_err_m"] < 0.005
    # Verification afterwards, with the saved constants: 20 kg on each corner position again.
    checks = corner_check(proc, cal, operator.table)
    assert len(checks) == 4
    for total_error, position_error_m in checks:
        assert abs(total_error) < 1e-3
        assert position_error_m < 0.005


def test_zero_is_refused_while_the_signal_settles(geometry, truth):
    proc = CalibrationProcedure(geometry, build_plan(geometry))
    table = SimulatedTable(geometry, replace(truth, settle_tau_s=1.0))
    table.set_loads([Load("mat", 40.0, (0.95, 0.0))])
    table.read(5.0)
    table.set_loads([])  # the weight has just been lifted off
    proc.begin()
    states = []
    while not states or states[-1].state == "settling":
        states.append(proc.feed(table.read(0.25)))
    assert states[-1].state == "captured"
    assert any("still settling" in u.message for u in states)
    settle_s = states[-1].elapsed_s
    assert settle_s > 6.0  # 40 kg needs several time constants to come within the noise


def test_a_swinging_load_is_reported_unstable_and_the_step_repeated(geometry, truth):
    plan = build_plan(geometry)
    k = index_of(plan, "bar_left", "the middle", series="stack")
    proc, operator, events = calibrate(geometry, truth, {k: Fault(swing_fraction=0.02)})
    unstable = [u for u in events if u.state == "unstable"]
    assert [u.step.index for u in unstable] == [k]
    assert "load moving" in unstable[0].message
    assert operator.attempts[k] == 2
    assert max(abs(e) for e in gain_errors(proc.result("S"), truth).values()) < 1e-3


def test_a_misplaced_weight_is_rejected_and_repeated_not_fitted(geometry, truth):
    plan = build_plan(geometry)
    k = index_of(plan, "mat", "foot-right corner")
    proc, operator, events = calibrate(geometry, truth, {k: Fault(offset_m=(0.04, 0.0))})
    rejected = [u for u in events if u.state == "rejected"]
    assert rejected, "the misplaced weight went unnoticed"
    assert "mm" in rejected[0].message
    assert k in {u.step.index for u in rejected} | {i for u in rejected for i in u.redo}
    assert operator.attempts[k] == 2
    cal = proc.result("S")
    assert max(abs(e) for e in gain_errors(cal, truth).values()) < 1e-3
    assert cal.report["groups"]["mat"]["eccentricity"]["max_position_err_m"] < 0.005


def test_a_grossly_wrong_weight_is_caught_at_once(geometry, truth):
    plan = build_plan(geometry)
    k = index_of(plan, "bar_right", "the middle", series="stack") + 1  # second stacked weight
    _, operator, events = calibrate(geometry, truth, {k: Fault(mass_factor=0.75)})
    first = next(u for u in events if u.state != "captured")
    assert first.state == "rejected" and first.step.index == k
    assert "reads 7.50 kg" in first.message
    assert operator.attempts[k] == 2


def test_a_small_outlier_is_found_by_the_final_robust_test(geometry, truth):
    plan = build_plan(geometry)
    k = index_of(plan, "mat", "left edge")
    proc, operator, events = calibrate(geometry, truth, {k: Fault(mass_factor=1.012)})
    final = [u for u in events if u.redo]
    assert len(final) == 1 and final[0].redo == (k,)
    assert "total off by +1.2" in final[0].message
    assert operator.attempts[k] == 2
    assert events[-1].state == "finished"
    assert max(abs(e) for e in gain_errors(proc.result("S"), truth).values()) < 1e-3


def test_feeding_arrays_in_any_channel_order_gives_the_same_captures(geometry, truth):
    table = SimulatedTable(geometry, truth, seed=3)
    block = table.read(3.0)
    perm = np.random.default_rng(0).permutation(len(geometry.channels))
    shuffled = block.__class__(
        t_s=block.t_s,
        t_device_s=block.t_device_s,
        seq=block.seq,
        counts=np.ascontiguousarray(block.counts[:, perm]),
        invalid=block.invalid[:, perm],
        channels=tuple(block.channels[i] for i in perm),
    )
    means = []
    for feed in (
        lambda p: p.feed(shuffled),
        lambda p: p.feed(block.counts, block.t_s),
    ):
        proc = CalibrationProcedure(geometry, build_plan(geometry))
        proc.begin()
        assert feed(proc).state == "captured"
        means.append(proc.captures[0].mean_counts)
    np.testing.assert_allclose(means[0], means[1])
    proc = CalibrationProcedure(geometry, build_plan(geometry), rate_hz=80.0)
    proc.begin()
    assert proc.feed(block.counts).state == "captured"
    with pytest.raises(ProcedureError, match=r"shape \(n, 8\)"):
        proc.feed(block.counts[:, :3])


def test_a_skipped_step_is_left_out_and_reported(geometry, truth):
    plan = build_plan(geometry, PlanSettings(groups=("mat",)))
    proc = CalibrationProcedure(geometry, plan)
    operator = SimulatedOperator(SimulatedTable(geometry, truth))
    with pytest.raises(ProcedureError, match="zero step is required"):
        proc.skip()
    k = index_of(plan, "mat", "head edge")
    while proc.current.index != k:
        operator.prepare(proc.current)
        proc.begin()
        while proc.capturing:
            proc.feed(operator.next_block())
    proc.skip()
    run_simulated(proc, operator)
    cal = proc.result("S")
    assert [s["step"] for s in cal.report["skipped_steps"]] == [k]
    assert k not in {r["step"] for r in cal.report["groups"]["mat"]["steps"]}


def walk_skipping(proc, operator, skip):
    """Walk the procedure, skipping the load steps skip(step) picks."""
    while not proc.done:
        if skip(proc.current):
            proc.skip()
            continue
        operator.prepare(proc.current)
        proc.begin()
        while proc.capturing:
            proc.feed(operator.next_block())


def is_single(step):
    return step.kind == "load" and step.series.endswith(":single")


def test_skipping_every_mat_placement_is_refused_naming_the_steps_to_redo(geometry, truth):
    plan = build_plan(geometry, PlanSettings(groups=("mat",)))
    proc = CalibrationProcedure(geometry, plan)
    operator = SimulatedOperator(SimulatedTable(geometry, truth))
    walk_skipping(proc, operator, is_single)
    with pytest.raises(UndeterminedGainsError) as caught:
        proc.result("S")
    err = caught.value
    assert isinstance(err, ProcedureError)
    corners_and_edges = tuple(s.index for s in plan if is_single(s) and s.label != "centre")
    assert err.groups == ("mat",) and err.redo_steps == corners_and_edges
    (condition,) = err.conditions
    assert condition > 1e3 and err.max_condition == 30.0
    text = str(err)
    assert text.startswith("Calibration refused, nothing to save: mat: ")
    assert "1 distinct place loaded, at least 2 needed" in text
    assert f"condition number {condition:.2g}, limit 30" in text
    steps = ", ".join(str(i + 1) for i in corners_and_edges)
    assert (
        f"Redo the skipped placements (steps {steps}: on the table, 20 kg at head-left corner"
        in text
    )
    # Doing them after all gives a calibration as good as a complete one.
    proc.unskip(err.redo_steps)
    assert proc.current.index == corners_and_edges[0]
    run_simulated(proc, operator)
    cal = proc.result("S")
    assert [s["step"] for s in cal.report["skipped_steps"]] == [5, 14]  # the centre, twice
    assert cal.report["groups"]["mat"]["condition"] < 10
    assert max(abs(e) for e in gain_errors(cal, truth).values()) < 1e-3


def test_a_planned_group_with_every_load_step_skipped_is_refused_not_left_out(geometry, truth):
    plan = build_plan(geometry, PlanSettings(groups=("bar_left", "mat")))
    proc = CalibrationProcedure(geometry, plan)
    operator = SimulatedOperator(SimulatedTable(geometry, truth))
    walk_skipping(proc, operator, lambda s: s.kind == "load" and s.group == "bar_left")
    with pytest.raises(UndeterminedGainsError) as caught:
        proc.result("S")
    bar_loads = tuple(s.index for s in plan if s.kind == "load" and s.group == "bar_left")
    assert caught.value.groups == ("bar_left",) and caught.value.redo_steps == bar_loads
    assert "bar_left: the steps captured cannot determine its 2 gains (0 distinct places" in str(
        caught.value
    )
    assert "on the left bar, 5 kg at the middle, 10 kg at the middle, 20 kg" in str(caught.value)


def test_a_group_with_no_skipped_step_to_redo_is_told_to_plan_more_places(geometry, truth):
    plan = build_plan(geometry, PlanSettings(groups=("mat",)))
    plan = [s for s in plan if not (is_single(s) and s.label != "centre")]
    plan = [replace(s, index=i) for i, s in enumerate(plan)]
    proc = CalibrationProcedure(geometry, plan)
    run_simulated(proc, SimulatedOperator(SimulatedTable(geometry, truth)))
    with pytest.raises(
        UndeterminedGainsError, match="Plan single-weight steps at more places"
    ) as caught:
        proc.result("S")
    assert caught.value.redo_steps == ()


def test_only_skipped_steps_can_be_queued_again(geometry, truth):
    proc = CalibrationProcedure(geometry, build_plan(geometry, PlanSettings(groups=("mat",))))
    operator = SimulatedOperator(SimulatedTable(geometry, truth))
    walk_skipping(proc, operator, lambda s: s.index in (6, 7))
    with pytest.raises(
        ProcedureError, match=r"expected skipped steps \(skipped: \[7, 8\]\), got steps \[9\]"
    ):
        proc.unskip([6, 8])
    assert proc.done and proc.skipped == (6, 7)


def test_a_mat_only_calibration_carries_the_bars_over_from_the_previous_one(geometry, truth):
    full, _, _ = calibrate(geometry, truth)
    previous = full.result("S", created_utc="2025-01-01T00:00:00Z")
    mat_only, _, _ = calibrate(geometry, truth, settings=PlanSettings(groups=("mat",)), seed=5)
    cal = mat_only.result("S", previous=previous)
    assert cal.channels["bar_left_head"] == previous.channels["bar_left_head"]
    assert cal.channels["mat_head_left"] != previous.channels["mat_head_left"]
    assert cal.report["carried_over"]["from"] == "2025-01-01T00:00:00Z"
    assert "bar_left" not in cal.report["groups"]


def test_driving_the_procedure_out_of_order_is_an_error(geometry, truth):
    proc = CalibrationProcedure(geometry, build_plan(geometry))
    with pytest.raises(ProcedureError, match="not finished: step 1 is next"):
        proc.result("S")
    assert proc.feed(np.zeros((4, 8)), np.arange(4.0)).state == "idle"
    with pytest.raises(ProcedureError, match="must start with a zero step"):
        CalibrationProcedure(geometry, build_plan(geometry)[1:])
