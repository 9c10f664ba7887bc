"""Effects of a real rig that the ideal simulated rig lacks, each switchable, each with its truth.

Sizes from the literature and load-cell data sheets (issue 14): breathing moves the client's
CoP; the therapist bobs and strikes with the heel at every step while walking, shared by
bars and feet; the hands pull the bars sideways and the feet push the client horizontally
0.2 m above the mat cells; the cells drift, creep and bend off their straight line; samples
fail now and then; the client slides once while the therapist walks; a foot rests partly on
the table frame. Everything here is a pure function of time, sample index or seed, so a block
reads the same however the stream was chunked.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ashisense.errors import AshisenseError

BREATH_COP_M = 0.004  # ±4 mm of client CoP along x at BREATH_HZ (model.py)
BOB_SHARE = 0.03  # the body's bob at the step rate, share of W
HEEL_STRIKE_SHARE = (0.08, 0.20)  # heel-strike pulse peak, share of W, per step
HEEL_STRIKE_S = (0.12, 0.20)  # its duration
STEP_TRANSFER_SHARE = (0.05, 0.10)  # weight moving from the bars to the feet at each step
PULL_ALONG_SHARE = 0.017  # hands pulling the bars along the table, share of W (peak)
PULL_ACROSS_SHARE = 0.008  # ... and across it
PUSH_HEIGHT_M = 0.20  # the feet push the client this high above the mat cells
PULL_PERIODS_S = (7.3, 11.9, 17.1)  # slow, irregular pulling
ZERO_DRIFT_FS_PER_H = 0.002  # each cell's zero moves at up to ±0.2 % FS per hour
CREEP_FRACTION = 0.0005  # creep reached under a sustained load
CREEP_TAU_S = 60.0
NONLINEARITY_FS = 0.0003  # quadratic: up to ±0.03 % FS off the straight line at mid-scale
INVALID_PER_SAMPLE = 1 / 2000  # one invalid sample on a random channel in 2,000
CLIENT_SHIFT_M = 0.025  # the client slides toward the foot end ...
CLIENT_SHIFT_S = 1.5  # ... over this long, while the therapist walks
FRAME_SHARE = 0.30  # share of the feet load on the table frame ...
FRAME_S = 3.0  # ... for this long
FRAME_RAMP_S = 0.1  # a foot slips onto the frame this fast


class EffectsError(AshisenseError, ValueError):
    """An effects list naming an effect that does not exist."""


@dataclass(frozen=True)
class Effects:
    """Which real-rig effects the simulator adds (all off: the ideal rig of before).

    breathing: client CoP ±4 mm along x at 0.25 Hz (instead of ±2 mm). dynamics: while
    walking, a 3 % W bob at the step rate, a heel-strike pulse of 8-20 % W over 0.12-0.2 s
    per step and 5-10 % W moving from the bars to the feet at each step, shared by bars and
    feet by the weight split. hand_pull: the hands pull the bars up to 1.7 % W along and
    0.8 % W across; the feet push the client back 0.2 m above the mat cells (moments).
    zero_drift: each cell's zero moves linearly at up to ±0.2 % FS per hour. creep: 0.05 %
    of the load, 60 s time constant. nonlinearity: quadratic, up to ±0.03 % FS.
    invalid_samples: one invalid sample on a random channel in 2,000. client_shift: once a
    session cycle the client slides 2.5 cm toward the foot end over 1.5 s while the therapist
    walks (phase "client_shift"). foot_on_frame: once a cycle 30 % of the feet load rests on
    the table frame for 3 s (phase "foot_on_frame").
    """

    breathing: bool = False
    dynamics: bool = False
    hand_pull: bool = False
    zero_drift: bool = False
    creep: bool = False
    nonlinearity: bool = False
    invalid_samples: bool = False
    client_shift: bool = False
    foot_on_frame: bool = False

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def all(cls) -> Effects:
        """Every effect on."""
        return cls(**dict.fromkeys(cls.names(), True))

    @classmethod
    def parse(cls, text: str) -> Effects:
        """From "all", "" or comma-separated names ("breathing,creep"); raises EffectsError."""
        words = [w.strip() for w in text.split(",") if w.strip()]
        if words == ["all"]:
            return cls.all()
        unknown = sorted(set(words) - set(cls.names()))
        if unknown:
            raise EffectsError(f"effects: unknown {unknown}; valid: all, {', '.join(cls.names())}")
        return cls(**dict.fromkeys(words, True))

    @property
    def sensor(self) -> bool:
        """Any effect of the cells themselves."""
        return self.zero_drift or self.creep or self.nonlinearity or self.invalid_samples


def hashed_uniform(key: np.ndarray, salt: float) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on `key` (any float array) and `salt`:
    per-step random sizes without a generator to carry from block to block."""
    x = np.sin(np.asarray(key, dtype=np.float64) * 12.9898 + salt * 78.233) * 43758.5453
    return x - np.floor(x)


def step_dynamics(
    step_phase: np.ndarray, seg_start_s: np.ndarray, rate_steps_per_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The therapist's walking dynamics, as shares of W, (n,) each: the m·a term (bob plus
    heel-strike pulse, summing to zero over a step) and the weight moved from the bars to
    the feet. step_phase: steps taken since the walk began (NaN: not walking);
    seg_start_s: start of the walk (seeds each step's sizes); rate_steps_per_s: cadence."""
    walking = np.isfinite(step_phase)
    ph = np.where(walking, step_phase, 0.0)
    k = np.floor(ph)
    frac = ph - k
    key = seg_start_s * 7.0 + k
    lo, hi = HEEL_STRIKE_SHARE
    peak = lo + (hi - lo) * hashed_uniform(key, 1.0)
    dur_lo, dur_hi = HEEL_STRIKE_S
    pulse_s = dur_lo + (dur_hi - dur_lo) * hashed_uniform(key, 2.0)
    step_s = 1.0 / np.maximum(rate_steps_per_s, 1e-9)
    pulse_frac = np.minimum(pulse_s / step_s, 1.0)
    inside = frac < pulse_frac
    pulse = np.where(inside, np.sin(np.pi * frac / np.where(inside, pulse_frac, 1.0)), 0.0)
    pulse = peak * (pulse - 2.0 / np.pi * pulse_frac)  # minus its mean over the step: no net m·a
    bob = BOB_SHARE * np.sin(2 * np.pi * frac)
    tlo, thi = STEP_TRANSFER_SHARE
    transfer = (tlo + (thi - tlo) * hashed_uniform(key, 3.0)) * 0.5 * (1 - np.cos(2 * np.pi * frac))
    return np.where(walking, bob + pulse, 0.0), np.where(walking, transfer, 0.0)


def hand_pull(t_s: np.ndarray, phases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n,) each: the hands' horizontal pull on the bars along and across the table, as
    shares of W (slow, irregular, within ±1.7 % and ±0.8 %). phases: (6,) seeded."""
    waves = [np.sin(2 * np.pi * t_s / p + phases[i]) for i, p in enumerate(PULL_PERIODS_S)]
    across = [np.sin(2 * np.pi * t_s / p + phases[3 + i]) for i, p in enumerate(PULL_PERIODS_S)]
    return PULL_ALONG_SHARE * sum(waves) / 3.0, PULL_ACROSS_SHARE * sum(across) / 3.0
