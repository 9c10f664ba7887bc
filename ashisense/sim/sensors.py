"""Load-cell channels of the simulated rig: true force (N) to raw 24-bit ADC counts.

Each channel reads `offset + force / gain` plus what real cells and HX711-class converters
add: white noise, slow zero drift, creep under sustained load, a temperature zero shift,
saturation at the 24-bit rails (flagged invalid) and dead channels. Everything is seeded
and indexed by sample number or device time, so a block reads the same however the
stream was chunked.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from ashisense.sim import effects as fx

ADC_MIN_COUNTS = -(2**23)
ADC_MAX_COUNTS = 2**23 - 1
DEAD_COUNTS = -1  # an HX711 whose data line stays high reads 0xFFFFFF
FAULT_NONE, FAULT_SATURATE, FAULT_DEAD = 0, 1, 2

# Slow errors, as fractions of each channel's full scale (capacity / gain).
DRIFT_FS_PER_HOUR = 0.003  # RMS change of the zero over one hour
DRIFT_PERIODS_S = np.geomspace(900.0, 8 * 3600.0, 6)  # amplitudes ~ period: random-walk-like
CREEP_FRACTION = (0.001, 0.003)  # creep reached under a sustained load
CREEP_TAU_S = (120.0, 600.0)
TEMPCO_FS_PER_C = 1.5e-4  # RMS zero shift per kelvin
WARMUP_C, WARMUP_TAU_S = 2.0, 900.0  # electronics warm up after power-on
ROOM_SWING_C, ROOM_PERIOD_S = 0.5, 5400.0
_STREAM_ERRORS, _STREAM_NOISE, _STREAM_EFFECTS, _STREAM_INVALID = 11, 12, 13, 14
_INVALID_Z = 3.2905267  # P(N(0,1) > z) = 1/2000: one invalid sample in 2,000


class PagedNormal:
    """Standard normal numbers addressed by index: row k is the same however it is read.

    Rows come in pages of `page_len`, page p drawn from its own generator (key, p).
    """

    def __init__(self, key: tuple[int, ...], width: int, page_len: int = 4096) -> None:
        self._key = key
        self._width = width
        self._page_len = page_len
        self._cache: dict[int, np.ndarray] = {}

    def _page(self, p: int) -> np.ndarray:
        page = self._cache.get(p)
        if page is None:
            rng = np.random.default_rng([*self._key, p])
            page = rng.standard_normal((self._page_len, self._width))
            self._cache = {k: v for k, v in self._cache.items() if k >= p - 1}
            self._cache[p] = page
        return page

    def take(self, start: int, n: int) -> np.ndarray:
        """Rows start .. start+n-1, shape (n, width)."""
        if n == 0:
            return np.zeros((0, self._width))
        first, last = start // self._page_len, (start + n - 1) // self._page_len
        rows = np.concatenate([self._page(p) for p in range(first, last + 1)])
        begin = start - first * self._page_len
        return rows[begin : begin + n]


class SensorBank:
    """The rig's load-cell channels: `counts()` turns true forces into what the ADCs read.

    gains_n_per_count, offsets_counts, capacity_n: (C,) per channel. noise_counts: white
    noise RMS. drift: include the slow errors (zero drift, temperature, creep).
    dead_channel: index of a channel that reads DEAD_COUNTS, always invalid.
    effects: the cell effects of ashisense.sim.effects (zero drift, creep, nonlinearity,
    invalid samples), on top of the slow errors of `drift`.
    """

    def __init__(
        self,
        gains_n_per_count: np.ndarray,
        offsets_counts: np.ndarray,
        capacity_n: np.ndarray,
        noise_counts: float,
        drift: bool,
        seed: int,
        rate_hz: float,
        dead_channel: int | None = None,
        effects: fx.Effects | None = None,
    ) -> None:
        self.effects = effects or fx.Effects()
        self.gains_n_per_count = np.asarray(gains_n_per_count, dtype=np.float64)
        self.offsets_counts = np.asarray(offsets_counts, dtype=np.float64)
        n_ch = self.gains_n_per_count.size
        self.full_scale_counts = np.asarray(capacity_n, dtype=np.float64) / self.gains_n_per_count
        self.noise_counts = float(noise_counts)
        self.drift = drift
        self.dead_channel = dead_channel
        rng = np.random.default_rng([seed, _STREAM_ERRORS])
        self._creep_fraction = rng.uniform(*CREEP_FRACTION, n_ch)
        self._creep_tau_s = rng.uniform(*CREEP_TAU_S, n_ch)
        change = 1.0 - np.cos(2 * np.pi * 3600.0 / DRIFT_PERIODS_S)  # per unit amplitude²
        scale = DRIFT_FS_PER_HOUR / np.sqrt(np.sum(DRIFT_PERIODS_S**2 * change))
        self._drift_amp = (
            rng.standard_normal((n_ch, DRIFT_PERIODS_S.size)) * DRIFT_PERIODS_S * scale
        )
        self._drift_phase = rng.uniform(0.0, 2 * np.pi, (n_ch, DRIFT_PERIODS_S.size))
        self._tempco = rng.normal(0.0, TEMPCO_FS_PER_C, n_ch)
        self._room_phase = float(rng.uniform(0.0, 2 * np.pi))
        self._noise = PagedNormal((seed, _STREAM_NOISE), n_ch)
        self._creep_pole = np.exp(-1.0 / (rate_hz * self._creep_tau_s))
        self._creep_zi = np.zeros(n_ch)  # lfilter state: pole × last low-passed force, N
        erng = np.random.default_rng([seed, _STREAM_EFFECTS])
        self._drift_rate = erng.uniform(-1.0, 1.0, n_ch) * fx.ZERO_DRIFT_FS_PER_H / 3600.0
        self._bend = erng.uniform(-1.0, 1.0, n_ch) * fx.NONLINEARITY_FS
        self._fx_pole = np.exp(-1.0 / (rate_hz * fx.CREEP_TAU_S))
        self._fx_zi = np.zeros(n_ch)
        self._invalid = PagedNormal((seed, _STREAM_INVALID), 2)

    def set_rate(self, rate_hz: float) -> None:
        """Sample spacing changed: the creep filters follow, their state carries over."""
        pole = np.exp(-1.0 / (rate_hz * self._creep_tau_s))
        self._creep_zi = self._creep_zi / self._creep_pole * pole
        self._creep_pole = pole
        fx_pole = np.exp(-1.0 / (rate_hz * fx.CREEP_TAU_S))
        self._fx_zi = self._fx_zi / self._fx_pole * fx_pole
        self._fx_pole = fx_pole

    def temperature_c(self, t_s: np.ndarray) -> np.ndarray:
        """Temperature of the cells and ADC above its power-on value, K."""
        room = np.sin(2 * np.pi * t_s / ROOM_PERIOD_S + self._room_phase) - np.sin(self._room_phase)
        return WARMUP_C * -np.expm1(-t_s / WARMUP_TAU_S) + ROOM_SWING_C * room

    def zero_shift_counts(self, t_s: np.ndarray) -> np.ndarray:
        """Drift plus temperature shift of each zero, counts (n, C); 0 at power-on.

        Evaluated on whole seconds and interpolated: the shifts are minutes-slow.
        """
        if t_s.size == 0:
            return np.zeros((0, self.full_scale_counts.size))
        knots = np.arange(np.floor(t_s[0]), np.floor(t_s[-1]) + 2.0)
        omega = 2 * np.pi / DRIFT_PERIODS_S
        frac = self.temperature_c(knots)[:, None] * self._tempco
        # One period at a time: every knot's value is summed in the same order in any block.
        for p in range(omega.size):
            phase = self._drift_phase[:, p]
            wave = np.sin(knots[:, None] * omega[p] + phase) - np.sin(phase)
            frac += wave * self._drift_amp[:, p]
        at_knots = frac * self.full_scale_counts
        return np.stack(
            [np.interp(t_s, knots, at_knots[:, c]) for c in range(at_knots.shape[1])], axis=1
        )

    def _creep_n(self, force_n: np.ndarray) -> np.ndarray:
        """Creep: each cell reads `fraction` more of a load it has carried for `tau` or longer."""
        out = np.empty_like(force_n)
        for c in range(force_n.shape[1]):
            pole = self._creep_pole[c]
            b, a = [1.0 - pole], [1.0, -pole]
            lp, zf = lfilter(b, a, force_n[:, c], zi=self._creep_zi[c : c + 1])
            self._creep_zi[c] = zf[0]
            out[:, c] = lp * self._creep_fraction[c]
        return out

    def effect_error_n(self, t_s: np.ndarray, force_n: np.ndarray) -> np.ndarray:
        """(n, C) what the cell effects add to true forces (n, C), N: zero drift (linear from
        power-on), creep (0.05 % toward the load, 60 s) and the quadratic bend."""
        e = self.effects
        full_n = self.full_scale_counts * self.gains_n_per_count
        out = np.zeros_like(force_n)
        if e.zero_drift:
            out += t_s[:, None] * (self._drift_rate * full_n)
        if e.creep:
            b, a = [1.0 - self._fx_pole], [1.0, -self._fx_pole]
            lp, zf = lfilter(b, a, force_n, axis=0, zi=self._fx_zi[None, :])
            self._fx_zi = zf[0]
            out += fx.CREEP_FRACTION * lp
        if e.nonlinearity:
            u = force_n / full_n
            out += 4.0 * self._bend * full_n * u * (1.0 - u)
        return out

    def invalid_samples(
        self, first_sample: int, n: int, n_ch: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows and channels of the scattered invalid samples (one in 2,000) in a block."""
        z = self._invalid.take(first_sample, n)
        rows = np.flatnonzero(z[:, 0] > _INVALID_Z)
        chan = (np.abs(z[rows, 1]) * 1e6).astype(np.int64) % n_ch
        return rows, chan

    def counts(
        self,
        first_sample: int,
        t_s: np.ndarray,
        force_n: np.ndarray,
        fault_kind: np.ndarray,
        fault_slot: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Raw counts (n, C) int32, invalid flags (n, C) bool and the cells' error (n, C) in N
        (drift, creep, temperature and bend: what they read beyond the force and the noise)
        for true forces (n, C) in N.

        first_sample: index of the block's first sample in the stream (addresses the noise).
        fault_kind/fault_slot (n,): scripted FAULT_* per sample; the channel is slot % C.
        """
        n, n_ch = force_n.shape
        if n == 0:  # lfilter would hand back an undefined state for an empty block
            z = np.zeros((0, n_ch))
            return z.astype(np.int32), z.astype(bool), z
        error_n = self.effect_error_n(t_s, force_n)
        if self.drift:
            error_n += self._creep_n(force_n) + self.zero_shift_counts(t_s) * self.gains_n_per_count
        value = force_n + error_n
        raw = self.offsets_counts + value / self.gains_n_per_count
        if self.noise_counts:
            raw += self.noise_counts * self._noise.take(first_sample, n)
        raw = np.rint(raw)
        invalid = (raw <= ADC_MIN_COUNTS) | (raw >= ADC_MAX_COUNTS)
        counts = np.clip(raw, ADC_MIN_COUNTS, ADC_MAX_COUNTS).astype(np.int32)
        rows = np.flatnonzero(fault_kind != FAULT_NONE)
        if rows.size:
            chan = fault_slot[rows] % n_ch
            saturate = fault_kind[rows] == FAULT_SATURATE
            rail = np.where(fault_slot[rows] // n_ch % 2 == 0, ADC_MAX_COUNTS, ADC_MIN_COUNTS)
            counts[rows, chan] = np.where(saturate, rail, DEAD_COUNTS)
            invalid[rows, chan] = True
        if self.effects.invalid_samples:
            rows, chan = self.invalid_samples(first_sample, n, n_ch)
            counts[rows, chan] = DEAD_COUNTS
            invalid[rows, chan] = True
        if self.dead_channel is not None:
            counts[:, self.dead_channel] = DEAD_COUNTS
            invalid[:, self.dead_channel] = True
        return counts, invalid, error_n
