"""The pipeline's baseline state as data: taken, reported as it changes, restored into another
pipeline that then estimates as the first one did; a state that is not one is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ashisense.pipeline import Pipeline
from ashisense.pipeline.baseline import BaselineStateError
from ashisense.pipeline.types import EstimateBlock
from tests.pipelinekit import CLIENT, CLIENT_N, RATE_HZ, THERAPIST, W_N, block, rig, scene

BLOCK = 8  # samples per block, as the link delivers them at 80 Hz


def noisy(forces: np.ndarray, seed: int = 0, sd_n: float = 0.3) -> np.ndarray:
    return forces + np.random.default_rng(seed).normal(0.0, sd_n, forces.shape)


def feed(p: Pipeline, r, forces: np.ndarray, first: int) -> EstimateBlock:
    """Process forces from sample `first` on in link-sized blocks."""
    parts = [
        p.process(block(r, forces[i : i + BLOCK], first + i)) for i in range(0, len(forces), BLOCK)
    ]
    return EstimateBlock.concat(parts)


def treatment(r, seed: int = 0) -> np.ndarray:
    """The client alone for 2 s, then the therapist on for 8 s (feet 200 N, the rest on bars)."""
    on = dict(feet_n=200.0, bar_left_n=(W_N - 200) / 2, bar_right_n=(W_N - 200) / 2)
    return noisy(np.concatenate([scene(r, 160), scene(r, 640, **on)]), seed)


def test_a_restored_state_gives_the_estimates_of_the_pipeline_it_came_from() -> None:
    r = rig()
    forces = treatment(r)
    live = Pipeline(r, CLIENT, THERAPIST, rate_hz=RATE_HZ)
    feed(live, r, forces[:240], 0)  # the therapist climbed on at sample 160
    state = json.loads(json.dumps(live.baseline_state()))  # as stored: plain JSON
    assert state["kind"] == "start" and state["t_s"] == pytest.approx(239 / RATE_HZ)
    assert state["client"]["force_n"] == pytest.approx(CLIENT_N, abs=0.5)
    assert state["client"]["how"] == "automatic"
    assert state["client"]["t_s"] < 160 / RATE_HZ  # taken while the client was alone
    want = feed(live, r, forces[240:], 240)

    replay = Pipeline(r, CLIENT, THERAPIST, rate_hz=RATE_HZ)
    replay.restore_baseline(state)
    got = replay.process(block(r, forces[240:], 240))
    np.testing.assert_allclose(got.feet_n, want.feet_n, atol=1e-9)
    # In a hold the feet's x averages up to one breath back (hold.py): the replay's first
    # breath averages the samples it has, then the two agree.
    span = round(replay.settings.hold_span_s * RATE_HZ)
    np.testing.assert_allclose(got.feet_x_m[span:], want.feet_x_m[span:], atol=1e-9)
    np.testing.assert_allclose(got.feet_x_m, want.feet_x_m, atol=0.01)  # (the noise: 0.3 N)
    assert got.baseline_ready and replay.state.client_n == pytest.approx(state["client"]["force_n"])

    fresh = Pipeline(r, CLIENT, THERAPIST, rate_hz=RATE_HZ)
    assert np.isnan(fresh.process(block(r, forces[240:], 240)).feet_n).all()  # why it matters


def test_bar_zeros_travel_with_the_state() -> None:
    r = rig("bars_only_rig")
    drift = scene(r, 480)
    drift[:, r.index("bar")] += 1.5  # unloaded bars drifted 1.5 N per cell
    loaded = scene(r, 160, bar_left_n=300.0, bar_right_n=300.0)
    loaded[:, r.index("bar")] += 1.5
    forces = noisy(np.concatenate([drift, loaded]), sd_n=0.05)
    live = Pipeline(r, None, THERAPIST, rate_hz=RATE_HZ)
    feed(live, r, forces[:480], 0)
    state = live.baseline_state()
    assert state["bar_zero_n"] == pytest.approx(dict.fromkeys(r.channels, -1.5), abs=0.05)
    assert state["client"] is None
    want = feed(live, r, forces[480:], 480)

    replay = Pipeline(r, None, THERAPIST, rate_hz=RATE_HZ)
    replay.restore_baseline(state)
    np.testing.assert_allclose(replay.process(block(r, forces[480:], 480)).feet_n, want.feet_n)
    fresh = Pipeline(r, None, THERAPIST, rate_hz=RATE_HZ).process(block(r, forces[480:], 480))
    np.testing.assert_allclose(fresh.feet_n, want.feet_n - 6.0, atol=0.2)  # the drift, 4 x 1.5


def test_each_change_is_reported_with_the_moment_it_holds_from() -> None:
    r = rig()
    forces = treatment(r)
    p = Pipeline(r, CLIENT, THERAPIST, rate_hz=RATE_HZ)
    est = feed(p, r, forces[:120], 0)
    first = int(np.argmax(~np.isnan(est.feet_n)))  # the first sample with a baseline
    (auto,) = p.baseline_changes()
    assert auto["kind"] == "automatic" and auto["client"]["how"] == "automatic"
    assert auto["t_s"] == pytest.approx((first - 1) / RATE_HZ)
    assert p.baseline_changes() == []  # the refresh of a client alone is not reported yet

    taken = p.take_baseline()
    (request,) = p.baseline_changes()
    assert request["kind"] == "on request" and request["t_s"] == pytest.approx(119 / RATE_HZ)
    assert request["client"]["force_n"] == taken.force_n
    assert request["client"]["how"] == "on request"

    feed(p, r, forces[120:], 120)  # the refresh ends when the therapist climbs on
    refreshed, zeroed = p.baseline_changes()  # and the zeros of the unloaded bars are kept
    assert zeroed["kind"] == "zeroed" and zeroed["t_s"] == 159 / RATE_HZ  # loaded from 160
    assert refreshed["kind"] == "refreshed" and refreshed["client"]["how"] == "on request"
    assert refreshed["t_s"] == refreshed["client"]["t_s"] == 159 / RATE_HZ  # its last refresh

    p.reset_baseline()
    (reset,) = p.baseline_changes()
    assert reset["kind"] == "reset" and reset["client"] is None


def test_bar_zero_moves_are_reported_once_the_bars_are_loaded_again() -> None:
    r = rig("bars_only_rig")
    drift = scene(r, 800)
    drift[:, r.index("bar")] += 1.5
    p = Pipeline(r, None, THERAPIST, rate_hz=RATE_HZ)
    feed(p, r, drift, 0)
    assert p.state.bar_zero_n["bar_left_head"] == pytest.approx(-1.5, abs=0.05)
    assert p.baseline_changes() == []  # each step of the tracking: not reported
    feed(p, r, scene(r, 40, bar_left_n=300.0), 800)
    (zeroed,) = p.baseline_changes()
    assert zeroed["kind"] == "zeroed" and zeroed["t_s"] == 799 / RATE_HZ  # the whole block
    assert zeroed["bar_zero_n"] == pytest.approx(p.state.bar_zero_n)


def test_a_state_restored_before_the_first_block_holds_from_its_first_sample() -> None:
    r = rig()
    forces = treatment(r)
    live = Pipeline(r, CLIENT, THERAPIST)  # the rate comes from the first block
    feed(live, r, forces[:240], 0)
    state = live.baseline_state()
    replay = Pipeline(r, CLIENT, THERAPIST)
    replay.restore_baseline(state)
    assert replay.baseline_state() == {**state, "t_s": None}  # it will hold, from the first
    est = replay.process(block(r, forces[240:], 240))
    assert np.isfinite(est.feet_n).all() and est.feet_n[0] == pytest.approx(200.0, abs=3.0)


@pytest.mark.parametrize(
    ("rig_name", "change", "message"),
    [
        ("sim_rig", {"version": 2}, r"field 'version'.*got 2"),
        ("sim_rig", {"client": {"force_n": 690.0}}, r"field 'client\.moment_x_nm'"),
        ("sim_rig", {"bar_zero_n": {"bar_x": 0.0}}, r"'bar_zero_n': expected the bar channels"),
        ("bars_only_rig", {"client": "from sim"}, r"'client': expected none on a rig without"),
        ("sim_rig", {"kind": "guessed"}, r"field 'kind'"),
    ],
)
def test_a_state_that_is_not_one_is_refused_naming_the_field(
    rig_name: str, change: dict, message: str
) -> None:
    source = Pipeline(rig(), CLIENT, THERAPIST, rate_hz=RATE_HZ)
    feed(source, rig(), treatment(rig())[:160], 0)
    state = source.baseline_state()
    if change.get("client") == "from sim":
        state["bar_zero_n"] = dict.fromkeys(rig(rig_name).channels, 0.0)
    else:
        state.update(change)
    target = Pipeline(rig(rig_name), None, THERAPIST, rate_hz=RATE_HZ)
    with pytest.raises(BaselineStateError, match=message):
        target.restore_baseline(state)
