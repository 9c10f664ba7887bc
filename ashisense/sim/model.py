"""The simulated rig's physics: where the therapist and client are, and what each cell reads.

A scenario script (scenarios.py) says what the therapist and client do; this module turns
it into forces with the rig's geometry (bars hung from two mounts each, a platform on four
corner cells), then into raw counts (sensors.py) and optional pressure-grid frames
(imprint.py). Geometry and default calibration equal examples/sim_rig.toml, so a pipeline
using that file reads true newtons. Everything is vectorised over a block and seeded: the
same seed gives the same stream however it is chunked.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ashisense import __version__
from ashisense.errors import AshisenseError
from ashisense.sim import effects as fx
from ashisense.sim.imprint import FOOT_HALF_SPACING_M, GridRenderer, load_imprint
from ashisense.sim.scenarios import PHASE_CODE, PHASES, ScriptSample, Timeline, get_scenario
from ashisense.sim.sensors import SensorBank
from calibration.units import STANDARD_GRAVITY_M_S2
from firmware_bridge.blocks import joined_arrays

SIM_CHANNELS: tuple[str, ...] = (
    "bar_left_head",
    "bar_left_foot",
    "bar_right_head",
    "bar_right_foot",
    "mat_head_left",
    "mat_head_right",
    "mat_foot_left",
    "mat_foot_right",
)

# Rig geometry (table frame: x along the table from the head end, y across, 0 on the
# midline, negative on the left), as in examples/sim_rig.toml.
TABLE_LENGTH_M = 1.90
TABLE_WIDTH_M = 0.70
BAR_HEAD_MOUNT_X_M = 0.20
BAR_FOOT_MOUNT_X_M = 1.70
BAR_LEFT_Y_M = -0.45
BAR_RIGHT_Y_M = 0.45
MAT_CELL_XY_M: dict[str, tuple[float, float]] = {
    "mat_head_left": (0.05, -0.30),
    "mat_head_right": (0.05, 0.30),
    "mat_foot_left": (1.85, -0.30),
    "mat_foot_right": (1.85, 0.30),
}
# Default calibration: force (N) = (counts - offset_counts) * gain_n_per_count.
DEFAULT_GAIN_N_PER_COUNT: dict[str, float] = {
    "bar_left_head": 0.00186,
    "bar_left_foot": 0.00191,
    "bar_right_head": 0.00183,
    "bar_right_foot": 0.00188,
    "mat_head_left": 0.00093,
    "mat_head_right": 0.00095,
    "mat_foot_left": 0.00092,
    "mat_foot_right": 0.00094,
}
DEFAULT_OFFSET_COUNTS: dict[str, int] = {
    "bar_left_head": 8100,
    "bar_left_foot": -4200,
    "bar_right_head": 12300,
    "bar_right_foot": -950,
    "mat_head_left": 21500,
    "mat_head_right": -15800,
    "mat_foot_left": 3300,
    "mat_foot_right": 9800,
}
# Rated capacity of the cells (full scale for drift and temperature errors).
CAPACITY_N: dict[str, float] = {
    c: (100.0 if c.startswith("bar") else 200.0) * STANDARD_GRAVITY_M_S2 for c in SIM_CHANNELS
}

# The simulated client: where the body lies (scripts place feet in fractions of stature).
CLIENT_HEAD_X_M = 0.02  # top of the head
CLIENT_STATURE_M = 1.85
BREATH_HZ = 0.25
BREATH_FORCE_N = 0.8  # amplitude of the breathing force on the mat
BREATH_COP_M = 0.002  # amplitude of the breathing shift of the client's CoP along x
# The therapist never stands perfectly still: weight sways between bars and feet.
POSTURAL_SHARE = 0.012
POSTURAL_X_M = 0.003
HAND_MARGIN_M = 0.05  # hands stay this far inside the bar mounts

# Optional pressure grid over the whole table top, row 0 at the head end, column 0 left.
GRID_ROWS, GRID_COLS = 64, 27
GRID_RATE_HZ = 10.0
GRID_PA_PER_COUNT = 10.0
GRID_NOISE_COUNTS = 1.5

DEVICE_NAME = "AshiSense-Sim"
_STREAM_BODY = 21


class SimulatorError(AshisenseError, ValueError):
    """A simulator parameter out of range; the message names it and what was expected."""


def body_x_m(u: np.ndarray | float) -> np.ndarray:
    """Table x of a point at fraction `u` of the client's stature from the top of the head."""
    return CLIENT_HEAD_X_M + np.asarray(u) * CLIENT_STATURE_M


def grid_centres_m() -> tuple[np.ndarray, np.ndarray]:
    """Taxel centres of the pressure grid: x (rows,) and y (cols,) in the table frame."""
    x = (np.arange(GRID_ROWS) + 0.5) * (TABLE_LENGTH_M / GRID_ROWS)
    y = -TABLE_WIDTH_M / 2 + (np.arange(GRID_COLS) + 0.5) * (TABLE_WIDTH_M / GRID_COLS)
    return x, y


def _mat_distribution() -> tuple[np.ndarray, np.ndarray]:
    """Centroid (2,) of the mat cells and the matrix (4, 3) mapping [F, F·dx, F·dy] about it
    to cell forces: the least-norm split, which is what a rigid platform on equal springs
    does; it gives exactly the total force and both moments."""
    xy = np.array(list(MAT_CELL_XY_M.values()))
    centroid = xy.mean(axis=0)
    a = np.vstack([np.ones(len(xy)), (xy - centroid).T])
    return centroid, np.linalg.pinv(a)


@dataclass(frozen=True)
class SimTruth:
    """What really happened in a block, sample by sample; (n,) float64 unless noted.

    feet_n: vertical force of the therapist's feet on the client (N, 0 when off);
    feet_x_m, feet_y_m: its centroid (NaN where feet_n is 0). bar_left_n, bar_right_n:
    tension per bar; hand_left_x_m, hand_right_x_m: where each hand acts (NaN where that
    bar carries nothing). client_n: the client's force on the mat (weight, breathing,
    movement); client_x_m, client_y_m: its centre of pressure. off_rig_n: therapist weight
    carried by neither bars nor client (floor, stool). bar + feet + off_rig = W + m·a.
    therapist_on: (n,) bool. phase: (n,) int8 index into PHASES. channel_force_n: (n, 8)
    true force on every rig cell in SIM_CHANNELS order, whichever channels are exposed.
    Effects (0 where off): dynamic_n, the walking m·a (bob and heel strikes, in bar + feet);
    push_x_n, push_y_n: the feet's horizontal push on the client, acting
    effects.PUSH_HEIGHT_M above the mat cells (the hands pull the bars by the opposite).
    """

    PHASES: ClassVar[tuple[str, ...]] = PHASES

    t_s: np.ndarray
    feet_n: np.ndarray
    feet_x_m: np.ndarray
    feet_y_m: np.ndarray
    bar_left_n: np.ndarray
    bar_right_n: np.ndarray
    hand_left_x_m: np.ndarray
    hand_right_x_m: np.ndarray
    client_n: np.ndarray
    client_x_m: np.ndarray
    client_y_m: np.ndarray
    off_rig_n: np.ndarray
    therapist_on: np.ndarray
    phase: np.ndarray
    channel_force_n: np.ndarray
    dynamic_n: np.ndarray
    push_x_n: np.ndarray
    push_y_n: np.ndarray

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def in_phase(self, name: str) -> np.ndarray:
        """(n,) bool: samples in the named phase; raises ValueError for an unknown name."""
        if name not in PHASE_CODE:
            raise ValueError(f"unknown phase {name!r}; valid: {', '.join(PHASES)}")
        return self.phase == PHASE_CODE[name]

    @classmethod
    def concat(cls, parts: list[SimTruth]) -> SimTruth:
        """Join consecutive blocks' truths."""
        return cls(**joined_arrays(parts, (f.name for f in dataclasses.fields(cls))))


@dataclass(frozen=True)
class SimBlock:
    """n consecutive samples of the simulated rig.

    t_s: (n,) device time, s. counts: (n, C) int32 raw ADC counts of the exposed channels.
    invalid: (n, C) bool. truth: what really happened. grid_t_s (m,), grid (m, rows, cols)
    uint16: the grid frames due within the block, or None without a grid. sensor_error_n:
    (n, C) what the exposed cells read beyond the true force and the white noise (zero
    drift, temperature, creep, bend), N.
    """

    t_s: np.ndarray
    counts: np.ndarray
    invalid: np.ndarray
    truth: SimTruth
    sensor_error_n: np.ndarray
    grid_t_s: np.ndarray | None = None
    grid: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @classmethod
    def concat(cls, blocks: list[SimBlock]) -> SimBlock:
        """Join consecutive blocks."""
        grid_t = [b.grid_t_s for b in blocks if b.grid_t_s is not None]
        grids = [b.grid for b in blocks if b.grid is not None]
        return cls(
            **joined_arrays(blocks, ("t_s", "counts", "invalid", "sensor_error_n")),
            truth=SimTruth.concat([b.truth for b in blocks]),
            grid_t_s=np.concatenate(grid_t) if grid_t else None,
            grid=np.concatenate(grids) if grids else None,
        )


class RigSimulator:
    """A simulated rig: a scenario played endlessly, read through imperfect load cells.

    scenario: a name in SCENARIOS. rate_hz: sample rate. seed: everything random derives
    from it. grid: also render a GRID_ROWS × GRID_COLS pressure grid at GRID_RATE_HZ.
    channels: which rig cells the device exposes, in HELLO order. client_kg, therapist_kg:
    the people. gains_n_per_count, offsets_counts: (C,) calibration, default sim_rig.toml.
    noise_counts: white noise RMS per sample. drift: zero drift, temperature and creep.
    dead_channel: index into `channels` of a cell that reads -1, always invalid.
    effects: the real-rig effects to add (ashisense.sim.effects; default none).
    """

    def __init__(
        self,
        scenario: str = "calm",
        rate_hz: float = 80.0,
        seed: int = 0,
        grid: bool = False,
        channels: tuple[str, ...] = SIM_CHANNELS,
        client_kg: float = 70,
        therapist_kg: float = 65,
        gains_n_per_count: np.ndarray | None = None,
        offsets_counts: np.ndarray | None = None,
        noise_counts: float = 20.0,
        drift: bool = True,
        dead_channel: int | None = None,
        effects: fx.Effects | None = None,
    ) -> None:
        self.effects = effects or fx.Effects()
        self.channels = tuple(channels)
        unknown = [c for c in self.channels if c not in SIM_CHANNELS]
        if not self.channels or unknown or len(set(self.channels)) != len(self.channels):
            raise SimulatorError(
                f"RigSimulator: channels must be distinct names from {', '.join(SIM_CHANNELS)}; "
                f"got {list(self.channels)}"
            )
        n_ch = len(self.channels)
        _check_positive("rate_hz", rate_hz)
        _check_positive("client_kg", client_kg)
        _check_positive("therapist_kg", therapist_kg)
        if not (isinstance(seed, int | np.integer) and seed >= 0):
            raise SimulatorError(f"RigSimulator: seed must be an integer >= 0, got {seed!r}")
        if not (math.isfinite(noise_counts) and noise_counts >= 0):
            raise SimulatorError(f"RigSimulator: noise_counts must be >= 0, got {noise_counts!r}")
        if dead_channel is not None and not 0 <= dead_channel < n_ch:
            raise SimulatorError(
                f"RigSimulator: dead_channel must be in 0..{n_ch - 1}, got {dead_channel}"
            )
        gains = _per_channel(
            "gains_n_per_count",
            gains_n_per_count,
            [DEFAULT_GAIN_N_PER_COUNT[c] for c in self.channels],
        )
        if np.any(gains <= 0):
            raise SimulatorError(
                f"RigSimulator: gains_n_per_count must be > 0, got {gains.tolist()}"
            )
        offsets = _per_channel(
            "offsets_counts", offsets_counts, [DEFAULT_OFFSET_COUNTS[c] for c in self.channels]
        )
        self.scenario = get_scenario(scenario).name
        self.seed = int(seed)
        self.client_kg = float(client_kg)
        self.therapist_kg = float(therapist_kg)
        self._columns = np.array([SIM_CHANNELS.index(c) for c in self.channels])
        self._timeline = Timeline(
            get_scenario(scenario), self.seed, self.therapist_kg, self.effects
        )
        self._sensors = SensorBank(
            gains,
            offsets,
            np.array([CAPACITY_N[c] for c in self.channels]),
            noise_counts,
            drift,
            self.seed,
            rate_hz,
            dead_channel,
            self.effects,
        )
        self._grid: GridRenderer | None = None
        if grid:
            gx, gy = grid_centres_m()
            area = (TABLE_LENGTH_M / GRID_ROWS) * (TABLE_WIDTH_M / GRID_COLS)
            self._grid = GridRenderer(gx, gy, area, GRID_PA_PER_COUNT, GRID_NOISE_COUNTS, self.seed)
        imprint = load_imprint()
        gx, gy = grid_centres_m()
        self.client_rest_xy_m = (float(imprint.sum(axis=1) @ gx), float(imprint.sum(axis=0) @ gy))
        self._mat_centroid, self._mat_split = _mat_distribution()
        rng = np.random.default_rng([self.seed, _STREAM_BODY])
        self._phases = rng.uniform(0.0, 2 * np.pi, 5)
        self._pull_phases = rng.uniform(0.0, 2 * np.pi, 6)
        self._rate_hz = float(rate_hz)
        self._next = 0  # index of the next sample
        self._anchor = (0, 0.0)  # (sample index, device time) where the current rate began

    # -- device-facing ----------------------------------------------------------------------
    @property
    def rate_hz(self) -> float:
        return self._rate_hz

    @property
    def t_s(self) -> float:
        """Device time of the next sample, s."""
        k0, t0 = self._anchor
        return t0 + (self._next - k0) / self._rate_hz

    @property
    def hello(self) -> dict[str, Any]:
        """The PROTOCOL.md HELLO object of this device."""
        obj: dict[str, Any] = {
            "protocol": 1,
            "device": DEVICE_NAME,
            "serial": f"SIM-{self.seed}",
            "firmware": f"ashisense-sim {__version__}",
            "rate_hz": self._rate_hz,
            "channels": list(self.channels),
            "scenario": self.scenario,
        }
        if self._grid is not None:
            obj["grid"] = {
                "rows": GRID_ROWS,
                "cols": GRID_COLS,
                "rate_hz": GRID_RATE_HZ,
                "pa_per_count": GRID_PA_PER_COUNT,
            }
        return obj

    def set_rate(self, rate_hz: float) -> None:
        """Sample at a new rate from the next sample on."""
        _check_positive("rate_hz", rate_hz)
        self._anchor = (self._next, self.t_s)
        self._rate_hz = float(rate_hz)
        self._sensors.set_rate(rate_hz)

    def next_block(self, n: int) -> SimBlock:
        """The next n samples (and the grid frames due meanwhile), continuing the stream."""
        if n < 0:
            raise SimulatorError(f"RigSimulator.next_block: n must be >= 0, got {n}")
        k0, t0 = self._anchor
        first = self._next
        t = t0 + (np.arange(first, first + n) - k0) / self._rate_hz
        script = self._timeline.evaluate(t)
        truth, _ = self._physics(t, script)
        counts, invalid, error_n = self._sensors.counts(
            first, t, truth.channel_force_n[:, self._columns], script.fault_kind, script.fault_slot
        )
        self._next += n
        grid_t = grid = None
        if self._grid is not None:
            # Frame j is due at j / GRID_RATE_HZ; a block owns the frames due from its first
            # sample up to (not including) the next block's first sample.
            j1 = math.ceil(self.t_s * GRID_RATE_HZ)
            j0 = math.ceil(t[0] * GRID_RATE_HZ) if n else j1
            grid_t = np.arange(j0, j1) / GRID_RATE_HZ
            g_truth, (line_y, left_share) = self._physics(grid_t, self._timeline.evaluate(grid_t))
            force_map = self._grid.force_map_n(
                g_truth.client_n, g_truth.feet_n, g_truth.feet_x_m, line_y, left_share
            )
            grid = self._grid.frames(j0, force_map)
        return SimBlock(
            t_s=t,
            counts=counts,
            invalid=invalid,
            truth=truth,
            sensor_error_n=error_n,
            grid_t_s=grid_t,
            grid=grid,
        )

    # -- physics -------------------------------------------------------------------------------
    def _physics(
        self, t: np.ndarray, sc: ScriptSample
    ) -> tuple[SimTruth, tuple[np.ndarray, np.ndarray]]:
        """Forces and positions at times t from the script; also the feet's centre line y
        and the left foot's share (for the grid)."""
        w_n = self.therapist_kg * STANDARD_GRAVITY_M_S2
        p = self._phases
        sway = (
            np.sin(2 * np.pi * 0.31 * t + p[0]) + 0.6 * np.sin(2 * np.pi * 0.53 * t + p[1])
        ) / 1.6
        feet_share = sc.field("feet_share")
        off_share = sc.field("off_share")
        # Postural sway moves weight between bars and feet, never off either (∝ both shares).
        feet_share = (
            feet_share + POSTURAL_SHARE * 4 * feet_share * (1 - feet_share - off_share) * sway
        )
        bar_share = 1.0 - feet_share - off_share
        dyn_n = np.zeros(t.size)
        if self.effects.dynamics:
            dyn, transfer = fx.step_dynamics(sc.step_phase, sc.seg_start_s, sc.step_rate_hz)
            transfer = np.minimum(transfer, 0.5 * np.maximum(bar_share, 0.0))
            feet_share = feet_share + transfer
            bar_share = bar_share - transfer
            dyn_n = dyn * w_n
        carried = np.maximum(feet_share + bar_share, 1e-9)
        feet_n = np.maximum(
            feet_share * w_n
            + sc.dyn_feet_kgf * STANDARD_GRAVITY_M_S2
            + dyn_n * feet_share / carried,
            0.0,
        )
        bar_n = np.maximum(bar_share * w_n + dyn_n * bar_share / carried, 0.0)
        on = sc.phase != PHASE_CODE["off"]
        push_x, push_y = np.zeros(t.size), np.zeros(t.size)
        if self.effects.hand_pull:
            pull_x, pull_y = fx.hand_pull(t, self._pull_phases)
            both = (feet_n > 0) & (bar_n > 0)
            push_x, push_y = np.where(both, -pull_x * w_n, 0.0), np.where(both, -pull_y * w_n, 0.0)

        feet_x = body_x_m(sc.field("feet_u")) + POSTURAL_X_M * np.sin(2 * np.pi * 0.23 * t + p[2])
        line_y = sc.field("feet_y_m")
        feet_y = line_y + sc.sway_y_m
        left_share = np.clip(0.5 - sc.sway_y_m / (2 * FOOT_HALF_SPACING_M), 0.0, 1.0)

        balance = sc.field("balance_left")
        bar_left = balance * bar_n
        bar_right = bar_n - bar_left
        lo, hi = BAR_HEAD_MOUNT_X_M + HAND_MARGIN_M, BAR_FOOT_MOUNT_X_M - HAND_MARGIN_M
        hand_left = np.clip(feet_x + sc.field("hand_left_dx_m"), lo, hi)
        hand_right = np.clip(feet_x + sc.field("hand_right_dx_m"), lo, hi)

        breath = 2 * np.pi * BREATH_HZ * t + 1.2 * np.sin(2 * np.pi * t / 61.0 + p[3]) + p[4]
        client_n = (
            self.client_kg * STANDARD_GRAVITY_M_S2
            + BREATH_FORCE_N * np.sin(breath)
            + sc.dyn_client_kgf * STANDARD_GRAVITY_M_S2
        )
        rest_x, rest_y = self.client_rest_xy_m
        breath_m = fx.BREATH_COP_M if self.effects.breathing else BREATH_COP_M
        client_x = rest_x + sc.field("client_dx_m") + breath_m * np.cos(breath)
        client_y = rest_y + sc.field("client_dy_m")

        force = np.empty((t.size, len(SIM_CHANNELS)))
        span = BAR_FOOT_MOUNT_X_M - BAR_HEAD_MOUNT_X_M
        for col, (f, x) in enumerate(((bar_left, hand_left), (bar_right, hand_right))):
            force[:, 2 * col] = f * (BAR_FOOT_MOUNT_X_M - x) / span  # lever rule
            force[:, 2 * col + 1] = f * (x - BAR_HEAD_MOUNT_X_M) / span
        cx, cy = self._mat_centroid
        loads = np.stack(
            [
                client_n + feet_n,
                client_n * (client_x - cx) + feet_n * (feet_x - cx) + push_x * fx.PUSH_HEIGHT_M,
                client_n * (client_y - cy) + feet_n * (feet_y - cy) + push_y * fx.PUSH_HEIGHT_M,
            ],
            axis=1,
        )
        # Elementwise, not `@`: BLAS may round differently for different block lengths.
        for i, weights in enumerate(self._mat_split):
            force[:, 4 + i] = (
                loads[:, 0] * weights[0] + loads[:, 1] * weights[1] + loads[:, 2] * weights[2]
            )

        truth = SimTruth(
            t_s=t,
            feet_n=feet_n,
            feet_x_m=np.where(feet_n > 0, feet_x, np.nan),
            feet_y_m=np.where(feet_n > 0, feet_y, np.nan),
            bar_left_n=bar_left,
            bar_right_n=bar_right,
            hand_left_x_m=np.where(bar_left > 0, hand_left, np.nan),
            hand_right_x_m=np.where(bar_right > 0, hand_right, np.nan),
            client_n=client_n,
            client_x_m=client_x,
            client_y_m=client_y,
            off_rig_n=off_share * w_n,
            therapist_on=on,
            phase=sc.phase,
            channel_force_n=force,
            dynamic_n=dyn_n,
            push_x_n=push_x,
            push_y_n=push_y,
        )
        return truth, (line_y, left_share)


def _check_positive(name: str, value: float) -> None:
    if not (
        isinstance(value, int | float | np.floating | np.integer)
        and math.isfinite(value)
        and value > 0
    ):
        raise SimulatorError(f"RigSimulator: {name} must be a positive number, got {value!r}")


def _per_channel(name: str, given: np.ndarray | None, default: list[float]) -> np.ndarray:
    """A per-channel array of the right length, or the default."""
    arr = np.asarray(default if given is None else given, dtype=np.float64)
    if arr.shape != (len(default),) or not np.all(np.isfinite(arr)):
        raise SimulatorError(
            f"RigSimulator: {name} must be {len(default)} finite numbers (one per channel), "
            f"got shape {arr.shape}"
        )
    return arr
