"""Feed the simulated rig's blocks to the pipeline without the wire, and score the estimates
against the simulator's truth (tests, benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ashisense.bodymap import BodyMap
from ashisense.pipeline.core import Pipeline
from ashisense.pipeline.types import EstimateBlock
from ashisense.profiles import ClientProfile, FootAreas, TherapistProfile
from ashisense.sim.model import CLIENT_HEAD_X_M, CLIENT_STATURE_M, RigSimulator, SimTruth
from firmware_bridge.blocks import GridBlock, SampleBlock


def sample_block(
    t_s: np.ndarray,
    counts: np.ndarray,
    invalid: np.ndarray,
    channels: tuple[str, ...],
    first_seq: int = 0,
) -> SampleBlock:
    """A SampleBlock with t_s as both host and device time and consecutive seq numbers."""
    n = t_s.shape[0]
    return SampleBlock(
        t_s=np.asarray(t_s, dtype=np.float64),
        t_device_s=np.asarray(t_s, dtype=np.float64),
        seq=np.arange(first_seq, first_seq + n, dtype=np.int64),
        counts=np.asarray(counts, dtype=np.int32),
        invalid=np.asarray(invalid, dtype=bool),
        channels=tuple(channels),
    )


def grid_block(t_s: np.ndarray, frames: np.ndarray, first_seq: int = 0) -> GridBlock:
    """A GridBlock of uint16 frames (n, rows, cols) at times t_s."""
    n = t_s.shape[0]
    return GridBlock(
        t_s=np.asarray(t_s, dtype=np.float64),
        seq=np.arange(first_seq, first_seq + n, dtype=np.int64),
        values=np.asarray(frames, dtype=np.uint16),
    )


def sim_profiles(
    client_kg: float = 70.0, therapist_kg: float = 65.0
) -> tuple[ClientProfile, TherapistProfile]:
    """Profiles of the simulated people (the simulator's client lies with its head at 0.02 m)."""
    client = ClientProfile(
        id="sim-client", weight_kg=client_kg, height_m=CLIENT_STATURE_M, head_x_m=CLIENT_HEAD_X_M
    )
    therapist = TherapistProfile(
        id="sim-therapist",
        weight_kg=therapist_kg,
        foot_area_cm2=FootAreas(whole_foot=140.0, heel=40.0, forefoot=55.0),
    )
    return client, therapist


def run_sim(
    pipeline: Pipeline, sim: RigSimulator, seconds: float, block_samples: int = 80
) -> tuple[EstimateBlock, SimTruth]:
    """Feed `seconds` of the simulator to the pipeline; the estimates and the truth, joined."""
    ests, truths = [], []
    done = 0
    total = round(seconds * sim.rate_hz)
    while done < total:
        b = sim.next_block(min(block_samples, total - done))
        ests.append(pipeline.process(sample_block(b.t_s, b.counts, b.invalid, sim.channels, done)))
        truths.append(b.truth)
        done += len(b)
    return EstimateBlock.concat(ests), SimTruth.concat(truths)


@dataclass(frozen=True)
class Accuracy:
    """Errors of the estimates against the truth in one phase (NaN where not applicable).

    samples: in the phase with the therapist's feet on the client. used: of those, estimated
    (and not flagged uncertain when only_certain). force_rms_pct: feet force RMS error, % of
    the therapist's weight. position_rms_m: feet position RMS error. region_ok: fraction of
    samples farther than 2 cm from a region border whose region is right.
    """

    samples: int
    used: int
    force_rms_pct: float
    position_rms_m: float
    region_ok: float


def accuracy(
    est: EstimateBlock,
    truth: SimTruth,
    phase: str,
    weight_n: float,
    body: BodyMap | None,
    only_certain: bool = False,
) -> Accuracy:
    """Compare estimates with the simulator's truth over one phase."""
    sel = truth.in_phase(phase) & (truth.feet_n > 0)
    sel_used = sel & np.isfinite(est.feet_n) & ~(est.uncertain & only_certain)
    err_n = est.feet_n[sel_used] - truth.feet_n[sel_used]
    dx = est.feet_x_m[sel_used] - truth.feet_x_m[sel_used]
    dy = est.feet_y_m[sel_used] - truth.feet_y_m[sel_used]
    pos = np.hypot(dx, dy)
    pos = pos[np.isfinite(pos)]
    region_ok = np.nan
    if body is not None:
        tx, ty = truth.feet_x_m[sel_used], truth.feet_y_m[sel_used]
        away = body.border_distance_m(tx, ty) > 0.02
        if away.any():
            region_ok = float(np.mean(body.classify(tx, ty)[away] == est.region[sel_used][away]))
    return Accuracy(
        samples=int(sel.sum()),
        used=int(sel_used.sum()),
        force_rms_pct=float(np.sqrt(np.mean(err_n**2)) / weight_n * 100) if err_n.size else np.nan,
        position_rms_m=float(np.sqrt(np.mean(pos**2))) if pos.size else np.nan,
        region_ok=region_ok,
    )
