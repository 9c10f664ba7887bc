"""Technical alarm signals from the raw link: lost samples, invalid, saturated or flat
channels (LinkHealth), and the calibration's age and zero drift (CalibrationHealth).

Feed them what the link delivers (gaps, sample blocks, in order); merge `signals(block)` into
the engine's signals for that block. Channel masks have bit i set for channel i.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ashisense.alarms.errors import SignalError
from ashisense.rig import Rig
from calibration.drift import ZeroDriftMonitor
from firmware_bridge.blocks import Gap, SampleBlock

SECONDS_PER_DAY = 86400.0

ADC_RAILS_COUNTS = (-(2**23), 2**23 - 1)  # a 24-bit converter pinned at a rail is saturated
MAX_CHANNELS = 63  # masks are int64


def channel_mask(flags: np.ndarray) -> np.ndarray:
    """(n, C) bool -> (n,) int64 with bit i set where channel i is flagged."""
    return flags.astype(np.int64) @ (np.int64(1) << np.arange(flags.shape[1], dtype=np.int64))


class LinkHealth:
    """Per-sample technical signals: lost_n, invalid_mask, saturated_mask, flat_mask.

    channels: the device's channel names. flat_s: a channel whose counts stay exactly equal
    this long is stuck (live load cells always show a few counts of noise). rails_counts:
    the ADC's extreme codes.
    """

    def __init__(
        self,
        channels: Sequence[str],
        flat_s: float = 2.0,
        rails_counts: tuple[int, int] = ADC_RAILS_COUNTS,
    ) -> None:
        if len(channels) > MAX_CHANNELS:
            raise SignalError(
                f"LinkHealth: expected at most {MAX_CHANNELS} channels, found {len(channels)}"
            )
        self.channels = tuple(channels)
        self.flat_s = flat_s
        self.rails_counts = rails_counts
        self._pending_lost = 0.0
        self._rate_hz = math.nan
        self._last_counts: np.ndarray | None = None
        self._same_since_s = np.full(len(channels), np.nan)

    def on_gap(self, gap: Gap) -> None:
        """Count the samples a gap lost (estimated from its duration when the device can't say)."""
        lost = float(gap.lost)
        if lost < 0:
            span_s = gap.t_end_s - gap.t_start_s
            lost = max(0.0, round(span_s * self._rate_hz)) if self._rate_hz > 0 else 0.0
        self._pending_lost += lost

    def signals(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """The technical signals of one block (lost samples counted at its first sample)."""
        if block.channels != self.channels:
            raise SignalError(
                f"LinkHealth: expected channels {list(self.channels)}, found {list(block.channels)}"
            )
        n = len(block)
        if n > 1 and math.isnan(self._rate_hz):
            self._rate_hz = 1.0 / float(np.median(np.diff(block.t_s)))
        lost = np.zeros(n)
        if n:
            lost[0], self._pending_lost = self._pending_lost, 0.0
        counts = block.counts
        saturated = (counts <= self.rails_counts[0]) | (counts >= self.rails_counts[1])
        return {
            "lost_n": lost,
            "invalid_mask": channel_mask(block.invalid),
            "saturated_mask": channel_mask(saturated),
            # A channel the device already marks invalid is reported as such, not as stuck.
            "flat_mask": channel_mask(self._flat(block.t_s, counts) & ~block.invalid),
        }

    def _flat(self, t_s: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """(n, C) True where a channel's counts have not changed for flat_s."""
        n = counts.shape[0]
        if n == 0:
            return np.zeros(counts.shape, dtype=bool)
        prev = np.vstack(
            [counts[:1] if self._last_counts is None else self._last_counts, counts[:-1]]
        )
        changed = counts != prev
        if self._last_counts is None:
            changed[0] = True
        # Start time of each channel's current run of equal counts.
        start = np.where(changed, t_s[:, None], np.nan)
        start[0] = np.where(changed[0], t_s[0], self._same_since_s)
        rows = np.where(np.isnan(start), -1, np.arange(n)[:, None])
        np.maximum.accumulate(rows, axis=0, out=rows)
        since = np.take_along_axis(start, np.maximum(rows, 0), axis=0)
        self._last_counts = counts[-1].copy()
        self._same_since_s = since[-1].copy()
        return (t_s[:, None] - since) >= self.flat_s


class CalibrationHealth:
    """Per-sample signals of the calibration in use: calibration_age_days (from the calibration
    file's date to each sample; only with a calibration file) and zero_drift_n (the largest
    move of an unloaded zero since calibration, N: calibration.drift.ZeroDriftMonitor over
    each bar and the mat, against the file's unloaded zeros, else the rig's offsets).

    rig: resolved for the device (Rig.for_device). `limits` are the rig's limits for those
    signals, for AlarmEngine.for_session(signal_limits=...).
    """

    def __init__(self, rig: Rig) -> None:
        cal = rig.calibration_file
        zero_counts = dict(zip(rig.channels, rig.offsets_counts.tolist(), strict=True))
        if cal is not None:
            zero_counts |= {n: z for n, z in cal.unloaded_zero_counts.items() if n in zero_counts}
        groups = [
            [rig.channels[i] for i in rig.index("bar", side="left")],
            [rig.channels[i] for i in rig.index("bar", side="right")],
            [rig.channels[i] for i in rig.index("mat")],
        ]
        self.channels = rig.channels
        self.monitor = ZeroDriftMonitor(
            rig.channels,
            zero_counts,
            dict(zip(rig.channels, rig.gains_n_per_count.tolist(), strict=True)),
            groups,
            rig.zero_drift_limit_n,
        )
        self._created_s = None if cal is None else cal.created.timestamp()
        self.limits: Mapping[str, float] = {
            "calibration_age_days": rig.calibration_interval_days,
            "zero_drift_n": rig.zero_drift_limit_n,
        }
        self._columns: tuple[tuple[str, ...], list[int]] | None = None

    def on_gap(self, gap: Gap) -> None:
        """Samples were lost: the zero-drift window being filled is dropped."""
        self.monitor.reset()

    def signals(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """The calibration signals of one block (any channel order; the rig's channels)."""
        if self._columns is None or self._columns[0] != block.channels:
            try:
                self._columns = (block.channels, [block.channels.index(c) for c in self.channels])
            except ValueError:
                raise SignalError(
                    f"CalibrationHealth: expected the rig's channels {list(self.channels)}, "
                    f"found {list(block.channels)}"
                ) from None
        cols = self._columns[1]
        out = {
            "zero_drift_n": self.monitor.update(
                block.t_s, block.counts[:, cols], block.invalid[:, cols]
            )
        }
        if self._created_s is not None:
            out["calibration_age_days"] = (block.t_s - self._created_s) / SECONDS_PER_DAY
        return out


class PortSilence:
    """When data last arrived on the port, told at each clock tick from the link reader's
    sample count, for the no-data alarm (AlarmEngine.tick(t_s, data_seen_s)).

    Technical alarms come from the data, not from the host's scheduling: a dispatcher
    running behind (a slow consumer, a busy machine) is not a silent port, since the reader
    still counts samples; and a tick that itself came late (the whole host stalled) cannot
    tell a silent port from a stalled reader, so it counts as data seen and the next tick on
    time judges. tick_s: the ticker's period; a tick more than late_factor periods after
    the previous one came late. Keep late_factor * tick_s at or below the no-data limit.
    """

    def __init__(self, tick_s: float, late_factor: float = 2.0) -> None:
        self.max_gap_s = late_factor * tick_s
        self._samples = 0
        self._tick_s = math.nan
        self._seen_s = math.nan

    def seen_s(self, now_s: float, samples: int) -> float:
        """When data were last known on the port (host s; NaN: none yet). now_s: this tick's
        time; samples: the reader's count of samples received so far."""
        if samples != self._samples:  # arrived since the previous tick: at the earliest then
            self._seen_s = self._tick_s  # (NaN at the first tick: the samples tell)
        if now_s - self._tick_s > self.max_gap_s:
            self._seen_s = now_s
        self._samples, self._tick_s = samples, now_s
        return self._seen_s
