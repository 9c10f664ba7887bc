"""The live pipeline: SampleBlock in, EstimateBlock out, state carried from block to block.

One code path for live, replay and tests: feed blocks of any size in order; results do not
depend on how the stream was cut (windows are evaluated at every sample). Each block goes
through named stages, each in its own module: counts to forces (forces.py), the bars
(bars.py), the mat and client baseline (mat.py, with weight.py), feet force and support
(fusion.py), region and pressure (placement.py); the uncertainty flags (flags.py) collect what
each stage doubts.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from ashisense.pipeline.bars import BarStage, hand_mounts
from ashisense.pipeline.baseline import (
    BaselineRefused,
    BaselineState,
    BaselineStateError,
    ClientBaseline,
    StateKind,
    StoredClientBaseline,
)
from ashisense.pipeline.flags import new_flags, reason_codes
from ashisense.pipeline.forces import CountsToForces
from ashisense.pipeline.fusion import FusionStage
from ashisense.pipeline.grid import GridAnalyzer
from ashisense.pipeline.mat import MatForces, MatStage
from ashisense.pipeline.placement import PlacementStage
from ashisense.pipeline.settings import PipelineSettings
from ashisense.pipeline.types import EstimateBlock, GridEstimate, PipelineState, unknown
from ashisense.pipeline.weight import TherapistWeight
from ashisense.profiles import ClientProfile, TherapistProfile
from ashisense.rig import Rig, RigMismatchError
from firmware_bridge.blocks import GridBlock, SampleBlock

log = logging.getLogger(__name__)

DEFAULT_RATE_HZ = 80.0
#: Baseline changes held for baseline_changes() between calls (the oldest go first).
MAX_BASELINE_CHANGES = 1024


class Pipeline:
    """Estimates feet force, position, region and pressure from a rig's blocks.

    rig: a resolved Rig (calibration loaded). client / therapist: profiles, optional (without
    a client there are no regions; without a therapist weight a bars-only rig has no feet force
    and pressure has no area). rate_hz: nominal sample rate (HELLO); else the rig file's, else
    inferred from the first block. Thread-safe: process() and take_baseline() may come from
    different threads.

    What the raw counts after a moment cannot tell again (the client baseline, the bar
    zeros) is available as data: baseline_state() now, baseline_changes() as it changes,
    restore_baseline() into another pipeline (a replay starting where the live one stood).
    """

    def __init__(
        self,
        rig: Rig,
        client: ClientProfile | None = None,
        therapist: TherapistProfile | None = None,
        *,
        rate_hz: float | None = None,
        settings: PipelineSettings | None = None,
    ) -> None:
        if not rig.resolved:
            raise RigMismatchError(
                f"{rig.source}: calibration file not loaded: use rig.for_device(serial, channels)"
            )
        self.rig, self.client, self.therapist = rig, client, therapist
        self.settings = settings or PipelineSettings()
        self.body = client.body_map() if client else None
        self._lock = threading.Lock()
        self._kind = rig.kind
        self._channels = rig.channels
        self._bar_names = tuple(rig.channels[i] for i in rig.index("bar"))
        self._has_mat = bool(rig.index("mat"))
        both_hands = all(pair is not None for pair in hand_mounts(rig))
        self._watch_motion = self._kind == "full" and both_hands
        # W_t from still windows: a full rig without a therapist profile.
        self._estimate_weight = self._kind == "full" and therapist is None
        self._weight = TherapistWeight(therapist.weight_n if therapist else None, self.settings)
        self._forces = CountsToForces(rig)
        area = (therapist.contact_area_m2(), f"profile:{therapist.contact}") if therapist else None
        self._placement = PlacementStage(self.body, area, self.settings.grid_hold_s)
        self._grid = GridAnalyzer(rig.grid, auto_baseline=not self._has_mat) if rig.grid else None
        # The stages with streaming state, built for a sample rate by _start().
        self._bars: BarStage | None = None
        self._mat: MatStage | None = None
        self._fusion: FusionStage | None = None
        self._samples = 0
        self._last_t_s = np.nan
        self._rate_hz = rate_hz or rig.device.rate_hz
        self._started = False
        self._initial: BaselineState | None = None  # restored before the first block
        self._changes: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=MAX_BASELINE_CHANGES
        )
        # What baseline_changes() last reported (identity: each change is a new object).
        self._told_client: ClientBaseline | None = None
        self._told_zero: np.ndarray | None = None

    # --- set-up -------------------------------------------------------------------------
    def _start(self, rate_hz: float) -> None:
        """Build the stages for this rate; after the first start, each new one keeps what its
        predecessor learnt (bar zeros, client baseline, client-moved flag)."""
        s = self.settings
        self._rate_hz = rate_hz
        self._fusion = FusionStage(self._kind, s, rate_hz)
        if self._bar_names:
            self._bars = BarStage(self.rig, s, rate_hz, carry=self._bars)
        if self._has_mat:
            client_w = self.client.weight_n if self.client else None
            self._mat = MatStage(
                self.rig,
                s,
                rate_hz,
                client_w,
                watch_motion=self._watch_motion,
                therapist_weight_n=self.therapist.weight_n if self.therapist else None,
                carry=self._mat,
            )
        if not self._started:  # (set_rate rebuilds with the values reported so far)
            self._told_zero = self._bars.zero.correction_n if self._bars is not None else None
        self._started = True
        if self._initial is not None:
            self._hold(self._initial, "start")
            self._initial = None

    # --- public -------------------------------------------------------------------------
    @property
    def weight_n(self) -> tuple[float, str]:
        """Therapist weight in use (N) and its source: "profile", "estimated" or "none"."""
        return self._weight.current()

    def take_baseline(self) -> ClientBaseline:
        """Take the client baseline from the last window now (used from the next block).

        Raises BaselineRefused saying why when the last window does not qualify (settling,
        bars loaded, no client, someone else on the mat) or the rig has no mat.
        """
        with self._lock:
            if not self._has_mat:
                raise BaselineRefused(f"{self.rig.source}: baseline refused: the rig has no mat")
            if self._mat is None:
                raise BaselineRefused(f"{self.rig.source}: baseline refused: no samples yet")
            taken = self._mat.tracker.take_now(self.rig.source)
            self._mat.restart_shift()
            if self._grid is not None:
                self._grid.request_baseline()
            self._tell("on request", self._last_t_s)
            return taken

    def reset_baseline(self) -> None:
        """Drop the client baseline (a new client): the next stable window sets a new one."""
        with self._lock:
            if self._mat is not None:
                self._mat.tracker.reset()
                self._mat.restart_shift()
                self._tell("reset", self._last_t_s)

    def baseline_state(self) -> dict[str, Any]:
        """The client baseline (F_c, CoP_c, when and how taken), the bar zero corrections,
        the estimated therapist weight and the client-moved flag in force now, as JSON-able
        data (a BaselineState of kind "start"): what a recording keeps so that a replay can
        start where this pipeline stood (restore_baseline)."""
        with self._lock:
            return self._snapshot("start", self._last_t_s).model_dump()

    def baseline_changes(self) -> list[dict[str, Any]]:
        """The baseline states reported since the last call, oldest first, each a full
        BaselineState whose kind says why (a first automatic baseline, one on request, a
        reset, the automatic tracking settled) and whose t_s says from when: a recorder keeps
        them so that a replay re-applies them at the same moments."""
        with self._lock:
            changes = list(self._changes)
            self._changes.clear()
            return changes

    def restore_baseline(self, state: Mapping[str, Any]) -> None:
        """Hold, from the next block on, a state from baseline_state() (all of it: the client
        baseline, bar zeros, estimated therapist weight, client-moved flag) or a change from
        baseline_changes() (what it changed: the client baseline, or for "zeroed" the bar
        zeros); the automatic tracking goes on from there. Raises BaselineStateError
        when `state` is not one, or is another rig's."""
        where = f"{self.rig.source}: restore_baseline"
        parsed = BaselineState.parse(state, where)
        if set(parsed.bar_zero_n) != set(self._bar_names):
            raise BaselineStateError(
                f"{where}: baseline state field 'bar_zero_n': expected the bar channels "
                f"{sorted(self._bar_names)}, got {sorted(parsed.bar_zero_n)}"
            )
        if parsed.client is not None and not self._has_mat:
            raise BaselineStateError(
                f"{where}: baseline state field 'client': expected none on a rig without a "
                f"mat, got {parsed.client.force_n:.1f} N"
            )
        with self._lock:
            held = self._snapshot("start", math.nan).then(parsed)
            if self._started:
                self._hold(held, parsed.kind)
                if parsed.kind == "on request" and self._grid is not None:
                    self._grid.request_baseline()  # as take_baseline() did
            else:
                self._initial = held

    def reset_stream(self) -> None:
        """Samples were lost: restart windows and filters (baseline and zeros are kept)."""
        with self._lock:
            for stage in (self._fusion, self._bars, self._mat):
                if stage is not None:
                    stage.reset()

    def set_rate(self, rate_hz: float) -> None:
        """The device announced its rate (HELLO): rebuild rate-dependent stages if it changed.

        The client baseline, the bar zeros and the client-moved flag are kept.
        """
        with self._lock:
            if rate_hz == self._rate_hz and self._started:
                return
            self._start(rate_hz)

    @property
    def _shift_observable(self) -> bool:
        """Whether this rig can tell a client's slide under the therapist (full rigs with
        both hands' mounts: the hands anchor the feet)."""
        return self._mat is not None and self._mat.shift is not None

    @property
    def _baseline(self) -> ClientBaseline | None:
        return self._mat.tracker.baseline if self._mat is not None else None

    @property
    def state(self) -> PipelineState:
        """A summary of what the pipeline holds now."""
        with self._lock:
            b = self._baseline
            if b is not None:
                status = "ready"
            elif self._mat is None:
                status = "waiting"
            else:
                status = self._mat.tracker.detector.reason or "waiting"
            w, source = self._weight.current()
            zero = self._bars.zero if self._bars is not None else None
            bar_zero_n = (
                dict(zip(zero.names, map(float, zero.correction_n), strict=True)) if zero else {}
            )
            return PipelineState(
                rig_kind=self._kind,
                baseline_status=status,
                **_baseline_summary(b, w, source),
                bar_zero_n=bar_zero_n,
                samples=self._samples,
                last_t_s=self._last_t_s,
                grid_baseline_ready=bool(self._grid and self._grid.baseline_ready),
                client_shift_observable=self._shift_observable,
            )

    def process_grid(self, grid: GridBlock) -> GridEstimate:
        """Analyse grid frames; their contact area then serves as the pressure basis."""
        if self._grid is None:
            raise RigMismatchError(
                f"{self.rig.source}: GRID frames arrived but the rig has no [grid]"
            )
        with self._lock:
            est = self._grid.process(grid)
            self._placement.see_grid(est)
            return est

    # --- the estimate ---------------------------------------------------------------------
    def process(self, block: SampleBlock) -> EstimateBlock:
        """Estimate everything for one block of samples (any length, in stream order)."""
        with self._lock:
            return self._process(block)

    def _process(self, block: SampleBlock) -> EstimateBlock:
        """The stages in order; each sets its rows of the block's uncertainty flags."""
        if not self._started:
            self._start(self._rate_hz if self._rate_hz is not None else _infer_rate(block))
        assert self._fusion is not None  # (built by _start)
        t_s = block.t_s
        n = t_s.shape[0]
        flags = new_flags(n)
        force_n = self._forces(block, flags)  # (C, n), rig order
        bars = self._bars(force_n) if self._bars is not None else None
        mat = None
        if self._mat is not None:
            mat = self._mat(t_s, force_n, bars, self._weight.current()[0], flags)
            if self._grid is not None and self._mat.tracker.baseline is not mat.baseline_before:
                self._grid.request_baseline()  # the sheet's baseline: the same client-only moment
            if self._estimate_weight:
                self._weight.follow(mat.window, mat.client_n)
        weight_n, weight_source = self._weight.current()
        feet = self._fusion(bars, mat, weight_n, flags)
        nan = unknown(n)  # the figures of a part the rig lacks
        feet_x_m, feet_y_m = (mat.feet_x_m, mat.feet_y_m) if mat else (nan, nan)
        place = self._placement(t_s, feet_x_m, feet_y_m, feet.feet_n)
        if n:
            self._watch_baseline(t_s, mat)
            self._samples += n
            self._last_t_s = float(t_s[-1])
        reason, uncertain = reason_codes(flags)
        return EstimateBlock.of_pipeline(
            t_s=t_s,
            channels=self._channels,
            force_n=force_n.T,
            mat_n=mat.mat_n if mat else nan,
            cop_x_m=mat.cop_x_m if mat else nan,
            cop_y_m=mat.cop_y_m if mat else nan,
            bar_left_n=bars.left_n if bars else nan,
            bar_right_n=bars.right_n if bars else nan,
            hand_left_x_m=bars.hand_left_x_m if bars else nan,
            hand_right_x_m=bars.hand_right_x_m if bars else nan,
            bar_left_share=bars.left_share if bars else nan,
            feet_mat_n=mat.feet_mat_n if mat else nan,
            feet_x_m=feet_x_m,
            feet_y_m=feet_y_m,
            **feet._asdict(),  # (its fields are EstimateBlock's: feet, bar_n, support)
            **place._asdict(),  # (likewise: region, no_go, pressure)
            uncertain=uncertain,
            uncertain_reason=reason,
            **_baseline_summary(self._baseline, weight_n, weight_source),
            mat_zero_age_s=self._mat_zero_age_s(t_s),
            client_shift_observable=self._shift_observable,
        )

    def _mat_zero_age_s(self, t_s: np.ndarray) -> float:
        """How long ago the mat zero was confirmed, at the block's last sample (NaN: no mat,
        or not yet; a mat-only rig confirms it with each client baseline)."""
        if self._mat is None or not t_s.shape[0]:
            return math.nan
        if self._mat.zero is not None:
            return self._mat.zero.age_s(float(t_s[-1]))
        b = self._mat.tracker.baseline
        return float(t_s[-1]) - b.t_s if b is not None else math.nan

    # --- baseline state -------------------------------------------------------------------
    def _watch_baseline(self, t_s: np.ndarray, mat: MatForces | None) -> None:
        """Report a client's first baseline from the sample it holds from, and the automatic
        tracking once settled (reporting each of its steps would be noise): a refreshed
        client baseline from its last refresh on, bar zeros from the block where the bars
        are loaded again (the zeros of that whole block). mat: this block's (None: no mat)."""
        tracker = self._mat.tracker if self._mat is not None else None
        zero = self._bars.zero if self._bars is not None else None
        b = tracker.baseline if tracker is not None else None
        new_client = b is not self._told_client
        new_zero = zero is not None and zero.correction_n is not self._told_zero
        if not (new_client or new_zero):
            return
        if new_client and mat is not None and mat.baseline_before is None and b is not None:
            first = int(np.argmax(~np.isnan(mat.client_n)))  # where it holds from in this block
            self._tell("automatic", float(t_s[first - 1]) if first else self._last_t_s)
        elif new_client and mat is not None and b is not None and math.isfinite(mat.shift_t_s):
            self._tell("shifted", mat.shift_t_s)
        elif new_client and tracker is not None and b is not None and tracker.settled:
            self._tell("refreshed", b.t_s)
        if new_zero and zero is not None and zero.loaded:
            self._tell("zeroed", self._last_t_s)

    def _tell(self, kind: StateKind, after_t_s: float) -> None:
        """Report the state now as a change of this kind, holding after `after_t_s`."""
        self._changes.append(self._snapshot(kind, after_t_s).model_dump())
        if kind == "zeroed":
            self._told_zero = self._bars.zero.correction_n if self._bars is not None else None
        else:
            self._told_client = self._baseline

    def _snapshot(self, kind: StateKind, after_t_s: float) -> BaselineState:
        if not self._started and self._initial is not None:
            return self._initial.model_copy(update={"kind": kind, "t_s": None})
        b = self._baseline
        tracker = self._mat.tracker if self._mat is not None else None
        motion = self._mat.motion if self._mat is not None else None
        zero = (
            self._bars.zero.correction_n
            if self._bars is not None
            else np.zeros(len(self._bar_names))
        )
        estimate_n = self._weight.estimate_n
        mat_zero = self._mat.zero if self._mat is not None else None
        zero_t_s = mat_zero.confirmed_t_s if mat_zero is not None else math.nan
        return BaselineState(
            kind=kind,
            t_s=after_t_s if math.isfinite(after_t_s) else None,
            client=None
            if b is None or tracker is None
            else StoredClientBaseline.of(b, tracker.how),
            bar_zero_n=dict(zip(self._bar_names, map(float, zero), strict=True)),
            therapist_weight_est_n=float(estimate_n) if math.isfinite(estimate_n) else None,
            client_moved=bool(motion is not None and motion.flagged),
            mat_zero_drift_n=mat_zero.drift_n if mat_zero is not None else 0.0,
            mat_zero_t_s=zero_t_s if math.isfinite(zero_t_s) else None,
        )

    def _hold(self, state: BaselineState, kind: StateKind) -> None:
        """Hold a whole state after a change of this kind (lock held, stages built), as the
        live pipeline did: a client baseline taken starts a new refresh stretch (a refresh
        lets a running one go on), moved bar zeros a new window for their tracking."""
        tracker = self._mat.tracker if self._mat is not None else None
        motion = self._mat.motion if self._mat is not None else None
        zero = self._bars.zero if self._bars is not None else None
        if tracker is not None and kind != "zeroed":
            if state.client is None:
                tracker.reset()
            else:
                baseline = state.client.baseline()
                tracker.restore(
                    baseline, state.client.how, restart=kind not in ("refreshed", "shifted")
                )
            if self._mat is not None:
                self._mat.restart_shift()
        if zero is not None:
            correction = np.array([state.bar_zero_n[name] for name in zero.names])
            if not np.array_equal(correction, zero.correction_n):
                zero.correction_n = correction
                zero.reset()  # its window held readings under the old correction
        w = state.therapist_weight_est_n
        self._weight.estimate_n = np.nan if w is None else w
        if motion is not None:
            motion.flagged = state.client_moved
        mat_zero = self._mat.zero if self._mat is not None else None
        if mat_zero is not None and kind == "start":
            mat_zero.drift_n = state.mat_zero_drift_n
            mat_zero.confirmed_t_s = math.nan if state.mat_zero_t_s is None else state.mat_zero_t_s
        self._told_client = tracker.baseline if tracker is not None else None
        self._told_zero = zero.correction_n if zero is not None else None


def _infer_rate(block: SampleBlock) -> float:
    """Sample rate from the device clock of a block, else the HX711 default (logged)."""
    if len(block) >= 2:
        dt = np.median(np.diff(block.t_device_s))
        if dt > 0:
            return float(1.0 / dt)
    log.warning("sample rate unknown (no HELLO, no rate_hz): assuming %g Hz", DEFAULT_RATE_HZ)
    return DEFAULT_RATE_HZ


def _baseline_summary(b: ClientBaseline | None, weight_n: float, source: str) -> dict[str, Any]:
    """The client baseline and therapist weight as EstimateBlock and PipelineState carry them."""
    return {
        "baseline_ready": b is not None,
        "client_n": b.force_n if b else np.nan,
        "client_cop_x_m": b.cop_x_m if b else np.nan,
        "client_cop_y_m": b.cop_y_m if b else np.nan,
        "therapist_weight_n": weight_n,
        "weight_source": source,
    }
