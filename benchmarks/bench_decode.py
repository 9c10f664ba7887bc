"""Decode throughput of the protocol-v1 frame decoder on one core, against its floor.

The floor is the least any Python decoder must do with the same bytes: `bytes.split` at
the delimiters, `cobs.decode` and `zlib.crc32` of every frame. The decoder is fed in
4096-byte reads (what a serial port hands over) and, for reference, in one piece.
The runs take turns (floor, then each way of feeding the decoder, REPEATS times) and the
fastest of each counts, so a busy machine slows them alike.
Goals: ≥ 200,000 SAMPLE packets/s at 8 channels (issue 2) and, in 4096 B reads, ≥ 0.7× the
floor (issue 13; ≥ 0.5× for one piece and for 32 channels).
Run: python3 benchmarks/bench_decode.py
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Callable

import numpy as np
from cobs import cobs

from firmware_bridge.decoder import FrameDecoder, RawSamples
from firmware_bridge.protocol import encode_samples

READ_BYTES = 4096
REPEATS = 7
GOAL_PACKETS_PER_S = 200_000
GOAL_FLOOR_RATIO = 0.5
GOAL_FLOOR_RATIO_8CH_READS = 0.7


def sample_stream(n_packets: int, n_channels: int, seed: int = 0) -> bytes:
    """Wire bytes of n SAMPLEs: HX711-like 24-bit counts near a few offsets (many 0x00/0xff)."""
    rng = np.random.default_rng(seed)
    offsets = rng.integers(-(1 << 20), 1 << 20, n_channels)
    counts = offsets + rng.normal(0, 2000, (n_packets, n_channels)).astype(np.int64)
    seq = np.arange(n_packets)
    return encode_samples(seq, 12_500 * seq, np.zeros(n_packets, dtype=np.int64), counts)


def floor(data: bytes) -> int:
    """split + cobs.decode + crc32 of every frame; returns the frame count."""
    decode, crc = cobs.decode, zlib.crc32
    n = 0
    for f in data.split(b"\x00"):
        if f:
            crc(decode(f))
            n += 1
    return n


def decode(data: bytes, read_bytes: int) -> int:
    """The decoder fed `read_bytes` at a time; returns the SAMPLE count."""
    dec = FrameDecoder()
    n = 0
    for i in range(0, len(data), read_bytes):
        for p in dec.feed(data[i : i + read_bytes]):
            if isinstance(p, RawSamples):
                n += len(p.records)
    assert dec.counters.bad_packets == 0
    return n


def best_times_s(runs: dict[str, Callable[[], int]], expected: int) -> dict[str, float]:
    """Fastest of REPEATS turns of each run (the least disturbed by the rest of the machine);
    the runs take turns so that a change in the machine's load hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(REPEATS):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            got = fn()
            times[name].append(time.perf_counter() - t0)
            assert got == expected, f"{name}: decoded {got} packets, expected {expected}"
    return {name: min(t) for name, t in times.items()}


def main() -> int:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    print(f"{'channels':>8} {'packets':>8} {'MB':>6} {'what':<26} {'packets/s':>11} {'MB/s':>7}")
    failed = False
    for n_channels, n_packets in ((8, 200_000), (32, 100_000)):
        data = sample_stream(n_packets, n_channels)
        mb = len(data) / 1e6
        runs = {
            "floor (split+cobs+crc32)": lambda d=data: floor(d),
            f"decoder, {READ_BYTES} B reads": lambda d=data: decode(d, READ_BYTES),
            "decoder, one piece": lambda d=data: decode(d, len(d)),
        }
        rates = {}
        for name, t_s in best_times_s(runs, n_packets).items():
            rates[name] = n_packets / t_s
            print(
                f"{n_channels:>8} {n_packets:>8} {mb:>6.1f} {name:<26} "
                f"{n_packets / t_s:>11,.0f} {mb / t_s:>7.1f}"
            )
        floor_rate = rates["floor (split+cobs+crc32)"]
        for name in (f"decoder, {READ_BYTES} B reads", "decoder, one piece"):
            ratio = rates[name] / floor_rate
            goal = GOAL_FLOOR_RATIO
            if n_channels == 8 and name.endswith("reads"):
                goal = GOAL_FLOOR_RATIO_8CH_READS
            ok = ratio >= goal
            failed |= not ok
            print(f"{'':>8} {name}: {ratio:.2f}× floor (goal ≥ {goal}) {'PASS' if ok else 'FAIL'}")
        if n_channels == 8:
            rate = rates[f"decoder, {READ_BYTES} B reads"]
            ok = rate >= GOAL_PACKETS_PER_S
            failed |= not ok
            print(
                f"{'':>8} {rate:,.0f} packets/s at 8 channels in {READ_BYTES} B reads "
                f"(goal ≥ {GOAL_PACKETS_PER_S:,}) {'PASS' if ok else 'FAIL'}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
