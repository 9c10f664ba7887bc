"""The `ashisense calibrate` wizard, driven by scripted answers on a simulated rig."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ashisense.commands.calibrate.wizard import LinkSource, run_wizard, walk_and_fit
from ashisense.rig import load_rig
from ashisense_cli import build_parser
from calibration.files import load_calibration
from calibration.geometry import RigGeometry
from calibration.plan import PlanSettings, build_plan
from calibration.procedure import CalibrationProcedure
from calibration.simulate import Fault, SimTruth, SimulatedOperator, SimulatedTable

RIG = Path(__file__).resolve().parent.parent / "examples" / "sim_rig.toml"


class Script:
    """An ask() that answers from a list, then with Enter; records every prompt."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0) if self.answers else ""


def run_cli(tmp_path, *extra, script=None):
    args = build_parser().parse_args(
        ["calibrate", "--rig", str(RIG), "--simulate", "--out", str(tmp_path), *extra]
    )
    out = io.StringIO()
    code = args.func(args, ask=script or Script(), out=out)
    return code, out.getvalue()


def test_a_full_simulated_calibration_is_reported_and_saved(tmp_path):
    code, text = run_cli(tmp_path)
    assert code == 0
    assert "Step 1 of 36: Remove every weight" in text
    assert "Step 36 of 36" in text and "All steps done." in text
    assert "mat eccentricity: total within" in text
    saved = sorted(tmp_path.glob("cal-*.json"))
    assert len(saved) == 1 and f"Saved {saved[0]}" in text
    cal = load_calibration(saved[0])
    assert cal.device_serial == "SIM-CAL-0001"
    assert set(cal.channels) == set(load_rig(RIG).channels)


def test_the_operator_s_weights_shape_the_plan_and_bad_answers_are_asked_again(tmp_path):
    script = Script("2 kg", "10 10", "", "", "")
    code, text = run_cli(tmp_path, "--only", "bars", script=script)
    assert code == 0
    assert "expected masses in kg above 0, such as '5, 5, 10', got '2 kg'" in text
    assert "Hang 10 kg on the left bar at the middle" in text
    assert "20 kg in total there" in text
    assert not any("table" in p for p in script.prompts)  # --only bars asks nothing of the mat
    cal = load_calibration(next(tmp_path.glob("cal-*.json")))
    assert set(cal.channels) == {c for c in load_rig(RIG).channels if c.startswith("bar_")}


def test_quitting_saves_nothing(tmp_path):
    code, text = run_cli(tmp_path, script=Script("", "", "", "", "q"))
    assert code == 1
    assert "Calibration abandoned; nothing saved." in text
    assert not list(tmp_path.glob("cal-*.json"))


def test_a_step_repeated_after_a_swinging_load_says_again_and_skips_are_honoured():
    geometry = RigGeometry.from_rig(load_rig(RIG))
    plan = build_plan(geometry, PlanSettings(groups=("bar_left",)))
    truth = SimTruth(geometry.nominal_gain_n_per_count, geometry.nominal_offset_counts)
    operator = SimulatedOperator(SimulatedTable(geometry, truth), {1: Fault(swing_fraction=0.03)})
    proc = CalibrationProcedure(geometry, plan)
    out = io.StringIO()
    # zero: try to skip (refused), then Enter; step 2 swings; ... skip the 25 % position.
    k = next(s.index for s in plan if s.label.startswith("25%"))
    answers = ["s", ""] + [""] * (k - 1) + [""] + ["s"]
    assert run_wizard(proc, operator, Script(*answers), out)
    text = out.getvalue()
    assert "a zero step cannot be skipped." in text
    assert "! Not at rest after 30 s" in text
    assert "Step 2 of 11 (again): Hang 5 kg" in text
    assert "skipped: this step will not be fitted." in text
    assert proc.skipped == (k,)


# --only mat: two weight questions, then 16 steps: a zero, the 3 stack steps, a zero, the 10
# single-weight placements (all skipped here) and a closing zero.
SKIP_MAT_PLACEMENTS = ["", ""] + [""] * 5 + ["s"] * 10 + [""]


def test_skipping_every_mat_placement_is_refused_and_quitting_saves_nothing(tmp_path):
    script = Script(*SKIP_MAT_PLACEMENTS, "q")
    code, text = run_cli(tmp_path, "--only", "mat", script=script)
    assert code == 1
    assert (
        "! Calibration refused, nothing to save: mat: the steps captured cannot determine" in text
    )
    assert "1 distinct place loaded, at least 2 needed; condition number " in text
    assert "limit 30" in text
    assert (
        "Redo the skipped placements (steps 7, 8, 9, 10, 11, 12, 13, 14: on the table, 20 kg at"
        in text
    )
    assert script.prompts[-1] == "  [Enter] do those 8 steps now, [q] quit without saving: "
    assert "Calibration abandoned; nothing saved." in text
    assert "Saved" not in text and not list(tmp_path.glob("cal-*.json"))


def test_the_placements_redone_after_a_refusal_are_fitted_and_saved(tmp_path):
    code, text = run_cli(tmp_path, "--only", "mat", script=Script(*SKIP_MAT_PLACEMENTS, "x", ""))
    assert code == 0
    assert text.count("Calibration refused") == 1
    redone = text.split("Calibration refused")[1]
    assert "Step 7 of 16: Place 20 kg alone on the table at head-left corner" in redone
    assert "Step 14 of 16: Place 20 kg alone on the table at right edge" in redone
    assert "skipped steps (not fitted): [6, 15]" in text  # the centre, already loaded
    assert len(list(tmp_path.glob("cal-*.json"))) == 1


def test_a_calibration_completed_by_redoing_the_placements_recovers_the_true_gains():
    geometry = RigGeometry.from_rig(load_rig(RIG))
    truth = SimTruth.around_nominal(geometry, 0.03, seed=3)
    operator = SimulatedOperator(SimulatedTable(geometry, truth, seed=3))
    proc = CalibrationProcedure(geometry, build_plan(geometry, PlanSettings(groups=("mat",))))
    out = io.StringIO()
    cal = walk_and_fit(proc, operator, Script(*SKIP_MAT_PLACEMENTS[2:]), out)
    assert "Calibration refused" in out.getvalue()
    assert cal is not None and set(cal.channels) == set(geometry.group("mat").channels)
    for name, ch in cal.channels.items():
        assert abs(ch.gain_n_per_count / truth.gains_n_per_count[name] - 1) < 1e-3, name


def test_the_live_link_source_reads_the_device_serial_channels_and_blocks():
    rig = load_rig(RIG)
    source = LinkSource(rig, "sim://calm?seed=1")
    try:
        rig.check_channels(source.channels)
        assert source.serial
        source.prepare(build_plan(RigGeometry.from_rig(rig))[0])
        block = source.next_block(5.0)
        assert block.channels == source.channels
        assert len(block) >= 1 and np.all(np.diff(block.seq) == 1)
    finally:
        source.close()
