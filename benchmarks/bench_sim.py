"""Speed of the simulated rig's model: × real time for 8 channels at 80 Hz and 1 kHz.

Run: python3 benchmarks/bench_sim.py. Needs nothing outside the repository. Measures one
hour of device time at 1 kHz in 10 s blocks (the brief asks for well under a minute), and
shorter runs in the small blocks a live device asks for (one per 20 ms tick), with and
without the 10 Hz pressure grid.
"""

from __future__ import annotations

import time

import benchkit  # noqa: F401 (the repository on sys.path)

# `python3 benchmarks/bench_sim.py` from a clone: import the package from the checkout.
from ashisense.sim import RigSimulator


def times_real_time(
    rate_hz: float, block_s: float, seconds: float, grid: bool
) -> tuple[float, float]:
    """(wall seconds, × real time) to generate `seconds` of device time."""
    sim = RigSimulator("stepping", rate_hz=rate_hz, seed=1, grid=grid)
    n = max(1, round(rate_hz * block_s))
    blocks = round(seconds / (n / rate_hz))
    start = time.perf_counter()
    for _ in range(blocks):
        sim.next_block(n)
    wall = time.perf_counter() - start
    return wall, blocks * n / rate_hz / wall


def main() -> None:
    print("scenario 'stepping', 8 channels, drift and noise on")
    print(f"{'rate':>7} {'block':>7} {'grid':>5} {'device s':>9} {'wall s':>8} {'x real time':>12}")
    runs = [
        (1000.0, 10.0, 3600.0, False),
        (1000.0, 10.0, 600.0, True),
        (80.0, 10.0, 3600.0, False),
        (80.0, 10.0, 3600.0, True),
        (1000.0, 0.02, 120.0, False),
        (1000.0, 0.02, 120.0, True),
        (80.0, 0.025, 600.0, False),
        (80.0, 0.025, 600.0, True),
    ]
    for rate, block_s, seconds, grid in runs:
        wall, speed = times_real_time(rate, block_s, seconds, grid)
        row = f"{rate:>5.0f}Hz {block_s:>6.3f}s {grid!s:>5} {seconds:>9.0f} {wall:>8.2f}"
        print(f"{row} {speed:>12.0f}")


if __name__ == "__main__":
    main()
