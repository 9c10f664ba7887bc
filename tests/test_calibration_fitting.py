"""Group gains are recovered jointly from force and moment balance; bad steps stand out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.errors import ProcedureError, RigGeometryError, UndeterminedGainsError
from calibration.fitting import fit_group, leave_one_out, resultant, robust_outliers
from calibration.geometry import Group, RigGeometry
from calibration.plan import PlanSettings, build_plan

MAT = Group(
    name="mat",
    kind="mat",
    channels=("hl", "hr", "fl", "fr"),
    positions_m=np.array([[0.05, -0.3], [0.05, 0.3], [1.85, -0.3], [1.85, 0.3]]),
)
BAR = Group(name="bar_left", kind="bar", channels=("h", "f"), positions_m=np.array([[0.2], [1.7]]))
TRIANGLE = Group(
    name="mat",
    kind="mat",
    channels=("a", "b", "c"),
    positions_m=np.array([[0.0, -0.3], [0.0, 0.3], [1.5, 0.0]]),
)
GEOMETRY = RigGeometry(("h", "f", "hl", "hr", "fl", "fr"), (BAR, MAT), {}, {})


def mat_positions():
    steps = [s for s in build_plan(GEOMETRY, PlanSettings(groups=("mat",))) if s.kind == "load"]
    return np.array([s.where_m for s in steps]), np.array([s.mass_kg for s in steps]) * 9.80665


def counts_of(group, gains, weights_n, where_m):
    forces = np.array([group.true_forces_n(w, p) for w, p in zip(weights_n, where_m, strict=True)])
    return forces / gains


@settings(max_examples=40, deadline=None)
@given(
    group=st.sampled_from([MAT, TRIANGLE]),
    weight_n=st.floats(1, 2000),
    u=st.floats(0, 1),
    v=st.floats(0, 1),
)
def test_true_forces_reproduce_the_total_and_the_moments(group, weight_n, u, v):
    lo, hi = group.positions_m.min(axis=0), group.positions_m.max(axis=0)
    where = lo + np.array([u, v]) * (hi - lo)
    f = group.true_forces_n(weight_n, where)
    assert f.sum() == pytest.approx(weight_n, rel=1e-9)
    np.testing.assert_allclose(f @ group.positions_m / f.sum(), where, atol=1e-9)


def test_a_weight_over_a_corner_cell_loads_only_that_cell():
    np.testing.assert_allclose(MAT.true_forces_n(100.0, [1.85, 0.3]), [0, 0, 0, 100.0], atol=1e-12)


def test_lever_rule_splits_a_bar_load_between_the_mounts():
    np.testing.assert_allclose(BAR.true_forces_n(100.0, [0.575]), [75.0, 25.0])


def test_group_positions_must_match_its_channels():
    with pytest.raises(RigGeometryError, match=r"shape \(2, 1\)"):
        Group("bar_left", "bar", ("h", "f"), np.zeros((2, 2)))


@settings(max_examples=30, deadline=None)
@given(gains=st.lists(st.floats(2e-4, 5e-3), min_size=4, max_size=4))
def test_joint_mat_fit_recovers_every_corner_gain_exactly_without_noise(gains):
    true = np.array(gains)
    where, weights = mat_positions()
    fit = fit_group(MAT, counts_of(MAT, true, weights, where), weights, where)
    np.testing.assert_allclose(fit.gains_n_per_count, true, rtol=1e-9)
    assert fit.rank == 4


def test_bar_fit_is_the_lever_rule():
    true = np.array([0.00186, 0.00191])
    where = np.array([[0.95], [0.575], [1.325]])
    weights = np.array([98.0, 98.0, 49.0])
    fit = fit_group(BAR, counts_of(BAR, true, weights, where), weights, where)
    np.testing.assert_allclose(fit.gains_n_per_count, true, rtol=1e-12)


def test_weights_only_at_the_centre_cannot_tell_the_corners_apart():
    where = np.array([[0.95, 0.0]] * 3)
    weights = np.array([98.0, 196.0, 294.0])
    with pytest.raises(UndeterminedGainsError) as caught:
        fit_group(MAT, counts_of(MAT, np.full(4, 1e-3), weights, where), weights, where)
    assert isinstance(caught.value, ProcedureError)
    assert "mat: the steps captured cannot determine its 4 gains" in str(caught.value)
    assert "1 distinct place loaded, at least 2 needed" in str(caught.value)
    assert "condition number infinite (a gain is left free), limit 30" in str(caught.value)
    assert caught.value.groups == ("mat",) and caught.value.conditions == (np.inf,)


def test_noise_at_a_single_place_gives_a_fit_too_ill_conditioned_to_trust():
    """Noise makes the centre-only system full rank; its condition number gives it away."""
    where = np.array([[0.95, 0.0]] * 3)
    weights = np.array([98.0, 196.0, 294.0])
    deltas = counts_of(MAT, np.full(4, 1e-3), weights, where)
    deltas += np.random.default_rng(0).normal(0.0, 2.0, deltas.shape)
    with pytest.raises(UndeterminedGainsError) as caught:
        fit_group(MAT, deltas, weights, where)
    (condition,) = caught.value.conditions
    assert 1e3 < condition < np.inf
    assert f"condition number {condition:.2g}, limit 30" in str(caught.value)


@settings(max_examples=40, deadline=None)
@given(
    gains=st.lists(st.floats(2e-4, 5e-3), min_size=4, max_size=4),
    extra=st.integers(4, 11),  # a corner or an edge (0-3 and 12 are the centre)
    max_condition=st.floats(1.0, 10.0),
)
def test_a_fit_is_refused_exactly_when_its_condition_exceeds_the_limit(gains, extra, max_condition):
    """Two places or more (the centre and any other plan place): the fit is refused if and
    only if its condition number is above the limit it was given."""
    where, weights = mat_positions()
    keep = [0, extra]
    deltas = counts_of(MAT, np.array(gains), weights[keep], where[keep])
    condition = fit_group(MAT, deltas, weights[keep], where[keep], np.inf).condition
    if condition <= max_condition:
        assert fit_group(MAT, deltas, weights[keep], where[keep], max_condition).rank == 4
    else:
        with pytest.raises(UndeterminedGainsError, match="limit"):
            fit_group(MAT, deltas, weights[keep], where[keep], max_condition)


def test_one_place_determines_a_bar_by_the_lever_rule():
    true = np.array([0.00186, 0.00191])
    where = np.array([[0.95], [0.95]])
    weights = np.array([49.0, 98.0])
    fit = fit_group(BAR, counts_of(BAR, true, weights, where), weights, where)
    np.testing.assert_allclose(fit.gains_n_per_count, true, rtol=1e-12)
    assert fit.condition < 2.0


def test_resultant_gives_total_and_centre_of_pressure():
    gains = np.full(4, 1e-3)
    d = MAT.true_forces_n(200.0, [0.5, 0.1]) / gains
    total, where = resultant(MAT, gains, d)
    assert total[0] == pytest.approx(200.0)
    np.testing.assert_allclose(where[0], [0.5, 0.1])


def test_leave_one_out_points_at_the_misplaced_weight():
    true = np.array([9e-4, 9.5e-4, 9.2e-4, 9.4e-4])
    where, weights = mat_positions()
    deltas = counts_of(MAT, true, weights, where)
    actual = where.copy()
    actual[7] += [0.04, 0.0]  # placed 40 mm off its mark
    deltas[7] = counts_of(MAT, true, weights[7:8], actual[7:8])[0]
    total_pct, pos_m = leave_one_out(MAT, deltas, weights, where)
    assert np.nanargmax(pos_m) == 7
    assert pos_m[7] == pytest.approx(0.04, rel=0.2)
    assert abs(total_pct[7]) < 1e-6  # a misplaced weight still weighs the same
    flagged = robust_outliers(pos_m, 0.010, 5.0)
    assert list(np.flatnonzero(flagged)) == [7]


@settings(max_examples=50, deadline=None)
@given(
    errors=st.lists(st.floats(-0.1, 0.1), min_size=5, max_size=30),
    outlier=st.floats(1.0, 10.0),
)
def test_robust_outliers_flag_only_the_gross_error(errors, outlier):
    e = np.array([*errors, outlier])
    flagged = robust_outliers(e, abs_tol=0.5, k=5.0)
    assert flagged[-1] and not flagged[:-1].any()
