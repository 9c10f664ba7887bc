"""The simulated rig's physical model: determinism, force balance, geometry, sensors, scenarios."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ashisense.sim import SCENARIOS, SIM_CHANNELS, RigSimulator, SimBlock, UnknownScenarioError
from ashisense.sim.imprint import FOOT_HALF_SPACING_M, GridRenderer, load_imprint
from ashisense.sim.model import (
    BAR_FOOT_MOUNT_X_M,
    BAR_HEAD_MOUNT_X_M,
    BAR_LEFT_Y_M,
    BAR_RIGHT_Y_M,
    DEFAULT_GAIN_N_PER_COUNT,
    DEFAULT_OFFSET_COUNTS,
    GRID_COLS,
    GRID_PA_PER_COUNT,
    GRID_RATE_HZ,
    GRID_ROWS,
    MAT_CELL_XY_M,
    TABLE_LENGTH_M,
    TABLE_WIDTH_M,
    SimulatorError,
    body_x_m,
    grid_centres_m,
)
from ashisense.sim.scenarios import CLIENT_LIMIT_KGF, NO_GO_U, Timeline
from ashisense.sim.sensors import ADC_MAX_COUNTS, ADC_MIN_COUNTS, DEAD_COUNTS, SensorBank
from calibration.units import STANDARD_GRAVITY_M_S2
from firmware_bridge.protocol import Hello

ROOT = Path(__file__).resolve().parent.parent
POPU = Path(__file__).parent / "data" / "popu"
W_N = 65 * STANDARD_GRAVITY_M_S2  # default therapist
KGF = STANDARD_GRAVITY_M_S2


def first_cycle(scenario: str, rate_hz: float = 100.0, seed: int = 1, **kw: object) -> SimBlock:
    """The whole first session cycle of a scenario (cycles last at most ~2 minutes)."""
    sim = RigSimulator(scenario, rate_hz=rate_hz, seed=seed, **kw)  # type: ignore[arg-type]
    end_s = sum(row[1] for row in Timeline(SCENARIOS[scenario], seed, 65.0).cycle_rows(0))
    return sim.next_block(int(end_s * rate_hz))


def assert_blocks_equal(a: SimBlock, b: SimBlock) -> None:
    for f in dataclasses.fields(a.truth):
        np.testing.assert_array_equal(getattr(a.truth, f.name), getattr(b.truth, f.name), f.name)
    for name in ("t_s", "counts", "invalid", "grid_t_s", "grid"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), name)


# -- determinism ----------------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(
    chunks=st.lists(st.integers(0, 700), min_size=1, max_size=10),
    seed=st.integers(0, 2**31),
)
def test_any_chunking_gives_the_identical_stream(chunks: list[int], seed: int) -> None:
    kw = {"rate_hz": 50.0, "seed": seed, "grid": True}
    whole = RigSimulator("faults", **kw).next_block(sum(chunks))
    sim = RigSimulator("faults", **kw)
    assert_blocks_equal(SimBlock.concat([sim.next_block(n) for n in chunks]), whole)


def test_chunking_is_irrelevant_across_a_rate_change() -> None:
    def run(chunks: list[int]) -> SimBlock:
        sim = RigSimulator("stepping", rate_hz=80.0, seed=4, grid=True)
        blocks = [sim.next_block(300)]
        sim.set_rate(1000.0)
        blocks += [sim.next_block(n) for n in chunks]
        return SimBlock.concat(blocks)

    assert_blocks_equal(run([5000]), run([1, 999, 17, 3983]))


def test_different_seeds_give_different_sessions() -> None:
    a = RigSimulator("calm", rate_hz=20, seed=1).next_block(2000)
    b = RigSimulator("calm", rate_hz=20, seed=2).next_block(2000)
    assert not np.array_equal(a.truth.feet_n, b.truth.feet_n)
    assert not np.array_equal(a.counts, b.counts)


def test_set_rate_continues_device_time_at_the_new_spacing() -> None:
    sim = RigSimulator("calm", rate_hz=80.0)
    first = sim.next_block(80)
    assert sim.t_s == pytest.approx(1.0)
    sim.set_rate(250.0)
    second = sim.next_block(250)
    assert second.t_s[0] == pytest.approx(first.t_s[-1] + 1 / 80)
    np.testing.assert_allclose(np.diff(second.t_s), 1 / 250)
    assert sim.hello["rate_hz"] == 250.0 and sim.rate_hz == 250.0


# -- physics ---------------------------------------------------------------------------------
def test_standing_still_the_therapist_weight_is_bars_plus_feet() -> None:
    tr = first_cycle("stepping").truth
    support = tr.bar_left_n + tr.bar_right_n + tr.feet_n
    still = tr.in_phase("still")
    assert still.sum() > 2000
    np.testing.assert_allclose(support[still], W_N, rtol=1e-12)
    # Stepping catches the body's m·a: the sum swings away from W for a moment.
    assert np.abs(support - W_N)[tr.in_phase("stepping")].max() > 3 * KGF
    # Whatever happens, bars + feet + off-rig support = W + m·a, and m·a averages out.
    np.testing.assert_allclose(np.mean(support + tr.off_rig_n - W_N), 0.0, atol=0.05 * KGF)


def test_mat_cells_carry_exactly_client_plus_feet() -> None:
    tr = first_cycle("client_moving").truth
    np.testing.assert_allclose(
        tr.channel_force_n[:, 4:].sum(axis=1), tr.client_n + tr.feet_n, rtol=1e-12
    )
    bars = tr.channel_force_n[:, :4]
    np.testing.assert_allclose(bars[:, :2].sum(axis=1), tr.bar_left_n, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(bars[:, 2:].sum(axis=1), tr.bar_right_n, rtol=1e-12, atol=1e-9)


def test_feet_position_reconstructs_from_the_four_corner_cells_within_1_mm() -> None:
    tr = first_cycle("no_go").truth
    xy = np.array([MAT_CELL_XY_M[c] for c in SIM_CHANNELS[4:]])
    f = tr.channel_force_n[:, 4:]
    on = tr.feet_n > 5.0
    assert on.sum() > 3000
    x = (f @ xy[:, 0] - tr.client_n * tr.client_x_m)[on] / tr.feet_n[on]
    y = (f @ xy[:, 1] - tr.client_n * tr.client_y_m)[on] / tr.feet_n[on]
    assert np.abs(x - tr.feet_x_m[on]).max() < 1e-3
    assert np.abs(y - tr.feet_y_m[on]).max() < 1e-3
    assert np.isnan(tr.feet_x_m[tr.feet_n == 0]).all() and (tr.feet_n == 0).any()


def test_hand_positions_follow_the_lever_rule_on_each_bar() -> None:
    tr = first_cycle("grip_loss").truth
    span = BAR_FOOT_MOUNT_X_M - BAR_HEAD_MOUNT_X_M
    for side, foot in (("left", 1), ("right", 3)):
        f = tr.channel_force_n
        total = getattr(tr, f"bar_{side}_n")
        held = total > 1.0
        x = BAR_HEAD_MOUNT_X_M + span * f[held, foot] / total[held]
        np.testing.assert_allclose(x, getattr(tr, f"hand_{side}_x_m")[held], atol=1e-9)
        assert np.isnan(getattr(tr, f"hand_{side}_x_m")[total == 0]).all()


def test_counts_convert_back_to_true_newtons_with_the_example_rig_file() -> None:
    rig = tomllib.loads((ROOT / "examples" / "sim_rig.toml").read_text())
    chans = {c["name"]: c for c in rig["channel"]}
    assert tuple(chans) == SIM_CHANNELS
    gain = np.array([chans[c]["gain_n_per_count"] for c in SIM_CHANNELS])
    offset = np.array([chans[c]["offset_counts"] for c in SIM_CHANNELS])
    block = first_cycle("calm", rate_hz=50.0, noise_counts=0.0, drift=False)
    force = (block.counts - offset) * gain
    np.testing.assert_allclose(force, block.truth.channel_force_n, atol=0.51 * gain.max())


def test_geometry_and_calibration_constants_match_the_example_rig_file() -> None:
    rig = tomllib.loads((ROOT / "examples" / "sim_rig.toml").read_text())
    assert (rig["table"]["length_m"], rig["table"]["width_m"]) == (TABLE_LENGTH_M, TABLE_WIDTH_M)
    bars = rig["bars"]
    assert (bars["head_mount_x_m"], bars["foot_mount_x_m"]) == (
        BAR_HEAD_MOUNT_X_M,
        BAR_FOOT_MOUNT_X_M,
    )
    assert (bars["left_y_m"], bars["right_y_m"]) == (BAR_LEFT_Y_M, BAR_RIGHT_Y_M)
    for c in rig["channel"]:
        assert DEFAULT_GAIN_N_PER_COUNT[c["name"]] == c["gain_n_per_count"]
        assert DEFAULT_OFFSET_COUNTS[c["name"]] == c["offset_counts"]
        if c["role"] == "mat":
            assert MAT_CELL_XY_M[c["name"]] == (c["x_m"], c["y_m"])


# -- sensors ---------------------------------------------------------------------------------
def test_counts_saturate_at_the_24_bit_rails_and_are_flagged_invalid() -> None:
    gains = np.full(8, 1e-5)  # 10 µN per count: the loads overrun the ADC
    offsets = np.array([-9e6, 0, 0, 0, 0, 0, 0, 0])  # bar_left_head starts below the low rail
    block = first_cycle(
        "calm",
        rate_hz=20.0,
        gains_n_per_count=gains,
        offsets_counts=offsets,
        noise_counts=0.0,
        drift=False,
    )
    raw = np.rint(offsets + block.truth.channel_force_n / gains)
    over, under = raw >= ADC_MAX_COUNTS, raw <= ADC_MIN_COUNTS
    assert over.any() and under.any() and not (over | under).all()
    np.testing.assert_array_equal(block.invalid, over | under)
    assert (block.counts[over] == ADC_MAX_COUNTS).all()
    assert (block.counts[under] == ADC_MIN_COUNTS).all()
    np.testing.assert_array_equal(block.counts[~(over | under)], raw[~(over | under)])


def test_a_dead_channel_reads_flat_and_invalid() -> None:
    block = RigSimulator("calm", rate_hz=50.0, dead_channel=2).next_block(2000)
    assert (block.counts[:, 2] == DEAD_COUNTS).all() and block.invalid[:, 2].all()
    assert not block.invalid[:, [0, 1, 3, 4, 5, 6, 7]].any()


def test_zero_drift_is_a_few_tenths_of_a_percent_of_full_scale_per_hour() -> None:
    t = np.array([0.0, 3600.0])
    changes = []
    for seed in range(30):
        bank = SensorBank(np.ones(8), np.zeros(8), np.ones(8), 0.0, True, seed, 80.0)
        shift = bank.zero_shift_counts(t)
        assert np.all(shift[0] == 0.0)  # the calibrated zero holds at power-on
        changes.append(shift[1])
    rms = np.sqrt(np.mean(np.square(changes)))
    assert 0.001 < rms < 0.006


def test_creep_adds_a_fraction_of_a_percent_of_a_sustained_load() -> None:
    bank = SensorBank(np.ones(2), np.zeros(2), np.full(2, 1e9), 0.0, True, 5, 10.0)
    t = np.arange(20 * 600) / 10.0  # 20 minutes at 10 Hz
    bank.zero_shift_counts = lambda t_s: np.zeros((t_s.size, 2))  # type: ignore[method-assign]
    none = np.zeros(t.size, dtype=np.int8)
    counts, _, _ = bank.counts(0, t, np.full((t.size, 2), 1e5), none, none.astype(np.int64))
    assert np.all(counts[0] - 1e5 < 0.01 * 1e3)  # at once: no creep yet
    assert np.all((counts[-1] - 1e5 > 0.0009 * 1e5) & (counts[-1] - 1e5 < 0.0031 * 1e5))


# -- scenarios -------------------------------------------------------------------------------
def _sustained(mask: np.ndarray, rate_hz: float, seconds: float) -> bool:
    """True if mask holds for at least `seconds` in a row."""
    run = best = 0
    for v in mask:  # test helper over a few thousand booleans
        run = run + 1 if v else 0
        best = max(best, run)
    return best >= seconds * rate_hz


def _check_event(name: str, block: SimBlock, rate_hz: float) -> None:
    tr = block.truth
    sel = tr.in_phase(SCENARIOS[name].event_phase)
    bars = tr.bar_left_n + tr.bar_right_n
    feet_kgf = tr.feet_n / KGF
    lag = int(0.2 * rate_hz)
    if name == "stepping":  # >= 10 kgf change within 200 ms
        assert np.abs(feet_kgf[lag:] - feet_kgf[:-lag])[sel[lag:]].max() > 10
    elif name == "overload":
        assert feet_kgf[sel].max() > CLIENT_LIMIT_KGF
    elif name == "no_go":
        u = (tr.feet_x_m - body_x_m(0.0)) / (body_x_m(1.0) - body_x_m(0.0))
        inside = np.zeros(len(tr), dtype=bool)
        for lo, hi in NO_GO_U.values():
            inside |= (u >= lo) & (u <= hi)
        assert _sustained(inside & sel, rate_hz, 0.8)
    elif name == "grip_loss":  # bars lose half their load within 150 ms
        k = int(0.15 * rate_hz)
        assert ((bars[k:] < 0.5 * bars[:-k]) & sel[k:]).any()
    elif name == "unsupported":
        assert _sustained((bars < 0.05 * W_N) & (tr.feet_n > 0.9 * W_N) & sel, rate_hz, 1.5)
    elif name == "impact":  # rise rate beyond 3 kN/s
        assert (np.diff(tr.feet_n) * rate_hz)[sel[1:]].max() > 3000
    elif name == "offrig":
        assert _sustained((bars + tr.feet_n < 0.75 * W_N) & sel, rate_hz, 2.0)
    elif name == "client_moving":
        moved = np.hypot(np.diff(tr.client_x_m[sel]), np.diff(tr.client_y_m[sel]))
        assert moved.sum() > 0.02 and np.ptp(tr.client_n[sel]) > 1 * KGF
    elif name == "faults":
        assert block.invalid[sel].any(axis=1).sum() > 0.04 * rate_hz
        assert not block.invalid[~sel].any()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_scenario_produces_its_labelled_event(name: str) -> None:
    rate = 200.0 if name == "impact" else 100.0
    block = first_cycle(name, rate_hz=rate)
    tr = block.truth
    assert tr.in_phase(SCENARIOS[name].event_phase).sum() > 0.04 * rate
    assert tr.in_phase("off")[0] and tr.in_phase("off")[-1]  # a session starts and ends empty
    assert tr.therapist_on.any()
    _check_event(name, block, rate)
    assert SCENARIOS[name].doc  # documented


@pytest.mark.parametrize("name", ["calm", "stepping", "no_go", "offrig", "client_moving", "faults"])
def test_gentle_scenarios_stay_under_the_client_limit(name: str) -> None:
    for seed in range(3):
        tr = RigSimulator(name, rate_hz=50.0, seed=seed).next_block(50 * 400).truth
        assert tr.feet_n.max() < CLIENT_LIMIT_KGF * KGF


def test_scenarios_loop_forever_with_seeded_variation() -> None:
    tr = RigSimulator("overload", rate_hz=10.0, seed=3).next_block(10 * 600).truth
    climbs = np.flatnonzero(np.diff(tr.in_phase("climbing").astype(int)) == 1)
    assert len(climbs) >= 10  # on and off, cycle after cycle
    events = np.flatnonzero(np.diff(tr.in_phase("overload").astype(int)) == 1)
    assert len(events) >= 5
    assert len(set(np.round(np.diff(climbs[::2]) / 10.0, 1))) > 1  # cycles differ


def test_unknown_scenario_error_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownScenarioError) as err:
        RigSimulator("tapdance")
    assert isinstance(err.value, ValueError)
    assert all(name in str(err.value) for name in SCENARIOS)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate_hz": 0},
        {"seed": -1},
        {"channels": ("bar_left_head", "nope")},
        {"dead_channel": 8},
        {"gains_n_per_count": np.ones(3)},
        {"therapist_kg": float("nan")},
    ],
)
def test_bad_parameters_are_rejected_by_name(kwargs: dict) -> None:
    with pytest.raises(SimulatorError, match=next(iter(kwargs))):
        RigSimulator(**kwargs)


def test_hello_is_a_valid_protocol_1_hello() -> None:
    sim = RigSimulator("calm", seed=7, grid=True, channels=("mat_head_left", "bar_left_head"))
    hello = Hello.from_dict(sim.hello)
    assert hello.device == "AshiSense-Sim" and hello.serial == "SIM-7"
    assert hello.channels == ("mat_head_left", "bar_left_head") and hello.rate_hz == 80.0
    assert (hello.grid["rows"], hello.grid["cols"], hello.grid["rate_hz"]) == (64, 27, 10.0)
    block = sim.next_block(100)
    assert block.counts.shape == (100, 2) and block.truth.channel_force_n.shape == (100, 8)
    assert "grid" not in RigSimulator().hello


# -- grid --------------------------------------------------------------------------------------
def test_grid_frames_come_at_10_hz_and_integrate_to_client_plus_feet() -> None:
    sim = RigSimulator("calm", rate_hz=80.0, seed=2, grid=True)
    block = SimBlock.concat([sim.next_block(n) for n in (7, 400, 1, 992)])  # 17.5 s
    assert block.grid is not None and block.grid.shape == (175, GRID_ROWS, GRID_COLS)
    np.testing.assert_allclose(block.grid_t_s, np.arange(175) / GRID_RATE_HZ)
    area = (TABLE_LENGTH_M / GRID_ROWS) * (TABLE_WIDTH_M / GRID_COLS)
    force = block.grid.reshape(175, -1).sum(axis=1) * GRID_PA_PER_COUNT * area
    at = np.searchsorted(block.t_s, block.grid_t_s)
    expected = block.truth.client_n[at] + block.truth.feet_n[at]
    np.testing.assert_allclose(force, expected, rtol=0.02)


def test_grid_feet_blobs_sit_where_the_feet_are() -> None:
    gx, gy = grid_centres_m()
    renderer = GridRenderer(gx, gy, 1.0, 1.0, 0.0, 0)
    feet_x, line_y, left = np.array([0.6, 1.1]), np.array([-0.05, 0.08]), np.array([0.5, 0.7])
    maps = renderer.force_map_n(
        np.array([700.0, 700.0]), np.array([300.0, 150.0]), feet_x, line_y, left
    )
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), [1000.0, 850.0])
    feet = maps - 700.0 * load_imprint()
    x = feet.sum(axis=2) @ gx / feet.sum(axis=(1, 2))
    y = feet.sum(axis=1) @ gy / feet.sum(axis=(1, 2))
    np.testing.assert_allclose(x, feet_x, atol=0.005)
    np.testing.assert_allclose(y, line_y + (1 - 2 * left) * FOOT_HALF_SPACING_M, atol=0.005)


def test_packaged_imprint_is_the_real_popu_prone_map_with_the_head_at_row_0() -> None:
    def mean(name: str) -> np.ndarray:
        snaps = json.loads((POPU / f"{name}.json").read_text())["snapshots"].values()
        return (
            np.array([s["tactilus_readings"] for s in snaps], dtype=float)
            .reshape(-1, 64, 27)
            .mean(0)
        )

    real = np.clip(mean("prone1_0") - mean("empty1"), 0, None)
    real[:, 0] = 0
    real = np.pad(real[:, 2:], ((0, 0), (0, 2)))  # the packaged map is centred by 2 columns
    imprint = load_imprint()
    assert imprint.shape == (64, 27) and imprint.sum() == pytest.approx(1.0)
    assert np.corrcoef(real.ravel(), imprint.ravel())[0, 1] > 0.97
    rows = imprint.sum(axis=1)
    assert rows[:6].sum() > 0.02 and rows[-8:].sum() < 0.002  # head at row 0, beyond the feet empty
