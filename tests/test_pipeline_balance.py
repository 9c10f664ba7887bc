"""Force balance on exact scenes: counts->N, bars, mat, feet force and position, every rig kind."""

from __future__ import annotations

import dataclasses
import itertools
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ashisense.bodymap import REGION_CODE
from ashisense.pipeline import EstimateBlock, Pipeline, Uncertain
from ashisense.rig import RigMismatchError, rig_from_dict
from ashisense.sim.sensors import ADC_MAX_COUNTS
from tests.pipelinekit import CLIENT, CLIENT_N, EXAMPLES, THERAPIST, W_N, block, rig, scene

BASELINE_S = 160  # two seconds of the client alone: the baseline is taken after one


def full_run(pipeline: Pipeline, forces: np.ndarray, **kw: object) -> EstimateBlock:
    return pipeline.process(block(pipeline.rig, forces, **kw))  # type: ignore[arg-type]


def client_then_therapist(r, n_on: int = 160, **on: object) -> np.ndarray:
    """The client alone for BASELINE_S samples, then the therapist on as given."""
    return np.concatenate([scene(r, BASELINE_S), scene(r, n_on, **on)])  # type: ignore[arg-type]


ON = {
    "feet_n": 300.0,
    "feet_xy": (0.60, 0.08),
    "bar_left_n": 0.55 * (W_N - 300.0),
    "bar_right_n": 0.45 * (W_N - 300.0),
    "hands_x": (0.70, 0.95),
}


def test_full_rig_recovers_every_quantity_of_an_exact_scene() -> None:
    r = rig()
    est = full_run(Pipeline(r, CLIENT, THERAPIST), client_then_therapist(r, **ON))
    on = slice(BASELINE_S + 10, None)
    assert est.baseline_ready and est.client_n == pytest.approx(CLIENT_N, abs=0.05)
    assert (est.client_cop_x_m, est.client_cop_y_m) == pytest.approx((0.80, 0.0), abs=1e-4)
    np.testing.assert_allclose(est.feet_n[on], 300.0, atol=0.1)
    np.testing.assert_allclose(est.feet_mat_n[on], 300.0, atol=0.1)
    np.testing.assert_allclose(est.feet_bar_n[on], 300.0, atol=0.1)
    np.testing.assert_allclose(est.feet_x_m[on], 0.60, atol=5e-4)
    np.testing.assert_allclose(est.feet_y_m[on], 0.08, atol=5e-4)
    np.testing.assert_allclose(est.bar_n[on], W_N - 300.0, atol=0.05)
    np.testing.assert_allclose(est.bar_left_share[on], 0.55, atol=1e-4)
    np.testing.assert_allclose(est.hand_left_x_m[on], 0.70, atol=1e-3)
    np.testing.assert_allclose(est.hand_right_x_m[on], 0.95, atol=1e-3)
    np.testing.assert_allclose(est.support_ratio[on], 1.0, atol=1e-3)
    np.testing.assert_allclose(est.mat_n[on], CLIENT_N + 300.0, atol=0.1)
    np.testing.assert_allclose(est.pressure_kpa[on], 300.0 / 0.0140 / 1000, rtol=1e-3)
    assert est.pressure_basis == "profile:whole_foot"
    assert (est.region[on] == REGION_CODE["upper_back"]).all()  # 0.6 m: 0.31 H from the vertex
    assert not est.no_go[on].any() and not est.uncertain[on].any()
    assert est.weight_source == "profile" and est.therapist_weight_n == pytest.approx(W_N)


def test_before_the_baseline_feet_are_unknown_not_zero() -> None:
    r = rig()
    est = full_run(Pipeline(r, CLIENT, THERAPIST), scene(r, 40, **ON))  # type: ignore[arg-type]
    assert np.isnan(est.feet_n).all() and np.isnan(est.feet_x_m).all()
    assert (est.uncertain_reason & Uncertain.NO_BASELINE).all()
    assert (est.region == -1).all()


def test_feet_near_zero_have_no_position() -> None:
    r = rig()
    est = full_run(Pipeline(r, CLIENT, THERAPIST), client_then_therapist(r, feet_n=12.0))
    on = slice(BASELINE_S, None)
    assert np.isnan(est.feet_x_m[on]).all() and (est.region[on] == -1).all()
    assert (est.uncertain_reason[on] & Uncertain.FEET_NEAR_ZERO).all()
    np.testing.assert_allclose(est.feet_n[on], 12.0, atol=0.1)  # the force itself is known


def test_invalid_mat_samples_stay_nan_and_bars_fill_the_fused_force() -> None:
    r = rig()
    forces = client_then_therapist(r, **ON)
    bad = np.zeros(forces.shape, dtype=bool)
    bad[[200, 250, 251], 5] = True  # one mat cell
    est = full_run(Pipeline(r, CLIENT, THERAPIST), forces, invalid=bad)
    rows = [200, 250, 251]
    assert np.isnan(est.force_n[rows, 5]).all()
    for name in ("mat_n", "cop_x_m", "feet_mat_n", "feet_x_m", "feet_y_m"):
        assert np.isnan(getattr(est, name)[rows]).all(), name
    assert (est.region[rows] == -1).all()
    np.testing.assert_allclose(est.feet_n[rows], 300.0, atol=0.1)  # from W - F_bar
    assert (est.uncertain_reason[rows] & Uncertain.INVALID_INPUT).all()
    np.testing.assert_allclose(est.feet_display_n[rows], 300.0, atol=0.5)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 1000), frac=st.sampled_from([0.01, 0.1, 0.4]))
def test_an_invalid_sample_never_becomes_zero_anywhere(seed: int, frac: float) -> None:
    r = rig("mat_only_rig")
    forces = client_then_therapist(r, 240, feet_n=250.0)
    bad = np.random.default_rng(seed).random(forces.shape) < frac
    bad[:BASELINE_S] = False
    est = full_run(Pipeline(r, CLIENT, THERAPIST), forces, invalid=bad)
    hit = bad.any(axis=1)
    assert np.isnan(est.force_n[bad]).all()
    for name in ("mat_n", "feet_n", "feet_mat_n", "feet_x_m", "pressure_kpa", "feet_display_n"):
        values = getattr(est, name)
        assert np.isnan(values[hit]).all(), name
        assert np.isfinite(values[BASELINE_S:][~hit[BASELINE_S:]]).all(), name
    assert (est.uncertain_reason[hit] & Uncertain.INVALID_INPUT).all()


def test_railed_counts_are_invalid_and_flagged_saturated() -> None:
    r = rig()
    p = Pipeline(r, CLIENT, THERAPIST)
    b = block(r, client_then_therapist(r, **ON))
    raw = b.counts.copy()
    raw[300, 0] = ADC_MAX_COUNTS
    est = p.process(type(b)(b.t_s, b.t_device_s, b.seq, raw, b.invalid, b.channels))
    assert np.isnan(est.force_n[300, 0]) and np.isnan(est.bar_n[300])
    assert est.uncertain_reason[300] & Uncertain.SATURATED


def test_channel_order_of_the_device_does_not_matter() -> None:
    r = rig()
    forces = client_then_therapist(r, **ON)
    b = block(r, forces)
    perm = np.random.default_rng(3).permutation(len(r.channels))
    shuffled = type(b)(
        b.t_s,
        b.t_device_s,
        b.seq,
        b.counts[:, perm],
        b.invalid[:, perm],
        tuple(r.channels[i] for i in perm),
    )
    a = Pipeline(r, CLIENT, THERAPIST).process(b)
    c = Pipeline(r, CLIENT, THERAPIST).process(shuffled)
    np.testing.assert_array_equal(a.force_n, c.force_n)
    np.testing.assert_array_equal(a.feet_x_m, c.feet_x_m)


def test_a_block_lacking_a_rig_channel_is_refused() -> None:
    r = rig()
    b = block(r, scene(r, 4))
    short = type(b)(b.t_s, b.t_device_s, b.seq, b.counts[:, 1:], b.invalid[:, 1:], b.channels[1:])
    with pytest.raises(RigMismatchError, match=r"missing \['bar_left_head'\]"):
        Pipeline(r).process(short)


def test_bars_only_rig_feet_force_is_weight_minus_bars() -> None:
    r = rig("bars_only_rig")
    forces = scene(r, 200, bar_left_n=200.0, bar_right_n=150.0, hands_x=(0.5, 1.2))
    est = full_run(Pipeline(r, None, THERAPIST), forces)
    np.testing.assert_allclose(est.feet_n, W_N - 350.0, atol=0.05)
    np.testing.assert_allclose(est.hand_left_x_m, 0.5, atol=1e-3)
    assert np.isnan(est.feet_x_m).all() and np.isnan(est.mat_n).all()
    assert np.isnan(est.support_n).all() and not est.uncertain[50:].any()
    no_weight = full_run(Pipeline(r), forces)
    assert np.isnan(no_weight.feet_n).all()
    assert (no_weight.uncertain_reason & Uncertain.NO_WEIGHT).all()
    assert np.isnan(no_weight.pressure_kpa).all() and no_weight.pressure_basis == "none"


def test_bars_only_rig_flags_bars_nobody_holds() -> None:
    r = rig("bars_only_rig")
    est = full_run(Pipeline(r, None, THERAPIST), scene(r, 50))
    assert (est.uncertain_reason & Uncertain.BARS_UNLOADED).all()


def test_mat_only_rig_has_feet_but_no_support_check() -> None:
    r = rig("mat_only_rig")
    est = full_run(Pipeline(r, CLIENT, THERAPIST), client_then_therapist(r, feet_n=250.0))
    on = slice(BASELINE_S + 1, None)
    np.testing.assert_allclose(est.feet_n[on], 250.0, atol=0.1)
    np.testing.assert_allclose(est.feet_x_m[on], 0.60, atol=5e-4)
    assert np.isnan(est.bar_n).all() and np.isnan(est.support_ratio).all()


def test_no_go_region_is_flagged() -> None:
    r = rig()
    neck_x = 0.02 + 0.16 * 1.85  # between chin and shoulder
    est = full_run(
        Pipeline(r, CLIENT, THERAPIST),
        client_then_therapist(r, feet_n=200.0, feet_xy=(neck_x, 0.1)),
    )
    on = slice(BASELINE_S + 1, None)
    assert (est.region[on] == REGION_CODE["neck"]).all() and est.no_go[on].all()


def test_therapist_weight_is_estimated_in_still_phases_without_a_profile() -> None:
    r = rig()
    est = full_run(Pipeline(r, CLIENT, None), client_then_therapist(r, 400, **ON))
    assert est.weight_source == "estimated"
    assert est.therapist_weight_n == pytest.approx(W_N, abs=0.5)
    np.testing.assert_allclose(est.support_ratio[-50:], 1.0, atol=2e-3)


def test_foot_off_the_rig_breaks_the_support_check() -> None:
    r = rig()
    half = dict(ON, feet_n=150.0)  # 150 N of the feet went onto a stool
    est = full_run(Pipeline(r, CLIENT, THERAPIST), client_then_therapist(r, 200, **half))
    assert (est.uncertain_reason[-50:] & Uncertain.SUPPORT_MISMATCH).all()
    np.testing.assert_allclose(est.feet_n[-50:], 150.0, atol=0.1)  # the mat still knows


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(1, 479), max_size=15))
def test_any_block_cutting_gives_the_same_estimates(cuts: list[int]) -> None:
    r = rig()
    feet = np.concatenate([np.full(120, 200.0), np.linspace(200, 350, 200)])
    forces = np.concatenate(
        [scene(r, BASELINE_S), scene(r, 320, feet_n=feet, bar_left_n=W_N - feet)]
    )
    whole = full_run(Pipeline(r, CLIENT, THERAPIST), forces)
    p = Pipeline(r, CLIENT, THERAPIST)
    edges = [0, *sorted(set(cuts)), len(forces)]
    parts = [full_run(p, forces[a:b], first=a) for a, b in itertools.pairwise(edges)]
    joined = EstimateBlock.concat(parts)
    for name in ("feet_n", "feet_x_m", "feet_display_n", "support_ratio", "uncertain_reason"):
        np.testing.assert_allclose(
            getattr(joined, name), getattr(whole, name), rtol=1e-9, atol=1e-6, equal_nan=True
        )


@pytest.mark.parametrize("name", ["sim_rig", "bars_only_rig", "mat_only_rig"])
def test_every_series_has_the_block_length_whatever_the_block_size(name: str) -> None:
    r = rig(name)
    forces = client_then_therapist(r, **ON)
    p = Pipeline(r, CLIENT, THERAPIST)
    first = 0
    for n in (0, 1, 2, 0, 157, 7, 1, 0, 152):
        est = full_run(p, forces[first : first + n], first=first)
        first += n
        dataclasses.replace(est)  # the shape checks the pipeline's own output skips
        assert len(est) == n and est.force_n.shape == (n, len(r.channels))
        assert est.uncertain_reason.dtype == np.uint16 and est.region.dtype == np.int8
    assert first == len(forces) and est.baseline_ready == (name != "bars_only_rig")


def test_rig_file_channel_order_does_not_matter() -> None:
    plain = rig()
    doc = tomllib.loads((EXAMPLES / "sim_rig.toml").read_text())
    bars = [c for c in doc["channel"] if c["role"] == "bar"]
    mats = [c for c in doc["channel"] if c["role"] == "mat"]
    mixed = rig_from_dict({**doc, "channel": [c for p in zip(bars, mats, strict=True) for c in p]})
    assert mixed.index("bar") == [0, 2, 4, 6]  # bar channels apart: indexed, not sliced
    estimates = []
    for r in (plain, mixed):
        forces = np.concatenate([scene(r, 2 * BASELINE_S), scene(r, 160, **ON)])
        forces[:, r.index("bar")] += 2.0  # a zero offset for the bar zero tracking to remove
        p = Pipeline(r, CLIENT, THERAPIST)
        parts = [full_run(p, forces[i : i + 80], first=i) for i in range(0, len(forces), 80)]
        estimates.append(EstimateBlock.concat(parts))
    a, b = estimates
    assert abs(a.bar_n[2 * BASELINE_S - 1]) < 0.05  # tracked away while nobody held the bars
    np.testing.assert_allclose(a.bar_n[-80:], W_N - 300.0, atol=0.05)
    for name in ("bar_n", "bar_left_share", "hand_left_x_m", "feet_n", "feet_x_m", "region"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-12, atol=1e-9)
    order = [mixed.channels.index(c) for c in plain.channels]
    np.testing.assert_allclose(b.force_n[:, order], a.force_n, rtol=1e-12, atol=1e-9)
