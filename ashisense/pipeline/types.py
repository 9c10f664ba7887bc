"""Output containers of the live pipeline: time-major, NaN where unknown, frozen.

Other parts (alarms, recorder, dashboard) code against these names; change them only together.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import Any

import numpy as np


class Uncertain(enum.IntFlag):
    """Why a sample's feet estimate is uncertain; bits of EstimateBlock.uncertain_reason."""

    INVALID_INPUT = 1  # a channel needed for the estimate was invalid in this sample
    NO_BASELINE = 2  # no client baseline yet: mat feet force / position unknown
    FEET_NEAR_ZERO = 4  # feet force within the noise: position and region undefined
    CLIENT_MOVING = 8  # the client shifted (mat moment moved without feet/bar change)
    SUPPORT_MISMATCH = 16  # F_bar + F_feet disagrees with W_t beyond dynamics (foot off the mat?)
    NO_WEIGHT = 32  # bars-only rig without a known therapist weight
    MOVING = 64  # someone accelerates: F_bar + F_feet differs from W_t (not statics)
    SATURATED = 128  # a channel sat at its rail
    BARS_UNLOADED = 256  # bars-only rig, nobody holds the bars: W_t - F_bar assumes feet on client
    CLIENT_SHIFT = 512  # the client slid under the therapist: positions wait for a new baseline
    MAT_ZERO_OLD = 1024  # the mat zero has not been confirmed for mat_zero_max_age_s


def reason_names(code: int) -> tuple[str, ...]:
    """Names of the Uncertain bits set in `code`, e.g. ('FEET_NEAR_ZERO',)."""
    return tuple(f.name for f in Uncertain if f.name and code & f)


def unknown(n: int) -> np.ndarray:
    """(n,) float64 NaN: a figure unknown at every sample (or one this rig cannot give)."""
    out = np.empty(n)
    out.fill(np.nan)  # (np.full's Python-level checks cost more than this on every block)
    return out


@dataclass(frozen=True)
class EstimateBlock:
    """Estimates for one SampleBlock, sample by sample (same length n and times).

    Units: forces in newtons (N), positions in metres in the table frame (x along the table
    from the head end, y across, 0 on the midline, negative on the left), pressure in kPa,
    times in seconds since the Unix epoch (host time, as SampleBlock.t_s). Every (n,) array is
    float64 unless said otherwise; NaN means unknown or invalid, never 0.

    t_s: (n,) sample times. channels: names of force_n's columns (rig order).
    force_n: (n, C) calibrated force per channel (bar channels after zero tracking).
    mat_n: total mat force. cop_x_m, cop_y_m: mat centre of pressure (client + feet).
    bar_left_n, bar_right_n, bar_n: bar tension per bar and total (therapist's hands).
    hand_left_x_m, hand_right_x_m: where along each bar the hand acts (lever rule).
    bar_left_share: bar_left_n / bar_n in [0, 1].
    feet_n: best feet force: the mat's (direct, right through steps and peaks) where it has a
    valid sample, else the bars' (a mat sample invalid; bars-only rigs). feet_mat_n:
    F_mat - F_c. feet_bar_n: W_t - F_bar (statics: off by m*a while someone accelerates).
    feet_x_m, feet_y_m: where the feet act (NaN near zero force or without a baseline).
    feet_display_n: feet_n low-passed for display (peaks come from feet_n).
    region: (n,) int8 index into ashisense.bodymap.REGIONS, -1 where the position is unknown.
    no_go: (n,) bool, feet in a no-go region of this client (False where unknown).
    support_n: bar_n + feet_n. support_ratio: support_n / W_t (about 1 when standing still).
    pressure_kpa: feet force / contact area; pressure_basis says where the area came from
    ("profile:whole_foot", "profile:heel", "profile:forefoot", "grid", or "none").
    uncertain: (n,) bool, uncertain_reason: (n,) uint16 bits of Uncertain.
    baseline_ready: a client baseline was in use for this block.
    client_n, client_cop_x_m, client_cop_y_m: that baseline (NaN without one).
    therapist_weight_n: W_t in use (NaN unknown); weight_source: "profile", "estimated", "none".
    mat_zero_age_s: at the block's last sample, how long ago the mat zero was last confirmed
    (a client baseline taken or refreshed, or bars + mat balancing against the known
    weights), s; NaN without a mat or before any.
    client_shift_observable: whether this rig can tell a client sliding under the therapist
    (CLIENT_SHIFT): full rigs with both hands' mounts; a mat-only or bars-only rig cannot.
    """

    t_s: np.ndarray
    channels: tuple[str, ...]
    force_n: np.ndarray
    mat_n: np.ndarray
    cop_x_m: np.ndarray
    cop_y_m: np.ndarray
    bar_left_n: np.ndarray
    bar_right_n: np.ndarray
    bar_n: np.ndarray
    hand_left_x_m: np.ndarray
    hand_right_x_m: np.ndarray
    bar_left_share: np.ndarray
    feet_n: np.ndarray
    feet_mat_n: np.ndarray
    feet_bar_n: np.ndarray
    feet_x_m: np.ndarray
    feet_y_m: np.ndarray
    feet_display_n: np.ndarray
    region: np.ndarray
    no_go: np.ndarray
    support_n: np.ndarray
    support_ratio: np.ndarray
    pressure_kpa: np.ndarray
    pressure_basis: str
    uncertain: np.ndarray
    uncertain_reason: np.ndarray
    baseline_ready: bool
    client_n: float
    client_cop_x_m: float
    client_cop_y_m: float
    therapist_weight_n: float
    weight_source: str
    mat_zero_age_s: float = math.nan
    client_shift_observable: bool = False

    def __post_init__(self) -> None:
        fields = self.__dict__  # (faster than getattr: this runs on every live block)
        n = self.t_s.shape[0]
        c = len(self.channels)
        if self.force_n.shape != (n, c):
            raise ValueError(
                f"EstimateBlock.force_n: expected shape {(n, c)}, got {self.force_n.shape}"
            )
        want = (n,)
        for name in SERIES:
            shape = fields[name].shape
            if shape != want:
                raise ValueError(f"EstimateBlock.{name}: expected shape {want}, got {shape}")

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @classmethod
    def of_pipeline(cls, **fields: Any) -> EstimateBlock:
        """An EstimateBlock the pipeline made, every field given and the shapes right by
        construction: without the per-field setattr and the shape checks of __init__ (this
        runs on every live block; dataclasses.replace() on it checks them)."""
        est = object.__new__(cls)
        est.__dict__.update(fields)
        return est

    @classmethod
    def concat(cls, blocks: list[EstimateBlock]) -> EstimateBlock:
        """Join consecutive blocks; per-block scalars (baseline, weight, basis) are the last's."""
        if not blocks:
            raise ValueError("EstimateBlock.concat: no blocks")
        last = blocks[-1]
        joined: dict[str, Any] = {
            name: np.concatenate([getattr(b, name) for b in blocks]) for name in SERIES
        }
        joined["force_n"] = np.concatenate([b.force_n for b in blocks])
        scalars = {
            f.name: getattr(last, f.name) for f in dataclasses.fields(cls) if f.name not in joined
        }
        return cls(**joined, **scalars)


# The per-sample (n,) fields of EstimateBlock, in declaration order (for recorders and exports).
SERIES: tuple[str, ...] = (
    "t_s",
    "mat_n",
    "cop_x_m",
    "cop_y_m",
    "bar_left_n",
    "bar_right_n",
    "bar_n",
    "hand_left_x_m",
    "hand_right_x_m",
    "bar_left_share",
    "feet_n",
    "feet_mat_n",
    "feet_bar_n",
    "feet_x_m",
    "feet_y_m",
    "feet_display_n",
    "region",
    "no_go",
    "support_n",
    "support_ratio",
    "pressure_kpa",
    "uncertain",
    "uncertain_reason",
)


@dataclass(frozen=True)
class GridEstimate:
    """Estimates for one GridBlock (n frames of rows x cols taxels, row 0 at the head end).

    Pressures are in kPa when the rig's grid has `kpa_per_count`, else in raw grid units
    (`unit` says which: "kPa" or "raw"); forces then are NaN and `load` carries the raw sum.
    t_s: (n,) frame times. valid: (n,) bool, False for rejected (corrupt) frames, whose
    figures are all NaN. added: (n, rows, cols) float32 baseline-subtracted added pressure
    (NaN in rejected frames and saturated taxels are kept at their rail value).
    peak: (n,) max added pressure. area_m2: (n,) area above the threshold. load: (n,) sum of
    added pressure x taxel area (N when unit is kPa, raw units x m^2 otherwise).
    saturated: (n,) int32 count of taxels at the saturation value.
    Blobs (per-foot contacts, largest first, up to MAX_BLOBS, NaN where absent):
    blob_load (n, B) as `load`; blob_force_n (n, B); blob_area_m2 (n, B);
    blob_x_m, blob_y_m (n, B) load-weighted centroids in the table frame;
    n_blobs (n,) int16. baseline_ready: a grid baseline was in use.
    """

    t_s: np.ndarray
    valid: np.ndarray
    added: np.ndarray
    unit: str
    peak: np.ndarray
    area_m2: np.ndarray
    load: np.ndarray
    saturated: np.ndarray
    n_blobs: np.ndarray
    blob_load: np.ndarray
    blob_force_n: np.ndarray
    blob_area_m2: np.ndarray
    blob_x_m: np.ndarray
    blob_y_m: np.ndarray
    baseline_ready: bool

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


MAX_BLOBS = 2


@dataclass(frozen=True)
class PipelineState:
    """A summary of what the pipeline holds (for the dashboard and logs).

    rig_kind: "full", "bars" or "mat". baseline_ready / client_*: the client baseline.
    baseline_status: "waiting", "settling", "ready" or "refused: <why>".
    therapist_weight_n / weight_source: W_t in use. bar_zero_n: zero-tracking correction
    per bar channel (N, added to the calibrated force). samples: samples processed so far.
    last_t_s: time of the last sample (NaN before any). grid_baseline_ready: grid zeroed.
    client_shift_observable: the rig can tell a client sliding under the therapist.
    """

    rig_kind: str
    baseline_ready: bool
    baseline_status: str
    client_n: float
    client_cop_x_m: float
    client_cop_y_m: float
    therapist_weight_n: float
    weight_source: str
    bar_zero_n: dict[str, float]
    samples: int
    last_t_s: float
    grid_baseline_ready: bool
    client_shift_observable: bool = False
