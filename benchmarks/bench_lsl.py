"""LSL outlet cost: CPU of streaming 32 channels at 1 kHz, as a share of one core.

60 s of synthetic estimate blocks (32 calibrated channels plus the 10 estimates, 10 ms
blocks: 6000 pushes) go through LslOutlets.on_step (building the float32 samples, mapping
the times, push_chunk), paced in real time as a rig delivers them (each push then is its own
send, as live), while an inlet in another process takes them all. The cost is this
process's CPU time (every thread: the pushes and liblsl's sending threads) until the inlet
has the last sample, divided by the 60 s of data. Goal (issue 16): ≤ 5 % of one core.
Run: python3 benchmarks/bench_lsl.py [seconds] [--fast]   (default 60 s, paced: a minute;
--fast pushes as fast as it can, which lets liblsl batch sends: a lower figure)
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid

import numpy as np

from ashisense.lsl import ESTIMATE_FIELDS, LslOutlets, Source
from ashisense.pipeline.types import SERIES, EstimateBlock
from ashisense.rig import Rig, rig_from_dict
from ashisense.session.analysis import Step
from ashisense.store.blocks import slice_block
from firmware_bridge.blocks import SampleBlock

GOAL_SHARE = 0.05
RATE_HZ = 1000.0
N_CHANNELS = 32
BLOCK_SAMPLES = 10
START_S = 1.7e9

INLET = textwrap.dedent(
    """
    import sys, pylsl
    want = int(sys.argv[2])
    found = pylsl.resolve_bypred(f"source_id='{sys.argv[1]}' and type='Force'", 1, 30.0)
    inlet = pylsl.StreamInlet(found[0], max_buflen=360)
    inlet.open_stream(30.0)
    print("ready", flush=True)
    got = 0
    while got < want:
        _, ts = inlet.pull_chunk(timeout=5.0, max_samples=4096)
        if not ts:
            break
        got += len(ts)
    print(got, flush=True)
    """
)


def _rig() -> Rig:
    """A mat-only rig of N_CHANNELS cells (the description needs one; the cost does not)."""
    cells = [
        {"name": f"mat_{i:02d}", "role": "mat", "x_m": 0.1 * (i % 16), "y_m": 0.3 * (i // 16),
         "offset_counts": 0, "gain_n_per_count": 0.001}
        for i in range(N_CHANNELS)
    ]  # fmt: skip
    doc = {"device": {"url": "loop://"}, "table": {"length_m": 1.9, "width_m": 0.7}}
    return rig_from_dict({**doc, "channel": cells}, "<bench>")


def _steps(seconds: float, channels: tuple[str, ...]) -> list[Step]:
    """Synthetic estimate blocks of BLOCK_SAMPLES, made before timing starts."""
    rng = np.random.default_rng(3)
    n = round(seconds * RATE_HZ)
    t_s = START_S + np.arange(n) / RATE_HZ
    force_n = rng.normal(100.0, 5.0, (n, len(channels)))
    counts = np.zeros((n, len(channels)), dtype=np.int32)
    block = SampleBlock(t_s, t_s - START_S, np.arange(n), counts, counts != 0, channels)
    series = {name: rng.normal(0.0, 1.0, n) for name in SERIES if name != "t_s"}
    steps = []
    for i in range(0, n, BLOCK_SAMPLES):
        part = slice(i, i + BLOCK_SAMPLES)
        fields = {name: values[part] for name, values in series.items()}
        estimate = EstimateBlock.unchecked(
            t_s=t_s[part], channels=channels, force_n=force_n[part], **fields
        )
        steps.append(Step(slice_block(block, i, i + BLOCK_SAMPLES), estimate, []))
    return steps


def _push(outlets: LslOutlets, steps: list[Step], paced: bool) -> None:
    """Every step; paced: each when its last sample is due in real time."""
    start_s = time.perf_counter()
    for step in steps:
        if paced:
            due_s = start_s + (step.estimate.t_s[-1] - START_S)
            time.sleep(max(0.0, due_s - time.perf_counter()))
        outlets.on_step(step)


def main(seconds: float = 60.0, paced: bool = True) -> int:
    rig = _rig()
    steps = _steps(seconds, rig.channels)
    n = sum(len(s.estimate) for s in steps)
    serial = f"BENCH-{uuid.uuid4().hex[:8]}"
    source = Source(serial, "bench", "0", RATE_HZ, rig.channels)
    with LslOutlets("bench", rig) as outlets:
        outlets.open(source)
        inlet = subprocess.Popen(
            [sys.executable, "-c", INLET, serial, str(n)], stdout=subprocess.PIPE, text=True
        )
        assert inlet.stdout is not None
        if inlet.stdout.readline().strip() != "ready":
            inlet.kill()
            print("FAIL: the inlet process found no stream")
            return 1
        while not outlets.has_consumers():
            time.sleep(0.01)
        cpu0_s, wall0_s = time.process_time(), time.perf_counter()
        _push(outlets, steps, paced)
        push_s = time.perf_counter() - wall0_s
        received = int(inlet.stdout.readline() or 0)
        cpu_s = time.process_time() - cpu0_s
        inlet.wait(30)
    share = cpu_s / seconds
    ok = received == n and share <= GOAL_SHARE
    print(
        f"{N_CHANNELS} channels + {len(ESTIMATE_FIELDS)} estimates at {RATE_HZ:g} Hz, "
        f"{BLOCK_SAMPLES}-sample blocks: {seconds:g} s of data ({len(steps)} pushes) pushed "
        f"{'in real time' if paced else 'as fast as possible'} "
        f"in {push_s:.2f} s; inlet got {received}/{n} samples"
    )
    print(
        f"outlet CPU {cpu_s:.3f} s for {seconds:g} s of data = {share * 100:.2f} % of one core "
        f"({cpu_s / len(steps) * 1e6:.0f} µs per block); goal ≤ {GOAL_SHARE * 100:g} %: "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--fast"]
    sys.exit(main(*(float(a) for a in args[:1]), paced="--fast" not in sys.argv))
