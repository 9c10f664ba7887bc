"""The estimator on a realistic simulated rig (issue 14): each effect switchable with its truth;
an invalid sample with nobody on stays missing; a foot on the frame is flagged within 0.5 s
while heel strikes are not; the mat zero is tracked against the known weights; every
uncertainty reason is its own export column."""

from __future__ import annotations

import numpy as np
import pytest

from ashisense.pipeline import Pipeline, Uncertain
from ashisense.session.export import FLAG_COLUMNS
from ashisense.sim import Effects, RigSimulator
from ashisense.sim.effects import CLIENT_SHIFT_M, FRAME_SHARE, EffectsError
from tests.pipelinekit import rig
from tests.simfeedkit import run_sim, sim_profiles

CLIENT, THERAPIST = sim_profiles()
W_N = THERAPIST.weight_n
RATE_HZ = 80


def simulate(effects: Effects, seed: int, seconds: float = 200.0):
    r = rig("sim_rig")
    sim = RigSimulator("calm", seed=seed, channels=r.channels, effects=effects, drift=False)
    return run_sim(Pipeline(r, CLIENT, THERAPIST, rate_hz=sim.rate_hz), sim, seconds)


def starts(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.diff(mask.astype(np.int8)) == 1) + 1


def test_effects_parse_and_refuse_unknown_names() -> None:
    assert Effects.parse("all") == Effects.all()
    assert Effects.parse("creep, breathing") == Effects(creep=True, breathing=True)
    assert Effects.parse("") == Effects()
    with pytest.raises(EffectsError, match="valid: all, breathing"):
        Effects.parse("wind")


def test_all_effects_read_the_same_however_the_stream_is_cut() -> None:
    whole = RigSimulator("calm", seed=3, effects=Effects.all()).next_block(8000)
    sim = RigSimulator("calm", seed=3, effects=Effects.all())
    parts = [sim.next_block(k) for k in (7, 1000, 0, 2993, 4000)]
    cut = type(whole).concat(parts)
    np.testing.assert_array_equal(cut.counts, whole.counts)
    np.testing.assert_array_equal(cut.invalid, whole.invalid)
    np.testing.assert_array_equal(cut.sensor_error_n, whole.sensor_error_n)


def test_each_effect_shows_in_its_truth() -> None:
    tr_block = RigSimulator("calm", seed=4, effects=Effects.all()).next_block(200 * RATE_HZ)
    tr = tr_block.truth
    walking = tr.in_phase("walking")
    assert np.abs(tr.dynamic_n[walking]).max() > 0.08 * W_N  # heel strikes
    assert not tr.dynamic_n[tr.in_phase("still")].any()
    pushing = tr.feet_n > 0
    assert 0 < np.abs(tr.push_x_n[pushing]).max() <= 0.017 * W_N + 1e-9
    assert 0 < np.abs(tr.push_y_n[pushing]).max() <= 0.008 * W_N + 1e-9
    assert not tr.push_x_n[~pushing].any()
    shift = tr.in_phase("client_shift")
    first = starts(shift)[0]
    last = first + int(np.argmin(shift[first:])) - 1  # the first slide's last sample
    assert tr.client_x_m[last + 1] - tr.client_x_m[first - 1] == pytest.approx(
        CLIENT_SHIFT_M, abs=0.009
    )  # (plus breathing, ±4 mm)
    frame = tr.in_phase("foot_on_frame")
    held = frame & (np.arange(len(tr)) > starts(frame)[0] + 16)
    share = tr.off_rig_n[held] / (tr.off_rig_n[held] + tr.feet_n[held])
    assert share.mean() == pytest.approx(FRAME_SHARE, abs=0.03)
    invalid = tr_block.invalid.sum()
    assert 0 < invalid < 3 * len(tr) / 2000  # one in 2,000
    assert np.abs(tr_block.sensor_error_n).max() > 0.05  # drift, creep, bend


def test_an_invalid_mat_sample_with_nobody_on_stays_missing() -> None:
    est, tr = simulate(Effects(invalid_samples=True), seed=5, seconds=300.0)
    mat = slice(4, 8)
    bad_mat = np.isnan(est.force_n[:, mat]).any(axis=1)
    off = tr.in_phase("off") & bad_mat
    assert off.any()
    assert np.isnan(est.feet_n[off]).all()  # not W_t - F_bar: nobody holds the bars
    on = bad_mat & (tr.feet_n > 100) & (tr.bar_left_n + tr.bar_right_n > 50)
    assert on.any()
    assert np.abs(est.feet_n[on] - tr.feet_n[on]).max() < 0.05 * W_N  # the bars fill in
    assert np.nanmax(np.abs(est.feet_n[tr.in_phase("off")])) < 0.01 * W_N


def test_a_foot_on_the_frame_is_flagged_within_half_a_second_heel_strikes_are_not() -> None:
    est, tr = simulate(Effects(dynamics=True, hand_pull=True, foot_on_frame=True), seed=6)
    support = (est.uncertain_reason & Uncertain.SUPPORT_MISMATCH) != 0
    onsets = starts(tr.in_phase("foot_on_frame"))
    assert onsets.size >= 2
    for k in onsets:
        assert support[k : k + RATE_HZ // 2].any(), f"not flagged within 0.5 s of sample {k}"
    walking = tr.in_phase("walking")
    assert np.abs(tr.dynamic_n[walking]).max() > 0.08 * W_N
    assert support[walking].mean() <= 0.01


def test_mat_zero_drift_is_tracked_and_its_age_told() -> None:
    est, tr = simulate(Effects(zero_drift=True), seed=7, seconds=300.0)
    still = tr.in_phase("still") & (tr.feet_n > 0)
    err = est.feet_n[still] - tr.feet_n[still]
    assert np.sqrt(np.mean(err**2)) <= 0.005 * W_N
    assert 0 <= est.mat_zero_age_s < 120


def test_every_uncertainty_reason_is_its_own_export_column() -> None:
    assert set(FLAG_COLUMNS.values()) == set(Uncertain)
    assert FLAG_COLUMNS["flag_support_mismatch"] is Uncertain.SUPPORT_MISMATCH
    assert FLAG_COLUMNS["flag_client_shift"] is Uncertain.CLIENT_SHIFT
