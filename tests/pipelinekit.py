"""Helpers for the pipeline tests: exact scenes turned into the counts a rig would read, and the
pipeline as a firmware_bridge Listener (blocks in, estimates out to sinks)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from ashisense.pipeline.core import Pipeline
from ashisense.pipeline.types import SERIES, EstimateBlock, GridEstimate
from ashisense.profiles import ClientProfile, FootAreas, TherapistProfile
from ashisense.rig import Rig, load_rig
from calibration.units import STANDARD_GRAVITY_M_S2
from firmware_bridge.blocks import Gap, GridBlock, SampleBlock
from firmware_bridge.listener import Listener
from firmware_bridge.protocol import Hello
from tests.simfeedkit import sample_block

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DATA = Path(__file__).resolve().parent / "data"
RATE_HZ = 80.0
CLIENT = ClientProfile(id="c", weight_kg=70.0, height_m=1.85, head_x_m=0.02)
THERAPIST = TherapistProfile(
    id="t", weight_kg=65.0, foot_area_cm2=FootAreas(whole_foot=140.0, heel=40.0, forefoot=55.0)
)
W_N = 65.0 * STANDARD_GRAVITY_M_S2
CLIENT_N = 70.0 * STANDARD_GRAVITY_M_S2
log = logging.getLogger(__name__)


def rig(name: str = "sim_rig") -> Rig:
    return load_rig(EXAMPLES / f"{name}.toml")


def mat_split(rig: Rig, force_n: np.ndarray, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
    """(n, M) forces on the mat cells that give total force_n acting at (x_m, y_m)."""
    cells = np.array([[c.x_m, c.y_m] for c in rig.channel if c.role == "mat"])
    a = np.vstack([np.ones(len(cells)), cells.T])  # [sum f; sum f x; sum f y]
    loads = np.column_stack([force_n, force_n * x_m, force_n * y_m])
    return loads @ np.linalg.pinv(a).T


def scene(
    rig: Rig,
    n: int,
    *,
    client_n: float | np.ndarray = CLIENT_N,
    client_xy: tuple[float, float] = (0.80, 0.0),
    feet_n: float | np.ndarray = 0.0,
    feet_xy: tuple[np.ndarray | float, np.ndarray | float] = (0.6, 0.08),
    bar_left_n: float | np.ndarray = 0.0,
    bar_right_n: float | np.ndarray = 0.0,
    hands_x: tuple[float, float] = (0.7, 0.9),
) -> np.ndarray:
    """(n, C) true force on every channel of `rig` (rig order) for a static-or-scripted scene."""
    one = np.ones(n)
    out = np.zeros((n, len(rig.channel)))
    mats = rig.index("mat")
    if mats:
        cx, cy = client_xy
        fx, fy = (np.asarray(v) * one for v in feet_xy)
        out[:, mats] = mat_split(rig, client_n * one, cx * one, cy * one) + mat_split(
            rig, feet_n * one, fx, fy
        )
    if rig.bars is not None:
        b = rig.bars
        span = b.foot_mount_x_m - b.head_mount_x_m
        for side, f, x in (("left", bar_left_n, hands_x[0]), ("right", bar_right_n, hands_x[1])):
            head = rig.index("bar", side=side, end="head")
            foot = rig.index("bar", side=side, end="foot")
            out[:, head] = (f * one * (b.foot_mount_x_m - x) / span)[:, None]
            out[:, foot] = (f * one * (x - b.head_mount_x_m) / span)[:, None]
    return out


def counts(rig: Rig, force_n: np.ndarray) -> np.ndarray:
    """Counts that read back as force_n (rounded to the nearest count)."""
    return np.rint(force_n / rig.gains_n_per_count + rig.offsets_counts).astype(np.int32)


def block(
    rig: Rig,
    force_n: np.ndarray,
    first: int = 0,
    invalid: np.ndarray | None = None,
    rate_hz: float = RATE_HZ,
) -> SampleBlock:
    """A SampleBlock of these forces starting at sample `first`."""
    n = force_n.shape[0]
    t = (first + np.arange(n)) / rate_hz
    bad = np.zeros(force_n.shape, dtype=bool) if invalid is None else invalid
    return sample_block(t, counts(rig, force_n), bad, rig.channels, first)


class PipelineListener(Listener):
    """Runs a Pipeline on the dispatcher thread and hands each estimate to every sink.

    on_hello checks the device's channels against the rig (RigMismatchError otherwise, which
    the dispatcher hands back to on_error, and on to the error sinks) and sets the sample rate;
    a gap restarts the windows and filters so that nothing is bridged across lost samples.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        sinks: Iterable[Callable[[EstimateBlock], None]] = (),
        grid_sinks: Iterable[Callable[[GridEstimate], None]] = (),
        error_sinks: Iterable[Callable[[BaseException], None]] = (),
    ) -> None:
        self.pipeline = pipeline
        self.sinks = list(sinks)
        self.grid_sinks = list(grid_sinks)
        self.error_sinks = list(error_sinks)

    def on_hello(self, hello: Hello) -> None:
        self.pipeline.rig.check_channels(hello.channels)  # raises RigMismatchError
        self.pipeline.set_rate(hello.rate_hz)

    def on_block(self, block: SampleBlock) -> None:
        est = self.pipeline.process(block)
        for sink in self.sinks:
            sink(est)

    def on_grid(self, grid: GridBlock) -> None:
        est = self.pipeline.process_grid(grid)
        for sink in self.grid_sinks:
            sink(est)

    def on_gap(self, gap: Gap) -> None:
        log.debug("gap of %s samples (%s): restarting windows and filters", gap.lost, gap.reason)
        self.pipeline.reset_stream()

    def on_error(self, exc: BaseException) -> None:
        for sink in self.error_sinks:
            sink(exc)


def estimate_block(
    t_s: np.ndarray, fill: float, pressure_basis: str, **series: object
) -> EstimateBlock:
    """An estimate block at t_s: every series at fill and one channel, a 640 N therapist and
    a 700 N client, unless given in series (the alarms', presses' and frames' input)."""
    n = len(t_s)
    fields: dict[str, object] = {name: np.full(n, fill) for name in SERIES}
    fields.update(
        t_s=t_s,
        region=np.full(n, 3, np.int8),
        no_go=np.zeros(n, bool),
        uncertain=np.zeros(n, bool),
        uncertain_reason=np.zeros(n, np.uint16),
        channels=("a",),
        force_n=np.ones((n, 1)),
        pressure_basis=pressure_basis,
        baseline_ready=True,
        client_n=700.0,
        client_cop_x_m=0.9,
        client_cop_y_m=0.0,
        therapist_weight_n=640.0,
        weight_source="profile",
    )
    fields.update(series)
    return EstimateBlock(**fields)  # type: ignore[arg-type]
