"""Session store figures: bytes on disk per hour, the recorder's sustained rate, and an hour
at 1 kHz x 8 channels recorded through SessionWriter with no loss and flat memory.

Run: python3 benchmarks/bench_store.py [--minutes-32ch 60] [--skip-hour]

1. Bytes on disk per hour (the SQLite file after close) for 8 ch x 80 Hz (simulated rig,
   one hour) and 32 ch x 1 kHz (four simulated rigs side by side; --minutes-32ch of them,
   scaled to an hour when shorter), committed as the recorder commits (every 0.5 s);
   against the raw size of the same arrays (t_s, t_device_s, seq, counts, invalid).
2. The recorder's sustained rate: SessionWriter fed live (a producer thread pacing 32 ch,
   10-sample blocks as a 1 kHz link delivers them) at rising multiples of 32 ch x 1 kHz,
   5 s each, default queue; the highest with nothing dropped. Also the writer alone (every
   block queued first, timed to the last commit).
3. A simulated hour at 1 kHz x 8 ch (the simulated rig, 10 ms blocks) through SessionWriter,
   as fast as the writer takes it (the producer waits while the queue is over half full):
   samples written, dropped (goal 0), RSS at start, middle and end (goal: flat).
Needs nothing outside the repository. Writes to a temporary directory.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import benchkit  # noqa: F401 (the repository on sys.path)
import numpy as np

from ashisense.sim.model import SIM_CHANNELS, RigSimulator
from ashisense.store import Batch, SessionMeta, SessionWriter, SQLiteStore
from firmware_bridge.blocks import SampleBlock

T0_S = 1.7e9


def rss_mb() -> float:
    """Resident set size of this process (MB), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sim_blocks(
    rate_hz: float, n_rigs: int, block_len: int, seconds: float, seed: int = 1
) -> Iterator[SampleBlock]:
    """Consecutive blocks of `n_rigs` simulated rigs side by side (8 channels each)."""
    sims = [RigSimulator("stepping", rate_hz, seed=seed + i) for i in range(n_rigs)]
    channels = tuple(f"{c}_{i}" if n_rigs > 1 else c for i in range(n_rigs) for c in SIM_CHANNELS)
    total = round(seconds * rate_hz)
    big = max(block_len, round(rate_hz)) // block_len * block_len  # simulate ~1 s at a time
    seq0 = 0
    while seq0 < total:
        parts = [s.next_block(min(big, total - seq0)) for s in sims]
        t = parts[0].t_s
        counts = np.concatenate([p.counts for p in parts], axis=1)
        invalid = np.concatenate([p.invalid for p in parts], axis=1)
        seq = np.arange(seq0, seq0 + len(t), dtype=np.int64)
        for i in range(0, len(t), block_len):
            sl = slice(i, i + block_len)
            yield SampleBlock(T0_S + t[sl], t[sl], seq[sl], counts[sl], invalid[sl], channels)
        seq0 += len(t)


def cycled(base: list[SampleBlock], rate_hz: float) -> Iterator[SampleBlock]:
    """The base blocks over and over, seq and times moved on: an endless, cheap stream."""
    period = sum(len(b) for b in base)
    for k in itertools.count():
        for b in base:
            shift = k * period
            yield SampleBlock(b.t_s + shift / rate_hz, b.t_device_s + shift / rate_hz,
                              b.seq + shift, b.counts, b.invalid, b.channels)  # fmt: skip


def raw_bytes(samples: int, channels: int) -> int:
    """Bytes of the same data as plain arrays: three 8-byte times/seq + counts + invalid."""
    return samples * (3 * 8 + channels * 4 + channels)


def bytes_per_hour(rate_hz: float, n_rigs: int, minutes: float, tmp: Path) -> None:
    path = tmp / f"size_{n_rigs * 8}ch_{rate_hz:g}hz.sqlite"
    started = time.perf_counter()
    samples = 0
    with SQLiteStore(path) as store:
        sid = store.create_session(SessionMeta(started_s=T0_S))
        chunk = round(rate_hz * 0.5)  # what the recorder commits every 0.5 s
        for block in sim_blocks(rate_hz, n_rigs, chunk, minutes * 60):
            store.write(sid, Batch(blocks=[block]))
            samples += len(block)
    elapsed = time.perf_counter() - started
    size = path.stat().st_size
    per_hour = size * 60 / minutes
    ch = n_rigs * 8
    print(
        f"  {ch:2d} ch x {rate_hz:6g} Hz: {size / 1e6:8.1f} MB for {minutes:g} min -> "
        f"{per_hour / 1e6:8.1f} MB/hour; {size / samples / ch:.2f} bytes per count; "
        f"raw arrays {raw_bytes(samples, ch) / size:.1f}x larger; written in {elapsed:.1f} s"
    )


def drain_rate(tmp: Path) -> None:
    """Every block queued at once, then timed to the last commit: the writer alone."""
    rate_hz, block_len, seconds = 1000.0, 10, 120.0
    blocks = list(sim_blocks(rate_hz, 4, block_len, seconds))
    n = sum(len(b) for b in blocks)
    with SQLiteStore(tmp / "drain.sqlite") as store:
        writer = SessionWriter(store, SessionMeta(started_s=T0_S), max_queue=len(blocks) + 1)
        writer.start()
        started = time.perf_counter()
        for block in blocks:
            writer.on_block(block)
        writer.stop()
        elapsed = time.perf_counter() - started
        assert writer.health.written_samples == n, writer.health
    print(
        f"  writer alone (all queued first): {n / elapsed:,.0f} samples/s = "
        f"{n / elapsed / rate_hz:.0f}x a 32 ch x 1 kHz rig"
    )


def paced(factor: float, base: list[SampleBlock], tmp: Path, wall_s: float = 5.0) -> bool:
    """Feed `factor` x a 32 ch x 1 kHz rig's rate for wall_s in 10 ms blocks, with the
    default queue; True if nothing was dropped."""
    target = factor * 1000.0
    with SQLiteStore(tmp / f"paced_{factor:g}.sqlite") as store:
        writer = SessionWriter(store, SessionMeta(started_s=T0_S))
        writer.start()
        started = time.perf_counter()
        sent = 0
        for block in cycled(base, 1000.0):
            now = time.perf_counter()
            if now - started > wall_s:
                break
            due = started + sent / target
            if due > now:
                time.sleep(due - now)
            writer.on_block(block)
            sent += len(block)
        writer.stop()
        h = writer.health
        elapsed = time.perf_counter() - started
    print(
        f"  {factor:5g}x ({target:9,.0f} samples/s wanted, {sent / elapsed:9,.0f} fed): "
        f"written {h.written_samples}, dropped {h.dropped_samples}"
    )
    return h.dropped_samples == 0 and sent / elapsed > 0.95 * target


def sustained_rate(tmp: Path) -> None:
    """The highest rate, in steps, that the recorder keeps up with while being fed live."""
    base = list(sim_blocks(1000.0, 4, 10, 10.0))
    best = 0.0
    for factor in (10, 25, 50, 100, 150, 200, 300, 400, 600):
        if not paced(factor, base, tmp):
            break
        best = factor
    print(
        f"  sustained: {best:g}x a 32 ch x 1 kHz rig ({best * 1000:,.0f} samples/s of 32 "
        "channels in 10 ms blocks) with no loss; the next step fell behind or dropped"
    )


def hour_at_1khz(tmp: Path) -> None:
    rate_hz, seconds = 1000.0, 3600.0
    rss = [rss_mb()]
    produced = 0
    max_queue = 4096
    with SQLiteStore(tmp / "hour.sqlite") as store:
        writer = SessionWriter(store, SessionMeta(started_s=T0_S), max_queue=max_queue)
        writer.start()
        started = time.perf_counter()
        for block in sim_blocks(rate_hz, 1, 10, seconds):
            while writer.health.queued_items > max_queue // 2:
                time.sleep(0.001)  # the bench runs faster than real time: let the writer drain
            writer.on_block(block)
            produced += len(block)
            if produced == round(seconds * rate_hz / 2):
                rss.append(rss_mb())
        writer.stop()
        elapsed = time.perf_counter() - started
        h = writer.health
        stored = store.sample_count(writer.session_id)
    rss.append(rss_mb())
    print(
        f"  produced {produced}, written {h.written_samples}, stored {stored}, dropped "
        f"{h.dropped_samples} (goal 0) in {elapsed:.0f} s ({seconds / elapsed:.0f}x real time)"
    )
    print(
        f"  RSS start {rss[0]:.0f} MB, half-way {rss[1]:.0f} MB, end {rss[2]:.0f} MB "
        f"(end - half-way {rss[2] - rss[1]:+.1f} MB); file "
        f"{(tmp / 'hour.sqlite').stat().st_size / 1e6:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes-32ch", type=float, default=60.0)
    parser.add_argument("--skip-hour", action="store_true", help="skip the 1 kHz hour (3.)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print("1. bytes on disk per hour")
        bytes_per_hour(80.0, 1, 60.0, tmp)
        bytes_per_hour(1000.0, 4, args.minutes_32ch, tmp)
        print("2. recorder sustained rate")
        drain_rate(tmp)
        sustained_rate(tmp)
        if not args.skip_hour:
            print("3. a simulated hour at 1 kHz x 8 ch through SessionWriter")
            hour_at_1khz(tmp)


if __name__ == "__main__":
    main()
