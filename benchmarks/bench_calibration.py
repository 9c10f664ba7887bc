"""Calibration figures: simulated rigs with known truth, then real known-weight recordings.

Run: python3 benchmarks/bench_calibration.py [--runs N]

Simulated (always): gains recovered vs truth, mat corner test (total, position), detection of
misplaced / wrong / swinging weights, false rejections, and the procedure's throughput.
Real (needs ../shared/data next to the repository; unlicensed sets, read in place, never
copied): Wii Balance Board stacked masses (total gain, linearity, hysteresis), the 12 kg corner
load (position), and HX711 AgroTech 0/100/200/300 g (gain, linearity, noise, drift).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time

import benchkit
import numpy as np

from ashisense.rig import load_rig
from calibration.geometry import Group, RigGeometry
from calibration.plan import Step, build_plan
from calibration.procedure import CalibrationProcedure
from calibration.report import load_figures
from calibration.simulate import Fault, Load, SimTruth, SimulatedTable
from calibration.stability import StabilityCriteria, assess_window, white_noise_counts
from calibration.units import STANDARD_GRAVITY_M_S2 as G
from tests.calibrationkit import calibrate, corner_check

DATA = benchkit.ROOT.parent / "shared" / "data"
WII = DATA / "wii-balance-board-raw-calibration" / "raw"
HX711 = DATA / "hx711-agrotech-scale-calibration" / "derived_columns_A-E.csv"


# -- simulated ------------------------------------------------------------------------
def simulated(runs: int) -> None:
    geometry = RigGeometry.from_rig(load_rig(benchkit.ROOT / "examples" / "sim_rig.toml"))
    plan = build_plan(geometry)
    singles = [s.index for s in plan if s.series == "mat:single"]
    gain_err, corner_tot, corner_pos, verify_tot, verify_pos = [], [], [], [], []
    false_rejects, detected = 0, {"misplaced 20 mm": 0, "1 % heavy": 0, "swinging": 0}
    t_wall, n_samples = 0.0, 0
    for run in range(runs):
        rng = np.random.default_rng(100 + run)
        gains = {
            c: g * (1 + rng.normal(0, 0.03)) for c, g in geometry.nominal_gain_n_per_count.items()
        }
        truth = SimTruth(gains, geometry.nominal_offset_counts)
        t0 = time.perf_counter()
        proc, operator, events = calibrate(geometry, truth, seed=run)
        t_wall += time.perf_counter() - t0
        n_samples += operator.table.samples_read
        false_rejects += sum(u.state in ("rejected", "unstable") for u in events)
        cal = proc.result("SIM")
        gain_err += [abs(cal.channels[c].gain_n_per_count / gains[c] - 1) for c in gains]
        ecc = cal.report["groups"]["mat"]["eccentricity"]
        corner_tot.append(ecc["corner_max_total_err_pct"])
        corner_pos.append(ecc["corner_max_position_err_m"])
        for total_error, position_error_m in corner_check(proc, cal, operator.table):
            verify_tot.append(abs(100 * total_error))
            verify_pos.append(position_error_m)
        faults = {
            "misplaced 20 mm": Fault(offset_m=(0.0, 0.02)),
            "1 % heavy": Fault(mass_factor=1.01),
            "swinging": Fault(swing_fraction=0.01),
        }
        for name, fault in faults.items():
            k = int(rng.choice(singles))
            _, operator, _ = calibrate(geometry, truth, {k: fault}, seed=run)
            detected[name] += operator.attempts[k] >= 2
    print(f"Simulated rig (examples/sim_rig.toml), {runs} calibrations, true gains 3 % sd off")
    print("  nominal, noise 20 counts, zero drift ~1 count/s + walk, creep 0.2 %/600 s:")
    print(f"  recovered gains: max |error| {100 * max(gain_err):.4f} % (limit 0.1 %)")
    print(
        f"  corner test (in the fit): total within {max(corner_tot):.4f} %, position within "
        f"{1000 * max(corner_pos):.2f} mm (limits 0.1 %, 5 mm)"
    )
    print(
        f"  corner test (verification afterwards): total within {max(verify_tot):.4f} %, "
        f"position within {1000 * max(verify_pos):.2f} mm"
    )
    print(f"  steps sent back without any fault: {false_rejects} in {runs} calibrations")
    for name, hits in detected.items():
        print(f"  a {name} weight at a random mat step detected and repeated: {hits}/{runs}")
    print(
        f"  a whole simulated calibration ({n_samples / runs / 80:.0f} s of 80 Hz data) runs "
        f"in {t_wall / runs * 1000:.0f} ms with the simulator: "
        f"{n_samples / 80 / t_wall:.0f}x real time"
    )
    feed_throughput(geometry)


def feed_throughput(geometry: RigGeometry) -> None:
    """How fast the procedure judges a 1000 Hz, 8-channel stream fed in 0.1 s blocks."""
    truth = SimTruth(
        geometry.nominal_gain_n_per_count, geometry.nominal_offset_counts, rate_hz=1000.0
    )
    table = SimulatedTable(geometry, truth)
    proc = CalibrationProcedure(
        geometry, build_plan(geometry), criteria=StabilityCriteria(timeout_s=1e9)
    )
    proc.begin()
    while proc.feed(table.read(0.1)).state != "captured":
        pass  # the zero step
    step = proc.current
    table.set_loads([Load(step.group, step.mass_kg, step.where_m)], swing_fraction=0.05)
    blocks = [table.read(0.1) for _ in range(600)]
    proc.begin()  # a load that never comes to rest: every block is judged
    t0 = time.perf_counter()
    states = {proc.feed(block).state for block in blocks}
    dt = time.perf_counter() - t0
    assert states == {"settling"}, states
    print(
        f"  stability test on a 1000 Hz x 8 channel stream: {600 * 100 / dt:,.0f} samples/s "
        f"({60 / dt:.0f}x real time)"
    )


# -- Wii Balance Board ----------------------------------------------------------------
WII_CHANNELS = ("TL", "TR", "BL", "BR")
WII_GROUP = Group(
    name="mat",
    kind="mat",
    channels=WII_CHANNELS,
    positions_m=np.array([[-0.2165, 0.119], [0.2165, 0.119], [-0.2165, -0.119], [0.2165, -0.119]]),
)
WII_FACTORY_COUNTS_PER_KG = np.array([102.7, 100.6, 98.4, 104.4])  # TL TR BL BR, 0-17 kg


def _wii(name: str) -> tuple[np.ndarray, np.ndarray]:
    rows = np.loadtxt(WII / name, delimiter=";", skiprows=1)
    return rows[:, 4], rows[:, :4]


def wii() -> None:
    t, counts = _wii("Raw_center_2.txt")
    plateaus = np.loadtxt(WII / "Raw_center_2.plateaus.csv", delimiter=",", skiprows=1)
    geometry = RigGeometry(WII_CHANNELS, (WII_GROUP,), {}, {})
    plan, last = [], 0.0
    for i, (_, _, _, kg) in enumerate(plateaus):
        kind = "zero" if kg == 0 else "load"
        direction = "loading" if kg >= last else "unloading"
        plan.append(
            Step(
                i,
                kind,
                "all" if kind == "zero" else "mat",
                float(kg),
                (0.0, 0.0),
                direction,
                "zero" if kind == "zero" else "mat:stack",
                "centre",
                "",
            )
        )
        last = kg
    proc = CalibrationProcedure(geometry, plan)
    captured_after_s = []
    for (a, b, _, _), step in zip(plateaus.astype(int), plan, strict=True):
        proc.begin()
        for start in range(a, b + 1, 25):  # the plateau, fed in 0.25 s blocks
            stop = min(start + 25, b + 1)
            update = proc.feed(counts[start:stop], t[start:stop])
            if update.state != "settling":
                break
        assert update.state in ("captured", "finished"), (step, update.message)
        captured_after_s.append(update.elapsed_s)
    data = proc.group_data(WII_GROUP)
    w = data.weights_n
    print("\nWii Balance Board, masses stacked at the centre then removed (Raw_center_2):")
    print(
        f"  all {len(plan)} plateaus judged at rest by the stability test, after "
        f"{min(captured_after_s):.1f}-{max(captured_after_s):.1f} s of each"
    )
    settle = assess_window(t[2300:2500], counts[2300:2500], StabilityCriteria(), WII_CHANNELS)
    print(f"  a window while 8.5 kg is being put on (rows 2300-2500): at rest = {settle.stable}")
    for name, rel in (
        ("one common gain", np.ones(4)),
        ("factory ratios", 1 / WII_FACTORY_COUNTS_PER_KG),
    ):
        s = data.deltas @ rel
        scale = (w @ s) / (s @ s)
        f = scale * s
        fig = load_figures(data.steps, f[:, None])
        span = f.max()
        err_kg = (f - w) / G
        print(
            f"  fit with {name}: mean gain {scale * rel.mean() * 1000 / G:.4f} g/count per cell"
            f"; linearity {100 * fig['linearity_n'][0] / span:.3f} % of span, hysteresis "
            f"{100 * fig['hysteresis_n'][0] / span:.3f} % of span, worst plateau "
            f"{np.abs(err_kg).max() * 1000:.0f} g of {w.max() / G:.2f} kg"
        )
        wii_corner(rel * scale, name)
    zero_noise = white_noise_counts(_wii("Raw_nothing_1.txt")[1])
    print(f"  empty-board white noise (counts): {np.round(zero_noise, 1).tolist()}")


def wii_corner(gains_n_per_count: np.ndarray, name: str) -> None:
    """12 kg over the TR corner; load from the last 2 s. The file's first 2 s are the empty
    board; at t = 2 s about 1 kg lands on TR, the rest from t = 10 s: both zeros are shown."""
    t, counts = _wii("Raw_12Kg_corner_ur.txt")
    t = t - t[0]
    crit = StabilityCriteria()
    last = t >= t[-1] - 2
    load = assess_window(t[last], counts[last], crit, WII_CHANNELS)
    for label, rows in (
        ("empty board, t 0-2 s", t < 2),
        ("just before, t 7-9 s", (t >= 7) & (t < 9)),
    ):
        zero = assess_window(t[rows], counts[rows], crit, WII_CHANNELS)
        f = (load.mean_counts - zero.mean_counts) * gains_n_per_count
        total_kg = f.sum() / G
        cop = f @ WII_GROUP.positions_m / f.sum()
        err_mm = 1000 * np.linalg.norm(cop - WII_GROUP.positions_m[1])
        print(
            f"    12 kg over TR ({name}; zero {label}): total {total_kg:.3f} kg "
            f"({100 * (total_kg / 12 - 1):+.2f} %), position ({1000 * cop[0]:+.1f}, "
            f"{1000 * cop[1]:+.1f}) mm vs (+216.5, +119.0): {err_mm:.1f} mm off "
            f"(windows at rest: {zero.stable and load.stable})"
        )


# -- HX711 AgroTech -------------------------------------------------------------------
def hx711() -> None:
    with HX711.open() as fh:
        rows = list(csv.DictReader(fh))
    cols = {}
    for grams in (0, 100, 200, 300):
        vals = [int(r[f"{grams}g"]) for r in rows if r[f"{grams}g"].strip()]
        cols[grams] = np.array(vals, dtype=np.float64)
    grams = np.array([0, 100, 200, 300], dtype=np.float64)
    means = np.array([cols[g].mean() for g in grams])
    deltas = means[1:] - means[0]
    w_n = grams[1:] / 1000 * G
    gain = (w_n @ deltas) / (deltas @ deltas)
    steps = [
        Step(i, "load", "cell", g, (0.0,), "loading", "cell:stack", "cell", "")
        for i, g in enumerate(grams[1:])
    ]
    fig = load_figures(steps, (gain * deltas)[:, None])
    span = gain * deltas[-1]
    series = cols[300]  # the only run still in time order (5 Hz)
    noise = white_noise_counts(series[:, None])[0]
    blocks = series[: len(series) // 30 * 30].reshape(-1, 30).mean(axis=1)  # 6 s means
    t = np.arange(len(series)) / 5.0
    crit = StabilityCriteria(window_s=2.0, min_samples=10)
    starts = range(0, len(series) - 11, 10)
    stable = [
        assess_window(
            t[i : i + 11],
            series[i : i + 11, None],
            crit,
            ("cell",),
            zero_counts=np.array([means[0]]),
        ).stable
        for i in starts
    ]
    g_per_count = gain / G * 1000
    free = np.polyfit(grams, means, 1)
    free_resid_g = np.abs(means - np.polyval(free, grams)).max() / abs(free[0])
    print("\nHX711 AgroTech scale, 0/100/200/300 g, ~3000 readings each at 5 Hz:")
    print(
        f"  gain {g_per_count:.5f} g/count ({1 / g_per_count:.1f} counts/g; the authors' fit: "
        f"-0.0098 g/count); linearity {100 * fig['linearity_n'][0] / span:.3f} % of 300 g "
        f"({fig['linearity_n'][0] / G * 1000:.2f} g) through the 0 g reading, "
        f"{free_resid_g:.2f} g from the best line with a free intercept"
    )
    print("  (each point is the mean of its own 10-minute run: the zero drift between runs,")
    print("   not the cell, sets that linearity; the runs were never loaded and unloaded)")
    print(
        f"  white noise {noise:.0f} counts = {abs(noise * g_per_count):.2f} g; 6 s means wander "
        f"over {np.ptp(blocks):.0f} counts = {abs(np.ptp(blocks) * g_per_count):.1f} g in 10 min"
    )
    print(f"  2 s windows of the 300 g run judged at rest: {np.mean(stable):.0%} of {len(stable)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="simulated calibrations")
    args = parser.parse_args()
    simulated(args.runs)
    if not DATA.is_dir():
        print(
            f"\nReal-data figures skipped: {DATA} is missing (the unlicensed recordings are "
            "not in the repository; place ../shared/data next to it)."
        )
        return 1
    wii()
    hx711()
    return 0


if __name__ == "__main__":
    sys.exit(main())
