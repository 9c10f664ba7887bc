"""Grid analysis on real mats (PMD, PoPu) and the simulated grid: baseline, blobs, traps."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ashisense.pipeline import MAX_BLOBS, Pipeline
from ashisense.pipeline.grid import GridAnalyzer
from ashisense.rig import Grid, RigMismatchError
from ashisense.sim.model import RigSimulator
from tests.pipelinekit import CLIENT, DATA, THERAPIST, rig
from tests.simfeedkit import grid_block, sample_block

# PMD subset: lines 0-7 are frames 0-7, lines 8-13 are frames 76-81 (1 Hz).
PMD_T_S = np.array([0, 1, 2, 3, 4, 5, 6, 7, 76, 77, 78, 79, 80, 81], dtype=np.float64)
PMD_GRID = Grid(rows=64, cols=32, pitch_x_m=0.03, pitch_y_m=0.027, full_scale=4095, threshold=60)
POPU_GRID = Grid(
    rows=64, cols=27, pitch_x_m=0.03, pitch_y_m=0.03, full_scale=104, saturation=104, threshold=3
)


@pytest.fixture(scope="module")
def pmd() -> np.ndarray:
    path = DATA / "pmd" / "S1_1_subset.txt"
    assert path.exists(), f"test data missing: {path}"
    return np.loadtxt(path).reshape(-1, 64, 32).astype(np.uint16)


@pytest.fixture(scope="module")
def popu() -> np.ndarray:
    doc = json.loads((DATA / "popu_grid" / "tactilus_4_prone1_0.json").read_text())
    snaps = [doc["snapshots"][str(k)]["tactilus_readings"] for k in range(10)]
    return np.array(snaps).reshape(-1, 64, 27).astype(np.uint16)


def foot(shape: tuple[int, int], row: float, col: float, peak: float) -> np.ndarray:
    """A foot-sized bump (about 8 x 4 taxels) of raw values centred at (row, col)."""
    r, c = np.indices(shape)
    return peak * np.exp(-0.5 * (((r - row) / 2.0) ** 2 + ((c - col) / 1.0) ** 2))


def test_pmd_corrupt_frame_is_rejected_and_creep_is_no_contact(pmd: np.ndarray) -> None:
    est = GridAnalyzer(PMD_GRID).process(grid_block(PMD_T_S, pmd))
    np.testing.assert_array_equal(est.valid, [i != 1 for i in range(14)])
    assert np.isnan(est.added[1]).all() and np.isnan(est.peak[1])
    # Frame 0 is empty, frame 2 still moving: the baseline is frame 3, the first stable one.
    assert np.isnan(est.peak[:3]).all() and est.baseline_ready
    assert (pmd.reshape(14, -1).sum(axis=1)[8:] > 1.12 * pmd[3].sum()).all()  # the creep
    np.testing.assert_array_equal(est.n_blobs, 0)  # ... and no false contact from it
    np.testing.assert_array_equal(est.area_m2[3:], 0.0)


def test_pmd_foot_on_a_creeping_frame_is_found_with_its_load_and_centroid(
    pmd: np.ndarray,
) -> None:
    frames = pmd.astype(np.float64)
    bump = foot((64, 32), row=22.0, col=9.0, peak=500.0)
    frames[12] += bump  # frame 80: 77 s of creep after the baseline
    est = GridAnalyzer(PMD_GRID).process(grid_block(PMD_T_S, frames.astype(np.uint16)))
    assert est.n_blobs[12] == 1 and est.n_blobs[11] == 0
    taxel_m2 = 0.03 * 0.027
    assert est.blob_load[12, 0] == pytest.approx(bump.sum() * taxel_m2, rel=0.15)
    assert est.blob_x_m[12, 0] == pytest.approx(22.0 * 0.03, abs=0.03)
    assert est.blob_y_m[12, 0] == pytest.approx(9.0 * 0.027, abs=0.027)
    assert est.peak[12] == pytest.approx(500.0, rel=0.15)
    assert est.unit == "raw" and np.isnan(est.blob_force_n[12, 0])


def test_pmd_frame_by_frame_equals_the_whole_block(pmd: np.ndarray) -> None:
    whole = GridAnalyzer(PMD_GRID).process(grid_block(PMD_T_S, pmd))
    a = GridAnalyzer(PMD_GRID)
    parts = [a.process(grid_block(PMD_T_S[i : i + 1], pmd[i : i + 1])) for i in range(14)]
    np.testing.assert_array_equal(np.concatenate([p.valid for p in parts]), whole.valid)
    np.testing.assert_array_equal(np.concatenate([p.n_blobs for p in parts]), whole.n_blobs)
    np.testing.assert_allclose(np.concatenate([p.peak for p in parts]), whole.peak, equal_nan=True)


def test_popu_saturation_is_counted_and_settling_is_tolerated(popu: np.ndarray) -> None:
    est = GridAnalyzer(POPU_GRID).process(grid_block(np.arange(10) * 0.52, popu))
    np.testing.assert_array_equal(est.saturated, (popu == 104).reshape(10, -1).sum(axis=1))
    assert est.saturated.min() >= 1 and est.valid.all()
    total = popu.reshape(10, -1).sum(axis=1)
    assert total[-1] > 1.08 * total[2]  # the sheet creeps 9 % after its baseline ...
    np.testing.assert_array_equal(est.n_blobs, 0)  # ... without a false foot


def test_popu_two_feet_are_two_blobs_largest_first(popu: np.ndarray) -> None:
    frames = popu.astype(np.float64)
    heavy = foot((64, 27), row=20.0, col=7.0, peak=60.0)
    light = foot((64, 27), row=24.0, col=19.0, peak=35.0)
    frames[8] = np.minimum(frames[8] + heavy + light, 104)
    est = GridAnalyzer(POPU_GRID).process(
        grid_block(np.arange(10) * 0.52, frames.astype(np.uint16))
    )
    assert est.n_blobs[8] == MAX_BLOBS == 2
    assert est.blob_load[8, 0] > est.blob_load[8, 1]
    np.testing.assert_allclose(est.blob_x_m[8], [20 * 0.03, 24 * 0.03], atol=0.03)
    np.testing.assert_allclose(est.blob_y_m[8], [7 * 0.03, 19 * 0.03], atol=0.03)
    assert est.area_m2[8] == pytest.approx(np.nansum(est.blob_area_m2[8]))


def test_wrong_frame_shape_is_refused(popu: np.ndarray) -> None:
    with pytest.raises(RigMismatchError, match=r"expected 64 x 32 frames \(rig file\)"):
        GridAnalyzer(PMD_GRID).process(grid_block(np.arange(10.0), popu))


def test_simulated_grid_gives_the_feet_force_and_the_pressure_basis() -> None:
    r = rig("grid_rig")
    sim = RigSimulator("calm", seed=4, grid=True)
    p = Pipeline(r, CLIENT, THERAPIST, rate_hz=sim.rate_hz)
    grids, truths, est = [], [], None
    for k in range(40):  # 40 s
        b = sim.next_block(80)
        assert b.grid is not None and b.grid_t_s is not None
        grids.append(p.process_grid(grid_block(b.grid_t_s, b.grid, k * 10)))
        est = p.process(sample_block(b.t_s, b.counts, b.invalid, sim.channels, k * 80))
        truths.append(b.truth)
    assert est is not None and est.pressure_basis == "grid"
    area = np.nansum(grids[-1].blob_area_m2[-1])
    np.testing.assert_allclose(est.pressure_kpa, np.maximum(est.feet_n, 0) / area / 1000)
    g_t = np.concatenate([g.t_s for g in grids])
    feet = np.concatenate([np.nansum(g.blob_force_n, axis=1) for g in grids])
    n_blobs = np.concatenate([g.n_blobs for g in grids])
    t = np.concatenate([tr.t_s for tr in truths])
    true_feet = np.interp(g_t, t, np.concatenate([tr.feet_n for tr in truths]))
    on = true_feet > 150.0
    assert on.sum() > 100 and (n_blobs[on] >= 1).all()
    # The blobs keep the core of each foot: most of the force, never more than all of it.
    ratio = feet[on] / true_feet[on]
    assert 0.7 < np.median(ratio) <= 1.02
    off = true_feet == 0.0
    assert (n_blobs[off & (g_t > 10)] == 0).all()
