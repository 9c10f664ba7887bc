"""Pipeline accuracy against the simulator's truth, per rig kind, scenario and phase.

    python3 benchmarks/bench_accuracy.py [--minutes 10] [--seeds 3] [--realistic-only]

Figures of issue 3: feet force RMS error <= 0.5 % of the therapist's weight still and <= 2 %
stepping (mat rigs), bars-only <= 2 % still; feet position <= 1 cm RMS still and <= 3 cm
stepping; body region right in >= 99 % of samples more than 2 cm from a region border; with the
client shifting, estimates not flagged uncertain stay within those bounds. Each line prints the
measured figure, the goal and their ratio, over all samples of the phase with the feet on the
client ("all") or over those not flagged uncertain ("certain").

Then the figures of issue 14 on a realistic rig (ashisense.sim.effects), per effect and all
together, each line with its goal and PASS/FAIL: feet force RMS <= 0.5 % W in still holds and
<= 2 % W walking; feet x RMS <= 1 cm in holds and within 10 % of an ideal four-corner
estimator (true cell forces, true client) walking; x error after a client shift <= 1 cm
within 5 s (where the feet carry 25 % W or more), and its mean over the next breath; shift
flagged within 2 s, and no shift flag without a slide (each false one printed); foot on the
frame flagged within 0.5 s with false support flags <= 1 % of walking samples; feet force
within 1 % W while nobody is on. Without a goal ("info"): the share of walking seconds, no
slide near, whose x error exceeds 1 cm by the shift figure's measure, with real and ideal
cells: the floor that figure stands on.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

import benchkit
import numpy as np

from ashisense.pipeline import Pipeline, Uncertain
from ashisense.pipeline.types import EstimateBlock
from ashisense.rig import load_rig
from ashisense.sim.effects import Effects
from ashisense.sim.model import RigSimulator, SimTruth
from tests.simfeedkit import Accuracy, accuracy, run_sim, sim_profiles

CLIENT, THERAPIST = sim_profiles()
GOALS = {"still": (0.5, 0.01), "stepping": (2.0, 0.03), "walking": (2.0, 0.03)}

# (rig file, scenario, phases scored, only samples not flagged uncertain)
CASES = [
    ("sim_rig", "calm", ("still", "walking"), False),
    ("sim_rig", "stepping", ("still", "stepping"), False),
    ("mat_only_rig", "calm", ("still", "walking"), False),
    ("mat_only_rig", "stepping", ("still", "stepping"), False),
    ("bars_only_rig", "calm", ("still",), False),
    ("bars_only_rig", "stepping", ("still",), False),
    ("sim_rig", "client_moving", ("still", "walking", "client_moving"), True),
]


def line(label: str, a: Accuracy, force_goal: float, pos_goal: float, bars_only: bool) -> str:
    force_goal = 2.0 if bars_only else force_goal
    parts = [f"{label:44s} n={a.used:6d}/{a.samples:<6d}"]
    parts.append(
        f"force {a.force_rms_pct:5.2f} % (<= {force_goal:g}, x{a.force_rms_pct / force_goal:4.2f})"
    )
    if not bars_only:
        cm = a.position_rms_m * 100
        parts.append(
            f"position {cm:5.2f} cm (<= {pos_goal * 100:g}, x{cm / (pos_goal * 100):4.2f})"
        )
        parts.append(f"region {a.region_ok * 100:6.2f} % (>= 99)")
    ok = a.force_rms_pct <= force_goal and (
        bars_only or (a.position_rms_m <= pos_goal and not a.region_ok < 0.99)
    )
    return "  ".join(parts) + ("" if ok else "  MISSED")


REALISTIC = {name: Effects(**{name: True}) for name in Effects.names()} | {"all": Effects.all()}


def realistic(minutes: float, seeds: int) -> int:
    """The issue-14 figures per effect and all together; returns the number of FAILs."""
    rig = load_rig(benchkit.ROOT / "examples" / "sim_rig.toml")
    failed = 0
    print(f"realistic rig (sim_rig, calm): {minutes:g} min x {seeds} seeds per effect")
    for name, effects in REALISTIC.items():
        runs: Runs = []
        ideal: Runs = []
        for seed in range(seeds):
            for out, perfect in ((runs, False), (ideal, True)):
                sim = _sim(rig.channels, 200 + seed, effects, perfect)
                p = Pipeline(rig, CLIENT, THERAPIST, rate_hz=sim.rate_hz)
                out.append(run_sim(p, sim, minutes * 60.0))
        for label, value, goal, ok in _figures(runs, ideal):
            verdict = "info" if ok is None else "PASS" if ok else "FAIL"
            failed += ok is False
            print(f"  {name:16s} {label:38s} {value:>9s}  goal {goal:14s} {verdict}")
    return failed


def _sim(channels: tuple[str, ...], seed: int, effects: Effects, perfect: bool) -> RigSimulator:
    """The realistic rig; perfect: the same people read by ideal cells (no noise, no cell
    effects): what an ideal four-corner estimator would be given."""
    if perfect:
        cells = dict.fromkeys(("zero_drift", "creep", "nonlinearity", "invalid_samples"), False)
        effects = Effects(**{**asdict(effects), **cells})
    return RigSimulator(
        "calm",
        seed=seed,
        channels=channels,
        effects=effects,
        drift=False,
        noise_counts=0.0 if perfect else 20.0,
    )


Runs = list[tuple[EstimateBlock, SimTruth]]
Figure = tuple[str, str, str, bool | None]  # met: None for a figure without a goal


def _figures(runs: Runs, ideal: Runs) -> list[Figure]:
    """(label, measured, goal, met) of every issue-14 figure over a set of runs (ideal: the
    same runs read by ideal cells)."""
    w = THERAPIST.weight_n
    est = EstimateBlock.concat([e for e, _ in runs])
    tr = SimTruth.concat([t for _, t in runs])
    out: list[Figure] = []
    for phase, pct in (("still", 0.5), ("walking", 2.0)):
        sel = tr.in_phase(phase) & (tr.feet_n > 0) & np.isfinite(est.feet_n)
        f = 100 * _rms(est.feet_n[sel] - tr.feet_n[sel]) / w
        out.append((f"feet force RMS, {phase}", f"{f:.2f} % W", f"<= {pct} % W", f <= pct))
    hold = tr.in_phase("still") & (tr.feet_n > 0)
    x_cm = 100 * _rms(est.feet_x_m[hold] - tr.feet_x_m[hold])
    out.append(("feet x RMS, still", f"{x_cm:.2f} cm", "<= 1 cm", x_cm <= 1.0))
    walk = tr.in_phase("walking") & (tr.feet_n > 0)
    best_x = np.concatenate([e.feet_x_m for e, _ in ideal])
    best = 100 * _rms(best_x[walk] - tr.feet_x_m[walk])
    got = 100 * _rms(est.feet_x_m[walk] - tr.feet_x_m[walk])
    goal = f"<= {1.1 * best:.2f} cm"
    out.append(("feet x RMS walking (ideal x1.1)", f"{got:.2f} cm", goal, got <= 1.1 * best))
    out += _shift_figures(runs)
    out.append(_walking_floor(runs, ideal))
    out += _support_figures(runs)
    off = tr.in_phase("off")
    worst = 100 * float(np.nanmax(np.abs(est.feet_n[off]), initial=0.0)) / w
    out.append(("feet force, nobody on", f"{worst:.2f} % W", "<= 1 % W", worst <= 1.0))
    return out


def _shift_figures(runs: Runs) -> list[Figure]:
    """Shift flagged within 2 s of the slide's start; x error 5 s after its end; shift flags
    that rise with no slide in the 4 s before (each printed)."""
    delays, errors, biases, false = [], [], [], []
    for seed, (est, tr) in enumerate(runs):
        shift = tr.in_phase("client_shift")
        flag = (est.uncertain_reason & Uncertain.CLIENT_SHIFT) != 0
        slides = np.flatnonzero(np.diff(shift.astype(np.int8)) == 1) + 1
        for k in np.flatnonzero(np.diff(flag.astype(np.int8)) == 1) + 1:
            if not np.any((k - slides >= 0) & (k - slides < 320)):
                false.append(f"run {seed} at {tr.t_s[k]:.2f} s ({tr.PHASES[tr.phase[k]]})")
        for k in slides:
            hit = np.flatnonzero(flag[k : k + 800])
            delays.append(hit[0] / 80.0 if hit.size else np.inf)
            end = k + int(np.argmin(shift[k:]))
            # Samples with the feet at work (>= 25 % W; climbing off, a position error of the
            # moment's noise over a vanishing feet force says nothing about the shift).
            at_work = tr.feet_n >= 0.25 * THERAPIST.weight_n
            err = np.where(at_work, est.feet_x_m - tr.feet_x_m, np.nan)
            errors.append(np.nanmax(np.abs(err[end + 400 : end + 480]), initial=0))
            breath = err[end + 400 : end + 720]  # one breath: the re-estimate's own error
            if np.isfinite(breath).any():
                biases.append(abs(np.nanmean(breath)))
    for where in false:
        print(f"    false client-shift flag: {where}")
    out: list[Figure] = [("false client-shift flags", f"{len(false)}", "0", not false)]
    if not delays:
        return out
    d, e, b = max(delays), 100 * max(errors), 100 * max(biases, default=np.nan)
    return [
        ("client shift flagged (worst)", f"{d:.2f} s", "<= 2 s", d <= 2.0),
        ("x error 5 s after a shift (worst)", f"{e:.2f} cm", "<= 1 cm", e <= 1.0),
        ("x error 5-9 s after, its mean (worst)", f"{b:.2f} cm", "<= 1 cm", b <= 1.0),
        *out,
    ]


def _walking_floor(runs: Runs, ideal: Runs) -> Figure:
    """The x error a window after a slide is judged by (the largest in 1 s with the feet at
    25 % W or more), over every second of walking not within 10 s after a slide, real and
    ideal cells: the
    floor the shift figure stands on (breathing and the hands' pull move the mat's moment as
    a slide does, and no cell sees them apart)."""
    shares = []
    for group in (runs, ideal):
        worst = []
        for est, tr in group:
            slid = np.convolve(tr.in_phase("client_shift"), np.ones(801))[: tr.t_s.shape[0]] > 0
            walk = tr.in_phase("walking") & (tr.feet_n >= 0.25 * THERAPIST.weight_n) & ~slid
            err = np.abs(np.where(walk, est.feet_x_m - tr.feet_x_m, np.nan))
            seconds = err[: err.shape[0] // 80 * 80].reshape(-1, 80)
            kept = np.isfinite(seconds).sum(axis=1) >= 40
            worst.append(np.nanmax(seconds[kept], axis=1, initial=0.0))
        shares.append(100 * float(np.mean(np.concatenate(worst) > 0.01)))
    value = f"{shares[0]:.0f} % / {shares[1]:.0f} %"
    return ("1 s of walking with x error > 1 cm (ideal)", value, "(no slide: floor)", None)


def _support_figures(runs: Runs) -> list[Figure]:
    """Foot on the frame flagged within 0.5 s; false support flags while walking."""
    delays, false = [], []
    for est, tr in runs:
        flag = (est.uncertain_reason & Uncertain.SUPPORT_MISMATCH) != 0
        frame = tr.in_phase("foot_on_frame")
        for k in np.flatnonzero(np.diff(frame.astype(np.int8)) == 1) + 1:
            hit = np.flatnonzero(flag[k : k + 240])
            delays.append(hit[0] / 80.0 if hit.size else np.inf)
        false.append(flag[tr.in_phase("walking")])
    share = 100 * float(np.concatenate(false).mean())
    out: list[Figure] = [("false support flags, walking", f"{share:.2f} %", "<= 1 %", share <= 1.0)]
    if delays:
        d = max(delays)
        out.insert(0, ("foot on the frame flagged (worst)", f"{d:.2f} s", "<= 0.5 s", d <= 0.5))
    return out


def _rms(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.sqrt(np.mean(x**2))) if x.size else np.nan


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="simulated minutes per run")
    ap.add_argument("--seeds", type=int, default=3, help="simulator seeds per case")
    ap.add_argument("--realistic-only", action="store_true", help="only the issue-14 figures")
    args = ap.parse_args()
    failed = realistic(args.minutes, args.seeds)
    if args.realistic_only:
        return 1 if failed else 0
    print(f"accuracy vs simulator truth: {args.minutes:g} min x {args.seeds} seeds per case")
    missed = failed
    for rig_name, scenario, phases, certain in CASES:
        rig = load_rig(benchkit.ROOT / "examples" / f"{rig_name}.toml")
        runs = []
        for seed in range(args.seeds):
            sim = RigSimulator(scenario, seed=100 + seed, channels=rig.channels)
            p = Pipeline(rig, CLIENT, THERAPIST, rate_hz=sim.rate_hz)
            runs.append(run_sim(p, sim, args.minutes * 60.0))
        for phase in phases:
            scored = [
                accuracy(e, t, phase, THERAPIST.weight_n, CLIENT.body_map(), certain)
                for e, t in runs
            ]
            a = _pool(scored)
            goal = GOALS.get(phase, GOALS["stepping"])
            label = f"{rig_name}/{scenario}/{phase} ({'certain' if certain else 'all'})"
            text = line(label, a, goal[0], goal[1], rig_name == "bars_only_rig")
            missed += text.endswith("MISSED")
            print(text)
        flagged = np.mean(
            [e.uncertain[t.in_phase("still") & (t.feet_n > 0)].mean() for e, t in runs]
        )
        moving = np.mean(
            [
                (e.uncertain_reason[t.in_phase("still") & (t.feet_n > 0)] & Uncertain.CLIENT_MOVING)
                .astype(bool)
                .mean()
                for e, t in runs
            ]
        )
        print(
            f"{'':44s} still samples flagged uncertain: {100 * flagged:.1f} % "
            f"(CLIENT_MOVING: {100 * moving:.1f} %)"
        )
    print("all figures met" if not missed else f"{missed} figure(s) missed")
    return 1 if missed else 0


def _pool(scored: list[Accuracy]) -> Accuracy:
    """Combine per-seed figures into one, weighting by the samples each used."""
    used = np.array([a.used for a in scored], dtype=np.float64)
    w = used / used.sum()

    def rms(values: list[float]) -> float:
        v = np.array(values)
        ok = np.isfinite(v)
        return float(np.sqrt(np.sum(w[ok] * v[ok] ** 2) / np.sum(w[ok]))) if ok.any() else np.nan

    region = np.array([a.region_ok for a in scored])
    ok = np.isfinite(region)
    return Accuracy(
        samples=sum(a.samples for a in scored),
        used=int(used.sum()),
        force_rms_pct=rms([a.force_rms_pct for a in scored]),
        position_rms_m=rms([a.position_rms_m for a in scored]),
        region_ok=float(np.sum(w[ok] * region[ok]) / np.sum(w[ok])) if ok.any() else np.nan,
    )


if __name__ == "__main__":
    sys.exit(main())
