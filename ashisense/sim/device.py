"""The simulated rig as a device: protocol-v1 bytes out as time passes, commands in.

Wraps the physical model (`RigSimulator`) the way firmware wraps its ADCs: SAMPLE and
GRID packets with seq and device time, HELLO on boot and on request, EVENTs, and the
command set of PROTOCOL.md. Byte-level faults (dropped or corrupted bytes, a stalled
device, an unplugged cable) are injected here, seeded, so tests can ask for them.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from ashisense.errors import AshisenseError
from ashisense.sim.effects import Effects
from ashisense.sim.schedule import Kind, PacketSchedule
from firmware_bridge.protocol import encode_event, encode_grid, encode_hello, sample_packets

if TYPE_CHECKING:  # the model is imported when a device boots (a light `import ashisense`)
    from ashisense.sim.model import SimBlock

FAST_CHUNK_SAMPLES = 256
#: In real time the model runs this far ahead of the device clock, in one block: its cost per
#: block is paid a few times a second, not for every sample; each packet still goes out when
#: its sample is taken. (A new RATE applies after what was made ahead, at most this later.)
AHEAD_S = 0.25


class SimUrlError(AshisenseError, ValueError):
    """A sim:// URL that cannot be understood."""


@dataclass(frozen=True)
class Faults:
    """Byte-level faults, as rates or schedules in device seconds (0 disables each)."""

    drop_per_s: float = 0.0  # single bytes removed from the stream
    corrupt_per_s: float = 0.0  # single bytes replaced by random values
    stall_every_s: float = 0.0  # the device goes silent for stall_s, then resumes
    stall_s: float = 0.0
    unplug_every_s: float = 0.0  # the port disappears for unplug_s, samples meanwhile lost
    unplug_s: float = 0.0


@dataclass(frozen=True)
class SimConfig:
    """Everything a sim:// URL can say: sim://SCENARIO?seed=1&rate=80&speed=1&grid=1&..."""

    scenario: str = "calm"
    seed: int = 0
    rate_hz: float = 80.0
    speed: float = 1.0  # × real time; 0 means as fast as the reader reads
    grid: bool = False
    stream_from_boot: bool = True
    client_kg: float = 70.0
    therapist_kg: float = 65.0
    effects: str = ""  # real-rig effects: "all" or names from ashisense.sim.effects.Effects
    faults: Faults = Faults()
    handset: str = ""  # a client on a handset: "1", or comfort kgf "lumbar:20,..." (sim.handset)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed) and self.speed >= 0):
            raise ValueError(f"speed must be > 0 (x real time) or 'fast', got {self.speed:g}")
        if not (math.isfinite(self.rate_hz) and self.rate_hz > 0):
            raise ValueError(f"rate must be a number of Hz > 0, got {self.rate_hz:g}")

    @classmethod
    def from_url(cls, url: str) -> SimConfig:
        """Parse a sim:// URL; unknown parameters are an error that lists the known ones."""
        parts = urlsplit(url)
        if parts.scheme != "sim":
            raise SimUrlError(f"{url}: expected a sim:// URL")
        scenario = (parts.netloc + parts.path).strip("/") or "calm"
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        fault_keys = set(Faults.__dataclass_fields__)
        known = {
            "seed",
            "rate",
            "speed",
            "grid",
            "boot_stream",
            "client_kg",
            "therapist_kg",
            "effects",
            "handset",
        }
        unknown = set(query) - known - fault_keys
        if unknown:
            raise SimUrlError(
                f"{url}: unknown parameter(s) {sorted(unknown)}; known: "
                f"{sorted(known | fault_keys)}"
            )
        try:
            Effects.parse(query.get("effects", ""))  # (an EffectsError is a ValueError)
            speed_text = query.get("speed", "1")
            return cls(
                scenario=scenario,
                seed=int(query.get("seed", 0)),
                rate_hz=float(query.get("rate", 80.0)),
                speed=0.0 if speed_text == "fast" else float(speed_text),
                grid=query.get("grid", "0") in ("1", "true", "yes"),
                stream_from_boot=query.get("boot_stream", "1") in ("1", "true", "yes"),
                client_kg=float(query.get("client_kg", 70.0)),
                effects=query.get("effects", ""),
                therapist_kg=float(query.get("therapist_kg", 65.0)),
                faults=Faults(**{k: float(query[k]) for k in fault_keys & set(query)}),
                handset=query.get("handset", ""),
            )
        except ValueError as err:
            raise SimUrlError(f"{url}: {err}") from err


class SimDevice:
    """A running simulated rig. `pump(now)` returns the bytes it has sent by then.

    Time is the simulator's own: `speed` × real seconds since boot, or in fast mode a
    fixed chunk per pump. The ground truth of each block goes to the `truth_listeners` (in
    real time as the block is made, up to AHEAD_S before its samples go out).
    """

    def __init__(self, config: SimConfig) -> None:
        from ashisense.sim.handset import SimClient, SimHandset
        from ashisense.sim.model import RigSimulator

        self.config = config
        self.model = RigSimulator(
            scenario=config.scenario,
            rate_hz=config.rate_hz,
            seed=config.seed,
            grid=config.grid,
            client_kg=config.client_kg,
            therapist_kg=config.therapist_kg,
            effects=Effects.parse(config.effects),
        )
        self.rate_hz = config.rate_hz
        self.streaming = config.stream_from_boot
        self.truth_listeners: list[Any] = []
        self.handset = (
            SimHandset(SimClient.from_spec(config.handset), config.seed) if config.handset else None
        )
        self._rng = np.random.default_rng(config.seed + 7919)
        self._lock = threading.Lock()
        self._boot_wall = time.monotonic()
        self._sample_seq = 0
        self._grid_seq = 0
        self._pending = bytearray(encode_hello(self.model.hello))
        self._pending += encode_event(0, {"event": "boot"})
        self._schedule = PacketSchedule()
        self._inbox = b""

    # -- time -----------------------------------------------------------------------------
    def device_time_s(self, now_mono: float | None = None) -> float:
        """Device clock now: speed × wall time since boot, or the model's time in fast mode."""
        if self.config.speed == 0:
            return float(self.model.t_s)
        now = time.monotonic() if now_mono is None else now_mono
        return (now - self._boot_wall) * self.config.speed

    def unplugged(self, t_dev_s: float | np.ndarray) -> np.ndarray:
        """Is the simulated cable out at device time(s) t?"""
        f = self.config.faults
        return _in_window(np.asarray(t_dev_s), f.unplug_every_s, f.unplug_s)

    def unplugged_now(self) -> bool:
        """Is the simulated cable out at this moment?"""
        if not self.config.faults.unplug_every_s:
            return False  # (asked before every read: no array work when it never is)
        return bool(self.unplugged(self.device_time_s()))

    def _silent(self, t_dev_s: np.ndarray) -> np.ndarray:
        """Samples the host never gets: the device is stalled or its cable is out."""
        f = self.config.faults
        return _in_window(t_dev_s, f.stall_every_s, f.stall_s) | self.unplugged(t_dev_s)

    # -- bytes ------------------------------------------------------------------------------
    def pump(self, now_mono: float | None = None) -> bytes:
        """Generate everything due by now and return the bytes that reach the host."""
        with self._lock:
            if self.config.speed == 0:
                self._generate(FAST_CHUNK_SAMPLES)
                now_s = math.inf
            else:
                now_s = self.device_time_s(now_mono)
                n = int((now_s - self.model.t_s) * self.rate_hz)
                if n > 0:  # what was made ahead has gone out: the next block
                    self._generate(n + int(AHEAD_S * self.rate_hz))
            self._send(*self._schedule.take(now_s))
            out = bytes(self._pending)
            self._pending.clear()
            return out

    def _generate(self, n: int) -> None:
        """The model's next n (> 0) samples into the schedule, each due once it has been taken
        (its time plus a sample period), with the handset's presses and the grid frames."""
        block = self.model.next_block(n)
        for cb in self.truth_listeners:
            cb(block)
        seq = self._sample_seq + np.arange(n)
        self._sample_seq += n
        due_s = block.t_s + 1.0 / self.rate_hz
        kinds, packets, at_s = self._events_and_frames(block)
        # an event or a frame goes out with the sample whose period holds it
        holder = np.searchsorted(block.t_s, np.asarray(at_s, dtype=np.float64), side="right")
        keep = ~self._silent(block.t_s)
        chans = block.invalid.shape[1]
        invalid = (block.invalid.astype(np.uint32) << np.arange(chans, dtype=np.uint32)).sum(
            axis=1, dtype=np.uint32
        )
        t_us = np.rint(block.t_s * 1e6).astype(np.int64)
        samples = sample_packets(seq[keep], t_us[keep], invalid[keep], block.counts[keep])
        self._schedule.add(
            np.concatenate([due_s[np.maximum(holder - 1, 0)], due_s[keep]]),
            kinds + [Kind.SAMPLE] * len(samples),
            packets + samples,
        )

    def _events_and_frames(self, block: SimBlock) -> tuple[list[Kind], list[bytes], list[float]]:
        """The handset's presses and the grid frames of a block that reach the host: what
        each is, its packet and its device time."""
        kinds: list[Kind] = []
        packets: list[bytes] = []
        at_s: list[float] = []
        for t_dev_s, button in self.handset.presses(block.truth) if self.handset else []:
            if not self._silent(np.array([t_dev_s]))[0]:
                event = {"event": "client", "button": button}
                kinds.append(Kind.EVENT)
                packets.append(encode_event(round(t_dev_s * 1e6), event))
                at_s.append(t_dev_s)
        if block.grid is not None and block.grid_t_s is not None:
            silent = self._silent(block.grid_t_s)
            for t_g, frame, lost in zip(block.grid_t_s, block.grid, silent, strict=True):
                if not lost:
                    kinds.append(Kind.GRID)
                    packets.append(encode_grid(self._grid_seq, round(t_g * 1e6), frame))
                    at_s.append(float(t_g))
                self._grid_seq += 1
        return kinds, packets, at_s

    def _send(self, kinds: list[Kind], packets: list[bytes]) -> None:
        """Packets that are due onto the wire: events always, samples and grid frames while
        streaming; byte faults hit the samples."""
        f = self.config.faults
        if self.streaming and not (f.drop_per_s or f.corrupt_per_s):
            self._pending += b"".join(packets)
            return
        for kind, run in itertools.groupby(zip(kinds, packets, strict=True), key=lambda x: x[0]):
            if kind != Kind.EVENT and not self.streaming:
                continue
            group = [p for _, p in run]
            wire = b"".join(group)
            if kind == Kind.SAMPLE:
                wire = self._inject_byte_faults(wire, len(group) / self.rate_hz)
            self._pending += wire

    def _inject_byte_faults(self, wire: bytes, span_s: float) -> bytes:
        f = self.config.faults
        if not (f.drop_per_s or f.corrupt_per_s):
            return wire
        buf = np.frombuffer(wire, dtype=np.uint8).copy()
        n_corrupt = self._rng.poisson(f.corrupt_per_s * span_s)
        if n_corrupt:
            at = self._rng.integers(0, buf.size, n_corrupt)
            buf[at] ^= self._rng.integers(1, 256, n_corrupt, dtype=np.uint8)
        n_drop = self._rng.poisson(f.drop_per_s * span_s)
        if n_drop:
            buf = np.delete(buf, self._rng.integers(0, buf.size, n_drop))
        return buf.tobytes()

    # -- commands -------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Take command bytes from the host; complete lines are executed."""
        with self._lock:
            self._inbox += data
            *lines, self._inbox = self._inbox.split(b"\n")
            for line in lines:
                self._command(line.strip().decode("ascii", "replace"))

    def _command(self, line: str) -> None:
        t_us = round(self.model.t_s * 1e6)
        word, _, arg = line.partition(" ")
        if not line:
            return
        if line == "HELLO?":
            self._pending += encode_hello({**self.model.hello, "rate_hz": self.rate_hz})
        elif line == "START":
            self.streaming = True
        elif line == "STOP":
            self.streaming = False
        elif word == "RATE":
            try:
                rate = float(arg)
                if not 1 <= rate <= 2000:
                    raise ValueError(arg)
            except ValueError:
                self._pending += encode_event(
                    t_us, {"event": "error", "message": f"RATE: expected 1..2000 Hz, got {arg!r}"}
                )
                return
            self.model.set_rate(rate)
            self.rate_hz = rate
            self._pending += encode_event(t_us, {"event": "rate", "rate_hz": rate})
        else:
            self._pending += encode_event(
                t_us, {"event": "error", "message": f"unknown command {line[:40]!r}"}
            )


def _in_window(t_dev_s: np.ndarray, every_s: float, length_s: float) -> np.ndarray:
    """True during the last `length_s` of each `every_s` period (all False when every_s <= 0)."""
    if every_s <= 0:
        return np.zeros(t_dev_s.shape, dtype=bool)
    return (t_dev_s % every_s) > every_s - length_s
