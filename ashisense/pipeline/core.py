"""The live pipeline: SampleBlock in, EstimateBlock out, state carried from block to block.

One code path for live, replay and tests: feed blocks of any size in order; results do not
depend on how the stream was cut (windows are evaluated at every sample).
"""

from __future__ import annotations

import collections
import logging
import math
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from ashisense.bodymap import UNKNOWN
from ashisense.pipeline.baseline import (
    BAR_N,
    MAT,
    TOTAL,
    WINDOW,
    BaselineRefused,
    BaselineState,
    BaselineStateError,
    BaselineTracker,
    ClientBaseline,
    StateKind,
    StoredClientBaseline,
)
from ashisense.pipeline.filters import StreamingLowPass
from ashisense.pipeline.grid import GridAnalyzer
from ashisense.pipeline.motion import ClientMotionDetector
from ashisense.pipeline.rolling import Rolling
from ashisense.pipeline.settings import PipelineSettings
from ashisense.pipeline.types import EstimateBlock, GridEstimate, PipelineState, Uncertain
from ashisense.pipeline.zero import BarZeroTracker
from ashisense.profiles import ClientProfile, TherapistProfile
from ashisense.rig import Rig, RigMismatchError
from firmware_bridge.blocks import GridBlock, SampleBlock

log = logging.getLogger(__name__)

ADC_RAIL_COUNTS = (-(2**23), 2**23 - 1)  # a 24-bit converter's limits: a reading there is railed
DEFAULT_RATE_HZ = 80.0
#: Baseline changes held for baseline_changes() between calls (the oldest go first).
MAX_BASELINE_CHANGES = 1024

# Rows of the per-block flag matrix: row i is the bit 2**i of Uncertain.
_BIT_VALUES = np.array([1 << i for i in range(len(Uncertain))], dtype=np.uint16)
(
    _INVALID_INPUT,
    _NO_BASELINE,
    _FEET_NEAR_ZERO,
    _CLIENT_MOVING,
    _SUPPORT_MISMATCH,
    _NO_WEIGHT,
    _MOVING,
    _SATURATED,
    _BARS_UNLOADED,
) = (
    f.bit_length() - 1
    for f in (
        Uncertain.INVALID_INPUT,
        Uncertain.NO_BASELINE,
        Uncertain.FEET_NEAR_ZERO,
        Uncertain.CLIENT_MOVING,
        Uncertain.SUPPORT_MISMATCH,
        Uncertain.NO_WEIGHT,
        Uncertain.MOVING,
        Uncertain.SATURATED,
        Uncertain.BARS_UNLOADED,
    )
)


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
        self._offsets = rig.offsets_counts[:, None]  # a column: forces are computed by channel
        self._gains = rig.gains_n_per_count[:, None]
        self._channels = rig.channels
        self._bar_names = tuple(rig.channels[i] for i in rig.index("bar"))
        self._has_mat = bool(rig.index("mat"))
        self._bar = _index(rig.index("bar"))
        self._left = _index(rig.index("bar", side="left"))
        self._right = _index(rig.index("bar", side="right"))
        self._mat = _index(rig.index("mat"))
        mats = [rig.channel[i] for i in rig.index("mat")]
        self._mat_xy = np.array([[c.x_m, c.y_m] for c in mats], dtype=np.float64).reshape(-1, 2)
        self._hands = self._hand_channels()
        self._profile_area = (
            (therapist.contact_area_m2(), f"profile:{therapist.contact}") if therapist else None
        )
        # Bars with both mounts: which side (0 left, 1 right), their head and foot channels.
        pairs = [(k, pair) for k, pair in enumerate(self._hands) if pair is not None]
        self._hand_sides = [k for k, _ in pairs]
        self._hand_heads = [pair[0] for _, pair in pairs]
        self._hand_feet = [pair[1] for _, pair in pairs]
        self._head_x_m = rig.bars.head_mount_x_m if rig.bars else np.nan
        self._foot_x_m = rig.bars.foot_mount_x_m if rig.bars else np.nan
        self._kind = rig.kind
        self._columns_cache: dict[tuple[str, ...], np.ndarray | None] = {rig.channels: None}
        self._grid = GridAnalyzer(rig.grid, auto_baseline=not self._has_mat) if rig.grid else None
        self._grid_area_m2 = np.nan
        self._grid_area_t_s = -np.inf
        self._weight_est_n = np.nan
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
    def _hand_channels(self) -> list[tuple[int, int] | None]:
        """(head index, foot index) of the left and right bars, None where a mount is missing."""
        out: list[tuple[int, int] | None] = []
        for side in ("left", "right"):
            head = self.rig.index("bar", side=side, end="head")
            foot = self.rig.index("bar", side=side, end="foot")
            out.append((head[0], foot[0]) if head and foot else None)
        return out

    def _start(self, rate_hz: float) -> None:
        s = self.settings
        self._rate_hz = rate_hz
        n = lambda seconds: max(2, round(seconds * rate_hz))  # noqa: E731 - window in samples
        # Low-passed: feet, then support (full rigs), then bar_n (rigs with bars).
        lp_columns = {"full": 3, "bars": 2, "mat": 1}[self._kind]
        self._filter = StreamingLowPass(s.display_cutoff_hz, rate_hz, lp_columns, s.display_order)
        self._zero = (
            BarZeroTracker(
                self._bar_names, n(s.zero_window_s), s.zero_band_n, s.zero_sd_n, s.zero_limit_n
            )
            if self._bar_names
            else None
        )
        client_w = self.client.weight_n if self.client else None
        self._tracker = BaselineTracker(s, client_w) if self._has_mat else None
        # One window for the baseline, the still-therapist weight and the client-motion watch.
        self._window = Rolling(n(s.window_s), len(WINDOW)) if self._has_mat else None
        full = self._kind == "full"
        hands = all(pair is not None for pair in self._hands)
        self._motion = ClientMotionDetector(s) if full and hands else None
        if not self._started:  # (set_rate rebuilds with the values reported so far)
            self._told_zero = self._zero.correction_n if self._zero is not None else None
        self._started = True
        if self._initial is not None:
            self._hold(self._initial, "start")
            self._initial = None

    def _columns(self, channels: tuple[str, ...]) -> np.ndarray | None:
        """Index that puts a block's columns in rig order (None: already in rig order)."""
        if channels not in self._columns_cache:
            self.rig.check_channels(channels)
            pos = {name: i for i, name in enumerate(channels)}
            self._columns_cache[channels] = np.array([pos[c] for c in self.rig.channels])
        return self._columns_cache[channels]

    # --- public -------------------------------------------------------------------------
    @property
    def weight_n(self) -> tuple[float, str]:
        """Therapist weight in use (N) and its source: "profile", "estimated" or "none"."""
        if self.therapist is not None:
            return self.therapist.weight_n, "profile"
        if np.isfinite(self._weight_est_n):
            return float(self._weight_est_n), "estimated"
        return np.nan, "none"

    def take_baseline(self) -> ClientBaseline:
        """Take the client baseline from the last window now (used from the next block).

        Raises BaselineRefused saying why when the last window does not qualify (settling,
        bars loaded, no client, someone else on the mat) or the rig has no mat.
        """
        with self._lock:
            if not self._has_mat:
                raise BaselineRefused(f"{self.rig.source}: baseline refused: the rig has no mat")
            if not self._started or self._tracker is None:
                raise BaselineRefused(f"{self.rig.source}: baseline refused: no samples yet")
            taken = self._tracker.take_now(self.rig.source)
            if self._grid is not None:
                self._grid.request_baseline()
            self._tell("on request", self._last_t_s)
            return taken

    def reset_baseline(self) -> None:
        """Drop the client baseline (a new client): the next stable window sets a new one."""
        with self._lock:
            if self._started and self._tracker is not None:
                self._tracker.reset()
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
            if self._started:
                self._filter.reset()
                if self._zero is not None:
                    self._zero.reset()
                if self._tracker is not None:
                    self._tracker.restart()
                if self._window is not None:
                    self._window.reset()
                if self._motion is not None:
                    self._motion.reset()

    def set_rate(self, rate_hz: float) -> None:
        """The device announced its rate (HELLO): rebuild rate-dependent stages if it changed.

        The client baseline, the bar zeros and the client-moved flag are kept.
        """
        with self._lock:
            if rate_hz == self._rate_hz and self._started:
                return
            old = (self._zero, self._tracker, self._motion) if self._started else None
            self._start(rate_hz)
            if old is not None:
                zero, tracker, motion = old
                if zero is not None and self._zero is not None:
                    self._zero.correction_n = zero.correction_n
                if tracker is not None and self._tracker is not None:
                    self._tracker.baseline = tracker.baseline
                if motion is not None and self._motion is not None:
                    self._motion.flagged = motion.flagged

    @property
    def _baseline(self) -> ClientBaseline | None:
        return self._tracker.baseline if self._started and self._tracker is not None else None

    @property
    def state(self) -> PipelineState:
        """A summary of what the pipeline holds now."""
        with self._lock:
            b = self._baseline
            if b is not None:
                status = "ready"
            elif not self._started or self._tracker is None:
                status = "waiting"
            else:
                status = self._tracker.detector.reason or "waiting"
            w, source = self.weight_n
            zero = (
                dict(zip(self._zero.names, map(float, self._zero.correction_n), strict=True))
                if self._started and self._zero
                else {}
            )
            return PipelineState(
                rig_kind=self._kind,
                baseline_status=status,
                **_baseline_summary(b, w, source),
                bar_zero_n=zero,
                samples=self._samples,
                last_t_s=self._last_t_s,
                grid_baseline_ready=bool(self._grid and self._grid.baseline_ready),
            )

    def process_grid(self, grid: GridBlock) -> GridEstimate:
        """Analyse grid frames; their contact area then serves as the pressure basis."""
        if self._grid is None:
            raise RigMismatchError(
                f"{self.rig.source}: GRID frames arrived but the rig has no [grid]"
            )
        with self._lock:
            est = self._grid.process(grid)
            ok = np.flatnonzero(est.valid & (est.n_blobs > 0))
            if ok.size:
                i = ok[-1]
                self._grid_area_m2 = float(np.nansum(est.blob_area_m2[i]))
                self._grid_area_t_s = float(est.t_s[i])
            return est

    # --- the estimate ---------------------------------------------------------------------
    def process(self, block: SampleBlock) -> EstimateBlock:
        """Estimate everything for one block of samples (any length, in stream order)."""
        with self._lock:
            return self._process(block)

    def _process(self, block: SampleBlock) -> EstimateBlock:
        s = self.settings
        n = len(block)
        if not self._started:
            rate = self._rate_hz
            if rate is None:
                rate = _infer_rate(block)
            self._start(rate)
        cols = self._columns(block.channels)
        counts = block.counts if cols is None else block.counts[:, cols]
        invalid = block.invalid if cols is None else block.invalid[:, cols]
        # Work by channel: a row per channel, each a contiguous series (force_n is its .T).
        by_channel = np.subtract(counts.T, self._offsets, order="C")
        by_channel *= self._gains
        # One row per bit of Uncertain, joined into uncertain_reason at the end.
        flags = np.zeros((len(Uncertain), n), dtype=bool)
        lo, hi = ADC_RAIL_COUNTS
        if n and (np.count_nonzero(invalid) or counts.min() <= lo or counts.max() >= hi):
            railed = ((counts <= lo) | (counts >= hi)).T
            bad = invalid.T | railed
            by_channel[bad] = np.nan
            bad.any(axis=0, out=flags[_INVALID_INPUT])
            railed.any(axis=0, out=flags[_SATURATED])
        nan = np.full(n, np.nan)
        w_n, w_source = self.weight_n

        # Bars: per bar, total, hand position by the lever rule, left share.
        bar_l = bar_r = bar_n = share = nan
        hand = [nan, nan]
        if self._zero is not None:
            by_channel[self._bar] = self._zero.apply(by_channel[self._bar])  # a view if a slice
            bar_l = by_channel[self._left].sum(axis=0) if self._left is not None else nan
            bar_r = by_channel[self._right].sum(axis=0) if self._right is not None else nan
            bar_n = by_channel[self._bar].sum(axis=0)
            if self._hand_sides:
                f_head, f_foot = by_channel[self._hand_heads], by_channel[self._hand_feet]
                tot = f_head + f_foot
                x = (f_head * self._head_x_m + f_foot * self._foot_x_m) / np.where(
                    tot > s.bar_min_n, tot, np.nan
                )
                for row, k in enumerate(self._hand_sides):
                    hand[k] = x[row]
            share = bar_l / np.where(bar_n > s.bar_min_n, bar_n, np.nan)

        # Mat: total, CoP, client baseline, feet force and position.
        mat_n = cop_x = cop_y = feet_mat = feet_x = feet_y = nan
        client_n = nan
        had: ClientBaseline | None = None
        if self._tracker is not None and self._window is not None:
            fm = by_channel[self._mat]
            mat_n = fm.sum(axis=0)
            moment_x, moment_y = self._mat_xy.T @ fm  # sum f_i x_i, sum f_i y_i
            loaded = np.where(np.abs(mat_n) > s.feet_min_n, mat_n, np.nan)
            cop_x, cop_y = moment_x / loaded, moment_y / loaded
            bars = bar_n if self._zero is not None else np.zeros(n)
            loaded_bars = np.abs(bars) >= s.bars_unloaded_n  # NaN bars: bar_n's window is short
            columns = (mat_n, moment_x, moment_y, loaded_bars, *hand, bars, bars + mat_n)
            st = self._window.push(np.array(columns).T)  # the WINDOW columns
            had = self._tracker.baseline
            client, refreshed = self._tracker.push(block.t_s, st)
            if self._grid is not None and self._tracker.baseline is not had:
                self._grid.request_baseline()  # the sheet's baseline: the same client-only moment
            client_n, client_mx, client_my = client
            feet_mat = mat_n - client_n
            np.isnan(client_n, out=flags[_NO_BASELINE])
            defined = feet_mat > s.feet_min_n
            denom = np.where(defined, feet_mat, np.nan)
            feet_x = (moment_x - client_mx) / denom
            feet_y = (moment_y - client_my) / denom
            np.less_equal(feet_mat, s.feet_min_n, out=flags[_FEET_NEAR_ZERO])
            moving = s.client_cop_wander_m * client_n / denom > s.position_sigma_m
            if self._motion is not None:
                moving |= self._motion.push(st, client, w_n, refreshed)
            np.logical_and(moving, defined, out=flags[_CLIENT_MOVING])
            if self._kind == "full" and self.therapist is None:  # W_t from still windows
                feet_win = st.mean[MAT] - client_n
                still = st.complete[TOTAL] & (st.sd[TOTAL] < s.still_sd_n)
                still &= feet_win > s.feet_min_n
                still &= st.mean[BAR_N] > s.bar_min_n
                if np.count_nonzero(still):
                    self._update_weight(_median((st.mean[TOTAL] - client_n)[still]))
                    w_n, w_source = self.weight_n

        # Feet force from the bars, fusion, support.
        feet_bar = w_n - bar_n if self._zero is not None else nan
        if self._zero is not None and math.isnan(w_n):
            flags[_NO_WEIGHT] = True
        if self._tracker is None:
            feet = feet_bar
            np.less_equal(feet_bar, s.feet_min_n, out=flags[_FEET_NEAR_ZERO])
            np.logical_not(bar_n > s.bar_min_n, out=flags[_BARS_UNLOADED])
        elif self._zero is None:
            feet = feet_mat
        else:  # the bars fill in where a mat sample is invalid, once the baseline is known
            fill = np.isnan(feet_mat)
            if np.count_nonzero(fill):
                fill &= ~np.isnan(client_n)
                feet = np.where(fill, feet_bar, feet_mat)
            else:
                feet = feet_mat
        support = bar_n + feet if self._kind == "full" else nan
        if self._kind == "full":
            lp = self._filter(np.array((feet, support, bar_n)).T).T
        elif self._zero is not None:
            lp = self._filter(np.array((feet, bar_n)).T).T
        else:
            lp = self._filter(feet[:, None]).T
        feet_display = lp[0]
        support_ratio = support / w_n
        if self._kind == "full" and math.isfinite(w_n):
            ratio_lp = lp[1] / w_n
            on = ratio_lp > 0.2  # the therapist is on the rig at all
            np.logical_and(on, np.abs(ratio_lp - 1) > s.support_tol, out=flags[_SUPPORT_MISMATCH])
            # Someone accelerates (a step, the client shifting): the sum is not statics.
            np.logical_and(on, np.abs(support_ratio - 1) > s.moving_tol, out=flags[_MOVING])
        elif self._zero is not None and math.isfinite(w_n):
            np.greater(np.abs(bar_n - lp[-1]), s.moving_tol * w_n, out=flags[_MOVING])

        # Region, pressure.
        if self.body is not None:
            region = self.body.classify(feet_x, feet_y)
            no_go = self.body.no_go_mask(region)
        else:
            region = np.full(n, UNKNOWN, dtype=np.int8)
            no_go = np.zeros(n, dtype=bool)
        pressure, basis = self._pressure(block.t_s, feet)
        if n:
            self._watch_baseline(block.t_s, had, client_n)

        self._samples += n
        if n:
            self._last_t_s = float(block.t_s[-1])
        b = self._baseline
        reason = _BIT_VALUES @ flags
        return EstimateBlock.unchecked(
            t_s=block.t_s,
            channels=self._channels,
            force_n=by_channel.T,
            mat_n=mat_n,
            cop_x_m=cop_x,
            cop_y_m=cop_y,
            bar_left_n=bar_l,
            bar_right_n=bar_r,
            bar_n=bar_n,
            hand_left_x_m=hand[0],
            hand_right_x_m=hand[1],
            bar_left_share=share,
            feet_n=feet,
            feet_mat_n=feet_mat,
            feet_bar_n=feet_bar,
            feet_x_m=feet_x,
            feet_y_m=feet_y,
            feet_display_n=feet_display,
            region=region,
            no_go=no_go,
            support_n=support,
            support_ratio=support_ratio,
            pressure_kpa=pressure,
            pressure_basis=basis,
            uncertain=reason != 0,
            uncertain_reason=reason,
            **_baseline_summary(b, w_n, w_source),
        )

    # --- baseline state -------------------------------------------------------------------
    def _watch_baseline(self, t_s: np.ndarray, had: ClientBaseline | None, client_n: Any) -> None:
        """Report a client's first baseline from the sample it holds from, and the automatic
        tracking once settled (reporting each of its steps would be noise): a refreshed
        client baseline from its last refresh on, bar zeros from the block where the bars
        are loaded again (the zeros of that whole block)."""
        tracker, zero = self._tracker, self._zero
        b = tracker.baseline if tracker is not None else None
        new_client = b is not self._told_client
        new_zero = zero is not None and zero.correction_n is not self._told_zero
        if not (new_client or new_zero):
            return
        if new_client and had is None and b is not None:
            first = int(np.argmax(~np.isnan(client_n)))  # where it holds from in this block
            self._tell("automatic", float(t_s[first - 1]) if first else self._last_t_s)
        elif new_client and tracker is not None and b is not None and tracker.settled:
            self._tell("refreshed", b.t_s)
        if new_zero and zero is not None and zero.loaded:
            self._tell("zeroed", self._last_t_s)

    def _tell(self, kind: StateKind, after_t_s: float) -> None:
        """Report the state now as a change of this kind, holding after `after_t_s`."""
        self._changes.append(self._snapshot(kind, after_t_s).model_dump())
        if kind == "zeroed":
            self._told_zero = self._zero.correction_n if self._zero is not None else None
        else:
            self._told_client = self._baseline

    def _snapshot(self, kind: StateKind, after_t_s: float) -> BaselineState:
        if not self._started and self._initial is not None:
            return self._initial.model_copy(update={"kind": kind, "t_s": None})
        b = self._baseline
        tracker = self._tracker if self._started else None
        started = self._started
        zero = (
            self._zero.correction_n
            if started and self._zero is not None
            else np.zeros(len(self._bar_names))
        )
        return BaselineState(
            kind=kind,
            t_s=after_t_s if math.isfinite(after_t_s) else None,
            client=None
            if b is None or tracker is None
            else StoredClientBaseline.of(b, tracker.how),
            bar_zero_n=dict(zip(self._bar_names, map(float, zero), strict=True)),
            therapist_weight_est_n=(
                float(self._weight_est_n) if math.isfinite(self._weight_est_n) else None
            ),
            client_moved=bool(started and self._motion is not None and self._motion.flagged),
        )

    def _hold(self, state: BaselineState, kind: StateKind) -> None:
        """Hold a whole state after a change of this kind (lock held, stages built), as the
        live pipeline did: a client baseline taken starts a new refresh stretch (a refresh
        lets a running one go on), moved bar zeros a new window for their tracking."""
        tracker, zero = self._tracker, self._zero
        if tracker is not None and kind != "zeroed":
            if state.client is None:
                tracker.reset()
            else:
                baseline = state.client.baseline()
                tracker.restore(baseline, state.client.how, restart=kind != "refreshed")
        if zero is not None:
            correction = np.array([state.bar_zero_n[name] for name in zero.names])
            if not np.array_equal(correction, zero.correction_n):
                zero.correction_n = correction
                zero.reset()  # its window held readings under the old correction
        w = state.therapist_weight_est_n
        self._weight_est_n = np.nan if w is None else w
        if self._motion is not None:
            self._motion.flagged = state.client_moved
        self._told_client = tracker.baseline if tracker is not None else None
        self._told_zero = zero.correction_n if zero is not None else None

    def _update_weight(self, candidate_n: float) -> None:
        """Follow the upper envelope of still-phase support: lower values mean a foot elsewhere."""
        w = self._weight_est_n
        if np.isnan(w) or candidate_n > w:
            self._weight_est_n = candidate_n
        elif candidate_n > 0.97 * w:
            self._weight_est_n = w + 0.2 * (candidate_n - w)

    def _pressure(self, t_s: np.ndarray, feet_n: np.ndarray) -> tuple[np.ndarray, str]:
        """Feet force over contact area (kPa) and the area's basis."""
        fresh = len(t_s) > 0 and t_s[-1] - self._grid_area_t_s <= self.settings.grid_hold_s
        if fresh and self._grid_area_m2 > 0:
            area, basis = self._grid_area_m2, "grid"
        elif self._profile_area is not None:
            area, basis = self._profile_area
        else:
            return np.full(len(t_s), np.nan), "none"
        return np.maximum(feet_n, 0.0) / area / 1000.0, basis


def _index(idx: list[int]) -> slice | np.ndarray | None:
    """Channel indices as a slice where they are consecutive (a view, not a copy); None if
    there are none."""
    if not idx:
        return None
    if idx == list(range(idx[0], idx[-1] + 1)):
        return slice(idx[0], idx[-1] + 1)
    return np.array(idx, dtype=np.intp)


def _median(x: np.ndarray) -> float:
    """np.median of a non-empty 1-d array, without its per-call overhead."""
    m = x.size // 2
    if x.size % 2:
        return float(np.partition(x, m)[m])
    part = np.partition(x, (m - 1, m))
    return float((part[m - 1] + part[m]) / 2)


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
