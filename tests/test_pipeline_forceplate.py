"""Force balance on real force-plate trials (BMClab): CoP from corner cells, two-sensor sharing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ashisense.pipeline import Pipeline
from ashisense.rig import Rig, rig_from_dict
from tests.pipelinekit import DATA, block, mat_split, rig

RATE_HZ = 100.0  # both trials are sampled at 100 Hz


def load(name: str) -> np.ndarray:
    path = DATA / "bmclab" / name
    assert path.exists(), f"test data missing: {path}"
    return np.loadtxt(path, skiprows=1)


def plate_rig() -> Rig:
    """A 0.5 m square platform on four corner cells, centred on the table origin."""
    cells: list[dict[str, Any]] = [
        {"name": f"c{i}", "role": "mat", "x_m": x, "y_m": y}
        for i, (x, y) in enumerate([(-0.25, -0.25), (-0.25, 0.25), (0.25, -0.25), (0.25, 0.25)])
    ]
    for c in cells:
        c.update(offset_counts=1000.0, gain_n_per_count=0.0005)
    doc = {"device": {"url": "loop://"}, "table": {"length_m": 0.5, "width_m": 0.5}}
    return rig_from_dict({**doc, "channel": cells}, "plate.toml")


def test_bds_centre_of_pressure_from_four_corner_cells_matches_the_plate() -> None:
    d = load("BDS00001_5s.txt")  # Time Fx Fy Fz Mx My Mz COPx[cm] COPy[cm]
    fz, mx, my = d[:, 3], d[:, 4], d[:, 5]
    r = plate_rig()
    forces = mat_split(r, fz, -my / fz, mx / fz)  # the plate's own COP identity
    est = Pipeline(r, rate_hz=RATE_HZ).process(block(r, forces, rate_hz=RATE_HZ))
    np.testing.assert_allclose(est.mat_n, fz, atol=0.002)  # 4 cells x half a count
    np.testing.assert_allclose(est.cop_x_m, d[:, 7] / 100, atol=1e-5)
    np.testing.assert_allclose(est.cop_y_m, d[:, 8] / 100, atol=1e-5)
    assert np.ptp(est.cop_x_m) == pytest.approx(np.ptp(d[:, 7]) / 100, abs=1e-4)  # real sway


def test_pds_two_sensors_share_a_constant_weight_like_bars_and_feet() -> None:
    d = load("PDS13OR1grf_5s.txt")
    right_n, left_n = d[:, 2], d[:, 5]  # vertical forces (Y is up)
    right_x, right_z, left_x = d[:, 10], d[:, 12], d[:, 13]
    net_n = d[:, 8]
    assert np.corrcoef(right_n, left_n)[0, 1] < -0.9  # weight moves from foot to foot
    r = rig()
    n0 = 200  # 2 s of the client alone first, for the baseline
    client = mat_split(
        r, np.full(n0 + len(d), 686.0), np.full(n0 + len(d), 0.8), np.zeros(n0 + len(d))
    )
    forces = np.zeros((n0 + len(d), len(r.channels)))
    forces[:, r.index("mat")] = client
    # The right foot stands on the client (mat); the left plate hangs from the left bar.
    forces[n0:, r.index("mat")] += mat_split(r, right_n, 0.6 + right_x, right_z)
    bars = r.bars
    assert bars is not None
    hand_x = 0.5 + left_x
    span = bars.foot_mount_x_m - bars.head_mount_x_m
    forces[n0:, r.index("bar", "left", "head")[0]] = left_n * (bars.foot_mount_x_m - hand_x) / span
    forces[n0:, r.index("bar", "left", "foot")[0]] = left_n * (hand_x - bars.head_mount_x_m) / span
    est = Pipeline(r, rate_hz=RATE_HZ).process(block(r, forces, rate_hz=RATE_HZ))
    on = slice(n0 + 5, None)
    np.testing.assert_allclose(est.feet_n[on], right_n[5:], atol=0.05)
    np.testing.assert_allclose(est.bar_n[on], left_n[5:], atol=0.05)
    np.testing.assert_allclose(est.hand_left_x_m[on], hand_x[5:], atol=2e-4)
    np.testing.assert_allclose(est.feet_x_m[on], 0.6 + right_x[5:], atol=2e-4)
    np.testing.assert_allclose(est.feet_y_m[on], right_z[5:], atol=2e-4)
    # No profile: W_t is estimated in the still stretches, and bars + feet add up to it.
    assert est.weight_source == "estimated"
    assert est.therapist_weight_n == pytest.approx(net_n.mean(), rel=0.005)
    assert np.std(est.support_ratio[on]) < 0.003
    assert np.corrcoef(est.feet_n[on], est.bar_n[on])[0, 1] < -0.9
