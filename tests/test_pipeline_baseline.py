"""Client baseline: automatic on the first stable second, refused while settling, refreshed."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from ashisense.pipeline import BaselineRefused, Pipeline, Uncertain
from tests.pipelinekit import (
    CLIENT,
    CLIENT_N,
    RATE_HZ,
    THERAPIST,
    W_N,
    block,
    mat_split,
    rig,
    scene,
)


def settling(r, n: int, seed: int = 0) -> np.ndarray:
    """The client lying down: the mat force rises to the weight and wobbles until the end."""
    t = np.arange(n) / RATE_HZ
    wobble = 15.0 * np.sin(2 * np.pi * 1.3 * t) * (1 - t / t[-1])
    return scene(r, n, client_n=CLIENT_N * np.minimum(1.0, 0.9 + 0.1 * t / t[-1]) + wobble)


def test_baseline_is_taken_on_the_first_stable_second() -> None:
    r = rig()
    p = Pipeline(r, CLIENT, THERAPIST)
    forces = np.concatenate([settling(r, 320), scene(r, 200)])
    est = p.process(block(r, forces))
    ready = ~np.isnan(est.feet_n)
    first = int(np.argmax(ready))
    assert 320 < first <= 320 + RATE_HZ + 2  # a full stable second after the settling
    assert (est.uncertain_reason[:first] & Uncertain.NO_BASELINE).all()
    assert p.state.baseline_ready and p.state.baseline_status == "ready"
    assert p.state.client_n == pytest.approx(CLIENT_N, abs=0.5)


def test_baseline_on_request_is_refused_while_settling_and_says_why() -> None:
    r = rig()
    p = Pipeline(r, CLIENT, THERAPIST)
    with pytest.raises(BaselineRefused, match="no samples yet"):
        p.take_baseline()
    p.process(block(r, settling(r, 160)))
    with pytest.raises(BaselineRefused, match=r"sim_rig\.toml: baseline refused: settling"):
        p.take_baseline()
    assert p.state.baseline_status.startswith("settling")
    assert not p.state.baseline_ready


def test_baseline_is_refused_while_the_bars_are_loaded() -> None:
    r = rig()
    p = Pipeline(r, CLIENT, THERAPIST)
    p.process(block(r, scene(r, 200, bar_left_n=120.0)))
    with pytest.raises(BaselineRefused, match="the bars carry"):
        p.take_baseline()
    assert not p.state.baseline_ready


def test_baseline_is_refused_when_the_mat_is_not_the_client_alone() -> None:
    r = rig()
    p = Pipeline(r, CLIENT, THERAPIST)
    p.process(block(r, scene(r, 200, feet_n=W_N)))  # the therapist stands there, no bars
    with pytest.raises(BaselineRefused, match="not the client's weight"):
        p.take_baseline()
    assert not p.state.baseline_ready


def test_baseline_on_request_replaces_the_automatic_one(caplog: pytest.LogCaptureFixture) -> None:
    r = rig()
    p = Pipeline(r, CLIENT, THERAPIST)
    p.process(block(r, scene(r, 160)))
    heavier = CLIENT_N + 40.0  # a blanket went on: more than a refresh follows
    p.process(block(r, scene(r, 160, client_n=heavier), first=160))
    assert p.state.client_n == pytest.approx(CLIENT_N, abs=0.5)
    with caplog.at_level(logging.DEBUG, logger="ashisense.pipeline.baseline"):
        taken = p.take_baseline()
    assert taken.force_n == pytest.approx(heavier, abs=0.5)
    assert p.state.client_n == pytest.approx(heavier, abs=0.5)
    assert "client baseline (on request)" in caplog.text


def test_baseline_follows_a_client_who_moved_while_alone() -> None:
    r = rig()
    p = Pipeline(r, CLIENT, THERAPIST)
    forces = np.concatenate(
        [
            scene(r, 160, client_xy=(0.80, 0.0)),
            scene(r, 160, client_xy=(0.84, 0.02)),  # settled an arm: CoP moved 4.5 cm
            scene(r, 160, client_xy=(0.84, 0.02), feet_n=300.0, bar_left_n=W_N - 300),
        ]
    )
    est = p.process(block(r, forces))
    assert (p.state.client_cop_x_m, p.state.client_cop_y_m) == pytest.approx((0.84, 0.02), abs=1e-3)
    np.testing.assert_allclose(est.feet_x_m[330:], 0.60, atol=2e-3)
    np.testing.assert_allclose(est.feet_y_m[330:], 0.08, atol=2e-3)


@pytest.mark.parametrize("invalid_at_s", [None, 9.0, 11.0, 12.0, 12.5])
def test_one_invalid_sample_does_not_cut_the_breath_the_baseline_averages(
    invalid_at_s: float | None,
) -> None:
    # The client breathes (CoP +-4 mm along x at 0.25 Hz) alone on the mat for 14 s; one
    # invalid mat sample leaves a second of windows incomplete. The baseline still averages
    # the last breath: it had restarted there, keeping the part of a breath after the gap
    # (3.2 mm off at 12 s).
    r = rig()
    n = int(14 * RATE_HZ)
    x_m = 0.80 + 0.004 * np.sin(2 * np.pi * 0.25 * np.arange(n) / RATE_HZ)
    forces = np.zeros((n, len(r.channel)))
    forces[:, r.index("mat")] = mat_split(r, np.full(n, CLIENT_N), x_m, np.zeros(n))
    invalid = np.zeros(forces.shape, dtype=bool)
    if invalid_at_s is not None:
        invalid[int(invalid_at_s * RATE_HZ), r.index("mat")[1]] = True
    p = Pipeline(r, CLIENT, THERAPIST)
    p.process(block(r, forces, invalid=invalid))
    assert p.state.client_cop_x_m == pytest.approx(0.80, abs=1.5e-3)
    assert p.state.client_n == pytest.approx(CLIENT_N, abs=0.5)


def test_reset_baseline_takes_a_new_client() -> None:
    r = rig()
    p = Pipeline(r)
    p.process(block(r, scene(r, 160)))
    p.reset_baseline()
    assert not p.state.baseline_ready
    p.process(block(r, scene(r, 160, client_n=500.0), first=160))
    assert p.state.client_n == pytest.approx(500.0, abs=0.5)


def test_a_rig_without_mat_refuses_a_baseline() -> None:
    p = Pipeline(rig("bars_only_rig"), None, THERAPIST)
    with pytest.raises(BaselineRefused, match="the rig has no mat"):
        p.take_baseline()
