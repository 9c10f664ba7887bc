"""The feet's x in a hold: the client's breathing is averaged out while both hands hold still
(full rigs), not on a mat-only rig (nothing says the feet are still), and a walk is followed
at once (the average ends where a hand moves)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ashisense.pipeline import Pipeline
from ashisense.pipeline.types import EstimateBlock
from tests.pipelinekit import CLIENT, CLIENT_N, RATE_HZ, THERAPIST, W_N, block, rig, scene

FEET_N = 200.0
BREATH_M = 0.004  # the client's CoP swings ±4 mm at 0.25 Hz
ALONE, ON = 240, 960  # samples: the client alone (no breathing: an exact baseline), then on


def session(rig_name: str, feet_x_m: np.ndarray, hands_dx_m: tuple[float, float]) -> np.ndarray:
    """(ALONE + ON, C) forces: the client alone and still, then the therapist's feet at
    feet_x_m (ON,) with the hands following them, the client breathing."""
    r = rig(rig_name)
    t_s = np.arange(ON) / RATE_HZ
    client_x = 0.80 + BREATH_M * np.sin(2 * np.pi * 0.25 * t_s)
    bars: dict[str, Any] = {"bar_left_n": (W_N - FEET_N) / 2, "bar_right_n": (W_N - FEET_N) / 2}
    hands = (feet_x_m + hands_dx_m[0], feet_x_m + hands_dx_m[1])
    bars["hands_x"] = hands
    on = scene(r, ON, client_xy=(client_x, 0.0), feet_n=FEET_N, feet_xy=(feet_x_m, 0.08), **bars)
    return np.concatenate([scene(r, ALONE), on])


def feet_x(rig_name: str, forces: np.ndarray, size: int = 8) -> np.ndarray:
    """The feet's x estimated while the therapist is on, fed in blocks of `size`."""
    r = rig(rig_name)
    p = Pipeline(r, CLIENT, THERAPIST, rate_hz=RATE_HZ)
    parts = [p.process(block(r, forces[i : i + size], i)) for i in range(0, len(forces), size)]
    return EstimateBlock.concat(parts).feet_x_m[ALONE:]


def test_in_a_hold_the_breathing_is_averaged_out_of_the_feet_x() -> None:
    still = np.full(ON, 0.6)
    x_m = feet_x("sim_rig", session("sim_rig", still, (0.1, 0.1)))
    after_a_breath = x_m[round(5 * RATE_HZ) :]
    assert np.abs(after_a_breath - 0.6).max() < 0.001
    # The mat alone reads the breathing as the feet swinging by F_c·δ / F_feet.
    mat_only = feet_x("mat_only_rig", session("mat_only_rig", still, (0.1, 0.1)))
    swing = np.abs(mat_only[round(5 * RATE_HZ) :] - 0.6).max()
    assert swing > 0.8 * BREATH_M * CLIENT_N / FEET_N


def test_a_walk_after_a_hold_is_followed_at_once_and_any_cut_gives_the_same_x() -> None:
    t_s = np.arange(ON) / RATE_HZ
    walk = 0.6 + 0.1 * np.clip(t_s - 6.0, 0.0, None)  # 6 s still, then 10 cm/s
    forces = session("sim_rig", walk, (0.1, 0.1))
    x_m = feet_x("sim_rig", forces)
    walking = t_s > 6.0
    band = BREATH_M * CLIENT_N / FEET_N + 0.002  # the breathing, not averaged while walking
    assert np.abs(x_m[walking] - walk[walking]).max() < band
    for size in (1, 37, 500):
        np.testing.assert_allclose(feet_x("sim_rig", forces, size), x_m, rtol=1e-9, atol=1e-12)
