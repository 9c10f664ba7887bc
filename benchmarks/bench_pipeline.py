"""Pipeline speed: times real time on one core, and per-block latency, measured in one run.

    python3 benchmarks/bench_pipeline.py

Goals (issues 3 and 13, in CPU time): 8 channels at 80 Hz >= 5,000x; 32 channels at 1 kHz >=
200x; a 64 x 32 grid at 100 Hz >= 200x; per-block latency p99 <= 2 ms for 10 ms blocks at 1
kHz. Data are made before the clock starts (the simulator for 8 channels, synthetic scenes for
the others), so only the pipeline is timed. Throughput is given for replay-sized blocks (8192
samples, as `ashisense evaluate` reads) and for 1 s blocks, each the fastest of three passes.
Also the live case: the simulated 8-channel rig read as a serial link delivers it, 1 or 2
samples per block at 80 Hz (no goal in the issue; the line shows the latency per block and the
share of one core it takes).
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import benchkit
import numpy as np

from ashisense.pipeline import Pipeline
from ashisense.rig import Rig, load_rig, rig_from_dict
from ashisense.sim.model import RigSimulator
from firmware_bridge.blocks import SampleBlock
from tests.simfeedkit import grid_block, sample_block, sim_profiles

CLIENT, THERAPIST = sim_profiles()


def pin_one_core() -> str:
    """Run on one CPU (Linux); says which, or why not."""
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError) as err:
        return f"not pinned ({err})"


def blocks_of(t_s: np.ndarray, counts: np.ndarray, channels: tuple[str, ...], n: int) -> list:
    bad = np.zeros(counts.shape, dtype=bool)
    return [
        sample_block(t_s[i : i + n], counts[i : i + n], bad[i : i + n], channels, i)
        for i in range(0, len(t_s), n)
    ]


PASSES = 3  # each throughput case keeps its fastest pass: the one least disturbed


def fastest(
    work: Callable[[Pipeline], object], make: Callable[[], Pipeline], seconds: float
) -> tuple[float, float]:
    """Times real time (wall clock, CPU time) of work(pipeline) on `seconds` of data, each
    pass on a fresh pipeline from make(); the fastest of PASSES passes (this machine's speed
    wanders by tens of percent between runs with nothing else running: a virtual machine
    sharing its host)."""
    best = (0.0, 0.0)
    for _ in range(PASSES):
        p = make()
        c0, t0 = time.thread_time(), time.perf_counter()
        work(p)
        wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
        best = (max(best[0], seconds / wall), max(best[1], seconds / cpu))
    return best


def throughput(
    rig: Rig, blocks: list[SampleBlock], seconds: float, rate_hz: float
) -> tuple[float, float]:
    """Times real time (wall clock, CPU time) for all blocks through a fresh pipeline, the
    fastest of PASSES passes."""

    def work(p: Pipeline) -> None:
        for b in blocks:
            p.process(b)

    return fastest(work, lambda: Pipeline(rig, CLIENT, THERAPIST, rate_hz=rate_hz), seconds)


def latencies(p: Pipeline, blocks: list[SampleBlock]) -> tuple[np.ndarray, np.ndarray]:
    """Seconds per block through p: wall clock and CPU time of this thread."""
    wall = np.empty(len(blocks))
    cpu = np.empty(len(blocks))
    for i, blk in enumerate(blocks):
        c0, t0 = time.thread_time(), time.perf_counter()
        p.process(blk)
        wall[i], cpu[i] = time.perf_counter() - t0, time.thread_time() - c0
    return wall, cpu


def rig_32() -> Rig:
    """4 bar cells and a 7 x 4 array of 28 mat cells under the table: 32 channels."""
    doc: dict[str, Any] = load_rig_doc()
    chans = [c for c in doc["channel"] if c["role"] == "bar"]
    for i, x in enumerate(np.linspace(0.05, 1.85, 7)):
        for j, y in enumerate(np.linspace(-0.30, 0.30, 4)):
            chans.append(
                {
                    "name": f"mat_{i}_{j}",
                    "role": "mat",
                    "x_m": float(x),
                    "y_m": float(y),
                    "offset_counts": 1000.0 * (i + j),
                    "gain_n_per_count": 0.0005,
                }
            )
    return rig_from_dict({**doc, "channel": chans}, "bench_32ch")


def load_rig_doc() -> dict[str, Any]:
    import tomllib

    return tomllib.loads((benchkit.ROOT / "examples" / "sim_rig.toml").read_text())


def scene_32(rig: Rig, seconds: float, rate_hz: float, seed: int = 0) -> np.ndarray:
    """Counts for a client alone for 3 s, then a therapist walking with stepping loads."""
    n = round(seconds * rate_hz)
    t = np.arange(n) / rate_hz
    rng = np.random.default_rng(seed)
    mats = rig.index("mat")
    xy = np.array([[rig.channel[i].x_m, rig.channel[i].y_m] for i in mats])
    a = np.vstack([np.ones(len(xy)), xy.T])
    split = np.linalg.pinv(a).T  # least-norm load sharing of a rigid platform
    on = t > 3.0
    feet = np.where(on, 300.0 + 80.0 * np.sin(2 * np.pi * 0.7 * t), 0.0)
    fx = 0.5 + 0.3 * np.sin(2 * np.pi * 0.05 * t)
    fy = 0.08 * np.sin(2 * np.pi * 0.3 * t)
    client = 686.0
    loads = np.column_stack([client + feet, client * 0.8 + feet * fx, feet * fy])
    force = np.zeros((n, len(rig.channel)))
    force[:, mats] = loads @ split
    bars = rig.index("bar")
    force[:, bars] = np.where(on, (THERAPIST.weight_n - feet) / 4, 0.0)[:, None]
    raw = force / rig.gains_n_per_count + rig.offsets_counts
    raw += 20.0 * rng.standard_normal(raw.shape)
    return np.rint(raw).astype(np.int32)


def grid_frames(seconds: float, rate_hz: float, seed: int = 0) -> np.ndarray:
    """64 x 32 frames: a lying body, two feet walking over it, noise (raw counts)."""
    n = round(seconds * rate_hz)
    rng = np.random.default_rng(seed)
    r, c = np.indices((64, 32), dtype=np.float64)
    body = 120.0 * np.exp(-0.5 * (((r - 28) / 14) ** 2 + ((c - 16) / 6) ** 2))
    t = np.arange(n) / rate_hz
    row = 20 + 8 * np.sin(2 * np.pi * 0.05 * t)
    out = np.empty((n, 64, 32), dtype=np.uint16)
    for k in range(0, n, 500):  # build in chunks to bound memory
        sl = slice(k, min(n, k + 500))
        rr = row[sl, None, None]
        feet = 400.0 * (
            np.exp(-0.5 * (((r - rr) / 2.5) ** 2 + ((c - 12) / 1.5) ** 2))
            + np.exp(-0.5 * (((r - rr - 2) / 2.5) ** 2 + ((c - 20) / 1.5) ** 2))
        )
        noisy = body + np.where(t[sl, None, None] > 2.0, feet, 0.0)
        noisy = noisy + 2.0 * rng.standard_normal(noisy.shape)
        out[sl] = np.clip(np.rint(noisy), 0, 4095).astype(np.uint16)
    return out


def main() -> int:
    print(f"pipeline speed ({pin_one_core()}, Python {sys.version.split()[0]})")
    results = []

    # 8 channels at 80 Hz: the simulated rig, stepping scenario, 30 minutes.
    rig8 = load_rig(benchkit.ROOT / "examples" / "sim_rig.toml")
    sim = RigSimulator("stepping", seed=1)
    seconds = 1800.0
    b = sim.next_block(round(seconds * sim.rate_hz))
    for n, label in ((8192, "replay blocks of 8192"), (80, "1 s blocks")):
        x = throughput(rig8, blocks_of(b.t_s, b.counts, sim.channels, n), seconds, 80.0)
        results.append((f"8 ch @ 80 Hz, {label}", x, 5000.0))

    # 32 channels at 1 kHz: synthetic scene, 2 minutes.
    rig32 = rig_32()
    seconds = 120.0
    counts = scene_32(rig32, seconds, 1000.0)
    t = np.arange(len(counts)) / 1000.0
    for n, label in ((8192, "replay blocks of 8192"), (1000, "1 s blocks")):
        x = throughput(rig32, blocks_of(t, counts, rig32.channels, n), seconds, 1000.0)
        results.append((f"32 ch @ 1 kHz, {label}", x, 200.0))

    # 64 x 32 grid at 100 Hz, 1 s blocks of frames, through Pipeline.process_grid (a bars and
    # grid rig: without a mat the grid takes its own baseline on its first stable frames).
    doc = load_rig_doc()
    doc["channel"] = [c for c in doc["channel"] if c["role"] == "bar"]
    doc["grid"] = {"rows": 64, "cols": 32, "pitch_x_m": 0.03, "pitch_y_m": 0.022,
                   "full_scale": 4095, "threshold": 20.0}  # fmt: skip
    grid_rig = rig_from_dict(doc, "bench_grid")
    seconds = 60.0
    frames = grid_frames(seconds, 100.0)
    gt = np.arange(len(frames)) / 100.0
    gblocks = [grid_block(gt[i : i + 100], frames[i : i + 100], i) for i in range(0, len(gt), 100)]

    def grid_work(p: Pipeline) -> None:
        found = sum(int(p.process_grid(g).n_blobs.sum()) for g in gblocks)
        assert found > 0, "the grid bench found no feet: the scene or the analysis is broken"

    x = fastest(grid_work, lambda: Pipeline(grid_rig, CLIENT, THERAPIST, rate_hz=80.0), seconds)
    results.append(("64x32 grid @ 100 Hz, 1 s blocks", x, 200.0))

    # Live: 1 and 2 samples per block, alternating, 8 channels at 80 Hz, 120 s after 5 s.
    live_s = 125.0
    b = RigSimulator("stepping", seed=3).next_block(round(live_s * 80.0))
    bad = np.zeros(b.counts.shape, dtype=bool)
    cuts = np.cumsum(np.tile([1, 2], len(b.t_s)))
    cuts = np.concatenate(([0], cuts[cuts < len(b.t_s)], [len(b.t_s)]))
    live = [
        sample_block(b.t_s[i:j], b.counts[i:j], bad[i:j], sim.channels, i)
        for i, j in itertools.pairwise(cuts.tolist())
    ]
    live_wall, live_cpu = latencies(Pipeline(rig8, CLIENT, THERAPIST, rate_hz=80.0), live)
    warm = int(np.searchsorted(cuts, 5.0 * 80.0)) - 1  # blocks in the first 5 s

    # Latency: 10 ms blocks of 32 channels at 1 kHz, 60 s after a 5 s warm-up.
    counts = scene_32(rig32, 65.0, 1000.0, seed=2)
    t = np.arange(len(counts)) / 1000.0
    blocks = blocks_of(t, counts, rig32.channels, 10)
    wall, cpu = latencies(Pipeline(rig32, CLIENT, THERAPIST, rate_hz=1000.0), blocks)

    print(f"throughput: the fastest of {PASSES} passes each")
    print(f"{'case':36s} {'x real time':>12s} {'(CPU time)':>11s} {'goal':>6s}  ratio (CPU)")
    for name, (x_w, x_cpu), goal in results:
        verdict = "PASS" if x_cpu >= goal else "FAIL"
        print(f"{name:36s} {x_w:12.0f} {x_cpu:11.0f} {goal:6.0f}  {x_cpu / goal:5.2f}  {verdict}")
    print("latency per 10 ms block of 32 ch @ 1 kHz (goal p99 <= 2 ms):")
    for name, lat in (("wall clock", wall), ("CPU time of this thread", cpu)):
        ms = lat[500:] * 1000.0
        p50, p99 = np.percentile(ms, 50), np.percentile(ms, 99)
        verdict = "ok" if p99 <= 2.0 else "ABOVE GOAL"
        print(
            f"  {name:24s} p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {ms.max():.3f} ms  "
            f"ratio {p99 / 2.0:.2f}  {verdict}"
        )
    print("live: 1-2 sample blocks of 8 ch @ 80 Hz (a block every 12.5-25 ms; no goal):")
    for name, lat in (("wall clock", live_wall), ("CPU time of this thread", live_cpu)):
        ms = lat[warm:] * 1000.0
        p50, p99 = np.percentile(ms, 50), np.percentile(ms, 99)
        core = ms.sum() / 1000.0 / (live_s - 5.0)
        print(
            f"  {name:24s} p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {ms.max():.3f} ms  "
            f"{core:.2%} of one core"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  (wall clock includes time other processes took the core: load average {load:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
